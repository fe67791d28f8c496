/**
 * Volume migration end to end with real plugin processes: driver-assisted moves inside and
 * between block back ends, the forced generic host copy (content identical by hash, holes kept),
 * the fallback between two different plugins, and an in-use volume. Every check reads real
 * image files and the store.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { allocatedBytes, MIB, sha256File, startVolumeFerry } from '../../helpers/volume-migration.js';

describe('volume migration', { concurrency: false }, () => {
  it('moves a volume between two pools of one block back end by the driver', async (t) => {
    const h = await startVolumeFerry(t);
    const volume = await h.ferry.createVolume({ sizeGib: 1, host: 'ferry@block1#pool1', name: 'v1' });
    assert.equal(volume.status, 'available');
    h.writePattern(volume, 5 * MIB, 2 * MIB, 7);
    const digest = sha256File(h.imageOf(volume));

    const started = await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@block1#pool2' });
    assert.equal(started.volume.migrationStatus, 'starting');
    const progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'success', progress.error);
    assert.equal(progress.method, 'driver_assisted');
    assert.equal(progress.totalProgress, 100);

    const moved = await h.ferry.getVolume(volume.id);
    assert.equal(moved.host, 'ferry@block1#pool2');
    assert.equal(moved.migrationStatus, 'success');
    assert.equal(moved.status, 'available');
    assert.equal(sha256File(h.imageOf(moved)), digest, 'same bytes on the destination pool');
    assert.equal(existsSync(h.imageOf(volume)), false, 'nothing left in the source pool');
    const phases = (await h.ferry.volumeMigrationHistory(progress.migrationId)).map((event) => event.phase);
    assert.deepEqual(phases, ['accepted', 'driver_migrate', 'finished']);
  });

  it('moves a volume to another block back end by the driver, through the peer', async (t) => {
    const h = await startVolumeFerry(t);
    const volume = await h.ferry.createVolume({ sizeGib: 1, host: 'ferry@block1#pool1' });
    h.writePattern(volume, 0, MIB, 3);
    const digest = sha256File(h.imageOf(volume));
    await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@block2#pool2' });
    const progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'success', progress.error);
    assert.equal(progress.method, 'driver_assisted');
    const moved = await h.ferry.getVolume(volume.id);
    assert.equal(moved.host, 'ferry@block2#pool2');
    assert.equal(sha256File(h.imageOf(moved)), digest);
    assert.equal(existsSync(h.imageOf(volume)), false);
  });

  it('copies a sparse volume through the data node when force_host_copy is given: same bytes, holes kept, the id survives', async (t) => {
    const h = await startVolumeFerry(t);
    const volume = await h.ferry.createVolume({ sizeGib: 1, host: 'ferry@block1#pool1' });
    // 3 MiB of data scattered over 1 GiB: a thin volume.
    for (const [offset, seed] of [[0, 1], [300 * MIB, 2], [1023 * MIB, 3]] as const) h.writePattern(volume, offset, MIB, seed);
    const source = h.imageOf(volume);
    const digest = sha256File(source);
    const sourceAllocated = allocatedBytes(source);

    const { migrationId } = await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@block2#pool1', forceHostCopy: true });
    const progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'success', progress.error);
    assert.equal(progress.method, 'host_copy');
    assert.equal(progress.transferMode, 'file');
    assert.equal(progress.fallbackReason, 'force_host_copy was given');
    assert.equal(progress.totalProgress, 100);

    const moved = await h.ferry.getVolume(volume.id);
    assert.equal(moved.id, volume.id);
    assert.equal(moved.host, 'ferry@block2#pool1');
    assert.equal(moved.migrationStatus, 'success');
    assert.equal(moved.status, 'available');
    assert.equal(moved.nameId, null, 'the block plugin renamed the new object to the volume id');
    const destination = h.imageOf(moved);
    assert.equal(sha256File(destination), digest, 'content identical by sha256');
    assert.ok(allocatedBytes(destination) <= sourceAllocated + 4 * MIB, `destination allocates ${allocatedBytes(destination)} bytes, source ${sourceAllocated}`);
    assert.equal(existsSync(source), false, 'the old object was deleted on the source');
    const all = await h.ferry.listVolumes();
    assert.deepEqual(all.map((v) => v.id), [volume.id], 'the temporary record is gone');
    const history = await h.ferry.volumeMigrationHistory(migrationId);
    assert.deepEqual(history.map((event) => [event.phase, event.migrationStatus]), [
      ['accepted', 'starting'], ['create_target', 'migrating'], ['host_copy', 'migrating'], ['complete', 'completing'], ['delete_old', 'success'], ['finished', 'success'],
    ]);
  });

  it('falls back to the host copy between two different plugins and keeps an in-use volume attached', async (t) => {
    const h = await startVolumeFerry(t);
    const volume = await h.ferry.createVolume({ sizeGib: 1, host: 'ferry@dummy1#alpha' });
    h.writePattern(volume, 10 * MIB, MIB, 11);
    const digest = sha256File(h.imageOf(volume));
    const attached = await h.ferry.attachVolume({ volumeId: volume.id, instanceUuid: 'vm-1', mountpoint: '/dev/vdb' });
    assert.equal(attached.status, 'in-use');

    await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@block1#pool2' });
    const progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'success', progress.error);
    assert.equal(progress.method, 'host_copy');
    assert.match(progress.fallbackReason, /attached/);
    const moved = await h.ferry.getVolume(volume.id);
    assert.equal(moved.status, 'in-use', 'status restored');
    assert.deepEqual(moved.attachments.map((a) => a.instanceUuid), ['vm-1'], 'the attachment follows the volume');
    assert.equal(sha256File(h.imageOf(moved)), digest);
    assert.equal(existsSync(h.imageOf(volume)), false, 'the dummy deleted the old object');
  });
});
