/**
 * The operator's volume-migration actions (Cinder's os-migrate_volume and os-retype, plus
 * ferry's progress, watch, history and abort). Each action takes the volume's lock, checks,
 * records, and leaves the work to the runner.
 */
import type { VolumeMigration, VolumeMigrationEvent } from '../../domain/volumes.js';
import type { OrchestratorContext } from '../context.js';
import { ferryError, notFound } from '../errors.js';
import type { WatchOptions } from '../ferry-api.js';
import type { MigrateVolumeRequest, RetypeVolumeRequest, VolumeMigrationProgress, VolumeMigrationStartResult, VolumeView } from '../volume-api.js';
import { watchUntilResting } from '../watch.js';
import { loadVolumeView, latestVolumeMigration, requireVolume, volumeBytes } from '../volumes/views.js';
import { applyVolumeEvent, type VolumeMigrationRunner } from './runner.js';
import { checkpointPath } from './steps.js';
import { ABORTABLE_PHASES } from './transitions.js';
import { validateMigration, validateRetype } from './validate.js';

export class VolumeMigrations {
  constructor(private readonly ctx: OrchestratorContext, private readonly runner: VolumeMigrationRunner) {}

  async migrate(request: MigrateVolumeRequest): Promise<VolumeMigrationStartResult> {
    const migrationId = await this.ctx.locks.run(request.volumeId ?? '', async () => {
      const { volume, destination } = await validateMigration(this.ctx, request);
      const lock = request.lockVolume === true;
      const migration = this.newRecord(volume.id, volume.host, volume.status, volume.volumeTypeId, {
        kind: 'migrate', destinationHost: destination.host, forceHostCopy: request.forceHostCopy === true, lockVolume: lock, newVolumeTypeId: null, migrationPolicy: null,
      });
      await this.ctx.store.transaction(async (tx) => {
        await tx.insertVolumeMigration(migration);
        await tx.updateVolume(volume.id, {
          migrationStatus: 'starting', previousStatus: volume.status,
          // Cinder: lock_volume turns an available volume into maintenance; an in-use one keeps its status.
          ...(lock && volume.status === 'available' ? { status: 'maintenance' } : {}),
          updatedAt: this.ctx.now(),
        });
        await tx.appendVolumeMigrationEvent({ migrationId: migration.id, phase: 'accepted', migrationStatus: 'starting', message: `migrate to ${destination.host}`, at: this.ctx.now() });
      });
      return migration.id;
    });
    this.runner.kick(migrationId);
    return { migrationId, volume: await loadVolumeView(this.ctx, request.volumeId) };
  }

  async retype(request: RetypeVolumeRequest): Promise<VolumeMigrationStartResult> {
    const migrationId = await this.ctx.locks.run(request.volumeId ?? '', async () => {
      const { volume, oldType, newType, policy, destinationHost } = await validateRetype(this.ctx, request);
      const migration = this.newRecord(volume.id, volume.host, volume.status, oldType.id, {
        kind: 'retype', destinationHost, forceHostCopy: false, lockVolume: false, newVolumeTypeId: newType.id, migrationPolicy: policy,
      });
      const moves = destinationHost !== volume.host;
      await this.ctx.store.transaction(async (tx) => {
        await tx.insertVolumeMigration(migration);
        await tx.updateVolume(volume.id, { status: 'retyping', previousStatus: volume.status, ...(moves ? { migrationStatus: 'starting' } : {}), updatedAt: this.ctx.now() });
        await tx.appendVolumeMigrationEvent({
          migrationId: migration.id, phase: 'accepted', migrationStatus: moves ? 'starting' : volume.migrationStatus,
          message: `retype to ${newType.name}${moves ? ` by migration to ${destinationHost}` : ''}`, at: this.ctx.now(),
        });
      });
      return migration.id;
    });
    this.runner.kick(migrationId);
    return { migrationId, volume: await loadVolumeView(this.ctx, request.volumeId) };
  }

  async progress(volumeId: string): Promise<VolumeMigrationProgress> {
    const volume = await requireVolume(this.ctx.store, volumeId);
    const migration = await latestVolumeMigration(this.ctx.store, volumeId);
    if (migration === null) throw ferryError('MIGRATION_PROGRESS_UNAVAILABLE', `volume ${volumeId} has never been migrated or retyped`, { volumeId });
    const live = migration.phase === 'host_copy' ? this.runner.liveCopy(migration.id)?.progress() : undefined;
    const done = migration.outcome === 'success' || migration.phase === 'delete_old';
    const bytesTotal = live?.bytesTotal ?? (migration.bytesTotal || volumeBytes(volume));
    return {
      volumeId, migrationId: migration.id, kind: migration.request.kind, phase: migration.phase, migrationStatus: volume.migrationStatus, volumeStatus: volume.status,
      method: migration.method, transferMode: migration.transferMode, temporaryVolumeId: migration.temporaryVolumeId ?? '',
      // 100 only once the user's volume is on its destination; a finished copy still has the swap to do.
      totalProgress: done ? 100 : live ? Math.min(99, live.totalProgress) : migration.phase === 'complete' ? 99 : 0,
      bytesDone: done ? bytesTotal : live?.bytesDone ?? migration.bytesCopied,
      bytesTotal,
      throughputBytesPerSecond: live?.throughputBytesPerSecond ?? 0,
      etaSeconds: live?.etaSeconds ?? null,
      active: migration.active, outcome: migration.outcome, fallbackReason: migration.fallbackReason, error: migration.error, errorReason: migration.errorReason,
    };
  }

  async *watch(volumeId: string, options: WatchOptions = {}): AsyncGenerator<VolumeMigrationProgress> {
    await this.progress(volumeId);
    yield* watchUntilResting({
      subscribe: (wake) => this.ctx.volumeEvents.subscribe((notice) => { if (notice.volumeId === volumeId) wake(); }),
      read: () => this.progress(volumeId),
      resting: async () => !((await latestVolumeMigration(this.ctx.store, volumeId))?.active ?? false),
    }, options);
  }

  async history(migrationId: string): Promise<VolumeMigrationEvent[]> {
    if ((await this.ctx.store.getVolumeMigration(migrationId)) === undefined) throw notFound('MIGRATION_NOT_FOUND', 'volume migration', migrationId, 'migrationId');
    return this.ctx.store.listVolumeMigrationEvents(migrationId);
  }

  /** ferry's abort: stops a migration without lock_volume before the swap; it rolls back in the background. */
  async abort(volumeId: string): Promise<VolumeView> {
    const { migration, notice } = await this.ctx.locks.run(volumeId, async () => {
      await requireVolume(this.ctx.store, volumeId);
      const active = (await this.ctx.store.listVolumeMigrations({ volumeId, active: true }))[0];
      if (active === undefined) throw ferryError('VOLUME_MIGRATION_NOT_ABORTABLE', `volume ${volumeId} has no migration under way`, { volumeId });
      if (active.request.lockVolume) throw ferryError('VOLUME_LOCKED', `the migration of volume ${volumeId} was started with lock_volume; it cannot be aborted`, { volumeId, migrationId: active.id });
      if (!ABORTABLE_PHASES.has(active.phase)) {
        throw ferryError('VOLUME_MIGRATION_NOT_ABORTABLE', `the migration of volume ${volumeId} is in ${active.phase}, which cannot be interrupted (the back end is moving or retyping it, or the records are being swapped); wait for it to end`, { volumeId, migrationId: active.id, phase: active.phase });
      }
      // Under the volume's lock, so no step result can slip in between the check and the move.
      const notice = await this.ctx.store.transaction(async (tx) => {
        await tx.updateVolumeMigration(active.id, { abortRequested: true, updatedAt: this.ctx.now() });
        return applyVolumeEvent(this.ctx, tx, active.id, active.phase, { event: 'aborted', error: ferryError('VOLUME_MIGRATION_ABORTED', `the migration of volume ${volumeId} was aborted by an operator in ${active.phase}`, { volumeId }) });
      });
      return { migration: active, notice };
    });
    if (notice) this.ctx.volumeEvents.publish(notice);
    // The running step (a copy, a create) stops; the loop then runs the roll-back.
    this.runner.supersede(migration.id);
    this.runner.kick(migration.id);
    return loadVolumeView(this.ctx, volumeId);
  }

  private newRecord(volumeId: string, sourceHost: string, status: VolumeMigration['originalStatus'], typeId: string, request: VolumeMigration['request']): VolumeMigration {
    const id = this.ctx.newId();
    const at = this.ctx.now();
    return {
      id, volumeId, request, sourceHost, originalStatus: status, originalVolumeTypeId: typeId, method: null, transferMode: null, temporaryVolumeId: null,
      phase: 'accepted', outcome: null, abortRequested: false, active: true, bytesCopied: 0, bytesTotal: 0, fallbackReason: '', error: '', errorReason: '',
      checkpointPath: checkpointPath(this.ctx, id), createdAt: at, updatedAt: at, finishedAt: null,
    };
  }
}
