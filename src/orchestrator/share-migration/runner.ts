/**
 * The runner: drives each active migration through its phases. For the recorded phase it runs
 * that phase's step, then persists the machine's decision (phase, task_state, outcome and the
 * history entry in one transaction) and goes on with the next phase, until the migration rests.
 * Operator actions (complete, cancel, reset) move the phase under the same per-share lock and
 * abort the running step; a step's result for a phase that is no longer current is dropped.
 */
import type { MigrationPhase } from '../../domain/migration-phases.js';
import type { ShareMigration } from '../../domain/resources.js';
import type { OrchestratorContext } from '../context.js';
import type { RunningShareCopy, ShareCopyProgress } from '../data-port.js';
import type { MigrationNotice } from '../event-bus.js';
import type { StoreTx } from '../store-port.js';
import { cancelDriver, completeDriver, pollDriver, prepareDriver, startDriver } from './driver-steps.js';
import { completeHost, copyData, prepareHost } from './host-steps.js';
import { decide, type MachineEvent } from './machine.js';
import { rollbackDriver, rollbackHost } from './rollback-steps.js';
import { loadScope, type MigrationScope } from './scope.js';
import { StepLoops } from '../step-loop.js';
import { RESTING_PHASES } from './states.js';
import { describe, type StepResult, type StepRuntime } from './step.js';

type PhaseStep = (ctx: OrchestratorContext, scope: MigrationScope, runtime: StepRuntime) => Promise<StepResult>;

const STEPS: Record<Exclude<MigrationPhase, 'driver_phase1_done' | 'data_copy_done' | 'finished'>, PhaseStep> = {
  accepted: async (_ctx, scope) => ({ event: { type: scope.migration.request.forceHostAssistedMigration ? 'begin_host' : 'begin_driver' } }),
  driver_prepare: prepareDriver,
  driver_start: startDriver,
  driver_poll: pollDriver,
  driver_complete: completeDriver,
  driver_cancel: cancelDriver,
  driver_rollback: rollbackDriver,
  host_prepare: prepareHost,
  data_copy: copyData,
  host_complete: completeHost,
  host_rollback: rollbackHost,
};

export interface CommitExtras {
  readonly error?: unknown;
  readonly fallbackReason?: string;
}

/**
 * Applies `event` to the migration inside `tx` when it is still in `expectedPhase` (any phase
 * when undefined). Returns the notice to publish after commit, or undefined when superseded.
 */
export async function applyEvent(ctx: OrchestratorContext, tx: StoreTx, migrationId: string, expectedPhase: MigrationPhase | undefined, event: MachineEvent, extras: CommitExtras = {}): Promise<{ migration: ShareMigration; notice: MigrationNotice | undefined } | undefined> {
  const current = await tx.getMigration(migrationId);
  if (current === undefined || !current.active || (expectedPhase !== undefined && current.phase !== expectedPhase)) return undefined;
  const next = decide(current, event);
  const at = ctx.now();
  const finished = next.phase === 'finished';
  const failure = extras.error === undefined ? undefined : describe(extras.error);
  const migration = await tx.updateMigration(migrationId, {
    phase: next.phase, taskState: next.taskState, outcome: next.outcome, method: next.method, active: !finished, finishedAt: finished ? at : null, updatedAt: at,
    ...(failure ? { error: failure.message, errorReason: failure.reason } : {}),
    ...(extras.fallbackReason ? { fallbackReason: extras.fallbackReason } : {}),
  });
  if (next.taskState === current.taskState) return { migration, notice: undefined };
  await tx.updateShare(current.shareId, { taskState: next.taskState, updatedAt: at });
  const entry = await tx.appendMigrationEvent({ migrationId, taskState: next.taskState, message: failure?.message ?? '', at });
  return { migration, notice: { ...entry, shareId: current.shareId } };
}

export class MigrationRunner {
  private readonly copies = new Map<string, RunningShareCopy>();
  private readonly loops: StepLoops<ShareMigration, StepResult>;

  constructor(private readonly ctx: OrchestratorContext) {
    this.loops = new StepLoops<ShareMigration, StepResult>({
      load: (id) => ctx.store.getMigration(id),
      rests: (migration) => !migration.active || RESTING_PHASES.has(migration.phase),
      log: (migration) => ctx.logger.child({ migrationId: migration.id, shareId: migration.shareId, phase: migration.phase }),
      step: async (migration, signal, log) => {
        const runtime: StepRuntime = {
          signal,
          advance: (event) => this.commit(migration.id, migration.shareId, migration.phase, event),
          setCopy: (copy) => {
            if (copy === undefined) this.copies.delete(migration.id);
            else this.copies.set(migration.id, copy);
          },
          log,
        };
        return STEPS[migration.phase as keyof typeof STEPS](ctx, await loadScope(ctx, migration.id), runtime);
      },
      commit: (migration, result) => this.commit(migration.id, migration.shareId, migration.phase, result.event, { error: result.error, fallbackReason: result.fallbackReason }),
      describe: (result) => ({ event: result.event.type, ...(result.error ? { err: result.error } : {}) }),
      giveUp: async (migration, error) => {
        await ctx.store.updateMigration(migration.id, { error: `step ${migration.phase} failed unexpectedly: ${describe(error).message}; restart ferry to retry, or reset the task state`, updatedAt: ctx.now() });
      },
      ended: (id) => this.copies.delete(id),
    }, ctx.logger);
  }

  /** Starts driving the migration unless a loop already does. */
  kick(migrationId: string): void {
    this.loops.kick(migrationId);
  }

  /** Aborts the step running for this migration (its phase was changed by an operator). */
  supersede(migrationId: string): void {
    this.loops.supersede(migrationId);
  }

  copyProgress(migrationId: string): ShareCopyProgress | undefined {
    return this.copies.get(migrationId)?.progress();
  }

  /** Commits an event under the share's lock and publishes the notice; false when superseded. */
  async commit(migrationId: string, shareId: string, expectedPhase: MigrationPhase | undefined, event: MachineEvent, extras: CommitExtras = {}): Promise<boolean> {
    const applied = await this.ctx.locks.run(shareId, () => this.ctx.store.transaction((tx) => applyEvent(this.ctx, tx, migrationId, expectedPhase, event, extras)));
    if (applied?.notice) this.ctx.events.publish(applied.notice);
    return applied !== undefined;
  }

  /** Stops every loop; the store keeps each migration's phase for the next start. */
  close(): Promise<void> {
    return this.loops.close();
  }
}
