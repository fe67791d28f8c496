/**
 * Volume migrations in a real SQLite store: the record round-trips through its life; events are
 * numbered per migration; a volume's migrations and their history go with it, while a type, a
 * group or a volume with snapshots refuse deletion; transactions commit or roll back volume
 * writes together.
 */
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { StorePort } from '../../../src/orchestrator/store-port.js';
import {
  nextTime, openTempStore, removeTempDirs, seedVolume, volume, volumeGroup, volumeMigration, volumeSnapshot, volumeType,
} from './store-fixtures.js';

let store: StorePort;
beforeEach(async () => {
  ({ store } = await openTempStore());
});
afterEach(async () => {
  await store.close();
});
after(removeTempDirs);

describe('volume migrations', () => {
  it('round-trips a migration through its life and filters by volume and activity', async () => {
    const { type, volume: record } = await seedVolume(store);
    const other = volume(type.id);
    await store.insertVolume(other);
    const running = volumeMigration(record);
    const retype = volumeMigration(other, {
      request: { kind: 'retype', destinationHost: other.host, forceHostCopy: true, lockVolume: false, newVolumeTypeId: 'vtype-gold', migrationPolicy: 'on-demand' },
      method: 'retype_in_place', phase: 'finished', outcome: 'success', active: false, finishedAt: nextTime(), originalStatus: 'available',
    });
    await store.insertVolumeMigration(running);
    await store.insertVolumeMigration(retype);
    assert.deepEqual(await store.getVolumeMigration(running.id), running);
    assert.deepEqual(await store.getVolumeMigration(retype.id), retype);
    assert.equal(await store.getVolumeMigration('nope'), undefined);
    assert.deepEqual(await store.listVolumeMigrations(), [running, retype]);
    assert.deepEqual(await store.listVolumeMigrations({ volumeId: record.id }), [running]);
    assert.deepEqual(await store.listVolumeMigrations({ active: true }), [running]);
    assert.deepEqual(await store.listVolumeMigrations({ active: false, volumeId: other.id }), [retype]);
    assert.deepEqual(await store.listVolumeMigrations({ active: false, volumeId: record.id }), []);

    // A generic host copy of a large volume: byte counts beyond 32 bits, every nullable set.
    const copying = await store.updateVolumeMigration(running.id, {
      method: 'host_copy', transferMode: 'block', temporaryVolumeId: 'vol-temp-9', phase: 'host_copy', abortRequested: true,
      bytesCopied: 3 * 2 ** 40, bytesTotal: 4 * 2 ** 40, fallbackReason: 'different vendor', checkpointPath: '/var/lib/ferry/cp/v9',
      updatedAt: nextTime(),
    });
    assert.deepEqual(await store.getVolumeMigration(running.id), copying);
    assert.equal(copying.bytesTotal, 4 * 2 ** 40);
    assert.equal(copying.createdAt, running.createdAt);
    const failed = await store.updateVolumeMigration(running.id, {
      phase: 'finished', outcome: 'error', active: false, error: 'copy failed: I/O error', errorReason: 'VOLUME_COPY_FAILED',
      transferMode: 'file', finishedAt: nextTime(), temporaryVolumeId: null,
    });
    assert.deepEqual(await store.getVolumeMigration(running.id), failed);
    assert.equal(failed.temporaryVolumeId, null);
    assert.deepEqual(await store.listVolumeMigrations({ active: true }), []);
  });

  it('refuses a duplicate, an unknown id on update and a migration of a missing volume', async () => {
    const { volume: record } = await seedVolume(store);
    const run = volumeMigration(record);
    await store.insertVolumeMigration(run);
    await assert.rejects(store.insertVolumeMigration(run), { name: 'AlreadyExistsError' });
    await assert.rejects(store.updateVolumeMigration('nope', { active: false }),
      { name: 'NotFoundError', reason: 'MIGRATION_NOT_FOUND', metadata: { migrationId: 'nope' } });
    await assert.rejects(store.insertVolumeMigration(volumeMigration({ ...record, id: 'no-such-volume' })), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    await assert.rejects(store.updateVolumeMigration(run.id, { volumeId: 'no-such-volume' }), { reason: 'STORE_REFERENCE_NOT_FOUND' });
    assert.deepEqual(await store.getVolumeMigration(run.id), run);
  });
});

describe('volume migration events', () => {
  it('numbers events 1, 2, 3 per migration, inside and outside transactions, and lists them in order', async () => {
    const { volume: record } = await seedVolume(store);
    const first = volumeMigration(record);
    const second = volumeMigration(record);
    await store.insertVolumeMigration(first);
    await store.insertVolumeMigration(second);
    const e1 = await store.appendVolumeMigrationEvent({ migrationId: first.id, phase: 'accepted', migrationStatus: 'starting', message: 'accepted', at: nextTime() });
    const other = await store.appendVolumeMigrationEvent({ migrationId: second.id, phase: 'retype_in_place', migrationStatus: null, message: '', at: nextTime() });
    const [e2, e3] = await store.transaction(async (tx) => [
      await tx.appendVolumeMigrationEvent({ migrationId: first.id, phase: 'create_target', migrationStatus: 'target:vol-temp-1', message: '', at: nextTime() }),
      await tx.appendVolumeMigrationEvent({ migrationId: first.id, phase: 'host_copy', migrationStatus: 'migrating', message: 'block mode', at: nextTime() }),
    ]);
    assert.deepEqual([e1.sequence, e2.sequence, e3.sequence, other.sequence], [1, 2, 3, 1]);
    assert.deepEqual(await store.listVolumeMigrationEvents(first.id), [e1, e2, e3]);
    assert.deepEqual(await store.listVolumeMigrationEvents(second.id), [other]);
    assert.deepEqual(e2, { migrationId: first.id, sequence: 2, phase: 'create_target', migrationStatus: 'target:vol-temp-1', message: '', at: e2.at });
    assert.equal(other.migrationStatus, null);
    assert.deepEqual(await store.listVolumeMigrationEvents('nope'), []);
  });

  it('gives appends started together distinct, gap-free numbers and reuses a rolled-back one', async () => {
    const { volume: record } = await seedVolume(store);
    const run = volumeMigration(record);
    await store.insertVolumeMigration(run);
    const outside = await Promise.all(Array.from({ length: 5 }, () =>
      store.appendVolumeMigrationEvent({ migrationId: run.id, phase: 'driver_migrate', migrationStatus: 'migrating', message: '', at: nextTime() })));
    assert.deepEqual(outside.map((e) => e.sequence).sort((a, b) => a - b), [1, 2, 3, 4, 5]);
    const inside = await store.transaction((tx) => Promise.all(Array.from({ length: 3 }, (_, index) =>
      tx.appendVolumeMigrationEvent({ migrationId: run.id, phase: 'complete', migrationStatus: 'completing', message: `step ${index}`, at: nextTime() }))));
    assert.deepEqual(inside.map((e) => [e.sequence, e.message]), [[6, 'step 0'], [7, 'step 1'], [8, 'step 2']]);
    await assert.rejects(store.transaction(async (tx) => {
      await tx.appendVolumeMigrationEvent({ migrationId: run.id, phase: 'rollback', migrationStatus: 'error', message: '', at: nextTime() });
      throw new Error('abandon');
    }), /abandon/);
    const next = await store.appendVolumeMigrationEvent({ migrationId: run.id, phase: 'finished', migrationStatus: 'success', message: '', at: nextTime() });
    assert.equal(next.sequence, 9);
    assert.equal((await store.listVolumeMigrationEvents(run.id)).length, 9);
  });

  it('refuses an event for an unknown migration with NotFoundError', async () => {
    await assert.rejects(store.appendVolumeMigrationEvent({ migrationId: 'nope', phase: 'accepted', migrationStatus: 'starting', message: '', at: nextTime() }),
      { name: 'NotFoundError', reason: 'MIGRATION_NOT_FOUND' });
  });
});

describe('volume deletes', () => {
  it('deleting a volume deletes its migrations and their events, and nothing else', async () => {
    const { type, volume: record } = await seedVolume(store);
    const group = volumeGroup();
    await store.insertVolumeGroup(group);
    await store.updateVolume(record.id, { groupId: group.id });
    const other = volume(type.id);
    await store.insertVolume(other);
    const gone = volumeMigration(record);
    const kept = volumeMigration(other);
    for (const run of [gone, kept]) {
      await store.insertVolumeMigration(run);
      await store.appendVolumeMigrationEvent({ migrationId: run.id, phase: 'accepted', migrationStatus: 'starting', message: '', at: nextTime() });
    }
    await store.deleteVolume(record.id);
    assert.equal(await store.getVolume(record.id), undefined);
    assert.equal(await store.getVolumeMigration(gone.id), undefined);
    assert.deepEqual(await store.listVolumeMigrationEvents(gone.id), []);
    assert.deepEqual(await store.listVolumeMigrations(), [kept]);
    assert.equal((await store.listVolumeMigrationEvents(kept.id)).length, 1);
    // The type and the group are not the volume's to delete.
    assert.ok(await store.getVolumeType(type.id));
    assert.ok(await store.getVolumeGroup(group.id));
  });

  it('keeps a migration readable after its temporary volume and its original type are deleted', async () => {
    const { type, volume: record } = await seedVolume(store);
    const gold = volumeType();
    await store.insertVolumeType(gold);
    const temporary = volume(type.id, { migrationStatus: `target:${record.id}`, status: 'available', attachments: [] });
    await store.insertVolume(temporary);
    const run = volumeMigration(record, { temporaryVolumeId: temporary.id, originalVolumeTypeId: type.id });
    await store.insertVolumeMigration(run);
    // The record swap: the volume takes the temporary one's back-end object and the new type.
    await store.updateVolume(record.id, { nameId: temporary.id, volumeTypeId: gold.id });
    await store.deleteVolume(temporary.id);
    await store.deleteVolumeType(type.id);
    assert.deepEqual(await store.getVolumeMigration(run.id), run);
  });

  it('refuses to delete a volume with snapshots, a type in use or a group with volumes, and allows it once they are gone', async () => {
    const { type, volume: record } = await seedVolume(store);
    const group = volumeGroup();
    await store.insertVolumeGroup(group);
    await store.updateVolume(record.id, { groupId: group.id });
    const snap = volumeSnapshot(record.id);
    await store.insertVolumeSnapshot(snap);
    await store.insertVolumeMigration(volumeMigration(record));

    await assert.rejects(store.deleteVolume(record.id),
      { name: 'StoreRecordInUseError', code: 'FAILED_PRECONDITION', reason: 'STORE_RECORD_IN_USE', metadata: { kind: 'volume', id: record.id } });
    await assert.rejects(store.deleteVolumeType(type.id), { name: 'StoreRecordInUseError', reason: 'STORE_RECORD_IN_USE', metadata: { kind: 'volume type', id: type.id } });
    await assert.rejects(store.deleteVolumeGroup(group.id), { name: 'StoreRecordInUseError', reason: 'STORE_RECORD_IN_USE', metadata: { kind: 'volume group', id: group.id } });
    // A refused delete takes nothing with it: not even the cascading migrations.
    assert.equal((await store.listVolumeMigrations({ volumeId: record.id })).length, 1);
    assert.ok(await store.getVolumeSnapshot(snap.id));

    await store.updateVolume(record.id, { groupId: null });
    await store.deleteVolumeGroup(group.id);
    await store.deleteVolumeSnapshot(snap.id);
    await store.deleteVolume(record.id);
    await store.deleteVolumeType(type.id);
    assert.deepEqual(await store.listVolumes(), []);
    assert.deepEqual(await store.listVolumeMigrations(), []);
    assert.deepEqual(await store.listVolumeTypes(), []);
  });
});

describe('volume transactions', () => {
  it('commits a migration start together: the migration, its first event and the volume update', async () => {
    const { volume: record } = await seedVolume(store);
    const run = volumeMigration(record);
    const status = await store.transaction(async (tx) => {
      await tx.insertVolumeMigration(run);
      await tx.appendVolumeMigrationEvent({ migrationId: run.id, phase: 'accepted', migrationStatus: 'starting', message: '', at: nextTime() });
      await tx.updateVolume(record.id, { migrationStatus: 'starting', status: 'maintenance', previousStatus: record.status });
      // Reads inside see the transaction's own writes.
      return (await tx.getVolume(record.id))?.migrationStatus;
    });
    assert.equal(status, 'starting');
    assert.deepEqual(await store.getVolumeMigration(run.id), run);
    assert.equal((await store.listVolumeMigrationEvents(run.id)).length, 1);
  });

  it('rolls back every volume write when fn throws, and rethrows its own error', async () => {
    const { type, volume: record } = await seedVolume(store);
    const run = volumeMigration(record);
    await store.insertVolumeMigration(run);
    const temporary = volume(type.id, { migrationStatus: `target:${record.id}` });
    const boom = new Error('driver call would follow');
    await assert.rejects(store.transaction(async (tx) => {
      await tx.insertVolume(temporary);
      await tx.insertVolumeType(volumeType());
      await tx.insertVolumeGroup(volumeGroup());
      await tx.insertVolumeSnapshot(volumeSnapshot(record.id));
      await tx.updateVolume(record.id, { migrationStatus: 'migrating', attachments: [] });
      await tx.updateVolumeMigration(run.id, { phase: 'create_target', temporaryVolumeId: temporary.id });
      await tx.appendVolumeMigrationEvent({ migrationId: run.id, phase: 'create_target', migrationStatus: `target:${temporary.id}`, message: '', at: nextTime() });
      await tx.deleteVolumeType(volumeType().id);
      throw boom;
    }), (error) => error === boom);
    assert.equal(await store.getVolume(temporary.id), undefined);
    assert.deepEqual(await store.getVolume(record.id), record);
    assert.deepEqual(await store.getVolumeMigration(run.id), run);
    assert.deepEqual(await store.listVolumeMigrationEvents(run.id), []);
    assert.deepEqual(await store.listVolumeTypes(), [type]);
    assert.deepEqual(await store.listVolumeGroups(), []);
    assert.deepEqual(await store.listVolumeSnapshots(), []);
  });

  it('rolls back when a volume call inside fails and fn lets the typed error through', async () => {
    const { volume: record } = await seedVolume(store);
    await assert.rejects(store.transaction(async (tx) => {
      await tx.updateVolume(record.id, { status: 'error' });
      await tx.updateVolumeSnapshot('no-such-snapshot', { status: 'error' });
    }), { name: 'NotFoundError', reason: 'VOLUME_SNAPSHOT_NOT_FOUND' });
    assert.deepEqual(await store.getVolume(record.id), record);
  });
});
