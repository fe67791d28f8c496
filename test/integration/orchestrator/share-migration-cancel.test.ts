/**
 * MigrationCancel at every state that accepts it (manila-migration-behaviour 2.10, 4.3, matrix
 * 2.13 rows "cancel (driver)", "data copy cancelled", "cancel (data_copying_completed)"), with
 * real dummy plugin processes. ferry departs from Manila's QUIRK for a cancelled copy: it ends
 * in migration_cancelled, never migration_success.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FerryError } from '../../../src/domain/errors.js';
import { assertFerryError, assertSourceRestored, prepareDummyShare, startMigrationFerry } from '../../helpers/migration-harness.js';

const DRIVER_PREFIX = ['migration_starting', 'migration_in_progress', 'migration_driver_starting', 'migration_driver_in_progress'];
const HOST_PREFIX = ['migration_starting', 'migration_in_progress', 'data_copying_starting', 'data_copying_in_progress'];

describe('share migration: cancel (driver-assisted)', () => {
  it('in migration_driver_in_progress: driver told, destination dropped, read-only reverted, snapshots available', async (t) => {
    const h = await startMigrationFerry(t);
    const hold = h.holdFile('continue');
    // The driver keeps the share read-only during phase 1, so the cast is visible; phase 1 never ends.
    h.setRules('dummy1', { migrationCheckCompatibility: { result: { writable: false } }, migrationContinue: { holdUntilFile: hold } });
    const share = await prepareDummyShare(h);
    await h.start(share.id, 'ferry@dummy2#alpha', { preserveSnapshots: true });
    await h.entered('dummy1', 'migrationContinue');

    const during = await h.instances(share.id);
    assert.equal(during.share.taskState, 'migration_driver_in_progress');
    assert.equal(during.source?.status, 'migrating');
    assert.equal(during.source?.castRulesToReadonly, true);
    assert.equal(h.dummyState('dummy1').shares[during.source!.id]?.readOnly, true);
    assert.equal(during.destination?.status, 'migrating_to');
    const snapshot = (await h.ferry.listSnapshots({ shareId: share.id }))[0]!;
    assert.deepEqual(snapshot.instances.map((i) => i.status).sort(), ['migrating', 'migrating_to']);

    await h.ferry.migrationCancel(share.id);
    await h.waitForTaskState(share.id, ['migration_cancelled', 'migration_error']);
    const after = await h.ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_cancelled', after.migration?.error);
    assert.equal(after.migration?.outcome, 'cancelled');
    assert.deepEqual(await h.history(share.id), [...DRIVER_PREFIX, 'migration_cancelled']);
    assert.equal(h.dummyState('dummy1').migrations[after.migration!.id]?.phase, 'cancelled', 'the driver was told');
    await assertSourceRestored(h, share, 'dummy2');
  });

  it('in migration_driver_phase1_done', async (t) => {
    const h = await startMigrationFerry(t, { progressStep: 100 });
    const share = await prepareDummyShare(h);
    await h.start(share.id, 'ferry@dummy2#alpha', { preserveSnapshots: true, writable: true });
    await h.waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']);
    const during = await h.instances(share.id);
    assert.equal(during.destination?.status, 'migrating_to');

    await h.ferry.migrationCancel(share.id);
    await h.waitForTaskState(share.id, ['migration_cancelled', 'migration_error']);
    const after = await h.ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_cancelled', after.migration?.error);
    assert.deepEqual(await h.history(share.id), [...DRIVER_PREFIX, 'migration_driver_phase1_done', 'migration_cancelled']);
    assert.equal(h.dummyState('dummy1').migrations[after.migration!.id]?.phase, 'cancelled');
    await assertSourceRestored(h, share, 'dummy2');
  });

  it('MigrationCancel fails: nothing rolled back, back in migration_driver_phase1_done; a second cancel succeeds', async (t) => {
    const h = await startMigrationFerry(t, { progressStep: 100 });
    h.setRules('dummy1', { migrationCancel: { fail: { code: 'INTERNAL', reason: 'CANCEL_BROKEN' }, failTimes: 1 } });
    const share = await prepareDummyShare(h);
    await h.start(share.id, 'ferry@dummy2#alpha', { preserveSnapshots: true, writable: true });
    await h.waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']);

    await h.ferry.migrationCancel(share.id);
    await h.entered('dummy1', 'migrationCancel');
    const deadline = Date.now() + 30_000;
    while ((await h.ferry.getShare(share.id)).migration?.errorReason !== 'CANCEL_BROKEN' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const failed = await h.instances(share.id);
    assert.equal(failed.share.taskState, 'migration_driver_phase1_done');
    assert.equal(failed.share.migration?.phase, 'driver_phase1_done');
    assert.equal(failed.share.migration?.errorReason, 'CANCEL_BROKEN');
    assert.equal(failed.source?.status, 'migrating');
    assert.equal(failed.destination?.status, 'migrating_to', 'nothing rolled back');
    assert.equal(h.dummyState('dummy1').migrations[failed.share.migration!.id]?.phase, 'phase1_done');

    await h.ferry.migrationCancel(share.id);
    await h.waitForTaskState(share.id, ['migration_cancelled', 'migration_error']);
    assert.equal((await h.ferry.getShare(share.id)).taskState, 'migration_cancelled');
    assert.deepEqual(await h.history(share.id), [...DRIVER_PREFIX, 'migration_driver_phase1_done', 'migration_cancelled']);
    await assertSourceRestored(h, share, 'dummy2');
  });
});

describe('share migration: cancel (host-assisted)', () => {
  it('in data_copying_in_progress: the copy stops, ends migration_cancelled (not Manila\'s migration_success)', async (t) => {
    // 8 MiB at 256 KiB/s: the copy runs for half a minute unless cancelled.
    const h = await startMigrationFerry(t, { dataService: { bandwidthBytesPerSecond: 256 * 1024 } });
    const share = await prepareDummyShare(h, { snapshot: false, files: { a: 'alpha', big: Buffer.alloc(8 * 1024 * 1024, 7) } });
    await h.start(share.id, 'ferry@dummy2#alpha', { forceHostAssistedMigration: true });
    await h.waitForTaskState(share.id, ['data_copying_in_progress', 'data_copying_completed', 'migration_error']);
    const during = await h.instances(share.id);
    assert.equal(during.share.taskState, 'data_copying_in_progress');
    assert.equal(during.source?.castRulesToReadonly, true);
    assert.equal(h.dummyState('dummy1').shares[during.source!.id]?.readOnly, true);
    assert.ok(h.dummyState('dummy2').shares[during.destination!.id], 'the destination exists on dummy2');

    await h.ferry.migrationCancel(share.id);
    await h.waitForTaskState(share.id, ['migration_cancelled', 'migration_error', 'migration_success']);
    const after = await h.ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_cancelled', after.migration?.error);
    assert.deepEqual(await h.history(share.id), [...HOST_PREFIX, 'data_copying_cancelled', 'migration_cancelled']);
    await assertSourceRestored(h, share, 'dummy2');
  });

  it('in data_copying_completed: the destination is deleted through its driver', async (t) => {
    const h = await startMigrationFerry(t);
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha', { forceHostAssistedMigration: true });
    await h.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);
    const during = await h.instances(share.id);
    assert.equal(during.destination?.status, 'migrating_to');
    assert.ok(h.dummyState('dummy2').shares[during.destination!.id]);

    await h.ferry.migrationCancel(share.id);
    await h.waitForTaskState(share.id, ['migration_cancelled', 'migration_error', 'migration_success']);
    const after = await h.ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_cancelled', after.migration?.error);
    assert.deepEqual(await h.history(share.id), [...HOST_PREFIX, 'data_copying_completing', 'data_copying_completed', 'migration_cancelled']);
    await assertSourceRestored(h, share, 'dummy2');
  });
});

describe('share migration: cancel and complete refused where Manila refuses them (4.2, 4.3)', () => {
  const notCancellable = 'cannot be cancelled at this moment';
  const phase1NotDone = 'First migration phase of share';

  it('driver-assisted: with no migration, in migration_starting, migration_in_progress, migration_driver_in_progress, after cancel', async (t) => {
    const h = await startMigrationFerry(t);
    const compat = h.holdFile('compat');
    const cont = h.holdFile('continue');
    h.setRules('dummy1', { migrationCheckCompatibility: { holdUntilFile: compat }, migrationContinue: { holdUntilFile: cont } });
    const share = await prepareDummyShare(h, { snapshot: false });
    const none = `There is no migration being performed for share ${share.id} at this moment.`;
    await assertFerryError(h.ferry.migrationCancel(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_IN_PROGRESS', none);
    await assertFerryError(h.ferry.migrationComplete(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_IN_PROGRESS', none);

    // Queued on the share's lock right behind MigrationStart, before the runner's first step commits.
    const [, cancel, complete] = await Promise.allSettled([h.start(share.id, 'ferry@dummy2#alpha'), h.ferry.migrationCancel(share.id), h.ferry.migrationComplete(share.id)]);
    await assertFerryError(Promise.reject(rejection(cancel)), 'FAILED_PRECONDITION', 'MIGRATION_NOT_CANCELLABLE', notCancellable);
    assert.equal(rejection(cancel).metadata['taskState'], 'migration_starting');
    await assertFerryError(Promise.reject(rejection(complete)), 'FAILED_PRECONDITION', 'MIGRATION_PHASE1_NOT_DONE', phase1NotDone);

    await h.entered('dummy1', 'migrationCheckCompatibility');
    assert.equal((await h.ferry.getShare(share.id)).taskState, 'migration_in_progress');
    await assertFerryError(h.ferry.migrationCancel(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_CANCELLABLE', notCancellable);
    await assertFerryError(h.ferry.migrationComplete(share.id), 'FAILED_PRECONDITION', 'MIGRATION_PHASE1_NOT_DONE', phase1NotDone);
    h.release(compat);

    await h.entered('dummy1', 'migrationContinue');
    assert.equal((await h.ferry.getShare(share.id)).taskState, 'migration_driver_in_progress');
    await assertFerryError(h.ferry.migrationComplete(share.id), 'FAILED_PRECONDITION', 'MIGRATION_PHASE1_NOT_DONE', phase1NotDone);
    h.release(cont);
    await h.waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']);
    await h.ferry.migrationCancel(share.id);
    await h.waitForTaskState(share.id, ['migration_cancelled', 'migration_error']);

    const cancelled = `Migration of share ${share.id} was already cancelled.`;
    await assertFerryError(h.ferry.migrationCancel(share.id), 'FAILED_PRECONDITION', 'MIGRATION_ALREADY_CANCELLED', cancelled);
    await assertFerryError(h.ferry.migrationComplete(share.id), 'FAILED_PRECONDITION', 'MIGRATION_ALREADY_CANCELLED', cancelled);
    assert.deepEqual(await h.history(share.id), [...DRIVER_PREFIX, 'migration_driver_phase1_done', 'migration_cancelled'], 'refused actions leave no trace');
  });

  it('host-assisted: in data_copying_starting, migration_completing, after success', async (t) => {
    const h = await startMigrationFerry(t);
    const connection = h.holdFile('connection');
    h.setRules('dummy2', { getConnectionInfo: { holdUntilFile: connection } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha', { forceHostAssistedMigration: true });
    await h.entered('dummy2', 'getConnectionInfo');
    assert.equal((await h.ferry.getShare(share.id)).taskState, 'data_copying_starting');
    await assertFerryError(h.ferry.migrationCancel(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_CANCELLABLE', notCancellable);
    await assertFerryError(h.ferry.migrationComplete(share.id), 'FAILED_PRECONDITION', 'MIGRATION_PHASE1_NOT_DONE', phase1NotDone);
    h.release(connection);
    await h.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);

    const deletion = h.holdFile('delete');
    h.setRules('dummy1', { deleteShareInstance: { holdUntilFile: deletion } });
    await h.ferry.migrationComplete(share.id);
    await h.entered('dummy1', 'deleteShareInstance');
    assert.equal((await h.ferry.getShare(share.id)).taskState, 'migration_completing');
    await assertFerryError(h.ferry.migrationCancel(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_CANCELLABLE', notCancellable);
    await assertFerryError(h.ferry.migrationComplete(share.id), 'FAILED_PRECONDITION', 'MIGRATION_PHASE1_NOT_DONE', phase1NotDone);
    h.release(deletion);
    await h.waitForTaskState(share.id, ['migration_success', 'migration_error']);

    const completed = `Migration of share ${share.id} has already completed.`;
    await assertFerryError(h.ferry.migrationCancel(share.id), 'FAILED_PRECONDITION', 'MIGRATION_ALREADY_COMPLETED', completed);
    await assertFerryError(h.ferry.migrationComplete(share.id), 'FAILED_PRECONDITION', 'MIGRATION_ALREADY_COMPLETED', completed);
    assert.equal((await h.ferry.getShare(share.id)).host, 'ferry@dummy2#alpha');
  });
});

function rejection(result: PromiseSettledResult<unknown>): FerryError {
  assert.equal(result.status, 'rejected', 'the action should have been refused');
  return (result as PromiseRejectedResult).reason as FerryError;
}
