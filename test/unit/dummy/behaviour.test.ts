import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BehaviourEngine, mergeResult } from '../../../plugins/dummy/behaviour.js';
import { CancelledError, FerryError } from '../../../src/domain/errors.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fdb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ctx = (signal = new AbortController().signal) => ({ signal });

test('no rule: the handler answers unchanged', async () => {
  const engine = new BehaviourEngine({ rules: {} });
  assert.deepEqual(await engine.run('probe', '-', ctx(), () => ({ ready: true })), { ready: true });
});

test('fail throws a FerryError with code, reason, message and metadata', async () => {
  const engine = new BehaviourEngine({ rules: { migrationStart: { fail: { code: 'UNAVAILABLE', reason: 'PEER_UNAVAILABLE', message: 'peer down', metadata: { backend: 'b@x' } } } } });
  let ran = false;
  await assert.rejects(
    engine.run('migrationStart', 'm1', ctx(), () => (ran = true)),
    (error: unknown) => error instanceof FerryError && error.code === 'UNAVAILABLE' && error.reason === 'PEER_UNAVAILABLE' && error.message === 'peer down' && error.metadata.backend === 'b@x',
  );
  assert.equal(ran, false, 'the handler must not run when the call fails');
});

test('failTimes fails the first N calls of the method, then lets them through', async () => {
  const engine = new BehaviourEngine({ rules: { migrationContinue: { fail: { code: 'INTERNAL', reason: 'BACKEND_ERROR', message: undefined, metadata: {} }, failTimes: 2 } } });
  const outcomes: string[] = [];
  for (let i = 0; i < 4; i++) {
    outcomes.push(await engine.run('migrationContinue', 'm', ctx(), () => 'ok').catch((e: FerryError) => e.reason));
  }
  assert.deepEqual(outcomes, ['BACKEND_ERROR', 'BACKEND_ERROR', 'ok', 'ok']);
  assert.equal(await engine.run('migrationStart', 'm', ctx(), () => 'other method unaffected'), 'other method unaffected');
});

test('the method rule overrides the "*" rule field by field', async () => {
  const engine = new BehaviourEngine({ rules: { '*': { fail: { code: 'INTERNAL', reason: 'BACKEND_ERROR', message: undefined, metadata: {} }, delayMs: 0 }, probe: { fail: { code: 'UNAVAILABLE', reason: 'BACKEND_UNAVAILABLE', message: undefined, metadata: {} } } } });
  assert.equal((await engine.run('probe', '-', ctx(), () => 1).catch((e: FerryError) => e.code)), 'UNAVAILABLE');
  assert.equal((await engine.run('listPools', '-', ctx(), () => 1).catch((e: FerryError) => e.code)), 'INTERNAL');
});

test('result is deep-merged over the computed response', async () => {
  const engine = new BehaviourEngine({ rules: { migrationCheckCompatibility: { result: { compatible: false, incompatibilityReasons: ['forced'] } } } });
  const answer = await engine.run('migrationCheckCompatibility', 's', ctx(), () => ({ compatible: true, writable: true, incompatibilityReasons: [] }));
  assert.deepEqual(answer, { compatible: false, writable: true, incompatibilityReasons: ['forced'] });
  assert.deepEqual(mergeResult({ a: { b: 1, c: 2 }, d: [1] }, { a: { c: 3 }, d: [2, 3] }), { a: { b: 1, c: 3 }, d: [2, 3] });
});

test('delayMs ends early with the signal reason when the call is cancelled', async () => {
  const engine = new BehaviourEngine({ rules: { createShareInstance: { delayMs: 60_000 } } });
  const controller = new AbortController();
  const started = Date.now();
  const run = engine.run('createShareInstance', 'si', ctx(controller.signal), () => 'never');
  setImmediate(() => controller.abort(new CancelledError('client went away')));
  await assert.rejects(run, (error: unknown) => error instanceof CancelledError && error.message === 'client went away');
  assert.ok(Date.now() - started < 5_000, 'the delay must not run to its end');
});

test('holdUntilFile waits for the file; enteredFile records "<method> <key>" on entry', async (t) => {
  const dir = tempDir(t);
  const hold = join(dir, 'release');
  const entered = join(dir, 'entered');
  const engine = new BehaviourEngine({ rules: { migrationStart: { holdUntilFile: hold, enteredFile: entered } } });
  let done = false;
  const run = engine.run('migrationStart', 'mig-1', ctx(), () => 'started').then((v) => ((done = true), v));
  assert.equal(readFileSync(entered, 'utf8'), 'migrationStart mig-1\n', 'entered is written synchronously on entry');
  await new Promise((resolve) => setTimeout(resolve, 30)); // a few hold polls, to show it really waits
  assert.equal(done, false);
  writeFileSync(hold, '');
  assert.equal(await run, 'started');
});

test('holdUntilFile gives up when the call is cancelled', async (t) => {
  const dir = tempDir(t);
  const engine = new BehaviourEngine({ rules: { '*': { holdUntilFile: join(dir, 'never') } } });
  const controller = new AbortController();
  const run = engine.run('deleteVolume', 'v', ctx(controller.signal), () => 'x');
  controller.abort(new CancelledError('deadline', 'DEADLINE_EXCEEDED'));
  await assert.rejects(run, (error: unknown) => error instanceof CancelledError && error.code === 'DEADLINE_EXCEEDED');
});

test('crash calls exit(1) on entry, after writing enteredFile', async (t) => {
  const dir = tempDir(t);
  const exits: number[] = [];
  const engine = new BehaviourEngine({ rules: { probe: { crash: true, enteredFile: join(dir, 'e') } }, exit: (code) => void exits.push(code) });
  await engine.run('probe', '-', ctx(), () => 1);
  assert.deepEqual(exits, [1]);
  assert.ok(existsSync(join(dir, 'e')));
});

test('the control file replaces the config rules while it exists and is re-read when it changes', async (t) => {
  const dir = tempDir(t);
  const control = join(dir, 'control.json');
  const write = (rules: unknown): void => {
    writeFileSync(`${control}.tmp`, JSON.stringify(rules));
    renameSync(`${control}.tmp`, control);
  };
  const engine = new BehaviourEngine({ rules: { probe: { result: { message: 'from config' } } }, controlFile: control });
  const probe = (): Promise<unknown> => engine.run('probe', '-', ctx(), () => ({ ready: true, message: '' })).catch((e: FerryError) => e.code);
  assert.deepEqual(await probe(), { ready: true, message: 'from config' });
  write({ probe: { fail: { code: 'UNAVAILABLE', reason: 'BACKEND_UNAVAILABLE' } } });
  assert.equal(await probe(), 'UNAVAILABLE');
  write({});
  assert.deepEqual(await probe(), { ready: true, message: '' });
  writeFileSync(control, '{ not json');
  assert.deepEqual(await probe(), { ready: true, message: '' }, 'a broken control file keeps the last good rules');
  rmSync(control);
  assert.deepEqual(await probe(), { ready: true, message: 'from config' }, 'removing the control file restores the config rules');
});

test('new control-file rules restart the failTimes count', async (t) => {
  const dir = tempDir(t);
  const control = join(dir, 'control.json');
  const rule = (n: number) => ({ listPools: { fail: { code: 'INTERNAL', reason: 'BACKEND_ERROR' }, failTimes: n } });
  writeFileSync(control, JSON.stringify(rule(1)));
  const engine = new BehaviourEngine({ rules: {}, controlFile: control });
  const call = (): Promise<string> => engine.run('listPools', '-', ctx(), () => 'ok').catch((e: FerryError) => e.reason);
  assert.deepEqual([await call(), await call()], ['BACKEND_ERROR', 'ok']);
  writeFileSync(`${control}.tmp`, JSON.stringify(rule(2)));
  renameSync(`${control}.tmp`, control);
  assert.deepEqual([await call(), await call(), await call()], ['BACKEND_ERROR', 'BACKEND_ERROR', 'ok']);
});
