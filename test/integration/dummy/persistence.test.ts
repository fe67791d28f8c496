/**
 * What survives the dummy's process: with stateFile, a kill -9'd dummy relaunched with the same
 * config still knows its shares and migrations; with dataRoot, share instances and volumes are
 * real files; a bad config stops the plugin at start with a message naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ShareInstance, Volume } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import { ListPoolsRequest, PoolServiceService } from '../../../src/contract/gen/ferry/driver/v1/pool.js';
import { CreateShareInstanceRequest, DeleteShareInstanceRequest, GetConnectionInfoRequest, GetExportLocationsRequest, ShareServiceService } from '../../../src/contract/gen/ferry/driver/v1/share.js';
import { MigrationContinueRequest, MigrationStartRequest, ShareMigrationServiceService } from '../../../src/contract/gen/ferry/driver/v1/share_migration.js';
import { AttachVolumeRequest, CreateVolumeRequest, VolumeServiceService } from '../../../src/contract/gen/ferry/driver/v1/volume.js';
import { ferryErrorOf, launchDummy } from './launch-dummy.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync('/tmp/fdp-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const instance = (id: string, sizeGib = 5) => ShareInstance.fromPartial({ shareInstanceId: id, shareId: 'share-1', pool: 'alpha', host: 'h@d#alpha', sizeGib, shareProto: 'NFS' });
const peer = { backend: 'h@d', pluginName: 'ferry.dummy', vendorVersion: '1.0.0' };

test('state survives kill -9: shares, capacity and migration progress are known after a relaunch', async (t) => {
  const dir = tempDir(t);
  const config = { stateFile: join(dir, 'state.json') };
  const first = await launchDummy({ dir, config });
  const args = { migrationId: 'mig-p', sourceShareInstance: instance('p-1'), destinationShareInstance: instance('p-2'), destinationPeer: peer };
  try {
    await first.call(ShareServiceService.createShareInstance, CreateShareInstanceRequest.fromPartial({ shareInstance: instance('p-1') }));
    await first.call(ShareMigrationServiceService.migrationStart, MigrationStartRequest.fromPartial(args));
    assert.deepEqual(await first.call(ShareMigrationServiceService.migrationContinue, MigrationContinueRequest.fromPartial(args)), { phase1Done: false });
  } finally {
    await first.kill9();
  }
  assert.equal((await first.exited).signal, 'SIGKILL');

  const second = await launchDummy({ dir, config });
  try {
    assert.notEqual(second.pid, first.pid);
    const locations = await second.call(ShareServiceService.getExportLocations, GetExportLocationsRequest.fromPartial({ shareInstance: instance('p-1') }));
    assert.equal(locations.exportLocations[0]?.path, '/path/to/fake/share/p-1');
    const clash = await ferryErrorOf(second.call(ShareServiceService.createShareInstance, CreateShareInstanceRequest.fromPartial({ shareInstance: instance('p-1', 6) })));
    assert.deepEqual([clash.code, clash.reason], ['ALREADY_EXISTS', 'ALREADY_EXISTS_INCOMPATIBLE']);
    const pools = await second.call(PoolServiceService.listPools, ListPoolsRequest.fromPartial({}));
    assert.equal(pools.pools.find((p) => p.name === 'alpha')?.allocatedCapacityGib, 5);
    assert.deepEqual(await second.call(ShareMigrationServiceService.migrationContinue, MigrationContinueRequest.fromPartial(args)), { phase1Done: true }, 'progress resumed at 50');
  } finally {
    await second.close();
  }
});

test('dataRoot: a share instance is a real directory, a volume a real image file', async (t) => {
  const dir = tempDir(t);
  const root = join(dir, 'data');
  const dummy = await launchDummy({ dir, config: { dataRoot: root } });
  try {
    await dummy.call(ShareServiceService.createShareInstance, CreateShareInstanceRequest.fromPartial({ shareInstance: instance('d-1') }));
    assert.ok(statSync(join(root, 'd-1')).isDirectory());
    const info = await dummy.call(ShareServiceService.getConnectionInfo, GetConnectionInfoRequest.fromPartial({ shareInstance: instance('d-1') }));
    assert.deepEqual([info.connectionInfo?.localPath, info.connectionInfo?.mountArgv], [join(root, 'd-1'), []]);
    await dummy.call(ShareServiceService.deleteShareInstance, DeleteShareInstanceRequest.fromPartial({ shareInstance: instance('d-1') }));
    assert.equal(existsSync(join(root, 'd-1')), false);

    const volume = Volume.fromPartial({ volumeId: 'vol-1', sizeGib: 1, pool: 'beta', host: 'h@d#beta', status: 'creating' });
    await dummy.call(VolumeServiceService.createVolume, CreateVolumeRequest.fromPartial({ volume }));
    const attached = await dummy.call(VolumeServiceService.attachVolume, AttachVolumeRequest.fromPartial({ volume, dataNode: 'node-1', readOnly: true }));
    assert.equal(attached.filePath, join(root, 'volume-vol-1.img'));
    assert.equal(statSync(attached.filePath).size, 1024 ** 3);
  } finally {
    await dummy.close();
  }
});

test('without dataRoot, connection info is Manila-style mount argv', async (t) => {
  const dir = tempDir(t);
  const dummy = await launchDummy({ dir });
  try {
    await dummy.call(ShareServiceService.createShareInstance, CreateShareInstanceRequest.fromPartial({ shareInstance: instance('m-1') }));
    const info = await dummy.call(ShareServiceService.getConnectionInfo, GetConnectionInfoRequest.fromPartial({ shareInstance: instance('m-1') }));
    assert.deepEqual(info.connectionInfo?.mountArgv, ['mount', '-t', 'nfs', '{options}', '{export}', '{path}']);
    assert.deepEqual(info.connectionInfo?.unmountArgv, ['umount', '{path}']);
    assert.deepEqual(info.connectionInfo?.accessMapping, { ip: { protocols: ['nfs'] } });
  } finally {
    await dummy.close();
  }
});

test('a bad config stops the plugin at start with a message naming the field', async (t) => {
  const dir = tempDir(t);
  const dummy = await launchDummy({ dir, expectExit: true, config: { pools: [{ name: 'a', totalCapacityGib: 1, freeCapacityGib: 1, availabilityZone: 'z' }], behaviour: { migrationStrat: { delayMs: 1 } } } });
  assert.equal((await dummy.exited).code, 1);
  assert.ok(
    dummy.stderr().some((l) => l.raw.startsWith('ferry plugin cannot start: dummy config: behaviour.migrationStrat is not an RPC of the contract')),
    dummy.stderr().map((l) => l.raw).join('\n'),
  );
  await dummy.close();
});
