/**
 * Volume lifecycle outside migrations (Cinder's create, delete, attach, detach, reset-status
 * and snapshots). Driver calls are synchronous, so each call answers with the settled state;
 * a driver failure leaves the record in an error status the operator can see and repair, and
 * is thrown to the caller. Each action holds the volume's lock, so it never interleaves with a
 * migration's decision on the same volume.
 */
import { FerryError } from '../../domain/errors.js';
import { backendOf, hostProblem } from '../../domain/host.js';
import {
  RESTING_VOLUME_MIGRATION_STATUSES, VOLUME_MIGRATION_STATUSES, VOLUME_STATUSES,
  type Volume, type VolumeAttachment, type VolumeMigrationStatus, type VolumeSnapshot, type VolumeStatus,
} from '../../domain/volumes.js';
import type { OrchestratorContext } from '../context.js';
import { ferryError, invalidField, notFound } from '../errors.js';
import type { AttachVolumeRequest, CreateVolumeRequest, VolumeView } from '../volume-api.js';
import { DEFAULT_VOLUME_TYPE, requireVolumeGroup, resolveVolumeType } from './catalog.js';
import { chooseVolumePool, requireVolumePool } from './placement.js';
import { loadVolumeView, requireVolume, toDriverVolume, toDriverVolumeSnapshot } from './views.js';

export function assertVolumeStatus(volume: Volume, allowed: readonly VolumeStatus[], action: string): void {
  if (!allowed.includes(volume.status)) {
    const locked = volume.status === 'maintenance' ? ' (locked by a migration started with lock_volume)' : '';
    throw ferryError('INVALID_VOLUME_STATUS', `volume ${volume.id} must be ${allowed.join(' or ')} for ${action}, but its status is ${volume.status}${locked}`, { volumeId: volume.id, status: volume.status });
  }
}

/** Cinder: delete, retype and migrate need migration_status None, deleting, error or success. */
export function assertNotMigrating(volume: Volume, action: string): void {
  if (!RESTING_VOLUME_MIGRATION_STATUSES.has(volume.migrationStatus)) {
    const what = volume.migrationStatus?.startsWith('target:') ? `the temporary volume of a migration of ${volume.migrationStatus.slice(7)}` : `migrating (migration_status ${volume.migrationStatus})`;
    throw ferryError('VOLUME_MIGRATING', `volume ${volume.id} is ${what}; ${action} is refused until the migration ends (wait, or AbortMigration)`, { volumeId: volume.id, migrationStatus: volume.migrationStatus ?? '' });
  }
}

function validSize(value: number): number {
  if (!Number.isInteger(value) || value < 1) throw invalidField('size_gib', `must be a whole number of GiB >= 1, got ${value}`);
  return value;
}

export async function createVolume(ctx: OrchestratorContext, request: CreateVolumeRequest): Promise<VolumeView> {
  const sizeGib = validSize(request.sizeGib);
  if (request.host) {
    const problem = hostProblem(request.host, true);
    if (problem !== undefined) throw invalidField('host', problem);
  }
  const type = await resolveVolumeType(ctx, request.volumeType || DEFAULT_VOLUME_TYPE);
  if (request.groupId) await requireVolumeGroup(ctx, request.groupId);
  const pool = request.host ? await requireVolumePool(ctx, request.host, type, sizeGib) : await chooseVolumePool(ctx, type, sizeGib, request.availabilityZone);
  if (request.availabilityZone && pool.availabilityZone !== request.availabilityZone) {
    throw ferryError('AVAILABILITY_ZONE_MISMATCH', `pool ${pool.host} is in availability zone ${pool.availabilityZone}, not ${request.availabilityZone}`, { host: pool.host });
  }
  const at = ctx.now();
  const volume: Volume = {
    id: ctx.newId(), name: request.name ?? '', description: request.description ?? '', sizeGib, volumeTypeId: type.id, status: 'creating',
    migrationStatus: null, previousStatus: null, host: pool.host, availabilityZone: pool.availabilityZone, nameId: null, providerLocation: '',
    groupId: request.groupId || null, attachments: [], createdAt: at, updatedAt: at,
  };
  await ctx.store.insertVolume(volume);
  await provisionVolume(ctx, volume);
  return loadVolumeView(ctx, volume.id);
}

/** Creates `volume` (a record in status creating) on its back end: available, or error and thrown. */
export async function provisionVolume(ctx: OrchestratorContext, volume: Volume, signal?: AbortSignal): Promise<Volume> {
  const driver = ctx.drivers.backend(backendOf(volume.host));
  try {
    const created = await driver.createVolume({ volume: await toDriverVolume(ctx.store, volume) }, { signal });
    return await ctx.store.updateVolume(volume.id, { status: 'available', providerLocation: created.providerLocation, updatedAt: ctx.now() });
  } catch (error) {
    await ctx.store.updateVolume(volume.id, { status: 'error', updatedAt: ctx.now() });
    throw error;
  }
}

export async function deleteVolume(ctx: OrchestratorContext, volumeId: string): Promise<void> {
  const volume = await ctx.locks.run(volumeId, async () => {
    const current = await requireVolume(ctx.store, volumeId);
    assertVolumeStatus(current, ['available', 'error', 'error_deleting'], 'delete');
    assertNotMigrating(current, 'delete');
    if ((await ctx.store.listVolumeSnapshots({ volumeId })).length > 0) {
      throw ferryError('VOLUME_HAS_SNAPSHOTS', `volume ${volumeId} has snapshots; delete them first`, { volumeId });
    }
    return ctx.store.updateVolume(volumeId, { status: 'deleting', updatedAt: ctx.now() });
  });
  await destroyVolume(ctx, volume);
}

/** Deletes the back-end object of `volume` and its record; error_deleting and thrown on failure. */
export async function destroyVolume(ctx: OrchestratorContext, volume: Volume, signal?: AbortSignal): Promise<void> {
  try {
    if (volume.host !== '') await ctx.drivers.backend(backendOf(volume.host)).deleteVolume({ volume: await toDriverVolume(ctx.store, volume) }, { signal });
  } catch (error) {
    await ctx.store.updateVolume(volume.id, { status: 'error_deleting', updatedAt: ctx.now() });
    throw error;
  }
  await ctx.store.deleteVolume(volume.id);
}

/** Multi-attach needs a type that says so (Cinder's multiattach extra spec). */
function allowsMultiattach(extraSpecs: Readonly<Record<string, string>>): boolean {
  return /^(<is>\s*)?true$/i.test((extraSpecs['multiattach'] ?? '').trim());
}

export async function attachVolume(ctx: OrchestratorContext, request: AttachVolumeRequest): Promise<VolumeView> {
  const instanceUuid = request.instanceUuid ?? '';
  const attachedHost = request.attachedHost ?? '';
  if (instanceUuid === '' && attachedHost === '') throw invalidField('instance_uuid', 'an attachment names its consumer: instance_uuid or attached_host', 'MISSING_FIELD');
  await ctx.locks.run(request.volumeId, async () => {
    const volume = await requireVolume(ctx.store, request.volumeId);
    assertVolumeStatus(volume, ['available', 'in-use'], 'attach');
    // QUIRK(Cinder): an attach during a migration without lock_volume is allowed and its outcome is
    // "unpredictable" (seed). ferry refuses it: wait for the migration or abort it first.
    assertNotMigrating(volume, 'attach');
    if (volume.status === 'in-use') {
      const type = await ctx.store.getVolumeType(volume.volumeTypeId);
      if (!allowsMultiattach(type?.extraSpecs ?? {})) {
        throw ferryError('INVALID_VOLUME_STATUS', `volume ${volume.id} is already attached and its type does not allow multiattach`, { volumeId: volume.id, status: volume.status });
      }
    }
    const attachment: VolumeAttachment = { id: ctx.newId(), instanceUuid, attachedHost, mountpoint: request.mountpoint ?? '', attachedAt: ctx.now() };
    await ctx.store.updateVolume(volume.id, { status: 'in-use', attachments: [...volume.attachments, attachment], updatedAt: ctx.now() });
  });
  return loadVolumeView(ctx, request.volumeId);
}

export async function detachVolume(ctx: OrchestratorContext, volumeId: string, attachmentId?: string): Promise<VolumeView> {
  await ctx.locks.run(volumeId, async () => {
    const volume = await requireVolume(ctx.store, volumeId);
    assertVolumeStatus(volume, ['in-use'], 'detach');
    assertNotMigrating(volume, 'detach');
    let target: VolumeAttachment | undefined = volume.attachments[0];
    if (attachmentId) target = volume.attachments.find((a) => a.id === attachmentId);
    else if (volume.attachments.length > 1) throw invalidField('attachment_id', `volume ${volumeId} has ${volume.attachments.length} attachments: name one`, 'MISSING_FIELD');
    if (target === undefined) throw invalidField('attachment_id', `volume ${volumeId} has no attachment ${attachmentId}`);
    const rest = volume.attachments.filter((a) => a.id !== target!.id);
    await ctx.store.updateVolume(volumeId, { attachments: rest, status: rest.length === 0 ? 'available' : 'in-use', updatedAt: ctx.now() });
  });
  return loadVolumeView(ctx, volumeId);
}

/** Cinder's os-reset_status for an operator repairing a record; it touches no back end. */
export async function resetVolumeStatus(ctx: OrchestratorContext, volumeId: string, reset: { status?: VolumeStatus; migrationStatus?: VolumeMigrationStatus | '' }): Promise<VolumeView> {
  if (reset.status === undefined && reset.migrationStatus === undefined) throw invalidField('status', 'give status, migration_status or both', 'MISSING_FIELD');
  if (reset.status !== undefined && !(VOLUME_STATUSES as readonly string[]).includes(reset.status)) {
    throw invalidField('status', `must be one of ${VOLUME_STATUSES.join(', ')}`, 'INVALID_STATUS');
  }
  const ms = reset.migrationStatus;
  if (ms !== undefined && ms !== '' && !(VOLUME_MIGRATION_STATUSES as readonly string[]).includes(ms) && !/^target:.+/.test(ms)) {
    throw invalidField('migration_status', `must be empty, one of ${VOLUME_MIGRATION_STATUSES.join(', ')} or target:<volume id>`, 'INVALID_STATUS');
  }
  await ctx.locks.run(volumeId, async () => {
    await requireVolume(ctx.store, volumeId);
    await ctx.store.updateVolume(volumeId, {
      ...(reset.status !== undefined ? { status: reset.status } : {}),
      ...(ms !== undefined ? { migrationStatus: ms === '' ? null : ms } : {}),
      updatedAt: ctx.now(),
    });
  });
  ctx.logger.warn({ volumeId, ...reset }, 'volume status reset by an operator');
  return loadVolumeView(ctx, volumeId);
}

export async function createVolumeSnapshot(ctx: OrchestratorContext, request: { volumeId: string; name?: string }): Promise<VolumeSnapshot> {
  const { volume, snapshot } = await ctx.locks.run(request.volumeId, async () => {
    const volume = await requireVolume(ctx.store, request.volumeId);
    assertVolumeStatus(volume, ['available', 'in-use'], 'snapshot');
    assertNotMigrating(volume, 'snapshot');
    const snapshot: VolumeSnapshot = {
      id: ctx.newId(), volumeId: volume.id, name: request.name ?? '', sizeGib: volume.sizeGib, status: 'creating', providerLocation: '', createdAt: ctx.now(),
    };
    await ctx.store.insertVolumeSnapshot(snapshot);
    return { volume, snapshot };
  });
  try {
    const created = await ctx.drivers.backend(backendOf(volume.host)).createVolumeSnapshot({ snapshot: toDriverVolumeSnapshot(snapshot), volume: await toDriverVolume(ctx.store, volume) });
    return await ctx.store.updateVolumeSnapshot(snapshot.id, { status: 'available', providerLocation: created.providerLocation });
  } catch (error) {
    await ctx.store.updateVolumeSnapshot(snapshot.id, { status: 'error' });
    throw error;
  }
}

export async function deleteVolumeSnapshot(ctx: OrchestratorContext, snapshotId: string): Promise<void> {
  const snapshot = await ctx.store.getVolumeSnapshot(snapshotId);
  if (snapshot === undefined) throw notFound('VOLUME_SNAPSHOT_NOT_FOUND', 'volume snapshot', snapshotId, 'snapshotId');
  const volume = await requireVolume(ctx.store, snapshot.volumeId);
  await ctx.store.updateVolumeSnapshot(snapshotId, { status: 'deleting' });
  try {
    await ctx.drivers.backend(backendOf(volume.host)).deleteVolumeSnapshot({ snapshot: toDriverVolumeSnapshot(snapshot), volume: await toDriverVolume(ctx.store, volume) });
  } catch (error) {
    await ctx.store.updateVolumeSnapshot(snapshotId, { status: 'error_deleting' });
    throw error instanceof FerryError ? error : FerryError.from(error);
  }
  await ctx.store.deleteVolumeSnapshot(snapshotId);
}
