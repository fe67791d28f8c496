/**
 * The checks MigrateVolume and RetypeVolume make before anything is recorded, in Cinder's
 * order (manila-migration-behaviour 7), each raising the catalogue's reason. Cinder answers
 * most of them with a 400 InvalidVolume and leaves destination checks to the scheduler, which
 * fails the migration later (migration_status error); ferry checks the destination at once, so
 * the caller learns why in the answer.
 */
import { hostProblem } from '../../domain/host.js';
import type { Pool } from '../../domain/resources.js';
import type { Volume, VolumeType } from '../../domain/volumes.js';
import type { OrchestratorContext } from '../context.js';
import { ferryError, invalidField } from '../errors.js';
import { resolveVolumeType } from '../volumes/catalog.js';
import { assertNotMigrating, assertVolumeStatus } from '../volumes/lifecycle.js';
import { chooseVolumePool, requireVolumePool, volumePoolProblem } from '../volumes/placement.js';
import { requireVolume } from '../volumes/views.js';
import type { MigrateVolumeRequest, RetypeVolumeRequest } from '../volume-api.js';

export interface ValidatedMigration {
  readonly volume: Volume;
  readonly type: VolumeType;
  readonly destination: Pool;
}

export interface ValidatedRetype {
  readonly volume: Volume;
  readonly oldType: VolumeType;
  readonly newType: VolumeType;
  readonly policy: 'never' | 'on-demand';
  /** The pool the retype lands on: the volume's own for an in-place retype. */
  readonly destinationHost: string;
}

function requireId(field: string, value: string | undefined): string {
  if (value === undefined || value === '') throw invalidField(field, 'is required', 'MISSING_FIELD');
  return value;
}

async function assertMovable(ctx: OrchestratorContext, volume: Volume, action: string): Promise<void> {
  assertVolumeStatus(volume, ['available', 'in-use'], action);
  assertNotMigrating(volume, action);
  if (volume.groupId !== null) {
    throw ferryError('VOLUME_IN_GROUP', `volume ${volume.id} belongs to group ${volume.groupId}; ${action} is refused for grouped volumes`, { volumeId: volume.id, groupId: volume.groupId });
  }
}

async function assertNoSnapshots(ctx: OrchestratorContext, volume: Volume, action: string): Promise<void> {
  const snapshots = await ctx.store.listVolumeSnapshots({ volumeId: volume.id });
  if (snapshots.length > 0) {
    throw ferryError('VOLUME_HAS_SNAPSHOTS', `volume ${volume.id} has ${snapshots.length} snapshot(s); ${action} needs none (delete them first)`, { volumeId: volume.id });
  }
}

export async function validateMigration(ctx: OrchestratorContext, request: MigrateVolumeRequest): Promise<ValidatedMigration> {
  const volumeId = requireId('volume_id', request.volumeId);
  const host = requireId('host', request.host);
  const problem = hostProblem(host, true);
  if (problem !== undefined) throw invalidField('host', problem);
  const volume = await requireVolume(ctx.store, volumeId);
  await assertMovable(ctx, volume, 'migration');
  await assertNoSnapshots(ctx, volume, 'migration');
  if (host === volume.host) throw ferryError('VOLUME_SAME_HOST', `volume ${volume.id} is already on ${host}; the destination must differ`, { volumeId: volume.id, host });
  const type = await resolveVolumeType(ctx, volume.volumeTypeId);
  // Cinder's scheduler validates the destination for the volume's type; a failure there ends the
  // migration in error after the 202. ferry answers with the reason instead.
  const destination = await requireVolumePool(ctx, host, type, volume.sizeGib);
  return { volume, type, destination };
}

export async function validateRetype(ctx: OrchestratorContext, request: RetypeVolumeRequest): Promise<ValidatedRetype> {
  const volumeId = requireId('volume_id', request.volumeId);
  const newTypeRef = requireId('new_type', request.newType);
  const policy = request.migrationPolicy ?? 'never';
  if (policy !== 'never' && policy !== 'on-demand') throw invalidField('migration_policy', `must be never or on-demand, got "${String(policy)}"`);
  const volume = await requireVolume(ctx.store, volumeId);
  const newType = await resolveVolumeType(ctx, newTypeRef, 'new_type');
  if (newType.id === volume.volumeTypeId) throw invalidField('new_type', `volume ${volume.id} already has type ${newType.name}`, 'VOLUME_TYPE_UNCHANGED');
  const oldType = await resolveVolumeType(ctx, volume.volumeTypeId);
  await assertMovable(ctx, volume, 'retype');

  const currentPool = await ctx.store.getPool(volume.host);
  // Capacity is not re-checked for the pool the volume already occupies.
  const staysHere = currentPool !== undefined && volumePoolProblem(ctx, currentPool, newType, 0) === undefined;
  if (staysHere) return { volume, oldType, newType, policy, destinationHost: volume.host };
  if (policy === 'never') {
    throw ferryError('RETYPE_REQUIRES_MIGRATION', `Retype requires migration but is not allowed: pool ${volume.host} cannot hold type ${newType.name} and migration_policy is never`, { volumeId: volume.id, newVolumeTypeId: newType.id });
  }
  await assertNoSnapshots(ctx, volume, 'retype by migration');
  const destination = await chooseVolumePool(ctx, newType, volume.sizeGib, undefined, volume.host);
  return { volume, oldType, newType, policy, destinationHost: destination.host };
}
