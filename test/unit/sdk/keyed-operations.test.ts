import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCompletedResults, createKeyedOperations, createKeyedQueue } from '../../../plugins/sdk/keyed-operations.js';
import { AlreadyExistsError, OperationInProgressError } from '../../../src/domain/errors.js';

describe('createKeyedOperations', () => {
  it('rejects an overlapping run of the same key with OperationInProgressError (ABORTED) without calling it', async () => {
    const ops = createKeyedOperations();
    let release!: () => void;
    const first = ops.run('si-1', () => new Promise<string>((resolve) => (release = () => resolve('done'))));
    let called = false;
    await assert.rejects(
      ops.run('si-1', () => (called = true)),
      (e: unknown) => e instanceof OperationInProgressError && e.code === 'ABORTED' && e.reason === 'OPERATION_IN_PROGRESS' && e.metadata.key === 'si-1',
    );
    assert.equal(called, false);
    assert.equal(await ops.run('si-2', () => 'other key runs'), 'other key runs');
    assert.equal(ops.isRunning('si-1'), true);
    release();
    assert.equal(await first, 'done');
    assert.equal(ops.size, 0);
  });

  it('releases the key when the operation throws', async () => {
    const ops = createKeyedOperations();
    await assert.rejects(ops.run('k', () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await ops.run('k', () => 'again'), 'again');
  });
});

describe('createCompletedResults', () => {
  it('returns the remembered result to a replay without running again', async () => {
    const results = createCompletedResults<{ path: string }>();
    let runs = 0;
    const make = () => ({ path: `/exports/${++runs}` });
    assert.deepEqual(await results.replayOrRun('si-1', make), { path: '/exports/1' });
    assert.deepEqual(await results.replayOrRun('si-1', make), { path: '/exports/1' });
    assert.equal(runs, 1);
  });

  it('does not remember failures, so a retry runs again', async () => {
    const results = createCompletedResults<string>();
    await assert.rejects(results.replayOrRun('k', () => Promise.reject(new Error('no'))));
    assert.equal(await results.replayOrRun('k', () => 'yes'), 'yes');
  });

  it('refuses a replay with a different fingerprint as ALREADY_EXISTS', async () => {
    const results = createCompletedResults<string>();
    await results.replayOrRun('si-1', () => 'a', { fingerprint: 'size=1' });
    await assert.rejects(results.replayOrRun('si-1', () => 'b', { fingerprint: 'size=2' }), (e: unknown) => e instanceof AlreadyExistsError && e.reason === 'ALREADY_EXISTS_INCOMPATIBLE');
  });

  it('forgets the oldest entry beyond maxEntries, and on forget()', () => {
    const results = createCompletedResults<number>({ maxEntries: 2 });
    results.remember('a', 1);
    results.remember('b', 2);
    results.remember('c', 3);
    assert.deepEqual([results.get('a'), results.get('b'), results.get('c')], [undefined, 2, 3]);
    results.forget('b');
    assert.equal(results.size, 1);
    assert.throws(() => createCompletedResults({ maxEntries: 0 }), /maxEntries must be a positive integer, got 0/);
  });
});

describe('createKeyedQueue', () => {
  it('runs calls of one key in order, one at a time; other keys do not wait; a failure does not block the next', async () => {
    const queue = createKeyedQueue();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = queue.withLock('v1', () => new Promise<void>((resolve) => (releaseFirst = () => (order.push('v1 first'), resolve()))));
    const failing = queue.withLock('v1', () => Promise.reject(new Error('boom')));
    const third = queue.withLock('v1', async () => void order.push('v1 third'));
    await queue.withLock('v2', async () => void order.push('v2'));
    assert.deepEqual(order, ['v2'], 'v2 ran while v1 was held; v1 calls wait');
    releaseFirst();
    await first;
    await assert.rejects(failing, /boom/);
    await third;
    assert.deepEqual(order, ['v2', 'v1 first', 'v1 third']);
  });
});
