/**
 * Share-server migration: cancel, and a failure in each phase through the dummy's injected
 * faults, with the states each leaves (Manila 5.1-5.5, ferry's clean-up documented in
 * docs/share-server-migration.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServerMigrationFerry, type ServerMigrationFerry } from '../../helpers/server-migration.js';

const BACKEND_ERROR = { code: 'INTERNAL', reason: 'BACKEND_ERROR', message: 'injected failure' };

/** Shares and snapshot instances of the server back to available, the source active with `taskState`. */
async function assertRolledBack(h: ServerMigrationFerry, serverId: string, shareIds: readonly string[], taskState: 'migration_error' | 'migration_cancelled'): Promise<void> {
  const source = await h.ferry.getShareServer(serverId);
  assert.equal(source.status, 'active');
  assert.equal(source.taskState, taskState);
  for (const shareId of shareIds) {
    const share = await h.ferry.getShare(shareId);
    assert.equal(share.status, 'available');
    assert.equal(share.shareServerId, serverId, 'the share stays on the source');
    assert.equal(share.instances[0]!.castRulesToReadonly, false);
    for (const snapshot of await h.ferry.listSnapshots({ shareId })) assert.equal(snapshot.status, 'available');
  }
}

/** The destination server is gone from dummy2's back end, and from ferry unless `kept` says how it stays. */
async function assertDestinationCleaned(h: ServerMigrationFerry, destinationId: string, kept?: { status: string; taskState: string }): Promise<void> {
  const servers = (h.dummyState('dummy2') as unknown as { servers: Record<string, unknown> }).servers;
  assert.equal(servers[destinationId], undefined, 'torn down on the destination back end');
  if (kept === undefined) {
    await assert.rejects(h.ferry.getShareServer(destinationId), { reason: 'SHARE_SERVER_NOT_FOUND' });
  } else {
    const destination = await h.ferry.getShareServer(destinationId);
    assert.equal(destination.status, kept.status);
    assert.equal(destination.taskState, kept.taskState);
  }
}

describe('share server migration: cancel', () => {
  it('cancel in migration_driver_in_progress: source active/migration_cancelled, destination inactive/migration_cancelled, shares available (acceptance 26)', async (t) => {
    const h = await startServerMigrationFerry(t, { rules: { dummy2: { shareServerMigrationContinue: { holdUntilFile: '/nonexistent/never' } } } });
    const { server, shares } = await h.serverWithShares(2, { snapshot: true, rule: true });
    await h.startServer(server.id, 'ferry@dummy2', { preserveSnapshots: true });
    await h.entered('dummy2', 'shareServerMigrationContinue');
    const migrating = await h.ferry.getShareServer(server.id);
    assert.equal(migrating.taskState, 'migration_driver_in_progress');
    const destinationId = migrating.migration!.destinationShareServerId!;
    await h.ferry.serverMigrationCancel(server.id);
    await h.waitForServer(server.id, (s) => s?.taskState === 'migration_cancelled', 'migration_cancelled');
    await assertRolledBack(h, server.id, shares.map((s) => s.id), 'migration_cancelled');
    await assertDestinationCleaned(h, destinationId, { status: 'inactive', taskState: 'migration_cancelled' });
    const history = (await h.ferry.serverMigrationHistory(migrating.migration!.id)).map((e) => e.taskState);
    assert.deepEqual(history.slice(-2), ['migration_cancel_in_progress', 'migration_cancelled']);
    // The shares work again, and the server can migrate again (the cancelled destination does not block it).
    await h.ferry.extendShare(shares[1]!.id, 2);
    assert.ok((await h.ferry.serverMigrationCheck({ shareServerId: server.id, host: 'ferry@dummy2', writable: false, nondisruptive: false, preserveSnapshots: true })).compatible);
  });

  it('cancel after phase 1, with the shares cast read-only because the driver cannot keep them writable', async (t) => {
    const h = await startServerMigrationFerry(t, { rules: { dummy2: { shareServerMigrationCheckCompatibility: { result: { writable: false } } } } });
    const { server, shares } = await h.serverWithShares(1, { rule: true });
    await h.startServer(server.id, 'ferry@dummy2');
    await h.waitForServer(server.id, (s) => s?.taskState === 'migration_driver_phase1_done', 'phase 1 done');
    const cast = (await h.ferry.getShare(shares[0]!.id)).instances[0]!;
    assert.equal(cast.castRulesToReadonly, true, 'cast read-only during phase 1 (Manila 5.1 step 8)');
    assert.equal(h.dummyState('dummy1').shares[cast.id]!.readOnly, true, 'the back end enforces read-only');
    await h.ferry.serverMigrationCancel(server.id);
    await h.waitForServer(server.id, (s) => s?.taskState === 'migration_cancelled', 'migration_cancelled');
    await assertRolledBack(h, server.id, [shares[0]!.id], 'migration_cancelled');
    assert.equal(h.dummyState('dummy1').shares[cast.id]!.readOnly, false, 'read-only reverted on the back end');
  });

  it('cancel and complete are refused before the driver started', async (t) => {
    const hold = '/nonexistent/hold';
    const h = await startServerMigrationFerry(t, { rules: { dummy2: { shareServerMigrationCheckCompatibility: { holdUntilFile: hold } } } });
    const { server } = await h.serverWithShares(1);
    await h.startServer(server.id, 'ferry@dummy2');
    await h.entered('dummy2', 'shareServerMigrationCheckCompatibility');
    await assert.rejects(h.ferry.serverMigrationCancel(server.id), { code: 'FAILED_PRECONDITION', reason: 'MIGRATION_NOT_CANCELLABLE' });
    await assert.rejects(h.ferry.serverMigrationComplete(server.id), { code: 'FAILED_PRECONDITION', reason: 'MIGRATION_PHASE1_NOT_DONE' });
    const untouched = await h.ferry.getShareServer(server.id);
    assert.equal(untouched.taskState, 'migration_in_progress');
  });

  it('a destination driver that answered migration_cancel = false: cancel is MIGRATION_CANCEL_NOT_SUPPORTED in both cancellable states and changes nothing; complete still works', async (t) => {
    const h = await startServerMigrationFerry(t);
    const hold = h.holdFile('continue');
    h.setRules('dummy2', { shareServerMigrationCheckCompatibility: { result: { migrationCancel: false } }, shareServerMigrationContinue: { holdUntilFile: hold } });
    const { server, shares } = await h.serverWithShares(1, { rule: true });
    const check = await h.ferry.serverMigrationCheck({ shareServerId: server.id, host: 'ferry@dummy2', writable: false, nondisruptive: false, preserveSnapshots: false });
    assert.equal(check.compatible, true, 'no cancel is no reason to refuse the migration');
    assert.equal(check.supported.migrationCancel, false);
    const migrationId = await h.startServer(server.id, 'ferry@dummy2');

    const assertCancelRefused = async (taskState: string) => {
      const before = await h.ferry.getShareServer(server.id);
      assert.equal(before.taskState, taskState);
      const destinationBefore = await h.ferry.getShareServer(before.migration!.destinationShareServerId!);
      const historyBefore = await h.ferry.serverMigrationHistory(migrationId);
      await assert.rejects(h.ferry.serverMigrationCancel(server.id), { code: 'FAILED_PRECONDITION', reason: 'MIGRATION_CANCEL_NOT_SUPPORTED', message: /migration_cancel = false/ });
      const after = await h.ferry.getShareServer(server.id);
      assert.deepEqual([after.status, after.taskState, after.migration?.id, after.migration?.active, after.migration?.error], ['server_migrating', taskState, migrationId, true, '']);
      const destination = await h.ferry.getShareServer(destinationBefore.id);
      assert.deepEqual([destination.status, destination.taskState], [destinationBefore.status, destinationBefore.taskState]);
      assert.deepEqual(await h.ferry.serverMigrationHistory(migrationId), historyBefore, 'no task_state recorded');
      assert.equal((await h.ferry.getShare(shares[0]!.id)).status, 'server_migrating');
      assert.equal(h.enteredCount('dummy2', 'shareServerMigrationCancel'), 0, 'the driver was not asked to cancel');
    };
    await h.entered('dummy2', 'shareServerMigrationContinue');
    await assertCancelRefused('migration_driver_in_progress');
    h.release(hold);
    await h.waitForServer(server.id, (s) => s?.taskState === 'migration_driver_phase1_done', 'phase 1 done');
    await assertCancelRefused('migration_driver_phase1_done');

    // What the operator does instead: complete it.
    const { destinationShareServerId } = await h.ferry.serverMigrationComplete(server.id);
    await h.waitForServer(destinationShareServerId, (s) => s?.taskState === 'migration_success', 'migration_success');
    assert.equal((await h.ferry.getShare(shares[0]!.id)).shareServerId, destinationShareServerId);
  });

  it('a failed driver cancel returns the migration to where it was, with the error; a second cancel works', async (t) => {
    const h = await startServerMigrationFerry(t, { rules: { dummy2: { shareServerMigrationCancel: { fail: BACKEND_ERROR, failTimes: 1 } } } });
    const { server, shares } = await h.serverWithShares(1);
    await h.startServer(server.id, 'ferry@dummy2');
    await h.waitForServer(server.id, (s) => s?.taskState === 'migration_driver_phase1_done', 'phase 1 done');
    await h.ferry.serverMigrationCancel(server.id);
    await h.entered('dummy2', 'shareServerMigrationCancel');
    const back = await h.waitForServer(server.id, (s) => s?.taskState === 'migration_driver_phase1_done' && s.migration?.error !== '', 'back in phase1_done with the error');
    assert.match(back!.migration!.error, /injected failure/);
    assert.equal(back!.status, 'server_migrating');
    await h.ferry.serverMigrationCancel(server.id);
    await h.waitForServer(server.id, (s) => s?.taskState === 'migration_cancelled', 'migration_cancelled');
    await assertRolledBack(h, server.id, [shares[0]!.id], 'migration_cancelled');
  });
});

describe('share server migration: a failure in each phase', () => {
  for (const [phase, rule] of [
    ['destination setup (SetupShareServer)', 'setupShareServer'],
    ['driver start', 'shareServerMigrationStart'],
    ['phase 1 (continue raised)', 'shareServerMigrationContinue'],
  ] as const) {
    it(`${phase}: shares available, read-only reverted, destination torn down and removed, source active/migration_error`, async (t) => {
      const h = await startServerMigrationFerry(t, { rules: { dummy2: { [rule]: { fail: BACKEND_ERROR }, shareServerMigrationCheckCompatibility: { result: { writable: false } } } } });
      const { server, shares } = await h.serverWithShares(2, { snapshot: true, rule: true });
      await h.startServer(server.id, 'ferry@dummy2', { preserveSnapshots: true });
      const failed = await h.waitForServer(server.id, (s) => s?.taskState === 'migration_error', 'migration_error');
      assert.match(failed!.migration!.error, /injected failure/);
      assert.equal(failed!.migration!.errorReason, 'BACKEND_ERROR');
      await assertRolledBack(h, server.id, shares.map((s) => s.id), 'migration_error');
      const destinationId = failed!.migration!.destinationShareServerId!;
      await assertDestinationCleaned(h, destinationId);
      assert.equal((await h.ferry.listShareServers({ sourceShareServerId: server.id })).length, 0, 'no destination left pointing at the source');
    });
  }

  it('an incompatible answer refuses the migration after start, with the driver\'s reasons', async (t) => {
    const h = await startServerMigrationFerry(t, { rules: { dummy2: { shareServerMigrationCheckCompatibility: { result: { compatible: false, incompatibilityReasons: ['no room for another server'] } } } } });
    const { server, shares } = await h.serverWithShares(1);
    await h.startServer(server.id, 'ferry@dummy2');
    const failed = await h.waitForServer(server.id, (s) => s?.taskState === 'migration_error', 'migration_error');
    assert.equal(failed!.migration!.errorReason, 'SHARE_SERVER_MIGRATION_INCOMPATIBLE');
    assert.match(failed!.migration!.error, /no room for another server/);
    await assertRolledBack(h, server.id, [shares[0]!.id], 'migration_error');
    assert.equal(h.enteredCount('dummy2', 'setupShareServer'), 0, 'no destination was set up');
  });

  it('complete failure: shares, snapshots and both servers error/migration_error for an operator (Manila 5.3)', async (t) => {
    const h = await startServerMigrationFerry(t, { rules: { dummy2: { shareServerMigrationComplete: { fail: BACKEND_ERROR } } } });
    const { server, shares } = await h.serverWithShares(1, { snapshot: true });
    await h.startServer(server.id, 'ferry@dummy2', { preserveSnapshots: true });
    await h.waitForServer(server.id, (s) => s?.taskState === 'migration_driver_phase1_done', 'phase 1 done');
    const { destinationShareServerId } = await h.ferry.serverMigrationComplete(server.id);
    const failed = await h.waitForServer(server.id, (s) => s?.taskState === 'migration_error', 'migration_error');
    assert.equal(failed!.status, 'error');
    const destination = await h.ferry.getShareServer(destinationShareServerId);
    assert.equal(destination.status, 'error');
    assert.equal(destination.taskState, 'migration_error');
    const share = await h.ferry.getShare(shares[0]!.id);
    assert.equal(share.status, 'error');
    assert.equal((await h.ferry.listSnapshots({ shareId: share.id }))[0]!.status, 'error');
    // The operator's way out (Manila 6): reset statuses and task states.
    await h.ferry.resetShareServerStatus(server.id, 'active');
    await h.ferry.resetShareServerTaskState(server.id, null);
    await h.ferry.resetStatus(share.id, 'available');
    const reset = await h.ferry.getShareServer(server.id);
    assert.equal(reset.status, 'active');
    assert.equal(reset.taskState, null);
  });
});
