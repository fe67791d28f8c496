/**
 * Every record kind goes into a real SQLite store and comes back equal; filters select what
 * they say; get/update/delete/insert behave as the StorePort contract states for unknown and
 * duplicate ids.
 */
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { StorePort } from '../../../src/orchestrator/store-port.js';
import {
  accessMapping, accessRule, backend, migration, nextTime, openTempStore, pool, removeTempDirs, seedShare, share, shareInstance,
  shareNetwork, shareServer, shareType, snapshot, snapshotInstance,
} from './store-fixtures.js';

let store: StorePort;
beforeEach(async () => {
  ({ store } = await openTempStore());
});
afterEach(async () => {
  await store.close();
});
after(removeTempDirs);

describe('back ends and pools', () => {
  it('upserts a back end: the second write replaces the first', async () => {
    const first = backend();
    await store.upsertBackend(first);
    assert.deepEqual(await store.getBackend(first.name), first);
    const second = { ...first, vendorVersion: '2.0.0', capabilities: [], driverHandlesShareServers: true, updatedAt: nextTime() };
    await store.upsertBackend(second);
    assert.deepEqual(await store.getBackend(first.name), second);
    assert.deepEqual(await store.listBackends(), [second]);
    assert.equal(await store.getBackend('nope'), undefined);
  });

  it('replaces all pools of one back end and leaves the other back end alone', async () => {
    const a = backend({ name: 'alpha' });
    const b = backend({ name: 'beta' });
    await store.upsertBackend(a);
    await store.upsertBackend(b);
    await store.replacePools('alpha', [pool('alpha', 'fast'), pool('alpha', 'slow')]);
    const betaPools = [pool('beta', 'only')];
    await store.replacePools('beta', betaPools);
    const fresh = [pool('alpha', 'slow', { freeCapacityGib: 1.5 }), pool('alpha', 'tape')];
    await store.replacePools('alpha', fresh);
    assert.deepEqual(await store.listPools({ backend: 'alpha' }), fresh);
    assert.deepEqual(await store.listPools({ backend: 'beta' }), betaPools);
    assert.deepEqual((await store.listPools()).map((p) => p.host), ['node1@alpha#slow', 'node1@alpha#tape', 'node1@beta#only']);
    assert.deepEqual(await store.getPool('node1@alpha#tape'), fresh[1]);
    assert.equal(await store.getPool('node1@alpha#fast'), undefined);
    await store.replacePools('alpha', []);
    assert.deepEqual(await store.listPools({ backend: 'alpha' }), []);
  });

  it('refuses pools of a back end it has never seen', async () => {
    await assert.rejects(store.replacePools('ghost', [pool('ghost', 'p')]), { code: 'FAILED_PRECONDITION', reason: 'STORE_REFERENCE_NOT_FOUND' });
  });
});

describe('share types', () => {
  it('round-trips, finds by name, lists in creation order and deletes idempotently', async () => {
    const gold = shareType();
    const silver = shareType({ isPublic: false, extraSpecs: {} });
    await store.insertShareType(silver);
    await store.insertShareType(gold);
    assert.deepEqual(await store.getShareType(gold.id), gold);
    assert.deepEqual(await store.getShareTypeByName(silver.name), silver);
    assert.equal(await store.getShareTypeByName('nope'), undefined);
    // Ordered by createdAt (gold was built first), not by insertion.
    assert.deepEqual(await store.listShareTypes(), [gold, silver]);
    await store.deleteShareType(gold.id);
    await store.deleteShareType(gold.id);
    assert.deepEqual(await store.listShareTypes(), [silver]);
  });

  it('refuses a duplicate id or name with AlreadyExistsError', async () => {
    const gold = shareType();
    await store.insertShareType(gold);
    await assert.rejects(store.insertShareType({ ...gold, name: 'other' }), { name: 'AlreadyExistsError', code: 'ALREADY_EXISTS' });
    await assert.rejects(store.insertShareType(shareType({ name: gold.name })), { name: 'AlreadyExistsError' });
  });
});

describe('share networks', () => {
  it('stores the network with its subnets, updates it and deletes it with them', async () => {
    const network = shareNetwork();
    await store.insertShareNetwork(network);
    assert.deepEqual(await store.getShareNetwork(network.id), network);
    const updated = await store.updateShareNetwork(network.id, { status: 'network_change', name: 'renamed' });
    assert.deepEqual(updated, { ...network, status: 'network_change', name: 'renamed' });
    assert.deepEqual(await store.listShareNetworks(), [updated]);
    await store.deleteShareNetwork(network.id);
    await store.deleteShareNetwork(network.id);
    assert.equal(await store.getShareNetwork(network.id), undefined);
  });

  it('writes nothing when a subnet id is taken', async () => {
    const first = shareNetwork();
    await store.insertShareNetwork(first);
    const second = shareNetwork({ id: 'net-dup', subnets: [{ ...first.subnets[0], shareNetworkId: 'net-dup' }] });
    await assert.rejects(store.insertShareNetwork(second), { name: 'AlreadyExistsError' });
    assert.equal(await store.getShareNetwork('net-dup'), undefined);
  });

  it('throws NotFoundError when updating an unknown network', async () => {
    await assert.rejects(store.updateShareNetwork('nope', { name: 'x' }), { name: 'NotFoundError', code: 'NOT_FOUND', reason: 'SHARE_NETWORK_NOT_FOUND' });
  });
});

describe('shares and share instances', () => {
  it('round-trips a share, filters it and applies a patch without touching id or createdAt', async () => {
    const { type, network, share: record } = await seedShare(store);
    const plain = share(type.id);
    await store.insertShare(plain);
    assert.deepEqual(await store.getShare(record.id), record);
    assert.deepEqual(await store.listShares(), [record, plain]);
    assert.deepEqual(await store.listShares({ shareNetworkId: network.id }), [record]);
    assert.deepEqual(await store.listShares({ shareTypeId: type.id }), [record, plain]);
    const patch = { taskState: 'migration_in_progress' as const, metadata: { k: 'v' }, updatedAt: nextTime(), id: 'hijack', createdAt: 'x' };
    const updated = await store.updateShare(record.id, patch);
    assert.deepEqual(updated, { ...record, taskState: 'migration_in_progress', metadata: { k: 'v' }, updatedAt: patch.updatedAt });
    assert.deepEqual(await store.getShare(record.id), updated);
    assert.equal(await store.getShare('hijack'), undefined);
  });

  it('treats an undefined patch value as "leave alone" and null as a value', async () => {
    const { share: record } = await seedShare(store);
    await store.updateShare(record.id, { taskState: 'migration_error' });
    const updated = await store.updateShare(record.id, { taskState: null, description: undefined });
    assert.equal(updated.taskState, null);
    assert.equal(updated.description, record.description);
  });

  it('filters instances by share, status, server and host (a pool exactly, a back end by prefix)', async () => {
    const { share: record, network } = await seedShare(store);
    const server = shareServer(network.id);
    await store.insertShareServer(server);
    const a = shareInstance(record, { host: 'node1@alpha#fast' });
    const b = shareInstance(record, { host: 'node1@alpha#slow', status: 'migrating', shareServerId: server.id });
    const c = shareInstance(record, { host: 'node1@alphabet#fast', status: 'migrating_to' });
    for (const instance of [a, b, c]) await store.insertShareInstance(instance);
    assert.deepEqual(await store.getShareInstance(b.id), b);
    assert.deepEqual(await store.listShareInstances({ shareId: record.id }), [a, b, c]);
    assert.deepEqual(await store.listShareInstances({ host: 'node1@alpha' }), [a, b]);
    assert.deepEqual(await store.listShareInstances({ host: 'node1@alpha#slow' }), [b]);
    assert.deepEqual(await store.listShareInstances({ status: 'migrating_to' }), [c]);
    assert.deepEqual(await store.listShareInstances({ shareServerId: server.id, host: 'node1@alpha' }), [b]);
    assert.deepEqual(await store.listShareInstances({ shareId: 'nope' }), []);
  });

  it('moves an instance to another back end and finds it there', async () => {
    const { share: record } = await seedShare(store);
    const instance = shareInstance(record, { host: '' });
    await store.insertShareInstance(instance);
    const moved = await store.updateShareInstance(instance.id, { host: 'node1@beta#pool', castRulesToReadonly: true, progress: '37%' });
    assert.deepEqual(await store.listShareInstances({ host: 'node1@beta' }), [moved]);
    assert.equal(moved.castRulesToReadonly, true);
  });

  it('refuses duplicates, reports unknown ids per the contract and deletes idempotently', async () => {
    const { share: record } = await seedShare(store);
    await assert.rejects(store.insertShare(record), { name: 'AlreadyExistsError' });
    assert.equal(await store.getShareInstance('nope'), undefined);
    await assert.rejects(store.updateShare('nope', { name: 'x' }), { name: 'NotFoundError', reason: 'SHARE_NOT_FOUND' });
    await assert.rejects(store.updateShareInstance('nope', { progress: '1%' }), { name: 'NotFoundError', reason: 'SHARE_INSTANCE_NOT_FOUND' });
    await store.deleteShare('nope');
    await store.deleteShareInstance('nope');
  });

  it('hands out fresh objects: mutating a returned record changes nothing stored', async () => {
    const { share: record } = await seedShare(store);
    const instance = shareInstance(record);
    await store.insertShareInstance(instance);
    const got = await store.getShareInstance(instance.id);
    assert.ok(got);
    (got.exportLocations[0].metadata as Record<string, string>).preferred = 'false';
    (got as { status: string }).status = 'error';
    assert.deepEqual(await store.getShareInstance(instance.id), instance);
  });
});

describe('access rules and mappings', () => {
  it('round-trips rules, updates them and keeps one mapping per rule and instance', async () => {
    const { share: record } = await seedShare(store);
    const instance = shareInstance(record);
    await store.insertShareInstance(instance);
    const rw = accessRule(record.id);
    const cert = accessRule(record.id, { accessType: 'cert', accessTo: 'client.example', accessLevel: 'ro', accessKey: 'k3y', forDataService: true });
    await store.insertAccessRule(rw);
    await store.insertAccessRule(cert);
    assert.deepEqual(await store.getAccessRule(cert.id), cert);
    assert.deepEqual(await store.listAccessRules(record.id), [rw, cert]);
    const ro = await store.updateAccessRule(rw.id, { accessLevel: 'ro' });
    assert.deepEqual(ro, { ...rw, accessLevel: 'ro' });
    await assert.rejects(store.updateAccessRule('nope', { accessLevel: 'ro' }), { name: 'NotFoundError', reason: 'ACCESS_RULE_NOT_FOUND' });
    await assert.rejects(store.insertAccessRule(rw), { name: 'AlreadyExistsError' });

    await store.putAccessMapping(accessMapping(cert.id, instance.id, { state: 'queued_to_apply' }));
    await store.putAccessMapping(accessMapping(rw.id, instance.id, { state: 'applying' }));
    const replaced = accessMapping(cert.id, instance.id, { state: 'error', message: 'driver said no' });
    await store.putAccessMapping(replaced);
    const mappings = await store.listAccessMappings(instance.id);
    assert.deepEqual(mappings.map((m) => [m.accessRuleId, m.state]), [[rw.id, 'applying'], [cert.id, 'error']]);
    assert.deepEqual(mappings[1], replaced);
    await store.deleteAccessMapping(rw.id, instance.id);
    await store.deleteAccessMapping(rw.id, instance.id);
    assert.deepEqual(await store.listAccessMappings(instance.id), [replaced]);
    await store.deleteAccessRule('nope');
  });
});

describe('snapshots and snapshot instances', () => {
  it('round-trips snapshots and their instances with filters', async () => {
    const { share: record } = await seedShare(store);
    const source = shareInstance(record);
    const destination = shareInstance(record, { status: 'migrating_to' });
    await store.insertShareInstance(source);
    await store.insertShareInstance(destination);
    const snap = snapshot(record.id);
    await store.insertSnapshot(snap);
    assert.deepEqual(await store.getSnapshot(snap.id), snap);
    assert.deepEqual(await store.listSnapshots(record.id), [snap]);
    await assert.rejects(store.insertSnapshot(snap), { name: 'AlreadyExistsError' });
    const onSource = snapshotInstance(snap.id, source.id);
    const onDestination = snapshotInstance(snap.id, destination.id, { status: 'migrating_to', exportLocations: [] });
    await store.insertSnapshotInstance(onSource);
    await store.insertSnapshotInstance(onDestination);
    assert.deepEqual(await store.getSnapshotInstance(onDestination.id), onDestination);
    assert.deepEqual(await store.listSnapshotInstances({ snapshotId: snap.id }), [onSource, onDestination]);
    assert.deepEqual(await store.listSnapshotInstances({ shareInstanceId: destination.id }), [onDestination]);
    const done = await store.updateSnapshotInstance(onDestination.id, { status: 'available', progress: '100%' });
    assert.deepEqual(await store.getSnapshotInstance(onDestination.id), done);
    await assert.rejects(store.updateSnapshotInstance('nope', { progress: '1%' }), { name: 'NotFoundError', reason: 'SNAPSHOT_INSTANCE_NOT_FOUND' });
    await store.deleteSnapshotInstance(onSource.id);
    await store.deleteSnapshotInstance(onSource.id);
    assert.deepEqual(await store.listSnapshotInstances(), [done]);
  });
});

describe('share servers', () => {
  it('round-trips servers, filters them and updates them', async () => {
    const network = shareNetwork();
    await store.insertShareNetwork(network);
    const source = shareServer(network.id);
    const destination = shareServer(network.id, { host: 'node1@beta', status: 'server_migrating_to', sourceShareServerId: source.id, taskState: 'migration_in_progress' });
    await store.insertShareServer(source);
    await store.insertShareServer(destination);
    assert.deepEqual(await store.getShareServer(destination.id), destination);
    assert.deepEqual(await store.listShareServers({ shareNetworkId: network.id }), [source, destination]);
    assert.deepEqual(await store.listShareServers({ host: 'node1@beta' }), [destination]);
    assert.deepEqual(await store.listShareServers({ status: 'active' }), [source]);
    assert.deepEqual(await store.listShareServers({ sourceShareServerId: source.id }), [destination]);
    const active = await store.updateShareServer(destination.id, { status: 'active', taskState: 'migration_success', networkAllocations: [] });
    assert.deepEqual(await store.getShareServer(destination.id), active);
    await assert.rejects(store.updateShareServer('nope', { status: 'error' }), { name: 'NotFoundError', reason: 'SHARE_SERVER_NOT_FOUND' });
    await assert.rejects(store.insertShareServer(source), { name: 'AlreadyExistsError' });
    await store.deleteShareServer('nope');
  });
});

describe('share migrations', () => {
  it('round-trips a migration through its life and filters by share and activity', async () => {
    const { share: record, type } = await seedShare(store);
    const instance = shareInstance(record);
    await store.insertShareInstance(instance);
    const running = migration(record, instance.id);
    const old = migration(record, instance.id, { active: false, taskState: 'migration_error', phase: 'finished', outcome: 'error', finishedAt: nextTime() });
    await store.insertMigration(running);
    await store.insertMigration(old);
    assert.deepEqual(await store.getMigration(running.id), running);
    assert.deepEqual(await store.listMigrations({ shareId: record.id }), [running, old]);
    assert.deepEqual(await store.listMigrations({ active: true }), [running]);
    assert.deepEqual(await store.listMigrations({ active: false, shareId: record.id }), [old]);
    const chosen = await store.updateMigration(running.id, {
      method: 'host_assisted', destinationInstanceId: 'instance-next', phase: 'data_copy', taskState: 'data_copying_in_progress',
      capabilities: { compatible: false, writable: false, preserveMetadata: false, nondisruptive: false, preserveSnapshots: false, reasons: ['different vendor'] },
      fallbackReason: 'different vendor', checkpointPath: '/var/lib/ferry/cp/1', pendingAction: 'cancel',
      request: { ...running.request, newShareTypeId: type.id },
    });
    assert.deepEqual(await store.getMigration(running.id), chosen);
    assert.equal(chosen.capabilities?.reasons[0], 'different vendor');
    await assert.rejects(store.insertMigration(running), { name: 'AlreadyExistsError' });
    await assert.rejects(store.updateMigration('nope', { active: false }), { name: 'NotFoundError', reason: 'MIGRATION_NOT_FOUND' });
  });
});
