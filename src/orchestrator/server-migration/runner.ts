/**
 * Drives each active share-server migration through its phases: runs the recorded phase's
 * step, then commits the machine's decision (migration record, both servers' task_state and
 * the history entry in one transaction, under the source server's lock) and goes on, until
 * the migration rests. Operator actions move the phase under the same lock and abort the
 * running step; a step's result for a phase that is no longer current is dropped.
 */
import type { ServerMigrationPhase } from '../../domain/migration-phases.js';
import type { ShareServerMigration } from '../../domain/resources.js';
import type { TaskState } from '../../domain/statuses.js';
import type { OrchestratorContext } from '../context.js';
import type { ServerMigrationNotice } from '../event-bus.js';
import { describe } from '../share-migration/step.js';
import { StepLoops } from '../step-loop.js';
import type { StoreTx } from '../store-port.js';
import { loadServerScope } from './scope.js';
import { cancelDriver, completeDriver, pollDriver, prepare, rollback, startDriver, type ServerStep } from './steps.js';
import { decideServer, SERVER_RESTING_PHASES, type ServerMigrationEventType } from './transitions.js';

const STEPS: Record<Exclude<ServerMigrationPhase, 'driver_phase1_done' | 'finished'>, ServerStep> = {
  accepted: async () => ({ event: 'begin' }),
  prepare,
  driver_start: startDriver,
  driver_poll: pollDriver,
  driver_complete: completeDriver,
  driver_cancel: cancelDriver,
  rollback,
};

export interface ServerEvent {
  readonly type: ServerMigrationEventType;
  readonly error?: unknown;
  readonly resumeAt?: TaskState;
}

/**
 * Applies `event` inside `tx` when the migration is still in `expectedPhase` (any phase when
 * undefined). The destination's task_state follows the source's, except during a cancel and
 * the roll-back, which sets it itself. Returns the notice to publish, or undefined when superseded.
 */
export async function applyServerEvent(ctx: OrchestratorContext, tx: StoreTx, migrationId: string, expectedPhase: ServerMigrationPhase | undefined, event: ServerEvent): Promise<{ migration: ShareServerMigration; notice: ServerMigrationNotice | undefined } | undefined> {
  const current = await tx.getServerMigration(migrationId);
  if (current === undefined || !current.active || (expectedPhase !== undefined && current.phase !== expectedPhase)) return undefined;
  const next = decideServer(current, event.type, event.resumeAt);
  const at = ctx.now();
  const finished = next.phase === 'finished';
  const failure = event.error === undefined ? undefined : describe(event.error);
  const migration = await tx.updateServerMigration(migrationId, {
    phase: next.phase, taskState: next.taskState, outcome: next.outcome, active: !finished, finishedAt: finished ? at : null, updatedAt: at,
    ...(failure ? { error: failure.message, errorReason: failure.reason } : {}),
  });
  if (next.taskState === current.taskState) return { migration, notice: undefined };
  if (await tx.getShareServer(current.sourceShareServerId)) await tx.updateShareServer(current.sourceShareServerId, { taskState: next.taskState, updatedAt: at });
  const followsSource = next.taskState !== 'migration_cancel_in_progress' && next.taskState !== 'migration_in_progress' && event.type !== 'rolled_back';
  if (followsSource && current.destinationShareServerId && (await tx.getShareServer(current.destinationShareServerId))) {
    await tx.updateShareServer(current.destinationShareServerId, { taskState: next.taskState, updatedAt: at });
  }
  const entry = await tx.appendServerMigrationEvent({ migrationId, taskState: next.taskState, message: failure?.message ?? '', at });
  return { migration, notice: { ...entry, shareServerId: current.sourceShareServerId } };
}

export class ServerMigrationRunner {
  private readonly loops: StepLoops<ShareServerMigration, ServerEvent>;

  constructor(private readonly ctx: OrchestratorContext) {
    this.loops = new StepLoops<ShareServerMigration, ServerEvent>({
      load: (id) => ctx.store.getServerMigration(id),
      rests: (migration) => !migration.active || SERVER_RESTING_PHASES.has(migration.phase),
      log: (migration) => ctx.logger.child({ serverMigrationId: migration.id, shareServerId: migration.sourceShareServerId, phase: migration.phase }),
      step: async (migration, signal, log) => {
        const result = await STEPS[migration.phase as keyof typeof STEPS](ctx, await loadServerScope(ctx, migration.id), { signal, log });
        return { type: result.event, error: result.error, resumeAt: result.resumeAt };
      },
      commit: (migration, event) => this.commit(migration, migration.phase, event),
      describe: (event) => ({ event: event.type, ...(event.error ? { err: event.error } : {}) }),
      giveUp: async (migration, error) => {
        await ctx.store.updateServerMigration(migration.id, { error: `step ${migration.phase} failed unexpectedly: ${describe(error).message}; restart ferry to retry, or reset the task state`, updatedAt: ctx.now() });
      },
    }, ctx.logger);
  }

  /** Starts driving the migration unless a loop already does. */
  kick(migrationId: string): void {
    this.loops.kick(migrationId);
  }

  /** Aborts the running step (an operator changed the phase); the loop runs the new phase. */
  supersede(migrationId: string): void {
    this.loops.supersede(migrationId);
  }

  async commit(migration: ShareServerMigration, expectedPhase: ServerMigrationPhase | undefined, event: ServerEvent): Promise<boolean> {
    const applied = await this.ctx.locks.run(migration.sourceShareServerId, () =>
      this.ctx.store.transaction((tx) => applyServerEvent(this.ctx, tx, migration.id, expectedPhase, event)));
    if (applied?.notice) this.ctx.serverEvents.publish(applied.notice);
    return applied !== undefined;
  }

  close(): Promise<void> {
    return this.loops.close();
  }
}
