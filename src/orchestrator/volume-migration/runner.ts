/**
 * Drives each active volume migration through its phases: runs the recorded phase's step,
 * then commits the machine's decision (the migration record, the volume's migration_status
 * and status, the step's own writes and the history entry, in one transaction under the
 * volume's lock) and goes on until the migration ends. An operator's abort moves the phase
 * under the same lock and aborts the running step; a step's result for a phase that is no
 * longer current is dropped.
 */
import type { VolumeMigration, VolumeMigrationPhase } from '../../domain/volumes.js';
import type { OrchestratorContext } from '../context.js';
import type { RunningVolumeCopy } from '../data-port.js';
import type { VolumeMigrationNotice } from '../event-bus.js';
import { describe } from '../share-migration/step.js';
import { StepLoops } from '../step-loop.js';
import type { StoreTx } from '../store-port.js';
import { loadVolumeScope } from './scope.js';
import {
  begin, complete, createTarget, deleteOld, driverMigrate, hostCopy, retypeInPlace, rollback, type VolumeStep, type VolumeStepResult,
} from './steps.js';
import { decideVolume } from './transitions.js';

const STEPS: Record<Exclude<VolumeMigrationPhase, 'finished'>, VolumeStep> = {
  accepted: begin,
  retype_in_place: retypeInPlace,
  driver_migrate: driverMigrate,
  create_target: createTarget,
  host_copy: hostCopy,
  complete,
  delete_old: deleteOld,
  rollback,
};

/**
 * Applies `result` inside `tx` when the migration is still in `expectedPhase`. Returns the
 * notice to publish, or undefined when superseded.
 */
export async function applyVolumeEvent(ctx: OrchestratorContext, tx: StoreTx, migrationId: string, expectedPhase: VolumeMigrationPhase, result: VolumeStepResult): Promise<VolumeMigrationNotice | undefined> {
  const current = await tx.getVolumeMigration(migrationId);
  if (current === undefined || !current.active || current.phase !== expectedPhase) return undefined;
  const volume = await tx.getVolume(current.volumeId);
  if (volume === undefined) return undefined;
  const next = decideVolume({ phase: current.phase, migrationStatus: volume.migrationStatus, outcome: current.outcome }, result.event);
  const at = ctx.now();
  const finished = next.phase === 'finished';
  const failure = result.error === undefined ? undefined : describe(result.error);
  await result.apply?.(tx);
  await tx.updateVolumeMigration(migrationId, {
    ...result.patch,
    phase: next.phase, outcome: next.outcome, active: !finished, finishedAt: finished ? at : null, updatedAt: at,
    ...(failure ? { error: failure.message, errorReason: failure.reason } : {}),
  });
  // The status goes back once the user's record is settled: at the swap, or at the end.
  const settle = finished || result.event === 'completed';
  const lockedByUs = volume.status === 'maintenance' || volume.status === 'retyping';
  await tx.updateVolume(volume.id, {
    migrationStatus: next.migrationStatus,
    ...(settle && lockedByUs ? { status: current.originalStatus, previousStatus: null } : {}),
    updatedAt: at,
  });
  const entry = await tx.appendVolumeMigrationEvent({ migrationId, phase: next.phase, migrationStatus: next.migrationStatus, message: failure?.message ?? '', at });
  return { ...entry, volumeId: volume.id };
}

export class VolumeMigrationRunner {
  private readonly loops: StepLoops<VolumeMigration, VolumeStepResult>;
  /** Host copies running now, for live progress. */
  private readonly copies = new Map<string, RunningVolumeCopy>();

  constructor(private readonly ctx: OrchestratorContext) {
    this.loops = new StepLoops<VolumeMigration, VolumeStepResult>({
      load: (id) => ctx.store.getVolumeMigration(id),
      rests: (migration) => !migration.active,
      log: (migration) => ctx.logger.child({ volumeMigrationId: migration.id, volumeId: migration.volumeId, phase: migration.phase }),
      step: async (migration, signal, log) => {
        // Kept after the copy settles, until the loop ends: between the copy's end and the
        // commit of its phase, progress still reads the finished copy instead of falling to 0.
        const track = (copy: RunningVolumeCopy) => void this.copies.set(migration.id, copy);
        return STEPS[migration.phase as keyof typeof STEPS](ctx, await loadVolumeScope(ctx, migration.id), { signal, log, track });
      },
      commit: (migration, result) => this.commit(migration, migration.phase, result),
      describe: (result) => ({ event: result.event, ...(result.error ? { err: result.error } : {}) }),
      giveUp: async (migration, error) => {
        await ctx.store.updateVolumeMigration(migration.id, { error: `step ${migration.phase} failed unexpectedly: ${describe(error).message}; restart ferry to retry`, updatedAt: ctx.now() });
      },
      ended: (id) => this.copies.delete(id),
    }, ctx.logger);
  }

  kick(migrationId: string): void {
    this.loops.kick(migrationId);
  }

  supersede(migrationId: string): void {
    this.loops.supersede(migrationId);
  }

  /** The running host copy of a migration, if one runs now. */
  liveCopy(migrationId: string): RunningVolumeCopy | undefined {
    return this.copies.get(migrationId);
  }

  async commit(migration: VolumeMigration, expectedPhase: VolumeMigrationPhase, result: VolumeStepResult): Promise<boolean> {
    const notice = await this.ctx.locks.run(migration.volumeId, () =>
      this.ctx.store.transaction((tx) => applyVolumeEvent(this.ctx, tx, migration.id, expectedPhase, result)));
    if (notice) this.ctx.volumeEvents.publish(notice);
    return notice !== undefined;
  }

  close(): Promise<void> {
    return this.loops.close();
  }
}
