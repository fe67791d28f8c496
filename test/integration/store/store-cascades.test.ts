/**
 * Deletes take their dependents with them where the port says so, and refuse (typed) where a
 * record is still named by others; inserts that name a missing parent are refused.
 */
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { StorePort } from '../../../src/orchestrator/store-port.js';
import {
  accessMapping, accessRule, backend, migration, openTempStore, pool, removeTempDirs, seedShare, share, shareInstance, shareNetwork,
  shareServer, shareType, snapshot, snapshotInstance,
} from './store-fixtures.js';

let store: StorePort;
beforeEach(async () => {
  ({ store } = await openTempStore());
});
afterEach(async () => {
  await store.close();
});
after(removeTempDirs);

/** A share with two instances, a rule mapped on both, a snapshot on both and a migration with events. */
async function populatedShare() {
  const seeded = await seedShare(store);
  const source = shareInstance(seeded.share, { status: 'migrating' });
  const destination = shareInstance(seeded.share, { status: 'migrating_to', host: 'node1@beta#p' });
  await store.insertShareInstance(source);
  await store.insertShareInstance(destination);
  const rule = accessRule(seeded.share.id);
  await store.insertAccessRule(rule);
  await store.putAccessMapping(accessMapping(rule.id, source.id));
  await store.putAccessMapping(accessMapping(rule.id, destination.id));
  const snap = snapshot(seeded.share.id);
  await store.insertSnapshot(snap);
  const snapOnSource = snapshotInstance(snap.id, source.id);
  const snapOnDestination = snapshotInstance(snap.id, destination.id);
  await store.insertSnapshotInstance(snapOnSource);
  await store.insertSnapshotInstance(snapOnDestination);
  const run = migration(seeded.share, source.id, { destinationInstanceId: destination.id });
  await store.insertMigration(run);
  await store.appendMigrationEvent({ migrationId: run.id, taskState: 'migration_starting', message: '', at: run.createdAt });
  return { ...seeded, source, destination, rule, snap, snapOnSource, snapOnDestination, run };
}

describe('cascading deletes', () => {
  it('deleting a share removes its instances, rules, mappings, snapshots, snapshot instances, migrations and events', async () => {
    const p = await populatedShare();
    const other = share(p.type.id);
    await store.insertShare(other);
    await store.deleteShare(p.share.id);
    assert.equal(await store.getShare(p.share.id), undefined);
    assert.deepEqual(await store.listShareInstances({ shareId: p.share.id }), []);
    assert.deepEqual(await store.listAccessRules(p.share.id), []);
    assert.deepEqual(await store.listAccessMappings(p.source.id), []);
    assert.deepEqual(await store.listSnapshots(p.share.id), []);
    assert.deepEqual(await store.listSnapshotInstances(), []);
    assert.deepEqual(await store.listMigrations(), []);
    assert.deepEqual(await store.listMigrationEvents(p.run.id), []);
    assert.deepEqual(await store.listShares(), [other]);
    // The share type and network are not the share's to delete.
    assert.ok(await store.getShareType(p.type.id));
    assert.ok(await store.getShareNetwork(p.network.id));
  });

  it('deleting an instance removes its mappings and snapshot instances only', async () => {
    const p = await populatedShare();
    await store.deleteShareInstance(p.destination.id);
    assert.deepEqual(await store.listAccessMappings(p.destination.id), []);
    assert.equal((await store.listAccessMappings(p.source.id)).length, 1);
    assert.deepEqual(await store.listSnapshotInstances({ snapshotId: p.snap.id }), [p.snapOnSource]);
    assert.deepEqual(await store.listAccessRules(p.share.id), [p.rule]);
    // The migration record keeps naming the destination: it outlives its instances.
    assert.equal((await store.getMigration(p.run.id))?.destinationInstanceId, p.destination.id);
  });

  it('deleting a rule removes its mappings; deleting a snapshot removes its instances', async () => {
    const p = await populatedShare();
    await store.deleteAccessRule(p.rule.id);
    assert.deepEqual(await store.listAccessMappings(p.source.id), []);
    await store.deleteSnapshot(p.snap.id);
    assert.deepEqual(await store.listSnapshotInstances(), []);
    assert.equal(await store.getSnapshotInstance(p.snapOnSource.id), undefined);
  });

  it('deleting a network removes its subnets', async () => {
    const network = shareNetwork();
    await store.insertShareNetwork(network);
    await store.deleteShareNetwork(network.id);
    // Re-inserting the same subnet ids works only if the old subnets are gone.
    await store.insertShareNetwork(network);
    assert.deepEqual(await store.getShareNetwork(network.id), network);
  });

  it('a deleted source server leaves its destination with sourceShareServerId null', async () => {
    const network = shareNetwork();
    await store.insertShareNetwork(network);
    const source = shareServer(network.id);
    const destination = shareServer(network.id, { sourceShareServerId: source.id });
    await store.insertShareServer(source);
    await store.insertShareServer(destination);
    await store.deleteShareServer(source.id);
    assert.equal((await store.getShareServer(destination.id))?.sourceShareServerId, null);
  });
});

describe('referential integrity', () => {
  it('refuses to delete a share type, network or share server still in use', async () => {
    const p = await populatedShare();
    await assert.rejects(store.deleteShareType(p.type.id), { name: 'StoreRecordInUseError', code: 'FAILED_PRECONDITION', reason: 'STORE_RECORD_IN_USE' });
    await assert.rejects(store.deleteShareNetwork(p.network.id), { reason: 'STORE_RECORD_IN_USE' });
    const server = shareServer(p.network.id);
    await store.insertShareServer(server);
    await store.updateShareInstance(p.source.id, { shareServerId: server.id });
    await assert.rejects(store.deleteShareServer(server.id), { reason: 'STORE_RECORD_IN_USE' });
    assert.ok(await store.getShareType(p.type.id));
    assert.ok(await store.getShareServer(server.id));
  });

  it('refuses records that name a missing parent', async () => {
    const type = shareType();
    await store.insertShareType(type);
    await assert.rejects(store.insertShare(share('no-such-type')), { name: 'StoreReferenceError', reason: 'STORE_REFERENCE_NOT_FOUND' });
    await assert.rejects(store.insertShare(share(type.id, { shareNetworkId: 'no-such-net' })), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    const orphan = shareInstance(share(type.id));
    await assert.rejects(store.insertShareInstance(orphan), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    await assert.rejects(store.insertAccessRule(accessRule('no-such-share')), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    await assert.rejects(store.putAccessMapping(accessMapping('no-rule', 'no-instance')), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    await assert.rejects(store.insertShareServer(shareServer('no-such-net')), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    const p = await seedShare(store);
    await assert.rejects(store.updateShare(p.share.id, { shareTypeId: 'no-such-type' }), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    assert.deepEqual(await store.getShare(p.share.id), p.share);
  });

  it('keeps pools only for known back ends and drops them with nothing else', async () => {
    await store.upsertBackend(backend({ name: 'alpha' }));
    await store.replacePools('alpha', [pool('alpha', 'p1')]);
    await assert.rejects(store.replacePools('alpha', [pool('beta', 'p1')]), { name: 'InvalidArgumentError' });
    assert.equal((await store.listPools()).length, 1);
  });
});
