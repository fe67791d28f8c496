/**
 * Share-server migration end to end through real dummy plugin processes (Manila 4.6, 5):
 * check, start, phase 1, complete, with and without a new share network.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServerMigrationFerry } from '../../helpers/server-migration.js';

describe('share server migration: full cycle', () => {
  it('MigrationCheck to a dummy back end answers compatible with the dummy\'s capabilities (acceptance 24)', async (t) => {
    const h = await startServerMigrationFerry(t);
    const { server } = await h.serverWithShares(1);
    const check = await h.ferry.serverMigrationCheck({ shareServerId: server.id, host: 'ferry@dummy2', writable: true, nondisruptive: false, preserveSnapshots: true });
    assert.equal(check.compatible, true, JSON.stringify(check.blockers));
    assert.deepEqual(check.blockers, []);
    assert.deepEqual(check.requested, { host: 'ferry@dummy2', writable: true, nondisruptive: false, preserveSnapshots: true, shareNetworkId: null });
    assert.deepEqual(check.supported, { writable: true, nondisruptive: false, preserveSnapshots: true, shareNetworkId: h.networkId, migrationCancel: true, migrationGetProgress: true });
    // A check changes nothing.
    const after = await h.ferry.getShareServer(server.id);
    assert.equal(after.status, 'active');
    assert.equal(after.taskState, null);
  });

  it('MigrationCheck says why it is incompatible: nondisruptive requested, and a back end without share servers', async (t) => {
    const h = await startServerMigrationFerry(t, { localfs: true });
    const { server } = await h.serverWithShares(1);
    const nondisruptive = await h.ferry.serverMigrationCheck({ shareServerId: server.id, host: 'ferry@dummy2', writable: false, nondisruptive: true, preserveSnapshots: false });
    assert.equal(nondisruptive.compatible, false);
    assert.deepEqual(nondisruptive.blockers.map((b) => b.reason), ['SHARE_SERVER_MIGRATION_INCOMPATIBLE']);
    assert.match(nondisruptive.blockers[0]!.message, /nondisruptive was requested/);
    const plain = await h.ferry.serverMigrationCheck({ shareServerId: server.id, host: 'ferry@localfs1', writable: false, nondisruptive: false, preserveSnapshots: false });
    assert.equal(plain.compatible, false);
    assert.deepEqual(plain.blockers.map((b) => b.reason), ['SHARE_SERVERS_NOT_SUPPORTED']);
    assert.equal(plain.supported.migrationCancel, false);
  });

  it('moves every share and snapshot to a new server on the destination and retires the source (acceptance 25)', async (t) => {
    const h = await startServerMigrationFerry(t);
    const { server, shares } = await h.serverWithShares(2, { snapshot: true, rule: true });
    assert.equal(shares[1]!.shareServerId, server.id, 'both shares share one server');
    const migrationId = await h.startServer(server.id, 'ferry@dummy2', { writable: true, preserveSnapshots: true });

    const migrating = await h.ferry.getShareServer(server.id);
    assert.equal(migrating.status, 'server_migrating');
    for (const share of shares) assert.equal((await h.ferry.getShare(share.id)).status, 'server_migrating');
    const snapshot = (await h.ferry.listSnapshots({ shareId: shares[0]!.id }))[0]!;
    assert.equal(snapshot.instances[0]!.status, 'server_migrating');
    await assert.rejects(h.ferry.extendShare(shares[0]!.id, 2), { reason: 'INVALID_SHARE_STATUS' });
    await assert.rejects(h.ferry.createSnapshot({ shareId: shares[1]!.id }), { reason: 'INVALID_SHARE_STATUS' });
    await assert.rejects(h.ferry.grantAccess({ shareId: shares[1]!.id, accessType: 'ip', accessTo: '10.9.9.9', accessLevel: 'ro' }), { reason: 'SHARE_BUSY' });

    await h.waitForServer(server.id, (s) => s?.taskState === 'migration_driver_phase1_done', 'migration_driver_phase1_done');
    const phase1 = await h.ferry.serverMigrationGetProgress(server.id);
    assert.equal(phase1.totalProgress, 100);
    assert.equal(phase1.taskState, 'migration_driver_phase1_done', 'the destination\'s task_state');
    const destinationId = phase1.destinationShareServerId;
    const destination = await h.ferry.getShareServer(destinationId);
    assert.equal(destination.status, 'server_migrating_to');
    assert.equal(destination.sourceShareServerId, server.id);
    assert.equal(destination.host, 'ferry@dummy2');
    assert.notEqual(destination.identifier, '', 'the destination was set up on the back end (not nondisruptive)');

    const completed = await h.ferry.serverMigrationComplete(server.id);
    assert.equal(completed.destinationShareServerId, destinationId);
    await h.waitForServer(server.id, (s) => s === undefined, 'deleted source');
    const done = await h.ferry.getShareServer(destinationId);
    assert.equal(done.status, 'active');
    assert.equal(done.taskState, 'migration_success');
    assert.deepEqual([...done.shareIds].sort(), shares.map((s) => s.id).sort());
    for (const share of shares) {
      const moved = await h.ferry.getShare(share.id);
      assert.equal(moved.status, 'available');
      assert.equal(moved.shareServerId, destinationId);
      assert.equal(moved.host, 'ferry@dummy2#alpha');
      assert.equal(moved.instances.length, 1, 'the instance moved; no second instance');
      assert.equal(moved.instances[0]!.id, share.instances[0]!.id);
      assert.match(moved.exportLocations[0]!.path, /fake/);
      const rules = await h.ferry.listAccessRules(share.id);
      assert.deepEqual(rules.map((rule) => rule.state), ['active']);
    }
    const movedSnapshot = (await h.ferry.listSnapshots({ shareId: shares[0]!.id }))[0]!;
    assert.equal(movedSnapshot.status, 'available');
    assert.match(movedSnapshot.instances[0]!.providerLocation, /fake|dummy/);

    // The source's copies and server are gone from dummy1; dummy2 holds the instances.
    const source = h.dummyState('dummy1');
    for (const share of shares) assert.equal(source.shares[share.instances[0]!.id], undefined);
    for (const share of shares) assert.ok(h.dummyState('dummy2').shares[share.instances[0]!.id]);

    // Progress on the deleted source answers from the migration record (Manila 4.6 get_progress).
    const final = await h.ferry.serverMigrationGetProgress(server.id);
    assert.equal(final.totalProgress, 100);
    assert.equal(final.destinationShareServerId, destinationId);
    assert.equal(final.taskState, 'migration_success');
    const history = (await h.ferry.serverMigrationHistory(migrationId)).map((event) => event.taskState);
    assert.deepEqual(history, [
      'migration_starting', 'migration_in_progress', 'migration_driver_starting', 'migration_driver_in_progress',
      'migration_driver_phase1_done', 'migration_completing', 'migration_success',
    ]);
    // The same server may migrate on: from the destination back to dummy1.
    assert.ok((await h.ferry.serverMigrationCheck({ shareServerId: destinationId, host: 'ferry@dummy1', writable: false, nondisruptive: false, preserveSnapshots: true })).compatible);
  });

  it('moves the shares onto a new share network', async (t) => {
    const h = await startServerMigrationFerry(t);
    const { server, shares } = await h.serverWithShares(1);
    const network = await h.ferry.createShareNetwork({ name: 'net2', subnets: [{ availabilityZone: 'nova', neutronNetId: 'net-b', neutronSubnetId: 'subnet-b' }] });
    await h.startServer(server.id, 'ferry@dummy2', { newShareNetworkId: network.id });
    // WatchMigration streams until the migration rests; its last event shows phase 1 done.
    const seen: string[] = [];
    for await (const progress of h.ferry.watchServerMigration(server.id, { intervalMs: 20 })) seen.push(`${progress.sourceTaskState}:${progress.totalProgress}`);
    assert.equal(seen.at(-1), 'migration_driver_phase1_done:100', seen.join(' '));
    const ready = await h.ferry.getShareServer(server.id);
    assert.equal(ready!.migration!.networkChange, true);
    const { destinationShareServerId } = await h.ferry.serverMigrationComplete(server.id);
    const done = await h.waitForServer(destinationShareServerId, (s) => s?.taskState === 'migration_success', 'migration_success');
    assert.equal(done!.shareNetworkId, network.id);
    assert.deepEqual(done!.shareNetworkSubnetIds, [network.subnets[0]!.id]);
    const moved = await h.ferry.getShare(shares[0]!.id);
    assert.equal(moved.instances[0]!.shareNetworkId, network.id);
  });

  it('a migration to the same back end with a new network is allowed; without one it is refused', async (t) => {
    const h = await startServerMigrationFerry(t);
    const { server } = await h.serverWithShares(1);
    await assert.rejects(h.startServer(server.id, 'ferry@dummy1'), { code: 'FAILED_PRECONDITION', reason: 'SHARE_SERVER_MIGRATION_NO_CHANGE' });
    const network = await h.ferry.createShareNetwork({ name: 'net2', subnets: [{ availabilityZone: null, neutronNetId: 'net-b', neutronSubnetId: 'subnet-b' }] });
    await h.startServer(server.id, 'ferry@dummy1', { newShareNetworkId: network.id });
    await h.waitForServer(server.id, (s) => s?.taskState === 'migration_driver_phase1_done', 'phase 1 done');
  });
});
