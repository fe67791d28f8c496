/**
 * block MigrateVolume and UpdateMigratedVolume against real plugin processes: moves between
 * the pools of one back end and into a peer block back end (a rename on the same file system,
 * a sparse copy onto another one), data intact by hash and holes kept, every moved = false case
 * and error, replays, and the post-migration rename in each of its outcomes.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MigrateVolumeRequest } from '../../../src/contract/gen/ferry/driver/v1/volume.js';
import { allocated, ferryError, launchBlock, makeTestDir, MIB, peerOf, readJsonFile, sha256, volume, writePattern, type BlockProcess } from './launcher.js';

const NODE = 'data-node-1';
/** tmpfs: another file system than /tmp, so a move there is a copy, not a rename. */
const OTHER_FS = '/dev/shm';

describe('block volume migration', () => {
  let dir: string;
  let otherDir: string | undefined;
  let root1: string;
  let root2: string;
  let block1: BlockProcess;
  let block2: BlockProcess;
  const image = (root: string, pool: string, name: string) => join(root, 'pools', pool, `volume-${name}.img`);
  const migrate = (plugin: BlockProcess, request: Partial<MigrateVolumeRequest> & { migrationId: string }) =>
    plugin.volume.migrateVolume({ volume: undefined, destinationHost: 'ferry@block1', destinationPool: 'pool2', destinationPeer: peerOf('block1', root1), newVolumeTypeExtraSpecs: {}, ...request });
  /** A 1 GiB volume on block1 with 3 MiB written at 10 MiB, and its hash. */
  const filled = async (id: string, pool = 'pool1'): Promise<string> => {
    await block1.volume.createVolume({ volume: volume(id, { pool }) });
    writePattern(image(root1, pool, id), 10 * MIB, 3 * MIB, id.length);
    return sha256(image(root1, pool, id));
  };

  before(async () => {
    dir = makeTestDir('blk-mig-');
    root1 = join(dir, 'b1');
    root2 = join(dir, 'b2');
    block1 = await launchBlock({ dir, name: 'block1', config: { root: root1, pools: ['pool1', 'pool2'] } });
    block2 = await launchBlock({ dir, name: 'block2', config: { root: root2, pools: ['pool1', 'pool2'], capacityGib: { pool2: 1 } } });
    if (existsSync(OTHER_FS)) otherDir = makeTestDir('blk-mig-', OTHER_FS);
  });
  after(async () => {
    await block1?.stop();
    await block2?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (otherDir !== undefined) rmSync(otherDir, { recursive: true, force: true });
  });

  test('between two pools of one back end: the image is renamed, data and holes intact, model update host and location; replays answer the same', async () => {
    const hash = await filled('m1');
    const request = { migrationId: 'mig-1', volume: volume('m1') };
    const answer = await migrate(block1, request);
    assert.deepEqual(answer, { moved: true, modelUpdate: { host: 'ferry@block1#pool2', nameId: '', providerLocation: image(root1, 'pool2', 'm1') } });
    assert.ok(!existsSync(image(root1, 'pool1', 'm1')) && !existsSync(join(root1, 'pools/pool1/volume-m1.json')));
    assert.equal(sha256(image(root1, 'pool2', 'm1')), hash);
    assert.ok(allocated(image(root1, 'pool2', 'm1')) <= 4 * MIB, 'still thin');
    assert.equal(readJsonFile<{ phase: string }>(join(root1, 'migrations/mig-1.json')).phase, 'done');
    assert.deepEqual(await migrate(block1, request), answer, 'a replay answers the same though the volume moved');
    const other = await ferryError(migrate(block1, { ...request, destinationPool: 'pool1' }));
    assert.deepEqual([other.code, other.reason], ['ALREADY_EXISTS', 'ALREADY_EXISTS_INCOMPATIBLE']);

    const attached = await block1.volume.attachVolume({ volume: volume('m1', { pool: 'pool2' }), dataNode: NODE, readOnly: true });
    assert.equal(attached.filePath, image(root1, 'pool2', 'm1'));
    await block1.volume.detachVolume({ volume: volume('m1', { pool: 'pool2' }), dataNode: NODE });
    const pools = await block1.pool.listPools({});
    assert.deepEqual(pools.pools.map((p) => p.allocatedCapacityGib), [0, 1]);
    await block1.volume.deleteVolume({ volume: volume('m1', { pool: 'pool2' }) });
  });

  test('moved = false, touching nothing, for a peer of another plugin, an unreachable peer root, a volume with snapshots, an attached volume and a name taken at the destination', async () => {
    const hash = await filled('f1');
    const unchanged = () => assert.ok(existsSync(join(root1, 'pools/pool1/volume-f1.json')) && !existsSync(image(root1, 'pool2', 'f1')) && !existsSync(image(root2, 'pool1', 'f1')));
    const notMoved = { moved: false, modelUpdate: undefined };
    assert.deepEqual(await migrate(block1, { migrationId: 'f-foreign', volume: volume('f1'), destinationPeer: peerOf('lvm', root2, 'vendor.lvm') }), notMoved);
    assert.deepEqual(await migrate(block1, { migrationId: 'f-foreign', volume: volume('f1'), destinationPeer: peerOf('lvm', root2, 'vendor.lvm') }), notMoved, 'replayed');
    assert.deepEqual(await migrate(block1, { migrationId: 'f-away', volume: volume('f1'), destinationPeer: peerOf('block9', join(dir, 'not-here')) }), notMoved);
    assert.deepEqual(await migrate(block1, { migrationId: 'f-noroot', volume: volume('f1'), destinationPeer: peerOf('block9', '') }), notMoved);
    unchanged();

    const snapshot = { snapshotId: 'f1-snap', volumeId: 'f1', sizeGib: 1, providerLocation: '' };
    await block1.volume.createVolumeSnapshot({ snapshot, volume: volume('f1') });
    assert.deepEqual(await migrate(block1, { migrationId: 'f-snap', volume: volume('f1') }), notMoved);
    await block1.volume.deleteVolumeSnapshot({ snapshot, volume: volume('f1') });

    await block1.volume.attachVolume({ volume: volume('f1'), dataNode: NODE, readOnly: true });
    assert.deepEqual(await migrate(block1, { migrationId: 'f-attached', volume: volume('f1') }), notMoved);
    await block1.volume.detachVolume({ volume: volume('f1'), dataNode: NODE });

    await block2.volume.createVolume({ volume: volume('f1') });
    assert.deepEqual(await migrate(block1, { migrationId: 'f-taken', volume: volume('f1'), destinationHost: 'ferry@block2', destinationPool: 'pool1', destinationPeer: peerOf('block2', root2) }), notMoved);
    await block2.volume.deleteVolume({ volume: volume('f1') });
    assert.ok(existsSync(join(root1, 'pools/pool1/volume-f1.json')) && !existsSync(image(root1, 'pool2', 'f1')));
    assert.equal(sha256(image(root1, 'pool1', 'f1')), hash);
    await block1.volume.deleteVolume({ volume: volume('f1') });
  });

  test('refuses what the contract lists: unknown volume, unknown destination pool, missing fields, a full destination pool', async () => {
    const unknown = await ferryError(migrate(block1, { migrationId: 'e-1', volume: volume('nobody') }));
    assert.deepEqual([unknown.code, unknown.reason], ['NOT_FOUND', 'VOLUME_NOT_FOUND']);
    await block1.volume.createVolume({ volume: volume('e1', { sizeGib: 2 }) });
    const ownPool = await ferryError(migrate(block1, { migrationId: 'e-2', volume: volume('e1'), destinationPool: 'pool9' }));
    assert.deepEqual([ownPool.code, ownPool.reason], ['NOT_FOUND', 'POOL_NOT_FOUND']);
    const peerPool = await ferryError(migrate(block1, { migrationId: 'e-3', volume: volume('e1'), destinationHost: 'ferry@block2', destinationPool: 'pool9', destinationPeer: peerOf('block2', root2) }));
    assert.equal(peerPool.reason, 'POOL_NOT_FOUND');
    const noPeer = await ferryError(migrate(block1, { migrationId: 'e-4', volume: volume('e1'), destinationPeer: undefined }));
    assert.deepEqual([noPeer.reason, noPeer.metadata.field], ['MISSING_FIELD', 'destination_peer']);
    const noId = await ferryError(migrate(block1, { migrationId: '', volume: volume('e1') }));
    assert.equal(noId.metadata.field, 'migration_id');
    // block2's pool2 has 1 GiB configured; the peer info carries it.
    const peerInfo = (await block2.pool.listPools({})).migrationPeerInfo;
    const full = await ferryError(migrate(block1, { migrationId: 'e-5', volume: volume('e1'), destinationHost: 'ferry@block2', destinationPool: 'pool2', destinationPeer: peerOf('block2', root2, 'ferry.block', peerInfo) }));
    assert.deepEqual([full.code, full.reason], ['RESOURCE_EXHAUSTED', 'INSUFFICIENT_CAPACITY']);
    assert.ok(existsSync(image(root1, 'pool1', 'e1')) && !existsSync(image(root2, 'pool2', 'e1')));
    assert.ok(!existsSync(join(root1, 'migrations/e-5.json')), 'a refused move leaves no journal, so a retry runs afresh');
    await block1.volume.deleteVolume({ volume: volume('e1') });
  });

  test('to a peer block back end on the same file system: the peer owns the volume at once (attach, allocation, delete there)', async () => {
    const hash = await filled('p1');
    const answer = await migrate(block1, { migrationId: 'mig-p1', volume: volume('p1'), destinationHost: 'ferry@block2', destinationPool: 'pool1', destinationPeer: peerOf('block2', root2) });
    assert.deepEqual(answer, { moved: true, modelUpdate: { host: 'ferry@block2#pool1', nameId: '', providerLocation: image(root2, 'pool1', 'p1') } });
    assert.ok(!existsSync(image(root1, 'pool1', 'p1')));
    const onPeer = volume('p1', { host: 'ferry@block2#pool1' });
    const attached = await block2.volume.attachVolume({ volume: onPeer, dataNode: NODE, readOnly: true });
    assert.equal(sha256(attached.filePath), hash);
    await block2.volume.detachVolume({ volume: onPeer, dataNode: NODE });
    assert.equal((await block2.pool.listPools({})).pools[0]!.allocatedCapacityGib, 1);
    assert.equal((await block1.pool.listPools({})).pools[0]!.allocatedCapacityGib, 0);
    assert.equal((await ferryError(block1.volume.attachVolume({ volume: volume('p1'), dataNode: NODE, readOnly: true }))).reason, 'VOLUME_NOT_FOUND');
    await block2.volume.deleteVolume({ volume: onPeer });
    assert.ok(!existsSync(image(root2, 'pool1', 'p1')));
  });

  test('to a peer on another file system: a sparse copy (allocated blocks stay small), then the source is removed', async (t) => {
    if (otherDir === undefined) return t.skip(`${OTHER_FS} is not available`);
    const root3 = join(otherDir, 'b3');
    const block3 = await launchBlock({ dir, name: 'block3', config: { root: root3 } });
    t.after(() => block3.stop());
    const hash = await filled('x1');
    const sourceAllocated = allocated(image(root1, 'pool1', 'x1'));
    assert.notEqual(statSync(join(root1, 'pools')).dev, statSync(join(root3, 'pools')).dev);
    const answer = await migrate(block1, { migrationId: 'mig-x1', volume: volume('x1'), destinationHost: 'ferry@block3', destinationPool: 'pool1', destinationPeer: peerOf('block3', root3) });
    assert.equal(answer.moved, true);
    const moved = image(root3, 'pool1', 'x1');
    assert.equal(sha256(moved), hash);
    assert.ok(allocated(moved) <= sourceAllocated + MIB, `destination allocates ${allocated(moved)} bytes, the source ${sourceAllocated}`);
    assert.ok(!existsSync(image(root1, 'pool1', 'x1')) && !existsSync(`${moved}.partial`));
    await block3.volume.deleteVolume({ volume: volume('x1') });
  });

  test('UpdateMigratedVolume renames the temporary object to the volume id (name_id cleared), replays, and the old object is then deleted by name_id', async () => {
    await block1.volume.createVolume({ volume: volume('u-user') });
    await block2.volume.createVolume({ volume: volume('u-temp') });
    writePattern(image(root2, 'pool1', 'u-temp'), 0, MIB, 5);
    const hash = sha256(image(root2, 'pool1', 'u-temp'), 2 * MIB);
    const request = { volume: volume('u-user'), newVolume: volume('u-temp', { host: 'ferry@block2#pool1' }), originalVolumeStatus: 'available' };
    const answer = await block2.volume.updateMigratedVolume(request);
    assert.deepEqual(answer, { nameId: '', providerLocation: image(root2, 'pool1', 'u-user') });
    assert.ok(!existsSync(image(root2, 'pool1', 'u-temp')) && !existsSync(join(root2, 'pools/pool1/volume-u-temp.json')));
    assert.equal(sha256(image(root2, 'pool1', 'u-user'), 2 * MIB), hash);
    assert.deepEqual(await block2.volume.updateMigratedVolume(request), answer);
    // ferry swaps the records: the user's record now on block2 (name_id cleared) ...
    await block2.volume.attachVolume({ volume: volume('u-user', { host: 'ferry@block2#pool1' }), dataNode: NODE, readOnly: false });
    await block2.volume.detachVolume({ volume: volume('u-user'), dataNode: NODE });
    // ... and deletes the old object on block1 with the temporary record: volume_id u-temp, name_id u-user.
    await block1.volume.deleteVolume({ volume: volume('u-temp', { nameId: 'u-user' }) });
    assert.ok(!existsSync(image(root1, 'pool1', 'u-user')));
    assert.ok(existsSync(image(root2, 'pool1', 'u-user')));
    await block2.volume.deleteVolume({ volume: volume('u-user') });
  });

  test('UpdateMigratedVolume within one back end renames into the destination pool, where the name is free, though the source pool holds it', async () => {
    await block1.volume.createVolume({ volume: volume('w-user', { pool: 'pool1' }) });
    await block1.volume.createVolume({ volume: volume('w-temp', { pool: 'pool2' }) });
    const answer = await block1.volume.updateMigratedVolume({ volume: volume('w-user'), newVolume: volume('w-temp', { pool: 'pool2' }), originalVolumeStatus: 'available' });
    assert.deepEqual(answer, { nameId: '', providerLocation: image(root1, 'pool2', 'w-user') });
    await block1.volume.deleteVolume({ volume: volume('w-temp', { nameId: 'w-user', pool: 'pool1' }) });
    assert.ok(!existsSync(image(root1, 'pool1', 'w-user')));
    assert.ok(existsSync(image(root1, 'pool2', 'w-user')));
    await block1.volume.deleteVolume({ volume: volume('w-user', { pool: 'pool2' }) });
  });

  test('UpdateMigratedVolume keeps the temporary name (name_id = its id) when the name is taken, the volume was in-use, or the temporary volume is attached; NOT_FOUND for an unknown one', async () => {
    await block2.volume.createVolume({ volume: volume('k-user') });
    await block2.volume.createVolume({ volume: volume('k-temp') });
    const taken = await block2.volume.updateMigratedVolume({ volume: volume('k-user'), newVolume: volume('k-temp'), originalVolumeStatus: 'available' });
    assert.deepEqual(taken, { nameId: 'k-temp', providerLocation: image(root2, 'pool1', 'k-temp') });
    assert.ok(existsSync(image(root2, 'pool1', 'k-temp')) && existsSync(image(root2, 'pool1', 'k-user')));

    await block2.volume.createVolume({ volume: volume('i-temp') });
    const inUse = await block2.volume.updateMigratedVolume({ volume: volume('i-user'), newVolume: volume('i-temp'), originalVolumeStatus: 'in-use' });
    assert.equal(inUse.nameId, 'i-temp');
    await block2.volume.createVolume({ volume: volume('t-temp') });
    await block2.volume.attachVolume({ volume: volume('t-temp'), dataNode: NODE, readOnly: false });
    assert.equal((await block2.volume.updateMigratedVolume({ volume: volume('t-user'), newVolume: volume('t-temp'), originalVolumeStatus: 'available' })).nameId, 't-temp');
    await block2.volume.detachVolume({ volume: volume('t-temp'), dataNode: NODE });

    const unknown = await ferryError(block2.volume.updateMigratedVolume({ volume: volume('n-user'), newVolume: volume('n-temp'), originalVolumeStatus: 'available' }));
    assert.deepEqual([unknown.code, unknown.reason], ['NOT_FOUND', 'VOLUME_NOT_FOUND']);
    for (const id of ['k-user', 'k-temp', 'i-temp', 't-temp']) await block2.volume.deleteVolume({ volume: volume(id) });
  });
});
