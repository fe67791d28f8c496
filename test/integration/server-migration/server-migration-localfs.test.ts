/**
 * A share server moves between two real localfs back ends that handle share servers, through
 * ferry: every file of every share is intact on the destination (compared by an independent
 * walk), a write made during phase 1 arrives through the final sync, snapshots move along, and
 * the source back end no longer holds the shares or the server.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { localfsBackend, startTestFerry } from '../../helpers/ferry-harness.js';
import { dataDirOf } from '../../helpers/migration-harness.js';
import { buildShareTree, describeShareTree } from '../../helpers/share-tree.js';

describe('share server migration between localfs back ends', () => {
  it('moves every share with its files, a phase-1 write and a snapshot, then retires the source server', async (t) => {
    const h = await startTestFerry(t, {
      serverContinueIntervalMs: 50,
      backends: (dir) => ['servers1', 'servers2'].map((name) => localfsBackend(name, join(dir, 'b', name), { driverHandlesShareServers: true })),
    });
    const { ferry } = h;
    const type = await ferry.createShareType({ name: 'dhss', extraSpecs: { driver_handles_share_servers: 'true', snapshot_support: 'true' } });
    const network = await ferry.createShareNetwork({ name: 'net', subnets: [{ availabilityZone: null, neutronNetId: 'n', neutronSubnetId: 's' }] });
    const shares = [];
    for (const name of ['one', 'two']) {
      const share = await ferry.createShare({ name, shareProto: 'NFS', sizeGib: 1, host: 'ferry@servers1#pool1', shareType: type.id, shareNetworkId: network.id });
      await ferry.grantAccess({ shareId: share.id, accessType: 'ip', accessTo: '10.0.0.1', accessLevel: 'rw' });
      buildShareTree(dataDirOf((await ferry.getShare(share.id)).instances[0]!));
      shares.push(await ferry.getShare(share.id));
    }
    const serverId = shares[0]!.shareServerId!;
    assert.equal(shares[1]!.shareServerId, serverId);
    await ferry.createSnapshot({ shareId: shares[0]!.id, name: 'snap' });
    const before = new Map(shares.map((share) => [share.id, describeShareTree(dataDirOf(share.instances[0]!))]));

    const check = await ferry.serverMigrationCheck({ shareServerId: serverId, host: 'ferry@servers2', writable: true, nondisruptive: false, preserveSnapshots: true });
    assert.equal(check.compatible, true, JSON.stringify(check.blockers));
    await ferry.serverMigrationStart({ shareServerId: serverId, host: 'ferry@servers2', writable: true, nondisruptive: false, preserveSnapshots: true });
    const deadline = Date.now() + 60_000;
    while ((await ferry.getShareServer(serverId)).taskState !== 'migration_driver_phase1_done') {
      const server = await ferry.getShareServer(serverId);
      assert.ok(Date.now() < deadline && server.taskState !== 'migration_error', `phase 1 did not finish: ${server.taskState} ${server.migration?.error ?? ''}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The source stays writable in phase 1 (the driver said writable); the final sync carries this.
    const sourceDir = dataDirOf(shares[1]!.instances[0]!);
    writeFileSync(join(sourceDir, 'written-in-phase-1.txt'), 'late\n');

    const { destinationShareServerId } = await ferry.serverMigrationComplete(serverId);
    while ((await ferry.getShareServer(destinationShareServerId)).taskState !== 'migration_success') {
      const progress = await ferry.serverMigrationGetProgress(serverId);
      assert.ok(Date.now() < deadline && progress.sourceTaskState !== 'migration_error', `complete did not finish: ${progress.error}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await assert.rejects(ferry.getShareServer(serverId), { reason: 'SHARE_SERVER_NOT_FOUND' });

    for (const original of shares) {
      const moved = await ferry.getShare(original.id);
      assert.equal(moved.status, 'available');
      assert.equal(moved.shareServerId, destinationShareServerId);
      assert.equal(moved.host, 'ferry@servers2#pool1');
      const dir = dataDirOf(moved.instances[0]!);
      assert.ok(dir.includes(join('b', 'servers2')), `${dir} is on servers2`);
      const after = describeShareTree(dir);
      if (original.id === shares[1]!.id) {
        assert.equal(readFileSync(join(dir, 'written-in-phase-1.txt'), 'utf8'), 'late\n');
        delete (after as Record<string, unknown>)['written-in-phase-1.txt'];
        delete (after as Record<string, unknown>)['.'];
        delete (before.get(original.id) as Record<string, unknown>)['.'];
      }
      assert.deepEqual(after, before.get(original.id), `share ${moved.name}: every entry identical`);
      assert.ok(!existsSync(dataDirOf(original.instances[0]!)), 'the source copy is gone from servers1');
      assert.deepEqual((await ferry.listAccessRules(original.id)).map((rule) => rule.state), ['active']);
    }
    const snapshot = (await ferry.listSnapshots({ shareId: shares[0]!.id }))[0]!;
    assert.equal(snapshot.status, 'available');
    assert.ok(snapshot.instances[0]!.providerLocation.includes(join('b', 'servers2')), snapshot.instances[0]!.providerLocation);
  });
});
