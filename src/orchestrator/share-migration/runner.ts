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
import { RESTING_PHASES } from './states.js';
import { describe, pause, type StepResult, type StepRuntime } from './step.js';

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

interface Driving {
  controller: AbortController;
  copy: RunningShareCopy | undefined;
  again: boolean;
}

export class MigrationRunner {
  private readonly driving = new Map<string, Driving>();
  private readonly loops = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly ctx: OrchestratorContext) {}

  /** Starts driving the migration, or makes a running loop look again after its current step. */
  kick(migrationId: string): void {
    if (this.closing) return;
    const existing = this.driving.get(migrationId);
    if (existing) {
      existing.again = true;
      return;
    }
    const entry: Driving = { controller: new AbortController(), copy: undefined, again: false };
    this.driving.set(migrationId, entry);
    const loop = this.drive(migrationId, entry)
      .catch((error: unknown) => this.ctx.logger.error({ migrationId, err: error }, 'migration runner stopped'))
      .finally(() => {
        this.driving.delete(migrationId);
        this.loops.delete(loop);
      });
    this.loops.add(loop);
  }

  /** Aborts the step running for this migration (its phase was changed by an operator). */
  supersede(migrationId: string): void {
    this.driving.get(migrationId)?.controller.abort();
  }

  copyProgress(migrationId: string): ShareCopyProgress | undefined {
    return this.driving.get(migrationId)?.copy?.progress();
  }

  /** Commits an event under the share's lock and publishes the notice; false when superseded. */
  async commit(migrationId: string, shareId: string, expectedPhase: MigrationPhase | undefined, event: MachineEvent, extras: CommitExtras = {}): Promise<boolean> {
    const applied = await this.ctx.locks.run(shareId, () => this.ctx.store.transaction((tx) => applyEvent(this.ctx, tx, migrationId, expectedPhase, event, extras)));
    if (applied?.notice) this.ctx.events.publish(applied.notice);
    return applied !== undefined;
  }

  /** Stops every loop; the store keeps each migration's phase for the next start. */
  async close(): Promise<void> {
    this.closing = true;
    for (const entry of this.driving.values()) entry.controller.abort();
    await Promise.allSettled([...this.loops]);
  }

  private async drive(migrationId: string, entry: Driving): Promise<void> {
    let crashes = 0;
    for (;;) {
      if (this.closing) return;
      entry.again = false;
      const migration = await this.ctx.store.getMigration(migrationId);
      if (migration === undefined || !migration.active || RESTING_PHASES.has(migration.phase)) return;
      const step = STEPS[migration.phase as keyof typeof STEPS];
      if (entry.controller.signal.aborted) entry.controller = new AbortController();
      const controller = entry.controller;
      const log = this.ctx.logger.child({ migrationId, shareId: migration.shareId, phase: migration.phase });
      const runtime: StepRuntime = {
        signal: controller.signal,
        advance: (event) => this.commit(migrationId, migration.shareId, migration.phase, event),
        setCopy: (copy) => (entry.copy = copy),
        log,
      };
      let result: StepResult;
      try {
        log.debug('step started');
        result = await step(this.ctx, await loadScope(this.ctx, migrationId), runtime);
        crashes = 0;
      } catch (error) {
        // A step that throws (rather than returning a failure event) hit something unexpected,
        // such as the store; retry a few times, then leave the phase for the next start.
        crashes += 1;
        log.error({ err: error, attempt: crashes }, 'migration step crashed');
        if (crashes >= 3) {
          await this.ctx.store.updateMigration(migrationId, { error: `step ${migration.phase} failed unexpectedly: ${describe(error).message}; restart ferry to retry, or reset the task state`, updatedAt: this.ctx.now() });
          return;
        }
        await pause(1000 * crashes, controller.signal);
        continue;
      }
      if (this.closing) return;
      if (controller.signal.aborted) continue; // superseded: the phase changed; run the new one
      const committed = await this.commit(migrationId, migration.shareId, migration.phase, result.event, { error: result.error, fallbackReason: result.fallbackReason });
      if (committed) log.info({ event: result.event.type, ...(result.error ? { err: result.error } : {}) }, 'migration step done');
    }
  }
}
