/**
 * The driver-assisted rows of the failure / clean-up matrix (manila-migration-behaviour 2.2,
 * 2.3, 2.6, 2.7, 2.13), each hit by a failure the dummy plugin injects into one RPC.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertFerryError, assertSourceRestored, dataDirOf, prepareDummyShare, startMigrationFerry } from '../../helpers/migration-harness.js';

const DRIVER_PREFIX = ['migration_starting', 'migration_in_progress', 'migration_driver_starting', 'migration_driver_in_progress'];
const injected = (reason: string) => ({ fail: { code: 'INTERNAL', reason, message: `injected ${reason}` } });

describe('share migration failures: driver-assisted path', () => {
  it('MigrationStart fails with snapshots present: no fallback, migration_error, destination dropped, read-only and snapshots restored', async (t) => {
    const h = await startMigrationFerry(t);
    h.setRules('dummy1', { migrationCheckCompatibility: { result: { writable: false } }, migrationStart: injected('START_BROKEN') });
    const share = await prepareDummyShare(h);
    await h.start(share.id, 'ferry@dummy2#alpha');
    await h.waitForTaskState(share.id, ['migration_error', 'data_copying_completed']);

    const after = await h.ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_error');
    assert.deepEqual(await h.history(share.id), ['migration_starting', 'migration_in_progress', 'migration_driver_starting', 'migration_error']);
    assert.equal(after.migration?.method, 'driver_assisted', 'no host-assisted fallback with snapshots');
    assert.equal(after.migration?.errorReason, 'START_BROKEN');
    assert.match(after.migration?.error ?? '', /injected START_BROKEN/);
    assert.match(after.migration?.fallbackReason ?? '', /MigrationStart failed/);
    assert.equal(h.enteredCount('dummy1', 'migrationCancel'), 1, 'ferry asks the driver to drop partial destination data');
    await assertSourceRestored(h, share, 'dummy2');
    const none = `There is no migration being performed for share ${share.id} at this moment.`;
    await assertFerryError(h.ferry.migrationComplete(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_IN_PROGRESS', none);
    await assertFerryError(h.ferry.migrationCancel(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_IN_PROGRESS', none);
  });

  it('incompatible destination with writable requested: no fallback (preservation flag), migration_error before MigrationStart', async (t) => {
    const h = await startMigrationFerry(t);
    h.setRules('dummy1', { migrationCheckCompatibility: { result: { compatible: false, incompatibilityReasons: ['injected: different array'] } } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha', { writable: true });
    await h.waitForTaskState(share.id, ['migration_error', 'data_copying_completed']);

    const after = await h.ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_error');
    assert.deepEqual(await h.history(share.id), ['migration_starting', 'migration_in_progress', 'migration_error']);
    assert.equal(after.migration?.errorReason, 'NO_VALID_HOST');
    assert.match(after.migration?.error ?? '', /not compatible/);
    assert.match(after.migration?.fallbackReason ?? '', /not compatible.*injected: different array/);
    assert.equal(h.enteredCount('dummy1', 'migrationStart'), 0);
    await assertSourceRestored(h, share, 'dummy2');
  });

  it('MigrationStart fails, fallback allowed: host-assisted runs instead and succeeds, fallback_reason recorded', async (t) => {
    const h = await startMigrationFerry(t);
    h.setRules('dummy1', { migrationStart: injected('START_BROKEN') });
    const share = await prepareDummyShare(h, { snapshot: false, files: { a: 'alpha', b: 'beta' } });
    await h.start(share.id, 'ferry@dummy2#beta');
    await h.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);
    const copied = await h.instances(share.id);
    assert.equal(copied.share.migration?.method, 'host_assisted');
    assert.match(copied.share.migration?.fallbackReason ?? '', /MigrationStart failed: injected START_BROKEN/);
    assert.equal(copied.source?.castRulesToReadonly, true, 'host-assisted casts the source read-only');
    assert.equal(copied.share.instances.length, 2, 'the driver attempt\'s destination record is gone, the host-assisted one is there');

    await h.ferry.migrationComplete(share.id);
    await h.waitForTaskState(share.id, ['migration_success', 'migration_error']);
    const after = await h.ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_success', after.migration?.error);
    assert.deepEqual(await h.history(share.id), [
      'migration_starting', 'migration_in_progress', 'migration_driver_starting', 'migration_in_progress', 'data_copying_starting', 'data_copying_in_progress',
      'data_copying_completing', 'data_copying_completed', 'migration_completing', 'migration_success',
    ]);
    assert.equal(after.host, 'ferry@dummy2#beta');
    assert.equal(after.instances.length, 1);
    const destination = after.instances[0]!;
    assert.equal(destination.status, 'available');
    assert.equal(readFileSync(join(dataDirOf(destination), 'b'), 'utf8'), 'beta');
    assert.deepEqual(Object.keys(h.dummyState('dummy1').shares), [], 'the source was deleted through its driver');
    const held = h.dummyState('dummy2').shares[destination.id];
    assert.equal(held?.readOnly, false);
    assert.deepEqual(held?.accessRules.map((rule) => rule.accessLevel), ['rw'], 'the share\'s rules apply on the destination');
  });

  it('MigrationContinue raises: no fallback even when allowed, destination dropped, source restored', async (t) => {
    const h = await startMigrationFerry(t, { progressStep: 10 });
    h.setRules('dummy1', { migrationCheckCompatibility: { result: { writable: false } }, migrationContinue: { ...injected('CONTINUE_BROKEN'), failTimes: 1 } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha');
    await h.waitForTaskState(share.id, ['migration_error', 'migration_driver_phase1_done', 'data_copying_completed']);

    const after = await h.ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_error');
    assert.deepEqual(await h.history(share.id), [...DRIVER_PREFIX, 'migration_error']);
    assert.equal(after.migration?.method, 'driver_assisted');
    assert.equal(after.migration?.errorReason, 'CONTINUE_BROKEN');
    assert.equal(h.dummyState('dummy1').migrations[after.migration!.id]?.phase, 'cancelled', 'ferry cancels the driver\'s migration');
    await assertSourceRestored(h, share, 'dummy2');
  });

  it('MigrationContinue raises with preserved snapshots: snapshots back to available', async (t) => {
    const h = await startMigrationFerry(t);
    h.setRules('dummy1', { migrationContinue: injected('CONTINUE_BROKEN') });
    const share = await prepareDummyShare(h);
    await h.start(share.id, 'ferry@dummy2#alpha', { preserveSnapshots: true });
    await h.waitForTaskState(share.id, ['migration_error', 'migration_driver_phase1_done']);
    assert.deepEqual(await h.history(share.id), [...DRIVER_PREFIX, 'migration_error']);
    await assertSourceRestored(h, share, 'dummy2');
  });

  it('MigrationContinue UNAVAILABLE (plugin restarting) is waited out: phase 1 still completes', async (t) => {
    const h = await startMigrationFerry(t);
    h.setRules('dummy1', { migrationContinue: { fail: { code: 'UNAVAILABLE', reason: 'BACKEND_UNAVAILABLE' }, failTimes: 2 } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha');
    await h.waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']);
    assert.deepEqual(await h.history(share.id), [...DRIVER_PREFIX, 'migration_driver_phase1_done']);
    assert.ok(h.enteredCount('dummy1', 'migrationContinue') >= 4, 'two failed polls, then two that advance 50% each');
  });

  it('MigrationComplete UNAVAILABLE (peer or plugin restarting) is retried as the contract says: the cut-over still succeeds', async (t) => {
    const h = await startMigrationFerry(t, { progressStep: 100 });
    h.setRules('dummy1', { migrationComplete: { fail: { code: 'UNAVAILABLE', reason: 'PEER_UNAVAILABLE' }, failTimes: 2 } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha', { writable: true });
    await h.waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']);
    await h.ferry.migrationComplete(share.id);
    await h.waitForTaskState(share.id, ['migration_success', 'migration_error']);
    const after = await h.ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_success', after.migration?.error);
    assert.equal(h.enteredCount('dummy1', 'migrationComplete'), 3);
    assert.equal(after.host, 'ferry@dummy2#alpha');
    assert.equal(readFileSync(join(dataDirOf(after.instances[0]!), 'a'), 'utf8'), 'alpha');
  });

  it('MigrationComplete raises: both instances and their snapshots in error, migration_error, destination record kept', async (t) => {
    const h = await startMigrationFerry(t, { progressStep: 100 });
    h.setRules('dummy1', { migrationComplete: injected('COMPLETE_BROKEN') });
    const share = await prepareDummyShare(h);
    await h.start(share.id, 'ferry@dummy2#alpha', { preserveSnapshots: true, writable: true });
    await h.waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']);
    await h.ferry.migrationComplete(share.id);
    await h.waitForTaskState(share.id, ['migration_error', 'migration_success']);

    const { share: after, source, destination } = await h.instances(share.id);
    assert.equal(after.taskState, 'migration_error');
    assert.deepEqual(await h.history(share.id), [...DRIVER_PREFIX, 'migration_driver_phase1_done', 'migration_completing', 'migration_error']);
    assert.equal(after.migration?.errorReason, 'COMPLETE_BROKEN');
    assert.equal(source?.status, 'error');
    assert.equal(destination?.status, 'error', 'the destination record is kept for the operator');
    const snapshot = (await h.ferry.listSnapshots({ shareId: share.id }))[0]!;
    assert.deepEqual(snapshot.instances.map((instance) => instance.status), ['error', 'error']);
    assert.ok(h.dummyState('dummy1').shares[source!.id], 'nothing moved on the back end: the source data is still there');
    assert.equal(h.dummyState('dummy1').migrations[after.migration!.id]?.phase, 'phase1_done');
    assert.deepEqual(Object.keys(h.dummyState('dummy2').shares), []);
    assert.equal(readFileSync(join(dataDirOf(source!), 'a'), 'utf8'), 'alpha');
  });
});
