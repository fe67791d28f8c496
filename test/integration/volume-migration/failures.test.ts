/**
 * Volume migration failure paths with real dummy plugins whose behaviour rules fail or hold a
 * call: lock_volume, abort, each failing step and what it leaves, Cinder's defaults when
 * UpdateMigratedVolume is not implemented, and a restart mid-copy. Waits poll the store or the
 * dummy's entered log; nothing sleeps for a fixed time.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertFerryError } from '../../helpers/migration-harness.js';
import { MIB, sha256File, startVolumeFerry, type VolumeFerry } from '../../helpers/volume-migration.js';

const fail = (code: string, reason: string, message = 'injected') => ({ fail: { code, reason, message } });

async function volumeOnDummy1(h: VolumeFerry) {
  const volume = await h.ferry.createVolume({ sizeGib: 1, host: 'ferry@dummy1#alpha' });
  h.writePattern(volume, 0, MIB, 9);
  return { volume, digest: sha256File(h.imageOf(volume)) };
}

/** The volume is back where it was: same host, status, bytes; migration_status error; no other volume record. */
async function assertRestored(h: VolumeFerry, volume: { id: string; host: string; nameId: string | null }, digest: string, status = 'available'): Promise<void> {
  const after = await h.ferry.getVolume(volume.id);
  assert.equal(after.host, volume.host);
  assert.equal(after.status, status);
  assert.equal(after.migrationStatus, 'error');
  assert.equal(sha256File(h.imageOf(after)), digest);
  assert.deepEqual((await h.ferry.listVolumes()).map((v) => v.id), [volume.id], 'no temporary volume left');
}

describe('volume migration failures', { concurrency: false }, () => {
  it('lock_volume: maintenance for the whole migration, attach refused, abort refused, status restored at the end', async (t) => {
    const h = await startVolumeFerry(t);
    const hold = h.holdFile('migrate');
    h.setRules('dummy1', { migrateVolume: { holdUntilFile: hold } });
    const { volume, digest } = await volumeOnDummy1(h);
    const started = await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@dummy2#beta', lockVolume: true });
    assert.equal(started.volume.status, 'maintenance');
    assert.equal(started.volume.previousStatus, 'available');
    await h.entered('dummy1', 'migrateVolume');
    await assertFerryError(h.ferry.attachVolume({ volumeId: volume.id, instanceUuid: 'vm' }), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS', 'lock_volume');
    await assertFerryError(h.ferry.abortVolumeMigration(volume.id), 'FAILED_PRECONDITION', 'VOLUME_LOCKED');
    await assertFerryError(h.ferry.deleteVolume(volume.id), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS');
    await assertFerryError(h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@block1#pool1' }), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS');
    h.release(hold);
    const progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'success', progress.error);
    const after = await h.ferry.getVolume(volume.id);
    assert.equal(after.status, 'available');
    assert.equal(after.previousStatus, null);
    assert.equal(after.host, 'ferry@dummy2#beta');
    assert.equal(sha256File(h.imageOf(after)), digest);
  });

  it('abort stops a host copy and rolls back; it is refused while the driver moves the volume', async (t) => {
    const h = await startVolumeFerry(t);
    const { volume, digest } = await volumeOnDummy1(h);
    const holdMigrate = h.holdFile('migrate');
    h.setRules('dummy1', { migrateVolume: { holdUntilFile: holdMigrate } });
    await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@dummy2#beta' });
    await h.entered('dummy1', 'migrateVolume');
    await assertFerryError(h.ferry.abortVolumeMigration(volume.id), 'FAILED_PRECONDITION', 'VOLUME_MIGRATION_NOT_ABORTABLE', 'driver_migrate');
    h.setRules('dummy1', {});
    h.release(holdMigrate);
    assert.equal((await h.waitForEnd(volume.id)).outcome, 'success');

    // Back with a forced host copy, held at the destination's attach.
    const holdAttach = h.holdFile('attach');
    h.setRules('dummy1', { attachVolume: { holdUntilFile: holdAttach } });
    await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@dummy1#alpha', forceHostCopy: true });
    await h.entered('dummy1', 'attachVolume');
    const during = await h.ferry.getVolumeMigration(volume.id);
    assert.equal(during.phase, 'host_copy');
    assert.notEqual(during.temporaryVolumeId, '');
    assert.equal((await h.ferry.getVolume(during.temporaryVolumeId)).migrationStatus, `target:${volume.id}`);
    await assertFerryError(h.ferry.attachVolume({ volumeId: volume.id, instanceUuid: 'vm' }), 'FAILED_PRECONDITION', 'VOLUME_MIGRATING');
    await assertFerryError(h.ferry.deleteVolume(during.temporaryVolumeId), 'FAILED_PRECONDITION', 'VOLUME_MIGRATING', 'temporary volume');

    const aborted = await h.ferry.abortVolumeMigration(volume.id);
    assert.equal(aborted.migration?.phase, 'rollback');
    h.release(holdAttach);
    const progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'cancelled');
    assert.equal(progress.errorReason, 'VOLUME_MIGRATION_ABORTED');
    const moved = await h.ferry.getVolume(volume.id);
    await assertRestored(h, moved, digest);
    assert.equal(Object.keys(h.dummyState('dummy1').volumes ?? {}).includes(during.temporaryVolumeId), false, 'the temporary volume is gone from its back end');
    await assertFerryError(h.ferry.abortVolumeMigration(volume.id), 'FAILED_PRECONDITION', 'VOLUME_MIGRATION_NOT_ABORTABLE', 'no migration');
  });

  it('a failing driver migration ends in error with the status restored and nothing created', async (t) => {
    const h = await startVolumeFerry(t, { rules: { dummy1: { migrateVolume: fail('INTERNAL', 'BACKEND_ERROR', 'array fault') } } });
    const { volume, digest } = await volumeOnDummy1(h);
    await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@dummy2#beta', lockVolume: true });
    const progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'error');
    assert.equal(progress.errorReason, 'BACKEND_ERROR');
    assert.match(progress.error, /array fault/);
    await assertRestored(h, volume, digest);
  });

  it('a failing temporary volume, attach or copy rolls back and deletes the temporary volume', async (t) => {
    const h = await startVolumeFerry(t);
    const { volume, digest } = await volumeOnDummy1(h);

    h.setRules('dummy2', { createVolume: fail('RESOURCE_EXHAUSTED', 'INSUFFICIENT_CAPACITY') });
    await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@dummy2#beta', forceHostCopy: true });
    let progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'error');
    assert.equal(progress.errorReason, 'INSUFFICIENT_CAPACITY');
    await assertRestored(h, volume, digest);

    h.setRules('dummy2', {});
    h.setRules('dummy1', { attachVolume: fail('FAILED_PRECONDITION', 'RESOURCE_IN_USE') });
    await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@dummy2#beta', forceHostCopy: true });
    progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'error');
    assert.equal(progress.errorReason, 'RESOURCE_IN_USE');
    await assertRestored(h, volume, digest);
    assert.deepEqual(Object.keys(h.dummyState('dummy2').volumes ?? {}), [], 'the temporary volume was deleted on dummy2');
  });

  it('UpdateMigratedVolume NOT_FOUND keeps the temporary volume in error; UNIMPLEMENTED applies Cinder\'s defaults', async (t) => {
    const h = await startVolumeFerry(t, { rules: { dummy2: { updateMigratedVolume: fail('NOT_FOUND', 'VOLUME_NOT_FOUND') } } });
    const { volume, digest } = await volumeOnDummy1(h);
    await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@dummy2#beta', forceHostCopy: true });
    let progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'error');
    assert.equal(progress.errorReason, 'VOLUME_NOT_FOUND');
    const after = await h.ferry.getVolume(volume.id);
    assert.equal(after.host, volume.host, 'the user\'s volume still describes the intact source');
    assert.equal(after.migrationStatus, 'error');
    assert.equal(sha256File(h.imageOf(after)), digest);
    const kept = await h.ferry.getVolume(progress.temporaryVolumeId);
    assert.equal(kept.status, 'error');
    assert.equal(kept.migrationStatus, null);
    await h.ferry.deleteVolume(kept.id);

    h.setRules('dummy2', { updateMigratedVolume: fail('UNIMPLEMENTED', 'CAPABILITY_NOT_SUPPORTED') });
    await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@dummy2#beta', forceHostCopy: true });
    progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'success', progress.error);
    const moved = await h.ferry.getVolume(volume.id);
    assert.equal(moved.nameId, progress.temporaryVolumeId, 'Cinder\'s default: the record names the temporary object');
    assert.equal(sha256File(h.imageOf(moved)), digest);
  });

  it('an old object that cannot be deleted leaves migration_status deleting and its record for a retry', async (t) => {
    const h = await startVolumeFerry(t);
    const { volume, digest } = await volumeOnDummy1(h);
    h.setRules('dummy1', { deleteVolume: fail('INTERNAL', 'BACKEND_ERROR') });
    await h.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@dummy2#beta', forceHostCopy: true });
    const progress = await h.waitForEnd(volume.id);
    assert.equal(progress.outcome, 'success');
    const moved = await h.ferry.getVolume(volume.id);
    assert.equal(moved.migrationStatus, 'deleting');
    assert.equal(moved.host, 'ferry@dummy2#beta');
    assert.equal(sha256File(h.imageOf(moved)), digest);
    const old = await h.ferry.getVolume(progress.temporaryVolumeId);
    assert.equal(old.status, 'error_deleting');
    assert.equal(old.host, volume.host);
    assert.ok(existsSync(h.imageOf(old)), 'the old object is still there');
    h.setRules('dummy1', {});
    await h.ferry.deleteVolume(old.id);
    assert.equal(existsSync(h.imageOf(old)), false);
  });

  it('a restart of ferry mid-copy resumes the migration and completes it', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'fe-vm-'));
    const first = await startVolumeFerry(t, { dir });
    const hold = first.holdFile('attach');
    first.setRules('dummy2', { attachVolume: { holdUntilFile: hold } });
    const { volume, digest } = await volumeOnDummy1(first);
    const { migrationId } = await first.ferry.migrateVolume({ volumeId: volume.id, host: 'ferry@dummy2#beta', forceHostCopy: true });
    await first.entered('dummy2', 'attachVolume');
    await first.ferry.close();
    first.setRules('dummy2', {});

    const second = await startVolumeFerry(t, { dir });
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const progress = await second.waitForEnd(volume.id);
    assert.equal(progress.migrationId, migrationId);
    assert.equal(progress.outcome, 'success', progress.error);
    const moved = await second.ferry.getVolume(volume.id);
    assert.equal(sha256File(second.imageOf(moved)), digest);
    const phases = (await second.ferry.volumeMigrationHistory(migrationId)).map((event) => event.phase);
    assert.equal(phases.filter((phase) => phase === 'host_copy').length, 1, 'the restart re-ran the phase without a second entry');
  });
});
