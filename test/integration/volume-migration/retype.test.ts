/**
 * Retype with real block back ends: in place when the back end can, refused with
 * migration_policy never when the type needs another back end, migrated with on-demand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertFerryError } from '../../helpers/migration-harness.js';
import { MIB, sha256File, startVolumeFerry } from '../../helpers/volume-migration.js';

describe('volume retype', { concurrency: false }, () => {
  it('retypes in place, refuses a type that needs migration under never, and migrates under on-demand', async (t) => {
    const h = await startVolumeFerry(t);
    const gold1 = await h.ferry.createVolumeType({ name: 'gold1', extraSpecs: { volume_backend_name: 'block1' } });
    const silver1 = await h.ferry.createVolumeType({ name: 'silver1', extraSpecs: { volume_backend_name: 'block1', tier: 'silver' } });
    const gold2 = await h.ferry.createVolumeType({ name: 'gold2', extraSpecs: { volume_backend_name: 'block2' } });
    const volume = await h.ferry.createVolume({ sizeGib: 1, volumeType: 'gold1' });
    assert.match(volume.host, /^ferry@block1#/, 'the scheduler honours volume_backend_name');
    h.writePattern(volume, 0, MIB, 5);
    const digest = sha256File(h.imageOf(volume));

    // In place: the back end keeps it and only the type changes.
    const inPlace = await h.ferry.retypeVolume({ volumeId: volume.id, newType: 'silver1' });
    assert.equal(inPlace.volume.status, 'retyping');
    let progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'success', progress.error);
    assert.equal(progress.method, 'retype_in_place');
    let current = await h.ferry.getVolume(volume.id);
    assert.equal(current.volumeTypeId, silver1.id);
    assert.equal(current.host, volume.host);
    assert.equal(current.status, 'available');
    assert.equal(current.migrationStatus, null, 'an in-place retype is not a migration');

    // never: block1 cannot hold a block2 type, so the retype is refused before anything happens.
    await assertFerryError(h.ferry.retypeVolume({ volumeId: volume.id, newType: gold2.id }), 'FAILED_PRECONDITION', 'RETYPE_REQUIRES_MIGRATION', 'Retype requires migration but is not allowed');
    current = await h.ferry.getVolume(volume.id);
    assert.equal(current.status, 'available');
    assert.equal(current.volumeTypeId, silver1.id);

    // on-demand: it moves to block2; the tier spec changes too, which closes the driver path.
    const moving = await h.ferry.retypeVolume({ volumeId: volume.id, newType: 'gold2', migrationPolicy: 'on-demand' });
    assert.equal(moving.volume.status, 'retyping');
    assert.equal(moving.volume.migrationStatus, 'starting');
    progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'success', progress.error);
    assert.equal(progress.method, 'host_copy', 'the tier spec changes too, which only a new volume gives');
    current = await h.ferry.getVolume(volume.id);
    assert.equal(current.volumeTypeId, gold2.id);
    assert.match(current.host, /^ferry@block2#/);
    assert.equal(current.status, 'available');
    assert.equal(current.migrationStatus, 'success');
    assert.equal(sha256File(h.imageOf(current)), digest);

    // Back to block1 with a diff of volume_backend_name only: the driver moves it.
    await h.ferry.retypeVolume({ volumeId: volume.id, newType: gold1.id, migrationPolicy: 'on-demand' });
    progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'success', progress.error);
    assert.equal(progress.method, 'driver_assisted');
    current = await h.ferry.getVolume(volume.id);
    assert.equal(current.volumeTypeId, gold1.id);
    assert.match(current.host, /^ferry@block1#/);
    assert.equal(sha256File(h.imageOf(current)), digest);
  });

  it('validates a retype: unknown type, same type, bad policy, status, snapshots under on-demand', async (t) => {
    const h = await startVolumeFerry(t);
    await h.ferry.createVolumeType({ name: 'b1', extraSpecs: { volume_backend_name: 'block1' } });
    await h.ferry.createVolumeType({ name: 'b2', extraSpecs: { volume_backend_name: 'block2' } });
    const volume = await h.ferry.createVolume({ sizeGib: 1, volumeType: 'b1' });
    await assertFerryError(h.ferry.retypeVolume({ volumeId: volume.id, newType: 'nope' }), 'NOT_FOUND', 'VOLUME_TYPE_NOT_FOUND');
    await assertFerryError(h.ferry.retypeVolume({ volumeId: volume.id, newType: 'b1' }), 'INVALID_ARGUMENT', 'VOLUME_TYPE_UNCHANGED');
    await assertFerryError(h.ferry.retypeVolume({ volumeId: volume.id, newType: 'b2', migrationPolicy: 'sometimes' as never }), 'INVALID_ARGUMENT', 'INVALID_FIELD');
    await assertFerryError(h.ferry.retypeVolume({ volumeId: 'missing', newType: 'b2' }), 'NOT_FOUND', 'VOLUME_NOT_FOUND');
    await assertFerryError(h.ferry.retypeVolume({ volumeId: volume.id, newType: '' }), 'INVALID_ARGUMENT', 'MISSING_FIELD');
    const snapshot = await h.ferry.createVolumeSnapshot({ volumeId: volume.id, name: 's' });
    await assertFerryError(h.ferry.retypeVolume({ volumeId: volume.id, newType: 'b2', migrationPolicy: 'on-demand' }), 'FAILED_PRECONDITION', 'VOLUME_HAS_SNAPSHOTS');
    await h.ferry.deleteVolumeSnapshot(snapshot.id);
    await h.ferry.resetVolumeStatus(volume.id, { status: 'error' });
    await assertFerryError(h.ferry.retypeVolume({ volumeId: volume.id, newType: 'b2', migrationPolicy: 'on-demand' }), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS');
    assert.equal((await h.ferry.getVolume(volume.id)).migration, null, 'no refused retype left a record');
  });
});
