/**
 * A driver-assisted share migration driven over gRPC against a real dummy process, the way
 * ferry's orchestrator drives it: check, start, continue until phase 1 is done, progress,
 * complete (and its replay), then the wrong-phase answer for a late continue, and the
 * destination's MigrationUpdateModel. Also a migration between two dummy back ends with real
 * data directories.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PeerInfo, ShareInstance } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import { GetPluginInfoRequest, IdentityServiceService } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { ListPoolsRequest, PoolServiceService } from '../../../src/contract/gen/ferry/driver/v1/pool.js';
import { CreateShareInstanceRequest, CreateSnapshotInstanceRequest, GetConnectionInfoRequest, GetExportLocationsRequest, ShareServiceService } from '../../../src/contract/gen/ferry/driver/v1/share.js';
import * as mig from '../../../src/contract/gen/ferry/driver/v1/share_migration.js';
import { ferryErrorOf, launchDummy, type DummyProcess } from './launch-dummy.js';

let dir: string;
let dummy: DummyProcess;

before(async () => {
  dir = mkdtempSync('/tmp/fdm-');
  dummy = await launchDummy({ dir });
});

after(async () => {
  await dummy.close();
  rmSync(dir, { recursive: true, force: true });
});

const instance = (id: string, pool = 'alpha') => ShareInstance.fromPartial({ shareInstanceId: id, shareId: 'share-1', pool, host: `h@d#${pool}`, sizeGib: 4, shareProto: 'NFS' });

/** The PeerInfo ferry builds from a back end's GetPluginInfo and ListPools answers. */
async function peerOf(plugin: DummyProcess, backend: string): Promise<PeerInfo> {
  const info = await plugin.call(IdentityServiceService.getPluginInfo, GetPluginInfoRequest.fromPartial({}));
  const pools = await plugin.call(PoolServiceService.listPools, ListPoolsRequest.fromPartial({}));
  return PeerInfo.fromPartial({ backend, pluginName: info.name, vendorVersion: info.vendorVersion, properties: pools.migrationPeerInfo });
}

test('the migration sequence: start, continue x2, progress, complete, replayed complete, late continue refused', async () => {
  await dummy.call(ShareServiceService.createShareInstance, CreateShareInstanceRequest.fromPartial({ shareInstance: instance('src-1') }));
  await dummy.call(ShareServiceService.createSnapshotInstance, CreateSnapshotInstanceRequest.fromPartial({ snapshotInstance: { snapshotInstanceId: 'snap-1', snapshotId: 'S1', sizeGib: 4 }, shareInstance: instance('src-1') }));
  const peer = await peerOf(dummy, 'h@d');
  const pair = { sourceShareInstance: instance('src-1'), destinationShareInstance: instance('dst-1', 'beta'), destinationPeer: peer };
  const args = { migrationId: 'mig-1', ...pair, sourceSnapshotInstances: [{ snapshotInstanceId: 'snap-1' }], snapshotMappings: { 'snap-1': { snapshotInstanceId: 'snap-1-dst', snapshotId: 'S1', shareInstanceId: 'dst-1', sizeGib: 4 } } };

  const check = await dummy.call(mig.ShareMigrationServiceService.migrationCheckCompatibility, mig.MigrationCheckCompatibilityRequest.fromPartial(pair));
  assert.deepEqual([check.compatible, check.writable, check.preserveMetadata, check.preserveSnapshots, check.nondisruptive], [true, true, true, true, false]);

  await dummy.call(mig.ShareMigrationServiceService.migrationStart, mig.MigrationStartRequest.fromPartial(args));
  assert.deepEqual(await dummy.call(mig.ShareMigrationServiceService.migrationContinue, mig.MigrationContinueRequest.fromPartial(args)), { phase1Done: false });
  const half = await dummy.call(mig.ShareMigrationServiceService.migrationGetProgress, mig.MigrationGetProgressRequest.fromPartial(args));
  assert.deepEqual([half.totalProgress, half.copiedBytes, half.totalBytes], [50, 2 * 1024 ** 3, 4 * 1024 ** 3]);
  assert.deepEqual(await dummy.call(mig.ShareMigrationServiceService.migrationContinue, mig.MigrationContinueRequest.fromPartial(args)), { phase1Done: true });
  assert.equal((await dummy.call(mig.ShareMigrationServiceService.migrationGetProgress, mig.MigrationGetProgressRequest.fromPartial(args))).totalProgress, 100);

  const complete = await dummy.call(mig.ShareMigrationServiceService.migrationComplete, mig.MigrationCompleteRequest.fromPartial(args));
  assert.deepEqual(complete.exportLocations.map((l) => l.path), ['/path/to/fake/share/dst-1']);
  assert.deepEqual(complete.snapshotUpdates, { 'snap-1-dst': { providerLocation: '/path/to/fake/snapshot/snap-1-dst', exportLocations: [] } });
  assert.deepEqual(await dummy.call(mig.ShareMigrationServiceService.migrationComplete, mig.MigrationCompleteRequest.fromPartial(args)), complete, 'a replayed complete returns the same result');

  const late = await ferryErrorOf(dummy.call(mig.ShareMigrationServiceService.migrationContinue, mig.MigrationContinueRequest.fromPartial(args)));
  assert.deepEqual([late.code, late.reason, late.metadata.migrationId, late.metadata.phase], ['FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'mig-1', 'completed']);

  const model = await dummy.call(mig.ShareMigrationServiceService.migrationUpdateModel, mig.MigrationUpdateModelRequest.fromPartial({ migrationId: 'mig-1', method: mig.MigrationMethod.MIGRATION_METHOD_DRIVER_ASSISTED, sourceShareInstance: instance('src-1'), destinationShareInstance: instance('dst-1', 'beta') }));
  assert.equal(model.exportLocations[0]?.path, '/path/to/fake/share/dst-1');
  const gone = await ferryErrorOf(dummy.call(ShareServiceService.getExportLocations, GetExportLocationsRequest.fromPartial({ shareInstance: instance('src-1') })));
  assert.deepEqual([gone.code, gone.reason], ['NOT_FOUND', 'SHARE_INSTANCE_NOT_FOUND']);
  const unknown = await ferryErrorOf(dummy.call(mig.ShareMigrationServiceService.migrationGetProgress, mig.MigrationGetProgressRequest.fromPartial({ ...args, migrationId: 'mig-unknown' })));
  assert.deepEqual([unknown.code, unknown.reason], ['NOT_FOUND', 'MIGRATION_NOT_FOUND']);
});

test('between two dummy back ends with dataRoot: the data moves and the destination adopts the instance', async () => {
  const rootA = join(dir, 'a');
  const rootB = join(dir, 'b');
  const a = await launchDummy({ dir, config: { dataRoot: rootA } });
  const b = await launchDummy({ dir, config: { dataRoot: rootB } });
  try {
    await a.call(ShareServiceService.createShareInstance, CreateShareInstanceRequest.fromPartial({ shareInstance: instance('src-2') }));
    const source = await a.call(ShareServiceService.getConnectionInfo, GetConnectionInfoRequest.fromPartial({ shareInstance: instance('src-2') }));
    assert.equal(source.connectionInfo?.localPath, join(rootA, 'src-2'));
    writeFileSync(join(rootA, 'src-2', 'hello.txt'), 'hello from a');

    const peerB = await peerOf(b, 'h@b');
    const args = { migrationId: 'mig-2', sourceShareInstance: instance('src-2'), destinationShareInstance: instance('dst-2', 'beta'), destinationPeer: peerB };
    await a.call(mig.ShareMigrationServiceService.migrationStart, mig.MigrationStartRequest.fromPartial(args));
    while (!(await a.call(mig.ShareMigrationServiceService.migrationContinue, mig.MigrationContinueRequest.fromPartial(args))).phase1Done);
    const complete = await a.call(mig.ShareMigrationServiceService.migrationComplete, mig.MigrationCompleteRequest.fromPartial(args));
    assert.deepEqual(complete.exportLocations.map((l) => [l.path, l.isAdminOnly]), [['/path/to/fake/share/dst-2', false], [join(rootB, 'dst-2'), true]]);
    assert.equal(existsSync(join(rootA, 'src-2')), false, 'the source data is deleted at cut-over');

    const peerA = await peerOf(a, 'h@a');
    const model = await b.call(mig.ShareMigrationServiceService.migrationUpdateModel, mig.MigrationUpdateModelRequest.fromPartial({ migrationId: 'mig-2', method: mig.MigrationMethod.MIGRATION_METHOD_DRIVER_ASSISTED, sourceShareInstance: instance('src-2'), destinationShareInstance: instance('dst-2', 'beta'), sourcePeer: peerA }));
    assert.equal(model.providerLocation, join(rootB, 'dst-2'));
    const dest = await b.call(ShareServiceService.getConnectionInfo, GetConnectionInfoRequest.fromPartial({ shareInstance: instance('dst-2', 'beta') }));
    assert.equal(readFileSync(join(dest.connectionInfo?.localPath ?? '', 'hello.txt'), 'utf8'), 'hello from a');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
