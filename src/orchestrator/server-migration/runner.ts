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
import { describe, pause } from '../share-migration/step.js';
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

interface Driving {
  controller: AbortController;
}

export class ServerMigrationRunner {
  private readonly driving = new Map<string, Driving>();
  private readonly loops = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly ctx: OrchestratorContext) {}

  /** Starts driving the migration unless a loop already does. */
  kick(migrationId: string): void {
    if (this.closing || this.driving.has(migrationId)) return;
    const entry: Driving = { controller: new AbortController() };
    this.driving.set(migrationId, entry);
    const loop = this.drive(migrationId, entry)
      .catch((error: unknown) => this.ctx.logger.error({ serverMigrationId: migrationId, err: error }, 'share server migration runner stopped'))
      .finally(() => {
        this.driving.delete(migrationId);
        this.loops.delete(loop);
      });
    this.loops.add(loop);
  }

  /** Aborts the running step (an operator changed the phase); the loop runs the new phase. */
  supersede(migrationId: string): void {
    this.driving.get(migrationId)?.controller.abort();
  }

  async commit(migration: ShareServerMigration, expectedPhase: ServerMigrationPhase | undefined, event: ServerEvent): Promise<boolean> {
    const applied = await this.ctx.locks.run(migration.sourceShareServerId, () =>
      this.ctx.store.transaction((tx) => applyServerEvent(this.ctx, tx, migration.id, expectedPhase, event)));
    if (applied?.notice) this.ctx.serverEvents.publish(applied.notice);
    return applied !== undefined;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const entry of this.driving.values()) entry.controller.abort();
    await Promise.allSettled([...this.loops]);
  }

  private async drive(migrationId: string, entry: Driving): Promise<void> {
    let crashes = 0;
    for (;;) {
      if (this.closing) return;
      const migration = await this.ctx.store.getServerMigration(migrationId);
      if (migration === undefined || !migration.active || SERVER_RESTING_PHASES.has(migration.phase)) return;
      const step = STEPS[migration.phase as keyof typeof STEPS];
      if (entry.controller.signal.aborted) entry.controller = new AbortController();
      const controller = entry.controller;
      const log = this.ctx.logger.child({ serverMigrationId: migrationId, shareServerId: migration.sourceShareServerId, phase: migration.phase });
      let event: ServerEvent;
      try {
        log.debug('step started');
        const result = await step(this.ctx, await loadServerScope(this.ctx, migrationId), { signal: controller.signal, log });
        event = { type: result.event, error: result.error, resumeAt: result.resumeAt };
        crashes = 0;
      } catch (error) {
        // A step that throws (rather than returning a failure event) hit something unexpected,
        // such as the store: retry a few times, then leave the phase for the next start.
        crashes += 1;
        log.error({ err: error, attempt: crashes }, 'share server migration step crashed');
        if (crashes >= 3) {
          await this.ctx.store.updateServerMigration(migrationId, { error: `step ${migration.phase} failed unexpectedly: ${describe(error).message}; restart ferry to retry, or reset the task state`, updatedAt: this.ctx.now() });
          return;
        }
        await pause(1000 * crashes, controller.signal);
        continue;
      }
      if (this.closing) return;
      if (controller.signal.aborted) continue; // superseded: the phase changed; run the new one
      if (await this.commit(migration, migration.phase, event)) log.info({ event: event.type, ...(event.error ? { err: event.error } : {}) }, 'share server migration step done');
    }
  }
}
