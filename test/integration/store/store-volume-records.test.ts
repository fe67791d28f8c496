/**
 * Volume records in a real SQLite store: types, groups, volumes and snapshots come back equal
 * (attachments, nulls, empty maps and `target:<id>` migration statuses included); filters select
 * what they say; the StorePort contract holds for unknown and duplicate ids; a volume refuses a
 * missing type or group.
 */
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { StorePort } from '../../../src/orchestrator/store-port.js';
import { nextTime, openTempStore, removeTempDirs, seedVolume, volume, volumeGroup, volumeSnapshot, volumeType } from './store-fixtures.js';

let store: StorePort;
beforeEach(async () => {
  ({ store } = await openTempStore());
});
afterEach(async () => {
  await store.close();
});
after(removeTempDirs);

describe('volume types', () => {
  it('round-trips every field, finds by name, lists in creation order and deletes idempotently', async () => {
    const fast = volumeType();
    const bare = volumeType({ isPublic: false, description: '', extraSpecs: {}, qosSpecs: {} });
    await store.insertVolumeType(bare);
    await store.insertVolumeType(fast);
    assert.deepEqual(await store.getVolumeType(fast.id), fast);
    assert.deepEqual(await store.getVolumeType(bare.id), bare);
    assert.deepEqual(await store.getVolumeTypeByName(bare.name), bare);
    assert.equal(await store.getVolumeTypeByName('nope'), undefined);
    assert.equal(await store.getVolumeType('nope'), undefined);
    // Ordered by createdAt (fast was built first), not by insertion.
    assert.deepEqual(await store.listVolumeTypes(), [fast, bare]);
    await store.deleteVolumeType(fast.id);
    await store.deleteVolumeType(fast.id);
    assert.deepEqual(await store.listVolumeTypes(), [bare]);
  });

  it('applies a patch without touching id or createdAt, and finds the type by its new name', async () => {
    const type = volumeType();
    await store.insertVolumeType(type);
    const updated = await store.updateVolumeType(type.id, {
      name: 'renamed', qosSpecs: {}, extraSpecs: { volume_backend_name: 'lvm2' }, isPublic: false, id: 'hijack', createdAt: 'x',
    } as Parameters<StorePort['updateVolumeType']>[1]);
    assert.deepEqual(updated, { ...type, name: 'renamed', qosSpecs: {}, extraSpecs: { volume_backend_name: 'lvm2' }, isPublic: false });
    assert.deepEqual(await store.getVolumeTypeByName('renamed'), updated);
    assert.equal(await store.getVolumeTypeByName(type.name), undefined);
    assert.equal(await store.getVolumeType('hijack'), undefined);
  });

  it('refuses a duplicate id or name with AlreadyExistsError, and an unknown id with NotFoundError', async () => {
    const type = volumeType();
    const other = volumeType();
    await store.insertVolumeType(type);
    await store.insertVolumeType(other);
    await assert.rejects(store.insertVolumeType({ ...type, name: 'another' }), { name: 'AlreadyExistsError', code: 'ALREADY_EXISTS' });
    await assert.rejects(store.insertVolumeType(volumeType({ name: type.name })), { name: 'AlreadyExistsError' });
    await assert.rejects(store.updateVolumeType(other.id, { name: type.name }), { name: 'AlreadyExistsError' });
    assert.deepEqual(await store.getVolumeType(other.id), other);
    await assert.rejects(store.updateVolumeType('nope', { name: 'x' }),
      { name: 'NotFoundError', code: 'NOT_FOUND', reason: 'VOLUME_TYPE_NOT_FOUND', metadata: { volumeTypeId: 'nope' } });
  });
});

describe('volume groups', () => {
  it('round-trips, lists in creation order, refuses a duplicate and deletes idempotently', async () => {
    const first = volumeGroup();
    const second = volumeGroup({ description: '' });
    await store.insertVolumeGroup(second);
    await store.insertVolumeGroup(first);
    assert.deepEqual(await store.getVolumeGroup(second.id), second);
    assert.equal(await store.getVolumeGroup('nope'), undefined);
    assert.deepEqual(await store.listVolumeGroups(), [first, second]);
    await assert.rejects(store.insertVolumeGroup({ ...first, name: 'other' }), { name: 'AlreadyExistsError' });
    await store.deleteVolumeGroup(first.id);
    await store.deleteVolumeGroup(first.id);
    assert.deepEqual(await store.listVolumeGroups(), [second]);
  });
});

describe('volumes', () => {
  it('round-trips every field: attachments, nulls, and a temporary volume with target:<id> and a name id', async () => {
    const { type, volume: plain } = await seedVolume(store);
    const group = volumeGroup();
    await store.insertVolumeGroup(group);
    const detached = volume(type.id, { status: 'available', attachments: [], description: '', providerLocation: '' });
    const temporary = volume(type.id, {
      status: 'available', migrationStatus: `target:${plain.id}`, previousStatus: 'in-use', nameId: 'backing-object-7',
      groupId: group.id, host: 'node1@lvm2#pool9', availabilityZone: 'az2', attachments: [],
    });
    await store.insertVolume(detached);
    await store.insertVolume(temporary);
    assert.deepEqual(await store.getVolume(plain.id), plain);
    assert.deepEqual(await store.getVolume(detached.id), detached);
    assert.deepEqual(await store.getVolume(temporary.id), temporary);
    assert.equal((await store.getVolume(plain.id))?.attachments.length, 2);
    assert.equal(await store.getVolume('nope'), undefined);
    assert.deepEqual(await store.listVolumes(), [plain, detached, temporary]);
  });

  it('filters by host (a pool exactly, a back end by prefix), status, type and group', async () => {
    const { type, volume: onPool1 } = await seedVolume(store);
    const otherType = volumeType();
    await store.insertVolumeType(otherType);
    const group = volumeGroup();
    await store.insertVolumeGroup(group);
    const onPool2 = volume(type.id, { host: 'node1@lvm1#pool2', status: 'available', groupId: group.id });
    // lvm10 starts with lvm1: a back-end filter must not take it for lvm1.
    const onLvm10 = volume(otherType.id, { host: 'node1@lvm10#pool1', status: 'maintenance', groupId: group.id });
    const creating = volume(type.id, { host: '', status: 'creating', attachments: [] });
    for (const record of [onPool2, onLvm10, creating]) await store.insertVolume(record);
    assert.deepEqual(await store.listVolumes({ host: 'node1@lvm1' }), [onPool1, onPool2]);
    assert.deepEqual(await store.listVolumes({ host: 'node1@lvm1#pool2' }), [onPool2]);
    assert.deepEqual(await store.listVolumes({ host: 'node1@lvm10' }), [onLvm10]);
    assert.deepEqual(await store.listVolumes({ host: 'node1@lvm1#pool' }), []);
    assert.deepEqual(await store.listVolumes({ status: 'maintenance' }), [onLvm10]);
    assert.deepEqual(await store.listVolumes({ volumeTypeId: type.id }), [onPool1, onPool2, creating]);
    assert.deepEqual(await store.listVolumes({ groupId: group.id }), [onPool2, onLvm10]);
    assert.deepEqual(await store.listVolumes({ groupId: group.id, host: 'node1@lvm1' }), [onPool2]);
    assert.deepEqual(await store.listVolumes({ volumeTypeId: otherType.id, status: 'available' }), []);
    assert.deepEqual(await store.listVolumes({}), [onPool1, onPool2, onLvm10, creating]);
  });

  it('lists by createdAt, then id, whatever the insertion order', async () => {
    const type = volumeType();
    await store.insertVolumeType(type);
    const at = nextTime();
    const later = volume(type.id, { id: 'vol-a', createdAt: nextTime() });
    const tieB = volume(type.id, { id: 'vol-c', createdAt: at });
    const tieA = volume(type.id, { id: 'vol-b', createdAt: at });
    for (const record of [later, tieB, tieA]) await store.insertVolume(record);
    assert.deepEqual((await store.listVolumes()).map((v) => v.id), ['vol-b', 'vol-c', 'vol-a']);
  });

  it('replaces attachments wholesale, stores null as a value, leaves undefined alone and ignores id and createdAt', async () => {
    const { volume: record } = await seedVolume(store);
    const moving = await store.updateVolume(record.id, {
      migrationStatus: 'migrating', previousStatus: 'in-use', status: 'maintenance',
      attachments: [record.attachments[1]], updatedAt: nextTime(), description: undefined,
    });
    assert.deepEqual(moving, {
      ...record, migrationStatus: 'migrating', previousStatus: 'in-use', status: 'maintenance',
      attachments: [record.attachments[1]], updatedAt: moving.updatedAt,
    });
    assert.deepEqual(await store.getVolume(record.id), moving);
    const done = await store.updateVolume(record.id, {
      migrationStatus: 'success', previousStatus: null, status: 'available', attachments: [], nameId: 'vol-temp-1',
      host: 'node1@lvm2#pool1', id: 'hijack', createdAt: 'x',
    } as Parameters<StorePort['updateVolume']>[1]);
    assert.equal(done.previousStatus, null);
    assert.deepEqual(done.attachments, []);
    assert.equal(done.createdAt, record.createdAt);
    assert.deepEqual(await store.getVolume(record.id), done);
    assert.equal(await store.getVolume('hijack'), undefined);
    // The host moved, and the filters follow it (backend_host is derived on every write).
    assert.deepEqual(await store.listVolumes({ host: 'node1@lvm2' }), [done]);
    assert.deepEqual(await store.listVolumes({ host: 'node1@lvm1' }), []);
    const cleared = await store.updateVolume(record.id, { migrationStatus: null, nameId: null });
    assert.equal(cleared.migrationStatus, null);
    assert.equal(cleared.nameId, null);
  });

  it('refuses duplicates, reports unknown ids per the contract and deletes idempotently', async () => {
    const { volume: record } = await seedVolume(store);
    await assert.rejects(store.insertVolume(record), { name: 'AlreadyExistsError' });
    await assert.rejects(store.updateVolume('nope', { status: 'error' }),
      { name: 'NotFoundError', code: 'NOT_FOUND', reason: 'VOLUME_NOT_FOUND', metadata: { volumeId: 'nope' } });
    await store.deleteVolume('nope');
    await store.deleteVolume(record.id);
    await store.deleteVolume(record.id);
    assert.equal(await store.getVolume(record.id), undefined);
  });

  it('hands out fresh objects: mutating a returned volume or its attachments changes nothing stored', async () => {
    const { volume: record } = await seedVolume(store);
    const got = await store.getVolume(record.id);
    assert.ok(got);
    (got.attachments[0] as { mountpoint: string }).mountpoint = '/dev/vdz';
    (got.attachments as unknown[]).pop();
    (got as { status: string }).status = 'error';
    const [listed] = await store.listVolumes();
    (listed.attachments as unknown[]).length = 0;
    assert.deepEqual(await store.getVolume(record.id), record);
  });

  it('refuses a volume whose type or group does not exist', async () => {
    const { type, volume: record } = await seedVolume(store);
    await assert.rejects(store.insertVolume(volume('no-such-type')), { name: 'StoreReferenceError', code: 'FAILED_PRECONDITION', reason: 'STORE_REFERENCE_NOT_FOUND' });
    await assert.rejects(store.insertVolume(volume(type.id, { groupId: 'no-such-group' })), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    await assert.rejects(store.updateVolume(record.id, { volumeTypeId: 'no-such-type' }), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    await assert.rejects(store.updateVolume(record.id, { groupId: 'no-such-group' }), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    assert.deepEqual(await store.getVolume(record.id), record);
    assert.deepEqual(await store.listVolumes(), [record]);
  });
});

describe('volume snapshots', () => {
  it('round-trips, filters by volume, updates and deletes idempotently', async () => {
    const { type, volume: record } = await seedVolume(store);
    const other = volume(type.id);
    await store.insertVolume(other);
    const snap = volumeSnapshot(record.id);
    const creating = volumeSnapshot(record.id, { status: 'creating', providerLocation: '', name: '' });
    const elsewhere = volumeSnapshot(other.id, { sizeGib: 1 });
    for (const s of [elsewhere, creating, snap]) await store.insertVolumeSnapshot(s);
    assert.deepEqual(await store.getVolumeSnapshot(creating.id), creating);
    assert.equal(await store.getVolumeSnapshot('nope'), undefined);
    assert.deepEqual(await store.listVolumeSnapshots({ volumeId: record.id }), [snap, creating]);
    assert.deepEqual(await store.listVolumeSnapshots(), [snap, creating, elsewhere]);
    assert.deepEqual(await store.listVolumeSnapshots({ volumeId: 'nope' }), []);
    const ready = await store.updateVolumeSnapshot(creating.id, { status: 'available', providerLocation: '/dev/vg1/snap-2', id: 'x' } as Parameters<StorePort['updateVolumeSnapshot']>[1]);
    assert.deepEqual(ready, { ...creating, status: 'available', providerLocation: '/dev/vg1/snap-2' });
    assert.deepEqual(await store.getVolumeSnapshot(creating.id), ready);
    await store.deleteVolumeSnapshot(snap.id);
    await store.deleteVolumeSnapshot(snap.id);
    assert.deepEqual(await store.listVolumeSnapshots({ volumeId: record.id }), [ready]);
  });

  it('refuses a duplicate, an unknown id on update and a snapshot of a missing volume', async () => {
    const { volume: record } = await seedVolume(store);
    const snap = volumeSnapshot(record.id);
    await store.insertVolumeSnapshot(snap);
    await assert.rejects(store.insertVolumeSnapshot(snap), { name: 'AlreadyExistsError' });
    await assert.rejects(store.updateVolumeSnapshot('nope', { status: 'error' }), { name: 'NotFoundError', reason: 'VOLUME_SNAPSHOT_NOT_FOUND' });
    await assert.rejects(store.insertVolumeSnapshot(volumeSnapshot('no-such-volume')), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    await store.deleteVolumeSnapshot('nope');
  });
});
