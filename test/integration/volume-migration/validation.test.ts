/**
 * Every precondition of MigrateVolume (manila-migration-behaviour 7), each with its gRPC code
 * and reason, and that a refused migration changes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { blockBackend, startTestFerry } from '../../helpers/ferry-harness.js';
import { assertFerryError } from '../../helpers/migration-harness.js';
import { startVolumeFerry } from '../../helpers/volume-migration.js';

describe('MigrateVolume preconditions', { concurrency: false }, () => {
  it('refuses bad input, wrong states, snapshots, groups, the same host and unusable destinations', async (t) => {
    const h = await startVolumeFerry(t, { localfs: true });
    const { ferry } = h;
    const volume = await ferry.createVolume({ sizeGib: 1, host: 'ferry@block1#pool1' });
    const migrate = (host: string, volumeId = volume.id) => ferry.migrateVolume({ volumeId, host });

    await assertFerryError(migrate('ferry@block2#pool1', ''), 'INVALID_ARGUMENT', 'MISSING_FIELD');
    await assertFerryError(migrate(''), 'INVALID_ARGUMENT', 'MISSING_FIELD');
    await assertFerryError(migrate('ferry@block2'), 'INVALID_ARGUMENT', 'INVALID_FIELD', 'names no pool');
    await assertFerryError(migrate('ferry@block2#pool1', 'nope'), 'NOT_FOUND', 'VOLUME_NOT_FOUND');
    await assertFerryError(migrate('ferry@block1#pool1'), 'FAILED_PRECONDITION', 'VOLUME_SAME_HOST');
    await assertFerryError(migrate('ferry@nowhere#pool1'), 'NOT_FOUND', 'BACKEND_NOT_FOUND');
    await assertFerryError(migrate('ferry@block2#pool9'), 'NOT_FOUND', 'POOL_NOT_FOUND');
    await assertFerryError(migrate('ferry@localfs1#pool1'), 'FAILED_PRECONDITION', 'VOLUMES_NOT_SUPPORTED');

    // The type pins block1: block2 is no valid host for it.
    await ferry.createVolumeType({ name: 'pinned', extraSpecs: { volume_backend_name: 'block1' } });
    const pinned = await ferry.createVolume({ sizeGib: 1, volumeType: 'pinned', host: 'ferry@block1#pool1' });
    await assertFerryError(migrate('ferry@block2#pool1', pinned.id), 'FAILED_PRECONDITION', 'NO_VALID_HOST', 'volume_backend_name');

    // status: only available and in-use migrate.
    for (const status of ['error', 'maintenance', 'creating'] as const) {
      await ferry.resetVolumeStatus(volume.id, { status });
      await assertFerryError(migrate('ferry@block2#pool1'), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS', status);
    }
    await ferry.resetVolumeStatus(volume.id, { status: 'available' });

    // migration_status: a migration under way (or a temporary volume) refuses; resting values do not.
    for (const migrationStatus of ['starting', 'migrating', 'completing', `target:${pinned.id}`] as const) {
      await ferry.resetVolumeStatus(volume.id, { migrationStatus });
      await assertFerryError(migrate('ferry@block2#pool1'), 'FAILED_PRECONDITION', 'VOLUME_MIGRATING');
    }
    await ferry.resetVolumeStatus(volume.id, { migrationStatus: 'error' });

    const snapshot = await ferry.createVolumeSnapshot({ volumeId: volume.id });
    assert.equal(snapshot.status, 'available');
    await assertFerryError(migrate('ferry@block2#pool1'), 'FAILED_PRECONDITION', 'VOLUME_HAS_SNAPSHOTS');
    await ferry.deleteVolumeSnapshot(snapshot.id);

    const group = await ferry.createVolumeGroup({ name: 'g' });
    const grouped = await ferry.createVolume({ sizeGib: 1, host: 'ferry@block1#pool1', groupId: group.id });
    await assertFerryError(migrate('ferry@block2#pool1', grouped.id), 'FAILED_PRECONDITION', 'VOLUME_IN_GROUP');
    await assertFerryError(ferry.deleteVolumeGroup(group.id), 'FAILED_PRECONDITION', 'IN_USE');

    const after = await ferry.getVolume(volume.id);
    assert.equal(after.host, 'ferry@block1#pool1');
    assert.equal(after.migrationStatus, 'error', 'refusals change nothing');
    assert.equal(after.migration, null, 'no refused migration left a record');

    // A resting migration_status lets it go.
    await migrate('ferry@block2#pool1');
    assert.equal((await h.waitForEnd(volume.id)).outcome, 'success');
  });

  it('refuses a destination whose plugin is down with BACKEND_DOWN', async (t) => {
    // "broken" cannot start (its root is not absolute), so the host keeps restarting it.
    const h = await startTestFerry(t, { backends: (dir) => [blockBackend('block1', join(dir, 'b', 'block1')), blockBackend('broken', 'relative/root')], awaitBackends: ['block1'] });
    const volume = await h.ferry.createVolume({ sizeGib: 1, host: 'ferry@block1#pool1' });
    await assertFerryError(h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@broken#pool1' }), 'FAILED_PRECONDITION', 'BACKEND_DOWN');
    assert.equal((await h.ferry.getVolume(volume.id)).migrationStatus, null);
  });

  it('guards the volume lifecycle: delete needs no snapshots and a detached volume, attach and detach need the right status', async (t) => {
    const h = await startVolumeFerry(t);
    const { ferry } = h;
    await assertFerryError(ferry.createVolume({ sizeGib: 0 }), 'INVALID_ARGUMENT', 'INVALID_FIELD');
    await assertFerryError(ferry.createVolume({ sizeGib: 1, volumeType: 'none' }), 'NOT_FOUND', 'VOLUME_TYPE_NOT_FOUND');
    await assertFerryError(ferry.createVolume({ sizeGib: 1, groupId: 'none' }), 'NOT_FOUND', 'VOLUME_GROUP_NOT_FOUND');
    await assertFerryError(ferry.createVolume({ sizeGib: 1_000_000, host: 'ferry@block1#pool1' }), 'FAILED_PRECONDITION', 'NO_VALID_HOST');
    const volume = await ferry.createVolume({ sizeGib: 1, host: 'ferry@block1#pool1' });
    const image = h.imageOf(volume);

    await assertFerryError(ferry.detachVolume(volume.id), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS');
    await assertFerryError(ferry.attachVolume({ volumeId: volume.id }), 'INVALID_ARGUMENT', 'MISSING_FIELD');
    const attached = await ferry.attachVolume({ volumeId: volume.id, attachedHost: 'host-a' });
    assert.equal(attached.status, 'in-use');
    await assertFerryError(ferry.attachVolume({ volumeId: volume.id, attachedHost: 'host-b' }), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS', 'multiattach');
    await assertFerryError(ferry.deleteVolume(volume.id), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS');
    assert.equal((await ferry.detachVolume(volume.id)).status, 'available');

    const snapshot = await ferry.createVolumeSnapshot({ volumeId: volume.id });
    await assertFerryError(ferry.deleteVolume(volume.id), 'FAILED_PRECONDITION', 'VOLUME_HAS_SNAPSHOTS');
    await assertFerryError(ferry.deleteVolumeType('__DEFAULT__'), 'FAILED_PRECONDITION', 'IN_USE');
    await ferry.deleteVolumeSnapshot(snapshot.id);
    await assertFerryError(ferry.deleteVolumeSnapshot(snapshot.id), 'NOT_FOUND', 'VOLUME_SNAPSHOT_NOT_FOUND');
    await ferry.deleteVolume(volume.id);
    await assertFerryError(ferry.getVolume(volume.id), 'NOT_FOUND', 'VOLUME_NOT_FOUND');
    assert.equal(existsSync(image), false, 'the image is gone');
  });
});
