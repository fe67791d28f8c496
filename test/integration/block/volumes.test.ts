/**
 * block VolumeService against a real plugin process and real image files: pools and peer
 * info, create/delete idempotency and conflicts, sparse images, attach/detach and
 * RESOURCE_IN_USE, the name_id rule, retype, snapshots, refused configurations.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { VolumeTypeDiff } from '../../../src/contract/gen/ferry/driver/v1/volume.js';
import { allocated, ferryError, GIB, launchBlock, launchFailure, makeTestDir, MIB, readJsonFile, sha256, volume, writePattern, type BlockProcess } from './launcher.js';

const NODE = 'data-node-1';
const diffOf = (key: string, oldValue: string, newValue: string): VolumeTypeDiff => ({ extraSpecs: { [key]: { oldValue, newValue } }, qosSpecs: {}, encryption: {} });

describe('block volumes', () => {
  let dir: string;
  let root: string;
  let plugin: BlockProcess;
  const image = (pool: string, name: string) => join(root, 'pools', pool, `volume-${name}.img`);

  before(async () => {
    dir = makeTestDir('blk-vol-');
    root = join(dir, 'root');
    plugin = await launchBlock({ dir, config: { root, pools: ['pool1', 'pool2'], capacityGib: { pool2: 3 } } });
  });
  after(async () => {
    await plugin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('ListPools reports capacity, volume_backend_name from FERRY_PLUGIN_NAME, thin provisioning and the root as peer info', async () => {
    const res = await plugin.pool.listPools({});
    assert.deepEqual(res.pools.map((p) => p.name), ['pool1', 'pool2']);
    const [pool1, pool2] = res.pools;
    assert.ok(pool1!.totalCapacityGib > 0 && pool1!.freeCapacityGib > 0);
    assert.equal(pool1!.capabilities.volume_backend_name, 'block1');
    assert.equal(pool1!.capabilities.thin_provisioning_support, 'true');
    assert.equal(pool1!.availabilityZone, 'nova');
    assert.equal(pool2!.totalCapacityGib, 3);
    assert.deepEqual(res.migrationPeerInfo, { root, 'capacityGib.pool2': '3' });
    assert.deepEqual(await plugin.identity.probe({}), { ready: true, message: '' });
  });

  test('CreateVolume makes a sparse image of the size, is idempotent, and refuses other sizes, other pools, unknown pools, bad sizes and a full pool', async () => {
    const first = await plugin.volume.createVolume({ volume: volume('c1', { sizeGib: 2 }) });
    assert.equal(first.providerLocation, image('pool1', 'c1'));
    const stat = statSync(image('pool1', 'c1'));
    assert.equal(stat.size, 2 * GIB);
    assert.ok(stat.blocks * 512 <= 64 * 1024, `a new image allocates nothing, got ${stat.blocks * 512} bytes`);
    writePattern(image('pool1', 'c1'), 0, MIB);
    const hash = sha256(image('pool1', 'c1'), 2 * MIB);
    assert.deepEqual(await plugin.volume.createVolume({ volume: volume('c1', { sizeGib: 2 }) }), first);
    assert.equal(sha256(image('pool1', 'c1'), 2 * MIB), hash, 'a replay must not recreate the image');

    const otherSize = await ferryError(plugin.volume.createVolume({ volume: volume('c1', { sizeGib: 3 }) }));
    assert.equal(otherSize.code, 'ALREADY_EXISTS');
    assert.equal(otherSize.reason, 'ALREADY_EXISTS_INCOMPATIBLE');
    const otherPool = await ferryError(plugin.volume.createVolume({ volume: volume('c1', { sizeGib: 2, pool: 'pool2' }) }));
    assert.equal(otherPool.code, 'ALREADY_EXISTS');
    const noPool = await ferryError(plugin.volume.createVolume({ volume: volume('c2', { pool: 'nope' }) }));
    assert.deepEqual([noPool.code, noPool.reason], ['NOT_FOUND', 'POOL_NOT_FOUND']);
    const zero = await ferryError(plugin.volume.createVolume({ volume: volume('c2', { sizeGib: 0 }) }));
    assert.deepEqual([zero.code, zero.reason, zero.metadata.field], ['INVALID_ARGUMENT', 'INVALID_FIELD', 'volume.size_gib']);
    const noId = await ferryError(plugin.volume.createVolume({ volume: volume('') }));
    assert.deepEqual([noId.reason, noId.metadata.field], ['MISSING_FIELD', 'volume.volume_id']);
    const badId = await ferryError(plugin.volume.createVolume({ volume: volume('../escape') }));
    assert.equal(badId.reason, 'INVALID_FIELD');
    const full = await ferryError(plugin.volume.createVolume({ volume: volume('c3', { sizeGib: 4, pool: 'pool2' }) }));
    assert.deepEqual([full.code, full.reason, full.metadata.pool], ['RESOURCE_EXHAUSTED', 'INSUFFICIENT_CAPACITY', 'pool2']);
    assert.ok(!existsSync(image('pool2', 'c3')));

    const pools = await plugin.pool.listPools({});
    assert.equal(pools.pools[0]!.allocatedCapacityGib, 2);
    await plugin.volume.deleteVolume({ volume: volume('c1', { sizeGib: 2 }) });
    assert.ok(!existsSync(image('pool1', 'c1')));
    assert.equal((await plugin.pool.listPools({})).pools[0]!.allocatedCapacityGib, 0);
    await plugin.volume.deleteVolume({ volume: volume('c1') });
    await plugin.volume.deleteVolume({ volume: volume('never', { pool: 'nope' }) });
  });

  test('AttachVolume gives the image path, replays on the same node, refuses another node; DeleteVolume waits for the detach', async () => {
    await plugin.volume.createVolume({ volume: volume('a1') });
    const attached = await plugin.volume.attachVolume({ volume: volume('a1'), dataNode: NODE, readOnly: true });
    assert.deepEqual(attached, { devicePath: '', filePath: image('pool1', 'a1'), sparseSupported: true });
    assert.deepEqual(await plugin.volume.attachVolume({ volume: volume('a1'), dataNode: NODE, readOnly: true }), attached);
    const record = readJsonFile<{ attachment: unknown }>(join(root, 'pools/pool1/volume-a1.json'));
    assert.deepEqual(record.attachment, { dataNode: NODE, readOnly: true });

    const other = await ferryError(plugin.volume.attachVolume({ volume: volume('a1'), dataNode: 'data-node-2', readOnly: false }));
    assert.deepEqual([other.code, other.reason], ['FAILED_PRECONDITION', 'RESOURCE_IN_USE']);
    const busy = await ferryError(plugin.volume.deleteVolume({ volume: volume('a1') }));
    assert.deepEqual([busy.code, busy.reason], ['FAILED_PRECONDITION', 'RESOURCE_IN_USE']);
    const unknown = await ferryError(plugin.volume.attachVolume({ volume: volume('nobody'), dataNode: NODE, readOnly: false }));
    assert.deepEqual([unknown.code, unknown.reason], ['NOT_FOUND', 'VOLUME_NOT_FOUND']);
    const noNode = await ferryError(plugin.volume.attachVolume({ volume: volume('a1'), dataNode: '', readOnly: false }));
    assert.equal(noNode.metadata.field, 'data_node');

    await plugin.volume.detachVolume({ volume: volume('a1'), dataNode: 'data-node-2' });
    assert.equal((await ferryError(plugin.volume.deleteVolume({ volume: volume('a1') }))).reason, 'RESOURCE_IN_USE', 'a detach from another node changes nothing');
    await plugin.volume.detachVolume({ volume: volume('a1'), dataNode: NODE });
    await plugin.volume.detachVolume({ volume: volume('a1'), dataNode: NODE });
    await plugin.volume.detachVolume({ volume: volume('nobody'), dataNode: NODE });
    await plugin.volume.attachVolume({ volume: volume('a1'), dataNode: 'data-node-2', readOnly: false });
    await plugin.volume.detachVolume({ volume: volume('a1'), dataNode: 'data-node-2' });
    await plugin.volume.deleteVolume({ volume: volume('a1') });
  });

  test('the back-end object is named by name_id when set: a record with another volume_id and that name_id finds (and deletes) it', async () => {
    await plugin.volume.createVolume({ volume: volume('old-object') });
    // After a swap ferry's user record V carries name_id = the object it lives in, and the
    // temporary record T (now describing the old object) carries name_id = that old object.
    const viaNameId = await plugin.volume.attachVolume({ volume: volume('user-volume', { nameId: 'old-object' }), dataNode: NODE, readOnly: false });
    assert.equal(viaNameId.filePath, image('pool1', 'old-object'));
    await plugin.volume.detachVolume({ volume: volume('user-volume', { nameId: 'old-object' }), dataNode: NODE });
    assert.equal((await ferryError(plugin.volume.attachVolume({ volume: volume('user-volume'), dataNode: NODE, readOnly: false }))).reason, 'VOLUME_NOT_FOUND', 'volume_id alone does not name the object');
    await plugin.volume.deleteVolume({ volume: volume('temporary-id', { nameId: 'old-object' }) });
    assert.ok(!existsSync(image('pool1', 'old-object')));
  });

  test('RetypeVolume retypes in place unless volume_backend_name, the zones or the pool change; NOT_FOUND for unknown volumes', async () => {
    await plugin.volume.createVolume({ volume: volume('r1') });
    const retype = (diff: VolumeTypeDiff | undefined, host = 'ferry@block1#pool1') => plugin.volume.retypeVolume({ volume: volume('r1'), newVolumeTypeId: 'gold', newVolumeTypeExtraSpecs: {}, diff, host });
    assert.equal((await retype(diffOf('qos:read_iops', 'a', 'b'))).retyped, true);
    assert.equal((await retype(diffOf('volume_backend_name', 'block1', 'block1'))).retyped, true, 'an unchanged value is no change');
    assert.equal((await retype(diffOf('volume_backend_name', 'block1', 'block2'))).retyped, false);
    assert.equal((await retype(diffOf('RESKEY:availability_zones', 'nova', 'az2'))).retyped, false);
    assert.equal((await retype(undefined, 'ferry@block1#pool2')).retyped, false, 'another pool needs a move');
    const unknown = await ferryError(plugin.volume.retypeVolume({ volume: volume('nobody'), newVolumeTypeId: 'gold', newVolumeTypeExtraSpecs: {}, diff: undefined, host: '' }));
    assert.equal(unknown.reason, 'VOLUME_NOT_FOUND');
    const noType = await ferryError(plugin.volume.retypeVolume({ volume: volume('r1'), newVolumeTypeId: '', newVolumeTypeExtraSpecs: {}, diff: undefined, host: '' }));
    assert.equal(noType.metadata.field, 'new_volume_type_id');
    await plugin.volume.deleteVolume({ volume: volume('r1') });
  });

  test('snapshots are sparse point-in-time copies, idempotent, block deleting their volume, and deletes are idempotent', async () => {
    await plugin.volume.createVolume({ volume: volume('s1', { sizeGib: 1 }) });
    writePattern(image('pool1', 's1'), 100 * MIB, 2 * MIB, 3);
    const before = sha256(image('pool1', 's1'));
    const snap = { snapshotId: 'snap1', volumeId: 's1', sizeGib: 1, providerLocation: '' };
    const created = await plugin.volume.createVolumeSnapshot({ snapshot: snap, volume: volume('s1') });
    const snapImage = join(root, 'pools/pool1/snapshot-snap1.img');
    assert.equal(created.providerLocation, snapImage);
    assert.deepEqual(await plugin.volume.createVolumeSnapshot({ snapshot: snap, volume: volume('s1') }), created);
    assert.equal(sha256(snapImage), before);
    assert.equal(statSync(snapImage).size, GIB);
    assert.ok(allocated(snapImage) <= 2 * MIB + 256 * 1024, `holes stay holes: ${allocated(snapImage)} bytes allocated for 2 MiB written`);
    writePattern(image('pool1', 's1'), 0, MIB, 9);
    assert.equal(sha256(snapImage), before, 'the snapshot does not follow later writes');

    await plugin.volume.createVolume({ volume: volume('s2') });
    const elsewhere = await ferryError(plugin.volume.createVolumeSnapshot({ snapshot: { ...snap, volumeId: 's2' }, volume: volume('s2') }));
    assert.equal(elsewhere.code, 'ALREADY_EXISTS');
    const noVolume = await ferryError(plugin.volume.createVolumeSnapshot({ snapshot: { ...snap, snapshotId: 'snap2' }, volume: volume('nobody') }));
    assert.equal(noVolume.reason, 'VOLUME_NOT_FOUND');
    const inUse = await ferryError(plugin.volume.deleteVolume({ volume: volume('s1') }));
    assert.deepEqual([inUse.code, inUse.reason], ['FAILED_PRECONDITION', 'RESOURCE_IN_USE']);

    await plugin.volume.deleteVolumeSnapshot({ snapshot: snap, volume: volume('s1') });
    assert.ok(!existsSync(snapImage));
    await plugin.volume.deleteVolumeSnapshot({ snapshot: snap, volume: volume('s1') });
    await plugin.volume.deleteVolume({ volume: volume('s1') });
    await plugin.volume.deleteVolume({ volume: volume('s2') });
    assert.deepEqual(readdirSync(join(root, 'pools/pool1')).filter((n) => !n.startsWith('.')), []);
  });

  test('the plugin advertises the four volume capabilities and nothing for shares', async () => {
    const caps = await plugin.identity.getPluginCapabilities({});
    assert.deepEqual(caps.capabilities.sort((a, b) => a - b), [8, 9, 10, 12]);
  });
});

describe('block configuration at start', () => {
  test('an unknown key and a bad capacity are refused naming the key; without FERRY_PLUGIN_NAME volumeBackendName is required', async () => {
    const dir = makeTestDir('blk-cfg-');
    try {
      const unknown = await launchFailure({ dir, config: { root: join(dir, 'r'), colour: 'blue' } });
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /colour: unknown configuration key/);
      const capacity = await launchFailure({ dir, config: { root: join(dir, 'r'), capacityGib: { pool9: 1 } } });
      assert.match(capacity.stderr, /capacityGib\.pool9: is not a configured pool/);
      const unnamed = await launchFailure({ dir, name: '', config: { root: join(dir, 'r') } });
      assert.match(unnamed.stderr, /volumeBackendName: is required/);
      const named = await launchBlock({ dir, name: '', config: { root: join(dir, 'r'), volumeBackendName: 'gold-array' } });
      try {
        assert.equal((await named.pool.listPools({})).pools[0]!.capabilities.volume_backend_name, 'gold-array');
      } finally {
        await named.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
