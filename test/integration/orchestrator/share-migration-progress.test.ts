/**
 * MigrationGetProgress and WatchMigration (manila-migration-behaviour 2.11, 4.4): derived 0 or
 * 100 outside the live states, the driver's own answer in migration_driver_in_progress, the
 * copy engine's details in data_copying_in_progress, FAILED_PRECONDITION without a migration;
 * the watch stream ends once the migration rests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MigrationProgress } from '../../../src/orchestrator/ferry-api.js';
import { assertFerryError, prepareDummyShare, startMigrationFerry, type MigrationFerry } from '../../helpers/migration-harness.js';

const GIB = 1024 ** 3;

async function collect(h: MigrationFerry, shareId: string, onEvent?: (event: MigrationProgress) => Promise<void>): Promise<MigrationProgress[]> {
  const events: MigrationProgress[] = [];
  for await (const event of h.ferry.watchMigration(shareId, { intervalMs: 20 })) {
    events.push(event);
    await onEvent?.(event);
  }
  return events;
}

/** The watched task_states, without repeats, must follow the recorded history in order. */
async function assertFollowsHistory(h: MigrationFerry, shareId: string, events: readonly MigrationProgress[]): Promise<void> {
  const history = await h.history(shareId);
  let at = 0;
  for (const state of events.map((event) => event.taskState)) {
    const found = history.indexOf(state!, at);
    assert.ok(found >= 0, `watched ${state} out of order; history ${history.join(' > ')}`);
    at = found;
  }
}

describe('share migration progress', () => {
  it('no migration: FAILED_PRECONDITION', async (t) => {
    const h = await startMigrationFerry(t);
    const share = await prepareDummyShare(h, { snapshot: false });
    await assertFerryError(h.ferry.migrationGetProgress(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_IN_PROGRESS', `There is no migration being performed for share ${share.id} at this moment.`);
    await assertFerryError(h.ferry.migrationGetProgress('no-such-share'), 'NOT_FOUND', 'SHARE_NOT_FOUND');
  });

  it('driver-assisted: derived 0 before the driver runs, the driver\'s answer while it runs, derived 100 after', async (t) => {
    const h = await startMigrationFerry(t, { progressStep: 40 });
    const compat = h.holdFile('compat');
    const first = h.holdFile('continue-1');
    h.setRules('dummy1', { migrationCheckCompatibility: { holdUntilFile: compat }, migrationContinue: { holdUntilFile: first } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha');

    await h.entered('dummy1', 'migrationCheckCompatibility');
    const preparing = await h.ferry.migrationGetProgress(share.id);
    assert.deepEqual([preparing.taskState, preparing.totalProgress, preparing.details, preparing.copy], ['migration_in_progress', 0, {}, null]);
    h.release(compat);

    // The first MigrationContinue is held: the driver reports 0 and its own details.
    await h.entered('dummy1', 'migrationContinue');
    const started = await h.ferry.migrationGetProgress(share.id);
    assert.equal(started.taskState, 'migration_driver_in_progress');
    assert.equal(started.totalProgress, 0);
    assert.deepEqual(started.details, { phase: 'in_progress', copied_bytes: '0', total_bytes: String(GIB) });
    assert.equal(started.method, 'driver_assisted');

    // The held call keeps the rule it entered with; the next call holds on a second file.
    h.setRules('dummy1', { migrationContinue: { holdUntilFile: h.holdFile('continue-2') } });
    h.release(first);
    await h.entered('dummy1', 'migrationContinue', 2);
    const live = await h.ferry.migrationGetProgress(share.id);
    assert.equal(live.taskState, 'migration_driver_in_progress');
    assert.equal(live.totalProgress, 40, 'one MigrationContinue advanced the dummy by 40%');
    assert.deepEqual(live.details, { phase: 'in_progress', copied_bytes: String(Math.floor(GIB * 0.4)), total_bytes: String(GIB) });

    h.release(h.holdFile('continue-2'));
    await h.waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']);
    const done = await h.ferry.migrationGetProgress(share.id);
    assert.deepEqual([done.taskState, done.totalProgress, done.details], ['migration_driver_phase1_done', 100, {}]);
    await h.ferry.migrationComplete(share.id);
    await h.waitForTaskState(share.id, ['migration_success', 'migration_error']);
    const success = await h.ferry.migrationGetProgress(share.id);
    assert.deepEqual([success.taskState, success.totalProgress, success.error], ['migration_success', 100, '']);
  });

  it('driver-assisted: a failing MigrationGetProgress answers the derived value and says why (Manila: 500)', async (t) => {
    const h = await startMigrationFerry(t);
    const hold = h.holdFile('continue');
    h.setRules('dummy1', { migrationContinue: { holdUntilFile: hold }, migrationGetProgress: { fail: { code: 'INTERNAL', reason: 'PROGRESS_BROKEN', message: 'injected progress failure' } } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha');
    await h.entered('dummy1', 'migrationContinue');
    const progress = await h.ferry.migrationGetProgress(share.id);
    assert.equal(progress.taskState, 'migration_driver_in_progress');
    assert.equal(progress.totalProgress, 0);
    assert.match(progress.details['progress_error'] ?? '', /injected progress failure/);
    h.release(hold);
    await h.waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']);
    assert.equal((await h.ferry.getShare(share.id)).taskState, 'migration_driver_phase1_done', 'progress failures do not touch the migration');
  });

  it('host-assisted: derived 0 while starting, live copy details while copying, 100 once cancelled', async (t) => {
    const h = await startMigrationFerry(t, { dataService: { bandwidthBytesPerSecond: 256 * 1024 } });
    const connection = h.holdFile('connection');
    h.setRules('dummy2', { getConnectionInfo: { holdUntilFile: connection } });
    const share = await prepareDummyShare(h, { snapshot: false, files: { a: 'alpha', big: Buffer.alloc(8 * 1024 * 1024, 7) } });
    await h.start(share.id, 'ferry@dummy2#alpha', { forceHostAssistedMigration: true });
    await h.entered('dummy2', 'getConnectionInfo');
    const starting = await h.ferry.migrationGetProgress(share.id);
    assert.deepEqual([starting.taskState, starting.totalProgress, starting.copy], ['data_copying_starting', 0, null]);
    h.release(connection);

    await h.waitForTaskState(share.id, ['data_copying_in_progress', 'data_copying_completed', 'migration_error']);
    let live = await h.ferry.migrationGetProgress(share.id);
    const deadline = Date.now() + 30_000;
    while (!(live.copy && live.copy.bytesDone > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      live = await h.ferry.migrationGetProgress(share.id);
    }
    assert.equal(live.taskState, 'data_copying_in_progress');
    assert.equal(live.method, 'host_assisted');
    assert.ok(live.copy, 'copy details while copying');
    assert.equal(live.copy.filesTotal, 2);
    assert.equal(live.copy.bytesTotal, 8 * 1024 * 1024 + 5);
    assert.ok(live.copy.bytesDone > 0 && live.copy.bytesDone < live.copy.bytesTotal, `bytes done ${live.copy.bytesDone}`);
    assert.ok(live.totalProgress >= 0 && live.totalProgress < 100, `total ${live.totalProgress}`);

    await h.ferry.migrationCancel(share.id);
    await h.waitForTaskState(share.id, ['migration_cancelled', 'migration_error', 'migration_success']);
    const cancelled = await h.ferry.migrationGetProgress(share.id);
    assert.deepEqual([cancelled.taskState, cancelled.totalProgress, cancelled.copy], ['migration_cancelled', 100, null]);
  });

  it('failed migration: derived 100 with the error and its reason', async (t) => {
    const h = await startMigrationFerry(t);
    h.setRules('dummy2', { createShareInstance: { fail: { code: 'INTERNAL', reason: 'CREATE_BROKEN' } } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha', { forceHostAssistedMigration: true });
    await h.waitForTaskState(share.id, ['migration_error']);
    const failed = await h.ferry.migrationGetProgress(share.id);
    assert.deepEqual([failed.taskState, failed.totalProgress, failed.errorReason], ['migration_error', 100, 'CREATE_BROKEN']);
    assert.match(failed.error, /injected failure of createShareInstance/);
  });
});

describe('share migration watch', () => {
  it('driver-assisted: ends at migration_driver_phase1_done, then at migration_success', async (t) => {
    const h = await startMigrationFerry(t, { progressStep: 25 });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha');
    const phase1 = await collect(h, share.id);
    assert.equal(phase1.at(-1)?.taskState, 'migration_driver_phase1_done');
    assert.equal(phase1.at(-1)?.totalProgress, 100);
    assert.ok(phase1.every((event) => event.migrationId === phase1[0]!.migrationId && event.shareId === share.id));
    await assertFollowsHistory(h, share.id, phase1);

    await h.ferry.migrationComplete(share.id);
    const completion = await collect(h, share.id);
    assert.equal(completion.at(-1)?.taskState, 'migration_success');
    await assertFollowsHistory(h, share.id, completion);
  });

  it('the last event is the resting state even when the migration rests while the watcher handles an event', async (t) => {
    const h = await startMigrationFerry(t, { progressStep: 100 });
    const hold = h.holdFile('continue');
    h.setRules('dummy1', { migrationContinue: { holdUntilFile: hold } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha');
    await h.entered('dummy1', 'migrationContinue');
    let released = false;
    const events = await collect(h, share.id, async (event) => {
      if (event.taskState !== 'migration_driver_in_progress' || released) return;
      released = true;
      // A slow consumer: phase 1 ends while it still handles this event.
      h.release(hold);
      await h.waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']);
    });
    assert.deepEqual(events.map((event) => event.taskState), ['migration_driver_in_progress', 'migration_driver_phase1_done']);
  });

  it('host-assisted: ends at data_copying_completed, then at migration_cancelled', async (t) => {
    const h = await startMigrationFerry(t);
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha', { forceHostAssistedMigration: true });
    const copy = await collect(h, share.id);
    assert.equal(copy.at(-1)?.taskState, 'data_copying_completed');
    await assertFollowsHistory(h, share.id, copy);
    await h.ferry.migrationCancel(share.id);
    const cancel = await collect(h, share.id);
    assert.equal(cancel.at(-1)?.taskState, 'migration_cancelled');
    await assertFollowsHistory(h, share.id, cancel);
  });

  it('ends at migration_error; an aborted watch ends at once', async (t) => {
    const h = await startMigrationFerry(t);
    const hold = h.holdFile('continue');
    h.setRules('dummy1', { migrationContinue: { holdUntilFile: hold, fail: { code: 'INTERNAL', reason: 'CONTINUE_BROKEN' } } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha');
    await h.entered('dummy1', 'migrationContinue');

    const controller = new AbortController();
    const aborted: MigrationProgress[] = [];
    for await (const event of h.ferry.watchMigration(share.id, { signal: controller.signal, intervalMs: 20 })) {
      aborted.push(event);
      controller.abort();
    }
    assert.deepEqual(aborted.map((event) => event.taskState), ['migration_driver_in_progress']);

    const watching = collect(h, share.id);
    h.release(hold);
    const events = await watching;
    assert.equal(events.at(-1)?.taskState, 'migration_error');
    assert.equal(events.at(-1)?.errorReason, 'CONTINUE_BROKEN');
  });
});
