/**
 * Every validation of a share server's MigrationStart (manila-migration-behaviour 4.6), with
 * its gRPC code and ErrorInfo reason; a refused start changes nothing. MigrationCheck lists
 * the same blocking states instead of failing on the first.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSecondaryReplica, restartWithStoreEdit } from '../../helpers/ferry-harness.js';
import { assertFerryError } from '../../helpers/migration-harness.js';
import { startServerMigrationFerry, type ServerMigrationFerry } from '../../helpers/server-migration.js';

const FLAGS = { writable: false, nondisruptive: false, preserveSnapshots: false };

async function assertUnchanged(h: ServerMigrationFerry, serverId: string, shareIds: readonly string[]): Promise<void> {
  const server = await h.ferry.getShareServer(serverId);
  assert.notEqual(server.status, 'server_migrating');
  assert.equal(server.migration, null, 'no migration recorded');
  for (const shareId of shareIds) assert.notEqual((await h.ferry.getShare(shareId)).status, 'server_migrating');
}

describe('share server MigrationStart validations (Manila 4.6)', () => {
  it('refuses malformed requests with INVALID_ARGUMENT / NOT_FOUND, in Manila\'s order', async (t) => {
    const h = await startServerMigrationFerry(t);
    const { server, shares } = await h.serverWithShares(1);
    const ids = shares.map((s) => s.id);
    await assert.rejects(h.ferry.serverMigrationStart({ shareServerId: 'nope', host: 'ferry@dummy2', ...FLAGS }), { code: 'NOT_FOUND', reason: 'SHARE_SERVER_NOT_FOUND' });
    await assert.rejects(h.ferry.serverMigrationStart({ shareServerId: server.id, host: '', ...FLAGS }), { code: 'INVALID_ARGUMENT', reason: 'MISSING_FIELD' });
    await assert.rejects(h.ferry.serverMigrationStart({ shareServerId: server.id, host: 'ferry@dummy2', writable: false, nondisruptive: undefined, preserveSnapshots: undefined }),
      { code: 'INVALID_ARGUMENT', reason: 'MISSING_FIELD', message: /nondisruptive, preserve_snapshots/ });
    await assert.rejects(h.ferry.serverMigrationStart({ shareServerId: server.id, host: 'not a host', ...FLAGS }), { code: 'INVALID_ARGUMENT', reason: 'INVALID_FIELD' });
    // Acceptance 23: a pool in the host.
    await assert.rejects(h.ferry.serverMigrationStart({ shareServerId: server.id, host: 'ferry@dummy2#alpha', ...FLAGS }),
      { code: 'INVALID_ARGUMENT', reason: 'HOST_HAS_POOL', message: /can not contain pool information/ });
    await assert.rejects(h.ferry.serverMigrationStart({ shareServerId: server.id, host: 'ferry@dummy2', newShareNetworkId: 'nope', ...FLAGS }), { code: 'NOT_FOUND', reason: 'SHARE_NETWORK_NOT_FOUND' });
    await assert.rejects(h.ferry.serverMigrationStart({ shareServerId: server.id, host: 'ferry@nowhere', ...FLAGS }), { code: 'NOT_FOUND', reason: 'BACKEND_NOT_FOUND' });
    await assertUnchanged(h, server.id, ids);
  });

  it('acceptance 23: a server without shares (409 -> FAILED_PRECONDITION), nondisruptive across a change of subnets (400 -> INVALID_ARGUMENT), a network without a subnet for the destination zone', async (t) => {
    const h = await startServerMigrationFerry(t);
    const { server, shares } = await h.serverWithShares(1);
    const network = await h.ferry.createShareNetwork({ name: 'other', subnets: [{ availabilityZone: null, neutronNetId: 'net-x', neutronSubnetId: 'subnet-x' }] });
    await assert.rejects(h.ferry.serverMigrationStart({ shareServerId: server.id, host: 'ferry@dummy2', ...FLAGS, nondisruptive: true, newShareNetworkId: network.id }),
      { code: 'INVALID_ARGUMENT', reason: 'NONDISRUPTIVE_NETWORK_CHANGE' });
    // The check answers the same without asking the driver: every capability false.
    const check = await h.ferry.serverMigrationCheck({ shareServerId: server.id, host: 'ferry@dummy2', ...FLAGS, nondisruptive: true, newShareNetworkId: network.id });
    assert.equal(check.compatible, false);
    assert.deepEqual(check.blockers.map((b) => b.reason), ['NONDISRUPTIVE_NETWORK_CHANGE']);
    assert.equal(check.supported.writable, false);
    assert.equal(h.enteredCount('dummy2', 'shareServerMigrationCheckCompatibility'), 0);
    // A network with the same Neutron subnet is no change: nondisruptive passes ferry's checks (the dummy then says no).
    const same = await h.ferry.createShareNetwork({ name: 'same', subnets: [{ availabilityZone: null, neutronNetId: 'net-a', neutronSubnetId: 'subnet-a' }] });
    const sameCheck = await h.ferry.serverMigrationCheck({ shareServerId: server.id, host: 'ferry@dummy2', ...FLAGS, nondisruptive: true, newShareNetworkId: same.id });
    assert.deepEqual(sameCheck.blockers.map((b) => b.reason), ['SHARE_SERVER_MIGRATION_INCOMPATIBLE']);

    // A new network without a subnet for the destination's zone (nova), nor a default one.
    const elsewhere = await h.ferry.createShareNetwork({ name: 'elsewhere', subnets: [{ availabilityZone: 'other-zone', neutronNetId: 'net-z', neutronSubnetId: 'subnet-z' }] });
    await assert.rejects(h.ferry.serverMigrationStart({ shareServerId: server.id, host: 'ferry@dummy2', ...FLAGS, newShareNetworkId: elsewhere.id }),
      { code: 'FAILED_PRECONDITION', reason: 'NO_SUBNET_IN_ZONE', message: /does not have a subnet that spans the destination host availability zone/ });

    await h.ferry.deleteShare(shares[0]!.id);
    await assert.rejects(h.ferry.serverMigrationStart({ shareServerId: server.id, host: 'ferry@dummy2', ...FLAGS }),
      { code: 'FAILED_PRECONDITION', reason: 'SHARE_SERVER_HAS_NO_SHARES', message: /does not have shares/ });
  });

  it('refuses blocking states with FAILED_PRECONDITION and the reason; the check lists them all at once', async (t) => {
    const h = await startServerMigrationFerry(t);
    const { server, shares } = await h.serverWithShares(3, { rule: true });
    const [errored, busy] = shares;
    await h.ferry.resetStatus(errored!.id, 'error');
    await h.ferry.resetTaskState(busy!.id, 'migration_driver_in_progress');
    await assert.rejects(h.startServer(server.id, 'ferry@dummy2'), { code: 'FAILED_PRECONDITION', reason: 'INVALID_SHARE_STATUS' });
    await h.ferry.resetShareServerStatus(server.id, 'error');
    await assert.rejects(h.startServer(server.id, 'ferry@dummy2'), { code: 'FAILED_PRECONDITION', reason: 'INVALID_SHARE_SERVER_STATUS' });
    const check = await h.ferry.serverMigrationCheck({ shareServerId: server.id, host: 'ferry@dummy1', ...FLAGS });
    assert.equal(check.compatible, false);
    assert.deepEqual(check.blockers.map((b) => b.reason).sort(), ['INVALID_SHARE_SERVER_STATUS', 'INVALID_SHARE_STATUS', 'SHARE_BUSY', 'SHARE_SERVER_MIGRATION_NO_CHANGE']);
    await assertUnchanged(h, server.id, shares.map((s) => s.id));
  });

  it('refuses a target network that is not active and a share with replicas, states only another writer of the store produces', async (t) => {
    const first = await startServerMigrationFerry(t, { dir: mkdtempSync(join(tmpdir(), 'fe-ssv-')) });
    const subnets = [{ availabilityZone: null, neutronNetId: 'net-a', neutronSubnetId: 'subnet-a' }];
    const { server: onBroken, shares: brokenShares } = await first.serverWithShares(1);
    const healthy = await first.ferry.createShareNetwork({ name: 'healthy', subnets });
    const changing = await first.ferry.createShareNetwork({ name: 'changing', subnets });
    const lonely = await first.ferry.createShareNetwork({ name: 'lonely', subnets });
    const create = (name: string, shareNetworkId: string) => first.ferry.createShare({ shareProto: 'NFS', sizeGib: 1, host: 'ferry@dummy1#alpha', shareType: first.typeId, shareNetworkId, name });
    // One server (on healthy) with a plain share and a replicated one; another (on lonely) whose
    // only share is of a replication type without a secondary replica.
    const plain = await create('plain', healthy.id);
    const replicated = await create('replicated', healthy.id);
    const lone = await create('lone', lonely.id);
    assert.equal(replicated.shareServerId, plain.shareServerId);
    const h = await restartWithStoreEdit(t, first, async (store) => {
      await store.updateShareNetwork(first.networkId, { status: 'error' });
      await store.updateShareNetwork(changing.id, { status: 'network_change' });
      await addSecondaryReplica(store, replicated.instances[0]!.id, 'ferry@dummy2#alpha');
      await store.updateShareInstance(lone.instances[0]!.id, { replicaState: 'active' });
    }, (dir) => startServerMigrationFerry(t, { dir }));
    const { ferry } = h;

    /** Start refused with `reason` (FAILED_PRECONDITION, the first blocker), the check lists `blockers`, and nothing changed. */
    const refused = async (serverId: string, shareIds: readonly string[], reason: string, newShareNetworkId?: string, blockers = [reason]) => {
      const before = await ferry.getShareServer(serverId);
      const error = await assertFerryError(h.startServer(serverId, 'ferry@dummy2', newShareNetworkId ? { newShareNetworkId } : {}), 'FAILED_PRECONDITION', reason);
      const check = await ferry.serverMigrationCheck({ shareServerId: serverId, host: 'ferry@dummy2', ...FLAGS, ...(newShareNetworkId ? { newShareNetworkId } : {}) });
      assert.equal(check.compatible, false);
      assert.deepEqual(check.blockers.map((b) => b.reason), blockers);
      assert.deepEqual(await ferry.getShareServer(serverId), before, 'the server is as it was');
      await assertUnchanged(h, serverId, shareIds);
      return error;
    };
    let error = await refused(onBroken.id, brokenShares.map((s) => s.id), 'SHARE_NETWORK_NOT_ACTIVE');
    assert.equal(error.metadata['shareNetworkId'], h.networkId);
    error = await refused(plain.shareServerId!, [plain.id, replicated.id], 'SHARE_NETWORK_NOT_ACTIVE', changing.id, ['SHARE_NETWORK_NOT_ACTIVE', 'SHARE_HAS_REPLICAS']);
    assert.equal(error.metadata['shareNetworkId'], changing.id);
    error = await refused(plain.shareServerId!, [plain.id, replicated.id], 'SHARE_HAS_REPLICAS');
    assert.equal(error.metadata['shareId'], replicated.id);
    // Only the target network counts: a new, active one takes the server out of the broken one.
    const away = await ferry.serverMigrationCheck({ shareServerId: onBroken.id, host: 'ferry@dummy2', ...FLAGS, newShareNetworkId: healthy.id });
    assert.deepEqual(away.blockers, []);
    // Manila's has_replicas: more than one instance with a replica_state (as for a share migration).
    const loneCheck = await ferry.serverMigrationCheck({ shareServerId: lone.shareServerId!, host: 'ferry@dummy2', ...FLAGS });
    assert.deepEqual(loneCheck.blockers, [], 'a lone active replica is no replica');

    assert.deepEqual(await ferry.listShareServers({ host: 'ferry@dummy2' }), [], 'no destination server');
    assert.deepEqual(Object.keys((h.dummyState('dummy2') as unknown as { servers: Record<string, unknown> }).servers), [], 'nothing set up on dummy2');
  });

  it('refuses a server whose share has a snapshot in error, or rules in error', async (t) => {
    const h = await startServerMigrationFerry(t);
    const { server, shares } = await h.serverWithShares(1);
    h.setRules('dummy1', { createSnapshotInstance: { fail: { code: 'INTERNAL', reason: 'BACKEND_ERROR' } }, updateAccess: { fail: { code: 'INTERNAL', reason: 'BACKEND_ERROR' } } });
    // Each call may answer with the failure or record it; either way the records end in error.
    await h.ferry.createSnapshot({ shareId: shares[0]!.id, name: 'bad' }).catch(() => undefined);
    await h.ferry.grantAccess({ shareId: shares[0]!.id, accessType: 'ip', accessTo: '10.1.1.1', accessLevel: 'rw' }).catch(() => undefined);
    assert.equal((await h.ferry.listSnapshots({ shareId: shares[0]!.id }))[0]!.status, 'error');
    assert.equal((await h.ferry.getShare(shares[0]!.id)).accessRulesStatus, 'error');
    const check = await h.ferry.serverMigrationCheck({ shareServerId: server.id, host: 'ferry@dummy2', ...FLAGS, preserveSnapshots: true });
    assert.deepEqual(check.blockers.map((b) => b.reason).sort(), ['ACCESS_RULES_ERROR', 'INVALID_SNAPSHOT_STATUS']);
    await assert.rejects(h.startServer(server.id, 'ferry@dummy2'), { code: 'FAILED_PRECONDITION', reason: 'INVALID_SNAPSHOT_STATUS' });
  });

  it('refuses a second migration while a destination points at the server', async (t) => {
    const h = await startServerMigrationFerry(t);
    const { server } = await h.serverWithShares(1);
    await h.startServer(server.id, 'ferry@dummy2');
    await h.waitForServer(server.id, (s) => s?.taskState === 'migration_driver_phase1_done', 'phase 1 done');
    const check = await h.ferry.serverMigrationCheck({ shareServerId: server.id, host: 'ferry@dummy2', ...FLAGS });
    assert.ok(check.blockers.some((b) => b.reason === 'SHARE_SERVER_DESTINATION_EXISTS'), JSON.stringify(check.blockers));
    await assert.rejects(h.startServer(server.id, 'ferry@dummy2'), { code: 'FAILED_PRECONDITION' });
  });

  it('complete, cancel and progress on a server that is not migrating', async (t) => {
    const h = await startServerMigrationFerry(t);
    const { server } = await h.serverWithShares(1);
    await assert.rejects(h.ferry.serverMigrationComplete(server.id), { code: 'FAILED_PRECONDITION', reason: 'INVALID_SHARE_SERVER_STATUS', message: /not being migrated/ });
    await assert.rejects(h.ferry.serverMigrationCancel(server.id), { code: 'FAILED_PRECONDITION', reason: 'INVALID_SHARE_SERVER_STATUS' });
    await assert.rejects(h.ferry.serverMigrationGetProgress(server.id), { code: 'FAILED_PRECONDITION', reason: 'MIGRATION_NOT_IN_PROGRESS' });
    await assert.rejects(h.ferry.serverMigrationGetProgress('nope'), { code: 'NOT_FOUND', reason: 'SHARE_SERVER_NOT_FOUND' });
    await assert.rejects(h.ferry.resetShareServerTaskState(server.id, 'bogus' as never), { code: 'INVALID_ARGUMENT', reason: 'INVALID_TASK_STATE' });
    await assert.rejects(h.ferry.resetShareServerTaskState(server.id, 'data_copying_starting'), { code: 'INVALID_ARGUMENT', reason: 'INVALID_TASK_STATE' });
    await assert.rejects(h.ferry.resetShareServerStatus(server.id, 'bogus' as never), { code: 'INVALID_ARGUMENT', reason: 'INVALID_STATUS' });
    await assert.rejects(h.ferry.getShareServer('nope'), { code: 'NOT_FOUND', reason: 'SHARE_SERVER_NOT_FOUND' });
  });
});
