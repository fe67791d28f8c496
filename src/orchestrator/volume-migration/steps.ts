/**
 * The steps of a volume migration, one per phase (transitions.ts). Each is idempotent: after a
 * crash the runner runs the recorded phase's step again. A step returns the event to commit
 * and, when the event changes records, `apply`: the writes that commit with the phase change
 * in one transaction (the swap, a model update), so no crash can leave one without the other.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { FerryError } from '../../domain/errors.js';
import type { Volume, VolumeMigration, VolumeType } from '../../domain/volumes.js';
import type { OrchestratorContext } from '../context.js';
import type { RunningVolumeCopy } from '../data-port.js';
import type { BackendDriver, SpecChange, VolumeModelUpdate, VolumeTypeDiff } from '../driver-port.js';
import { toPeerInfo } from '../driver-models.js';
import { ferryError } from '../errors.js';
import { describe, isTransient, retryTransient } from '../share-migration/step.js';
import type { StoreTx } from '../store-port.js';
import { provisionVolume } from '../volumes/lifecycle.js';
import { toDriverVolume, volumeBytes } from '../volumes/views.js';
import type { VolumeScope } from './scope.js';
import type { VolumeMigrationEventType } from './transitions.js';

export interface VolumeStepRuntime {
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Makes a running host copy's live progress visible to GetMigration until it settles. */
  track(copy: RunningVolumeCopy): void;
}

export interface VolumeStepResult {
  readonly event: VolumeMigrationEventType;
  readonly error?: unknown;
  /** Writes committed together with the event. */
  readonly apply?: (tx: StoreTx) => Promise<void>;
  /** Recorded on the migration with the event. */
  readonly patch?: Partial<Pick<VolumeMigration, 'method' | 'transferMode' | 'bytesCopied' | 'bytesTotal' | 'fallbackReason' | 'temporaryVolumeId'>>;
}

export type VolumeStep = (ctx: OrchestratorContext, scope: VolumeScope, runtime: VolumeStepRuntime) => Promise<VolumeStepResult>;

/** Retry interval for a back end that restarts during a call that must not fail for it. */
const TRANSIENT_RETRY_MS = 1000;

/** Cinder's _can_use_driver_migration: a retype may use the driver only when nothing but placement changes. */
const PLACEMENT_SPECS = new Set(['volume_backend_name', 'RESKEY:availability_zones']);

export function typeDiff(oldType: VolumeType, newType: VolumeType): VolumeTypeDiff {
  const changes = (before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): Record<string, SpecChange> => {
    const out: Record<string, SpecChange> = {};
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (before[key] !== after[key]) out[key] = { oldValue: before[key], newValue: after[key] };
    }
    return out;
  };
  return { extraSpecs: changes(oldType.extraSpecs, newType.extraSpecs), qosSpecs: changes(oldType.qosSpecs, newType.qosSpecs), encryption: {} };
}

/** Why the driver-assisted path is closed for this migration, or undefined when open. */
export function driverPathClosed(ctx: OrchestratorContext, scope: VolumeScope): string | undefined {
  const { migration, volume } = scope;
  if (migration.request.forceHostCopy) return 'force_host_copy was given';
  if (volume.attachments.length > 0) return 'the volume is attached (Cinder moves attached volumes only by the generic migration)';
  const capabilities = ctx.drivers.backend(scope.sourceBackend).status().identity?.capabilities ?? [];
  if (!capabilities.includes('VOLUME_DRIVER_MIGRATION')) return `back end ${scope.sourceBackend} does not offer driver-assisted volume migration`;
  if (migration.request.kind === 'retype') {
    const diff = typeDiff(scope.oldType, scope.newType);
    const other = Object.keys(diff.extraSpecs).filter((key) => !PLACEMENT_SPECS.has(key));
    if (other.length > 0 || Object.keys(diff.qosSpecs).length > 0) return `the retype changes ${[...other, ...Object.keys(diff.qosSpecs).map((k) => `qos:${k}`)].join(', ')}, which only a new volume can give`;
  }
  return undefined;
}

async function hasSnapshots(ctx: OrchestratorContext, volumeId: string): Promise<boolean> {
  return (await ctx.store.listVolumeSnapshots({ volumeId })).length > 0;
}

export const begin: VolumeStep = async (ctx, scope) => {
  const { migration, volume } = scope;
  if (migration.request.kind === 'retype' && migration.request.destinationHost === volume.host) return { event: 'retype_here' };
  if (await hasSnapshots(ctx, volume.id)) {
    return { event: 'failed', error: ferryError('VOLUME_HAS_SNAPSHOTS', `volume ${volume.id} has snapshots; a migration needs none`, { volumeId: volume.id }) };
  }
  const closed = driverPathClosed(ctx, scope);
  if (closed === undefined) return { event: 'try_driver', patch: { method: 'driver_assisted' } };
  return { event: 'generic', patch: { method: 'host_copy', fallbackReason: closed } };
};

export const retypeInPlace: VolumeStep = async (ctx, scope, runtime) => {
  const { migration, volume } = scope;
  const driver = ctx.drivers.backend(scope.sourceBackend);
  let answer: { retyped: boolean; modelUpdate: VolumeModelUpdate | null };
  try {
    answer = await retryTransient(TRANSIENT_RETRY_MS, runtime, 'RetypeVolume', async () =>
      driver.retypeVolume({
        volume: await toDriverVolume(ctx.store, volume), newVolumeTypeId: scope.newType.id, newVolumeTypeExtraSpecs: scope.newType.extraSpecs,
        diff: typeDiff(scope.oldType, scope.newType), host: volume.host,
      }, { signal: runtime.signal }));
  } catch (error) {
    if (!(error instanceof FerryError && error.code === 'UNIMPLEMENTED')) return { event: 'failed', error };
    answer = { retyped: false, modelUpdate: null };
  }
  if (answer.retyped) {
    const update = answer.modelUpdate;
    return {
      event: 'retyped',
      patch: { method: 'retype_in_place' },
      apply: async (tx) => {
        await tx.updateVolume(volume.id, { volumeTypeId: scope.newType.id, ...modelPatch(update, volume), updatedAt: ctx.now() });
      },
    };
  }
  if (migration.request.migrationPolicy !== 'on-demand') {
    return { event: 'retype_refused', error: ferryError('RETYPE_REQUIRES_MIGRATION', `Retype requires migration but is not allowed: back end ${scope.sourceBackend} cannot give volume ${volume.id} type ${scope.newType.name} in place, and migration_policy is never`, { volumeId: volume.id }) };
  }
  if (await hasSnapshots(ctx, volume.id)) {
    return { event: 'failed', error: ferryError('VOLUME_HAS_SNAPSHOTS', `volume ${volume.id} has snapshots; retype by migration needs none`, { volumeId: volume.id }) };
  }
  return { event: 'retype_needs_migration', patch: { method: 'host_copy', fallbackReason: `back end ${scope.sourceBackend} did not retype in place` } };
};

/** The fields of a driver's model update that are set ('' keeps ferry's value). */
function modelPatch(update: VolumeModelUpdate | null, volume: Volume): Partial<Pick<Volume, 'host' | 'nameId' | 'providerLocation'>> {
  if (update === null) return {};
  return {
    ...(update.host !== '' && update.host !== volume.host ? { host: update.host } : {}),
    ...(update.nameId !== '' ? { nameId: update.nameId } : {}),
    ...(update.providerLocation !== '' ? { providerLocation: update.providerLocation } : {}),
  };
}

export const driverMigrate: VolumeStep = async (ctx, scope, runtime) => {
  const { migration, volume } = scope;
  const driver = ctx.drivers.backend(scope.sourceBackend);
  let answer: { moved: boolean; modelUpdate: VolumeModelUpdate | null };
  try {
    answer = await retryTransient(TRANSIENT_RETRY_MS, runtime, 'MigrateVolume', async () =>
      driver.migrateVolume({
        migrationId: migration.id, volume: await toDriverVolume(ctx.store, volume), destinationHost: scope.destinationBackendHost,
        destinationPool: scope.destinationPool, destinationPeer: toPeerInfo(await ctx.store.getBackend(scope.destinationBackend), scope.destinationBackend),
        newVolumeTypeExtraSpecs: migration.request.kind === 'retype' ? scope.newType.extraSpecs : {},
      }, { signal: runtime.signal }));
  } catch (error) {
    if (error instanceof FerryError && error.code === 'UNIMPLEMENTED') return { event: 'not_moved', patch: { method: 'host_copy', fallbackReason: describe(error).message } };
    return { event: 'failed', error };
  }
  if (!answer.moved) {
    return { event: 'not_moved', patch: { method: 'host_copy', fallbackReason: `back end ${scope.sourceBackend} answered moved = false` } };
  }
  const destinationPool = await ctx.store.getPool(migration.request.destinationHost);
  const update = answer.modelUpdate;
  return {
    event: 'moved',
    patch: { method: 'driver_assisted', bytesCopied: volumeBytes(volume), bytesTotal: volumeBytes(volume) },
    apply: async (tx) => {
      await tx.updateVolume(volume.id, {
        host: migration.request.destinationHost,
        ...modelPatch(update, { ...volume, host: migration.request.destinationHost }),
        availabilityZone: destinationPool?.availabilityZone ?? volume.availabilityZone,
        volumeTypeId: scope.newType.id,
        updatedAt: ctx.now(),
      });
    },
  };
};

export const createTarget: VolumeStep = async (ctx, scope, runtime) => {
  const { migration, volume } = scope;
  let temporary = scope.temporary;
  if (temporary === undefined) {
    // The id is recorded before the record exists, so a crash in between leaves nothing unnamed.
    const temporaryVolumeId = migration.temporaryVolumeId ?? ctx.newId();
    if (migration.temporaryVolumeId === null) await ctx.store.updateVolumeMigration(migration.id, { temporaryVolumeId, updatedAt: ctx.now() });
    const destinationPool = await ctx.store.getPool(migration.request.destinationHost);
    const at = ctx.now();
    temporary = {
      id: temporaryVolumeId, name: volume.name, description: `ferry: destination of migration ${migration.id} of volume ${volume.id}`, sizeGib: volume.sizeGib,
      volumeTypeId: scope.newType.id, status: 'creating', migrationStatus: `target:${volume.id}`, previousStatus: null, host: migration.request.destinationHost,
      availabilityZone: destinationPool?.availabilityZone ?? volume.availabilityZone, nameId: null, providerLocation: '', groupId: null, attachments: [],
      createdAt: at, updatedAt: at,
    };
    await ctx.store.insertVolume(temporary);
  }
  if (temporary.status === 'available') return { event: 'target_created' };
  try {
    await retryTransient(TRANSIENT_RETRY_MS, runtime, 'CreateVolume', () => provisionVolume(ctx, temporary!, runtime.signal));
  } catch (error) {
    return { event: 'failed', error };
  }
  return { event: 'target_created' };
};

export function checkpointPath(ctx: OrchestratorContext, migrationId: string): string {
  return join(ctx.settings.workDir, 'volume-migrations', migrationId, 'copy.checkpoint');
}

async function detachQuietly(ctx: OrchestratorContext, driver: BackendDriver, volume: Volume, log: Logger): Promise<void> {
  try {
    await driver.detachVolume({ volume: await toDriverVolume(ctx.store, volume), dataNode: ctx.settings.nodeName });
  } catch (error) {
    log.warn({ err: error, volumeId: volume.id, backend: driver.name }, 'detach from the data node failed; the volume may stay attached there');
  }
}

export const hostCopy: VolumeStep = async (ctx, scope, runtime) => {
  const { migration, volume } = scope;
  const temporary = scope.temporary;
  if (temporary === undefined) return { event: 'failed', error: ferryError('VOLUME_NOT_FOUND', `the temporary volume of migration ${migration.id} is gone`, { volumeId: volume.id }) };
  const source = ctx.drivers.backend(scope.sourceBackend);
  const destination = ctx.drivers.backend(scope.destinationBackend);
  const dataNode = ctx.settings.nodeName;
  try {
    const from = await retryTransient(TRANSIENT_RETRY_MS, runtime, 'AttachVolume (source)', async () =>
      source.attachVolume({ volume: await toDriverVolume(ctx.store, volume), dataNode, readOnly: true }, { signal: runtime.signal }));
    const to = await retryTransient(TRANSIENT_RETRY_MS, runtime, 'AttachVolume (destination)', async () =>
      destination.attachVolume({ volume: await toDriverVolume(ctx.store, temporary), dataNode, readOnly: false }, { signal: runtime.signal }));
    const copy = ctx.data.copyVolume({
      migrationId: migration.id,
      source: { volumeId: volume.id, ...from },
      destination: { volumeId: temporary.id, ...to },
      sizeBytes: volumeBytes(volume),
      verify: ctx.settings.dataService.checkHash,
      checkpointPath: checkpointPath(ctx, migration.id),
    }, runtime.signal);
    runtime.track(copy);
    const result = await copy.done;
    runtime.log.info({ transferMode: result.transferMode, bytesWritten: result.bytesWritten, bytesSkipped: result.bytesSkipped, digest: result.digest }, 'volume copy finished');
    return { event: 'copied', patch: { transferMode: result.transferMode, bytesCopied: result.bytesTotal, bytesTotal: result.bytesTotal } };
  } catch (error) {
    return { event: 'failed', error: runtime.signal.aborted ? error : asCopyFailure(error, volume.id) };
  } finally {
    await detachQuietly(ctx, destination, temporary, runtime.log);
    await detachQuietly(ctx, source, volume, runtime.log);
  }
};

/** A copy-engine failure keeps its message; the reason says the copy failed unless a driver's reason explains more. */
function asCopyFailure(error: unknown, volumeId: string): unknown {
  if (error instanceof FerryError && error.domain !== 'ferry.dev') return error;
  if (isTransient(error)) return error;
  return ferryError('VOLUME_COPY_FAILED', `host copy of volume ${volumeId} failed: ${describe(error).message}`, { volumeId }, [], error);
}

export const complete: VolumeStep = async (ctx, scope, runtime) => {
  const { migration, volume } = scope;
  const temporary = scope.temporary;
  if (temporary === undefined) return { event: 'complete_failed', error: ferryError('VOLUME_NOT_FOUND', `the temporary volume of migration ${migration.id} is gone`, { volumeId: volume.id }) };
  const destination = ctx.drivers.backend(scope.destinationBackend);
  let answer: { nameId: string; providerLocation: string } | null;
  try {
    answer = await retryTransient(TRANSIENT_RETRY_MS, runtime, 'UpdateMigratedVolume', async () =>
      destination.updateMigratedVolume({
        volume: await toDriverVolume(ctx.store, volume), newVolume: await toDriverVolume(ctx.store, temporary), originalVolumeStatus: migration.originalStatus,
      }, { signal: runtime.signal }));
  } catch (error) {
    // volume.proto: new_volume unknown fails the migration; a failed rename takes Cinder's defaults.
    if (error instanceof FerryError && error.code === 'NOT_FOUND') {
      // Kept for an operator (Cinder keeps it too), in error so it cannot pass for a user's volume.
      return { event: 'complete_failed', error, apply: async (tx) => void (await tx.updateVolume(temporary.id, { status: 'error', migrationStatus: null, updatedAt: ctx.now() })) };
    }
    runtime.log.warn({ err: error }, 'UpdateMigratedVolume failed; applying Cinder\'s defaults');
    answer = null;
  }
  // Cinder's defaults: the user's record points at the destination object under its temporary name.
  const nameId = answer === null ? (temporary.nameId ?? temporary.id) : answer.nameId;
  const providerLocation = answer === null ? temporary.providerLocation : answer.providerLocation;
  return {
    event: 'completed',
    apply: async (tx) => {
      const at = ctx.now();
      await tx.updateVolume(volume.id, {
        host: temporary.host, nameId: nameId === '' ? null : nameId, providerLocation, availabilityZone: temporary.availabilityZone,
        volumeTypeId: temporary.volumeTypeId, updatedAt: at,
      });
      // The temporary record now describes the OLD object (named after the user's volume, or its name_id).
      await tx.updateVolume(temporary.id, {
        host: volume.host, nameId: volume.nameId ?? volume.id, providerLocation: volume.providerLocation, availabilityZone: volume.availabilityZone,
        volumeTypeId: volume.volumeTypeId, status: 'deleting', migrationStatus: null, updatedAt: at,
      });
    },
  };
};

export const deleteOld: VolumeStep = async (ctx, scope, runtime) => {
  const old = scope.temporary;
  if (old === undefined) return { event: 'old_deleted' };
  const source = ctx.drivers.backend(scope.sourceBackend);
  try {
    await retryTransient(TRANSIENT_RETRY_MS, runtime, 'DeleteVolume (old object)', async () =>
      source.deleteVolume({ volume: await toDriverVolume(ctx.store, old) }, { signal: runtime.signal }));
  } catch (error) {
    return { event: 'old_delete_failed', error, apply: async (tx) => void (await tx.updateVolume(old.id, { status: 'error_deleting', updatedAt: ctx.now() })) };
  }
  return { event: 'old_deleted', apply: (tx) => tx.deleteVolume(old.id) };
};

export const rollback: VolumeStep = async (ctx, scope, runtime) => {
  const temporary = scope.temporary;
  if (temporary === undefined) return { event: 'rolled_back' };
  const destination = ctx.drivers.backend(scope.destinationBackend);
  // A crash mid-copy may have left both attached to the data node; detaching is idempotent.
  await detachQuietly(ctx, ctx.drivers.backend(scope.sourceBackend), scope.volume, runtime.log);
  await detachQuietly(ctx, destination, temporary, runtime.log);
  try {
    await retryTransient(TRANSIENT_RETRY_MS, runtime, 'DeleteVolume (temporary)', async () =>
      destination.deleteVolume({ volume: await toDriverVolume(ctx.store, temporary) }, { signal: runtime.signal }));
  } catch (error) {
    runtime.log.error({ err: error, volumeId: temporary.id }, 'the temporary volume could not be deleted; it stays in error_deleting for an operator');
    return { event: 'rolled_back', apply: async (tx) => void (await tx.updateVolume(temporary.id, { status: 'error_deleting', migrationStatus: null, updatedAt: ctx.now() })) };
  }
  return { event: 'rolled_back', apply: (tx) => tx.deleteVolume(temporary.id) };
};
