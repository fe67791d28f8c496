/**
 * The dummy's simulation, in process: the contract's idempotency and error tables for shares,
 * share migration, share servers and volumes. Calls go through the same wrappers the SDK
 * calls (behaviour engine + keyed operations).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDummyConfig } from '../../../plugins/dummy/config.js';
import { createDummyDriver } from '../../../plugins/dummy/driver.js';
import type { DummyBackend } from '../../../plugins/dummy/backend.js';
import { FerryError } from '../../../src/domain/errors.js';
import type { DriverContext } from '../../../plugins/sdk/driver.js';
import { PeerInfo, ShareInstance } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import * as share from '../../../src/contract/gen/ferry/driver/v1/share.js';
import * as mig from '../../../src/contract/gen/ferry/driver/v1/share_migration.js';
import * as srv from '../../../src/contract/gen/ferry/driver/v1/share_server.js';
import * as vol from '../../../src/contract/gen/ferry/driver/v1/volume.js';

type Call = (request: unknown, ctx: DriverContext) => Promise<Record<string, unknown>>;

/** The driver with its handlers as plain functions (the SDK calls them the same way). */
function dummy(config: Record<string, unknown> = {}): Record<string, Call> & { backend: DummyBackend } {
  return createDummyDriver(parseDummyConfig(config)) as unknown as Record<string, Call> & { backend: DummyBackend };
}

const ctx = { signal: new AbortController().signal } as DriverContext;

async function errorOf(promise: Promise<unknown>): Promise<FerryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FerryError, `expected a FerryError, got ${String(error)}`);
    return error;
  }
  throw new Error('expected the call to fail');
}

const instance = (id: string, over: Partial<ShareInstance> = {}): ShareInstance =>
  ShareInstance.fromPartial({ shareInstanceId: id, shareId: `share-${id}`, pool: 'alpha', host: 'h@dummy#alpha', sizeGib: 10, shareProto: 'NFS', ...over });
const peer: PeerInfo = PeerInfo.fromPartial({ backend: 'h@dummy2', pluginName: 'ferry.dummy', vendorVersion: '1.0.0' });

test('CreateShareInstance: replay returns the same answer, other parameters are ALREADY_EXISTS, capacity is accounted', async () => {
  const d = dummy({ pools: [{ name: 'alpha', totalCapacityGib: 30, freeCapacityGib: 25, availabilityZone: 'nova' }] });
  const create = (si: ShareInstance) => d.createShareInstance(share.CreateShareInstanceRequest.fromPartial({ shareInstance: si }), ctx);
  const first = await create(instance('a'));
  assert.deepEqual(await create(instance('a')), first);
  assert.deepEqual((first.exportLocations as { path: string }[]).map((l) => l.path), ['/path/to/fake/share/a']);
  const clash = await errorOf(create(instance('a', { sizeGib: 11 })));
  assert.deepEqual([clash.code, clash.reason, clash.metadata.shareInstanceId], ['ALREADY_EXISTS', 'ALREADY_EXISTS_INCOMPATIBLE', 'a']);
  const full = await errorOf(create(instance('b', { sizeGib: 16 })));
  assert.deepEqual([full.code, full.reason, full.metadata.pool, full.metadata.freeGib], ['RESOURCE_EXHAUSTED', 'INSUFFICIENT_CAPACITY', 'alpha', '15']);
  const pools = (await d.listPools({}, ctx)).pools as { freeCapacityGib: number; allocatedCapacityGib: number }[];
  assert.deepEqual([pools[0]?.freeCapacityGib, pools[0]?.allocatedCapacityGib], [15, 10]);
  assert.equal((await errorOf(create(instance('c', { pool: 'gamma' })))).reason, 'POOL_NOT_FOUND');
  assert.equal((await errorOf(create(instance('c', { shareProto: 'SMB' })))).reason, 'INVALID_FIELD');
  assert.equal((await errorOf(create(instance('')))).reason, 'MISSING_FIELD');
});

test('DeleteShareInstance: unknown is OK, snapshots make it RESOURCE_IN_USE', async () => {
  const d = dummy();
  await d.createShareInstance(share.CreateShareInstanceRequest.fromPartial({ shareInstance: instance('a') }), ctx);
  const snap = share.CreateSnapshotInstanceRequest.fromPartial({ snapshotInstance: { snapshotInstanceId: 's1', snapshotId: 'S', shareInstanceId: 'a', sizeGib: 10 }, shareInstance: instance('a') });
  assert.deepEqual(await d.createSnapshotInstance(snap, ctx), await d.createSnapshotInstance(snap, ctx));
  const del = share.DeleteShareInstanceRequest.fromPartial({ shareInstance: instance('a') });
  const inUse = await errorOf(d.deleteShareInstance(del, ctx));
  assert.deepEqual([inUse.code, inUse.reason], ['FAILED_PRECONDITION', 'RESOURCE_IN_USE']);
  await d.deleteSnapshotInstance(share.DeleteSnapshotInstanceRequest.fromPartial({ snapshotInstance: { snapshotInstanceId: 's1' }, shareInstance: instance('a') }), ctx);
  await d.deleteShareInstance(del, ctx);
  await d.deleteShareInstance(del, ctx);
  assert.equal((await errorOf(d.getExportLocations(share.GetExportLocationsRequest.fromPartial({ shareInstance: instance('a') }), ctx))).reason, 'SHARE_INSTANCE_NOT_FOUND');
});

test('Extend and Shrink: replay at the new size is OK, wrong direction is INVALID_FIELD', async () => {
  const d = dummy();
  await d.createShareInstance(share.CreateShareInstanceRequest.fromPartial({ shareInstance: instance('a') }), ctx);
  const extend = (n: number) => d.extendShareInstance(share.ExtendShareInstanceRequest.fromPartial({ shareInstance: instance('a'), newSizeGib: n }), ctx);
  const shrink = (n: number) => d.shrinkShareInstance(share.ShrinkShareInstanceRequest.fromPartial({ shareInstance: instance('a'), newSizeGib: n }), ctx);
  await extend(20);
  await extend(20);
  assert.equal((await errorOf(extend(15))).reason, 'INVALID_FIELD');
  assert.equal((await errorOf(extend(5000))).code, 'RESOURCE_EXHAUSTED');
  await shrink(12);
  assert.equal((await errorOf(shrink(13))).reason, 'INVALID_FIELD');
  assert.equal(d.backend.state.data.shares.a?.sizeGib, 12);
});

test('UpdateAccess: unsupported rules are per-rule errors; the read-only cast is recorded', async () => {
  const d = dummy();
  await d.createShareInstance(share.CreateShareInstanceRequest.fromPartial({ shareInstance: instance('a') }), ctx);
  const answer = await d.updateAccess(
    share.UpdateAccessRequest.fromPartial({
      shareInstance: instance('a'),
      castRulesToReadonly: true,
      accessRules: [
        { accessRuleId: 'r1', accessType: 'ip', accessTo: '10.0.0.0/24', accessLevel: 'ro' },
        { accessRuleId: 'r2', accessType: 'cephx', accessTo: 'alice', accessLevel: 'rw' },
      ],
    }),
    ctx,
  );
  const updates = answer.accessRuleUpdates as Record<string, { state: number; message: string }>;
  assert.equal(updates.r1?.state, 1);
  assert.equal(updates.r2?.state, 2);
  assert.match(updates.r2?.message ?? '', /cephx/);
  assert.equal(d.backend.state.data.shares.a?.readOnly, true);
});

test('share migration: phases, replays, wrong phases and unknown ids', async () => {
  const d = dummy();
  await d.createShareInstance(share.CreateShareInstanceRequest.fromPartial({ shareInstance: instance('src') }), ctx);
  await d.createSnapshotInstance(share.CreateSnapshotInstanceRequest.fromPartial({ snapshotInstance: { snapshotInstanceId: 'snap-src', snapshotId: 'S', sizeGib: 10 }, shareInstance: instance('src') }), ctx);
  const args = {
    migrationId: 'm1',
    sourceShareInstance: instance('src'),
    destinationShareInstance: instance('dst', { pool: 'beta' }),
    destinationPeer: peer,
    sourceSnapshotInstances: [{ snapshotInstanceId: 'snap-src' }],
    snapshotMappings: { 'snap-src': { snapshotInstanceId: 'snap-dst', snapshotId: 'S', shareInstanceId: 'dst', sizeGib: 10 } },
  };
  const pair = { sourceShareInstance: args.sourceShareInstance, destinationShareInstance: args.destinationShareInstance };
  const other = await d.migrationCheckCompatibility(mig.MigrationCheckCompatibilityRequest.fromPartial({ ...pair, destinationPeer: { ...peer, pluginName: 'ferry.localfs' } }), ctx);
  assert.deepEqual([other.compatible, other.writable, other.nondisruptive, other.incompatibilityReasons], [false, false, false, ['destination plugin ferry.localfs is not ferry.dummy']]);
  const compat = await d.migrationCheckCompatibility(mig.MigrationCheckCompatibilityRequest.fromPartial({ ...pair, destinationPeer: peer }), ctx);
  assert.deepEqual([compat.compatible, compat.writable, compat.preserveMetadata, compat.preserveSnapshots, compat.nondisruptive], [true, true, true, true, false]);

  assert.equal((await errorOf(d.migrationStart(mig.MigrationStartRequest.fromPartial({ ...args, destinationPeer: { ...peer, pluginName: 'x' } }), ctx))).reason, 'MIGRATION_INCOMPATIBLE');
  await d.migrationStart(mig.MigrationStartRequest.fromPartial(args), ctx);
  await d.migrationStart(mig.MigrationStartRequest.fromPartial(args), ctx);
  const clash = await errorOf(d.migrationStart(mig.MigrationStartRequest.fromPartial({ ...args, destinationShareInstance: instance('dst2') }), ctx));
  assert.deepEqual([clash.code, clash.reason], ['ALREADY_EXISTS', 'ALREADY_EXISTS_INCOMPATIBLE']);

  const early = await errorOf(d.migrationComplete(mig.MigrationCompleteRequest.fromPartial(args), ctx));
  assert.deepEqual([early.code, early.reason, early.metadata.phase], ['FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'in_progress']);
  const progress = async () => (await d.migrationGetProgress(mig.MigrationGetProgressRequest.fromPartial(args), ctx)) as { totalProgress: number; copiedBytes: number; totalBytes: number };
  assert.deepEqual(await progress(), { totalProgress: 0, copiedBytes: 0, totalBytes: 10 * 1024 ** 3, details: { phase: 'in_progress' } });
  assert.deepEqual(await d.migrationContinue(mig.MigrationContinueRequest.fromPartial(args), ctx), { phase1Done: false });
  assert.equal((await progress()).copiedBytes, 5 * 1024 ** 3);
  assert.deepEqual(await d.migrationContinue(mig.MigrationContinueRequest.fromPartial(args), ctx), { phase1Done: true });
  assert.deepEqual(await d.migrationContinue(mig.MigrationContinueRequest.fromPartial(args), ctx), { phase1Done: true }, 'once true it stays true');
  assert.equal((await progress()).totalProgress, 100);

  const done = await d.migrationComplete(mig.MigrationCompleteRequest.fromPartial(args), ctx);
  assert.deepEqual(done, {
    exportLocations: [{ path: '/path/to/fake/share/dst', isAdminOnly: false, metadata: {} }],
    snapshotUpdates: { 'snap-dst': { providerLocation: '/path/to/fake/snapshot/snap-dst', exportLocations: [] } },
  });
  assert.deepEqual(await d.migrationComplete(mig.MigrationCompleteRequest.fromPartial(args), ctx), done, 'a replay returns the same result');
  assert.deepEqual(Object.keys(d.backend.state.data.shares), ['dst']);
  assert.equal(d.backend.state.data.shares.dst?.pool, 'beta');
  assert.deepEqual(Object.keys(d.backend.state.data.snapshots), ['snap-dst']);
  for (const late of [
    () => d.migrationContinue(mig.MigrationContinueRequest.fromPartial(args), ctx),
    () => d.migrationGetProgress(mig.MigrationGetProgressRequest.fromPartial(args), ctx),
    () => d.migrationCancel(mig.MigrationCancelRequest.fromPartial(args), ctx),
    () => d.migrationStart(mig.MigrationStartRequest.fromPartial(args), ctx),
  ]) {
    assert.equal((await errorOf(late())).reason, 'MIGRATION_WRONG_PHASE');
  }
  const model = await d.migrationUpdateModel(mig.MigrationUpdateModelRequest.fromPartial({ migrationId: 'm1', method: 1, sourceShareInstance: instance('src'), destinationShareInstance: instance('dst', { pool: 'beta' }) }), ctx);
  assert.equal((model.exportLocations as { path: string }[])[0]?.path, '/path/to/fake/share/dst');

  const unknown = await errorOf(d.migrationContinue(mig.MigrationContinueRequest.fromPartial({ ...args, migrationId: 'nope' }), ctx));
  assert.deepEqual([unknown.code, unknown.reason, unknown.metadata.migrationId], ['NOT_FOUND', 'MIGRATION_NOT_FOUND', 'nope']);
  await d.migrationCancel(mig.MigrationCancelRequest.fromPartial({ ...args, migrationId: 'nope' }), ctx);
});

test('share migration cancel: OK twice, then continue and complete are wrong-phase', async () => {
  const d = dummy({ progressStep: 100 });
  await d.createShareInstance(share.CreateShareInstanceRequest.fromPartial({ shareInstance: instance('src') }), ctx);
  const args = { migrationId: 'm2', sourceShareInstance: instance('src'), destinationShareInstance: instance('dst'), destinationPeer: peer };
  await d.migrationStart(mig.MigrationStartRequest.fromPartial(args), ctx);
  assert.deepEqual(await d.migrationContinue(mig.MigrationContinueRequest.fromPartial(args), ctx), { phase1Done: true });
  await d.migrationCancel(mig.MigrationCancelRequest.fromPartial(args), ctx);
  await d.migrationCancel(mig.MigrationCancelRequest.fromPartial(args), ctx);
  assert.equal((await errorOf(d.migrationContinue(mig.MigrationContinueRequest.fromPartial(args), ctx))).reason, 'MIGRATION_WRONG_PHASE');
  assert.equal((await errorOf(d.migrationComplete(mig.MigrationCompleteRequest.fromPartial(args), ctx))).reason, 'MIGRATION_WRONG_PHASE');
  assert.deepEqual(Object.keys(d.backend.state.data.shares), ['src'], 'the source is untouched');
});

test('share servers: setup replay, teardown in use, server migration with Manila dummy semantics', async () => {
  const d = dummy();
  const server = { shareServerId: 'srv1', host: 'h@dummy', shareNetworkId: 'net1', shareNetworkSubnetIds: ['sub1'] };
  const setup = srv.SetupShareServerRequest.fromPartial({ shareServer: server, networkInfo: [{ shareNetworkSubnetId: 'sub1' }] });
  const first = await d.setupShareServer(setup, ctx);
  assert.deepEqual(await d.setupShareServer(setup, ctx), first);
  assert.equal((await errorOf(d.setupShareServer(srv.SetupShareServerRequest.fromPartial({ shareServer: { ...server, shareNetworkId: 'net2' }, networkInfo: [{ shareNetworkSubnetId: 'sub1' }] }), ctx))).reason, 'ALREADY_EXISTS_INCOMPATIBLE');
  await d.createShareInstance(share.CreateShareInstanceRequest.fromPartial({ shareInstance: instance('a', { shareServerId: 'srv1' }), shareServer: server }), ctx);
  assert.equal((await errorOf(d.teardownShareServer(srv.TeardownShareServerRequest.fromPartial({ shareServer: server }), ctx))).reason, 'RESOURCE_IN_USE');

  const check = await d.shareServerMigrationCheckCompatibility(
    srv.ShareServerMigrationCheckCompatibilityRequest.fromPartial({ shareServer: server, destHost: 'h@dummy', oldShareNetworkId: 'net1', newShareNetworkId: 'net9', sourcePeer: peer }),
    ctx,
  );
  assert.deepEqual(check, { compatible: true, writable: true, nondisruptive: false, preserveSnapshots: true, migrationCancel: true, migrationGetProgress: true, shareNetworkId: 'net9', incompatibilityReasons: [] });
  const args = { migrationId: 'sm1', sourceShareServer: server, destinationShareServer: { ...server, shareServerId: 'srv2' }, shareInstances: [instance('a')], snapshotInstances: [], sourcePeer: peer };
  await d.shareServerMigrationStart(srv.ShareServerMigrationStartRequest.fromPartial(args), ctx);
  assert.equal((await errorOf(d.shareServerMigrationComplete(srv.ShareServerMigrationCompleteRequest.fromPartial({ ...args, newNetworkInfo: [{ shareNetworkSubnetId: 'sub1' }] }), ctx))).reason, 'MIGRATION_WRONG_PHASE');
  await d.shareServerMigrationContinue(srv.ShareServerMigrationContinueRequest.fromPartial(args), ctx);
  assert.deepEqual(await d.shareServerMigrationContinue(srv.ShareServerMigrationContinueRequest.fromPartial(args), ctx), { phase1Done: true });
  const complete = srv.ShareServerMigrationCompleteRequest.fromPartial({ ...args, newNetworkInfo: [{ shareNetworkSubnetId: 'sub1' }] });
  const done = await d.shareServerMigrationComplete(complete, ctx);
  assert.deepEqual(done.shareUpdates, { a: { exportLocations: [{ path: '/path/to/fake/share/a', isAdminOnly: false, metadata: {} }], poolName: 'alpha', providerLocation: 'dummy://share/a', backendDetails: {} } });
  assert.deepEqual(await d.shareServerMigrationComplete(complete, ctx), done);
  assert.equal(d.backend.state.data.shares.a?.shareServerId, 'srv2');
  assert.equal((await errorOf(d.shareServerMigrationCancel(srv.ShareServerMigrationCancelRequest.fromPartial(args), ctx))).reason, 'MIGRATION_WRONG_PHASE');
});

test('volumes: create/attach/delete rules, MigrateVolume by peer plugin, RetypeVolume by diff, dataRoot files', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'fdv-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const d = dummy({ dataRoot: root });
  const volume = { volumeId: 'v1', sizeGib: 2, pool: 'alpha', host: 'h@dummy#alpha', status: 'creating' };
  const created = await d.createVolume(vol.CreateVolumeRequest.fromPartial({ volume }), ctx);
  assert.equal(created.providerLocation, join(root, 'volume-v1.img'));
  assert.equal(statSync(join(root, 'volume-v1.img')).size, 2 * 1024 ** 3);
  assert.equal((await errorOf(d.createVolume(vol.CreateVolumeRequest.fromPartial({ volume: { ...volume, sizeGib: 3 } }), ctx))).reason, 'ALREADY_EXISTS_INCOMPATIBLE');
  const attached = await d.attachVolume(vol.AttachVolumeRequest.fromPartial({ volume, dataNode: 'node1' }), ctx);
  assert.deepEqual(attached, { filePath: join(root, 'volume-v1.img'), sparseSupported: true });
  assert.equal((await errorOf(d.attachVolume(vol.AttachVolumeRequest.fromPartial({ volume, dataNode: 'node2' }), ctx))).reason, 'RESOURCE_IN_USE');
  assert.equal((await errorOf(d.deleteVolume(vol.DeleteVolumeRequest.fromPartial({ volume }), ctx))).reason, 'RESOURCE_IN_USE');
  await d.detachVolume(vol.DetachVolumeRequest.fromPartial({ volume, dataNode: 'node1' }), ctx);

  const retype = (extraSpecs: Record<string, { oldValue?: string; newValue?: string }>) => d.retypeVolume(vol.RetypeVolumeRequest.fromPartial({ volume, newVolumeTypeId: 't2', diff: { extraSpecs }, host: 'h@dummy#alpha' }), ctx);
  assert.deepEqual(await retype({ qos: { oldValue: 'a', newValue: 'b' } }), { retyped: true });
  assert.deepEqual(await retype({ volume_backend_name: { oldValue: 'a', newValue: 'b' } }), { retyped: false });

  const migrate = (pluginName: string, migrationId: string) =>
    d.migrateVolume(vol.MigrateVolumeRequest.fromPartial({ migrationId, volume, destinationHost: 'h@dummy', destinationPool: 'beta', destinationPeer: { ...peer, pluginName } }), ctx);
  assert.deepEqual(await migrate('ferry.localfs', 'vm0'), { moved: false });
  const moved = await migrate('ferry.dummy', 'vm1');
  assert.deepEqual(moved, { moved: true, modelUpdate: { host: 'h@dummy#beta', nameId: '', providerLocation: 'dummy://volume/v1' } });
  assert.deepEqual(await migrate('ferry.dummy', 'vm1'), moved);
  assert.equal(d.backend.state.data.volumes.v1?.pool, 'beta');
  await d.deleteVolume(vol.DeleteVolumeRequest.fromPartial({ volume }), ctx);
  await d.deleteVolume(vol.DeleteVolumeRequest.fromPartial({ volume }), ctx);
  assert.equal(existsSync(join(root, 'volume-v1.img')), false);
});
