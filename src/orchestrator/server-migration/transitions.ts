/**
 * Share-server migration: every transition, in one table. Start here.
 *
 *   MigrationStart (validated, recorded; shares and snapshots server_migrating)   source task_state
 *        |
 *    [accepted] .......................................................  migration_starting
 *        v
 *    [prepare] compatibility, destination server (+ setup), read-only cast   migration_in_progress
 *        |  (refused / failed) ----------------------------------------+
 *        v                                                             |
 *    [driver_start] ShareServerMigrationStart ........ both servers:   |  migration_driver_starting
 *        |  (failed) ----------------------------------------------+   |
 *        v                                                         |   |
 *    [driver_poll] ShareServerMigrationContinue ...... both servers:   |  migration_driver_in_progress
 *        |  (raised) ---------------------------------------------+|   |
 *        v                                                        ||   |
 *    [driver_phase1_done] ............................. both servers:  |  migration_driver_phase1_done
 *        | complete                 | cancel (also from driver_poll)  ||
 *        v                          v                                 vv
 *    [driver_complete]         [driver_cancel] --cancelled-->  [rollback] shares available, read-only
 *      migration_completing      migration_cancel_in_progress     reverted, destination torn down
 *        |          |                 | (failed: back where it was)    |
 *        v          v                 v                                v
 *   [finished]  [finished]                                   [finished] migration_error | migration_cancelled
 *   migration_success  migration_error (shares and both servers error; an operator repairs)
 *
 * The source server's task_state is the record's; the destination's follows it from
 * migration_driver_starting on (Manila 5.5), except during a cancel, where it keeps its state.
 * Each phase names one idempotent step (steps.ts); after a crash the runner runs the recorded
 * phase's step again. Where ferry departs from Manila, the row's note says QUIRK(Manila) / ferry.
 */
import type { ServerMigrationPhase } from '../../domain/migration-phases.js';
import type { MigrationOutcome } from '../../domain/resources.js';
import type { TaskState } from '../../domain/statuses.js';

export type ServerMigrationEventType =
  | 'begin'
  | 'prepared' // compatible, destination server ready, read-only cast done when needed
  | 'refused' // the check said no, or preparing failed
  | 'driver_started'
  | 'driver_start_failed'
  | 'phase1_done'
  | 'driver_failed' // ShareServerMigrationContinue raised
  | 'complete_requested'
  | 'cancel_requested'
  | 'completed'
  | 'complete_failed'
  | 'cancelled'
  | 'cancel_failed' // back to where the cancel was asked
  | 'rolled_back';

export interface ServerTransition {
  readonly from: ServerMigrationPhase;
  readonly event: ServerMigrationEventType;
  readonly to: ServerMigrationPhase;
  /** The source server's task_state after the move; 'keep' leaves it. */
  readonly taskState: TaskState | 'keep';
  /** The outcome recorded with the move (rollbacks end with it). */
  readonly outcome: MigrationOutcome | 'keep';
  readonly note: string;
}

const row = (from: ServerMigrationPhase, event: ServerMigrationEventType, to: ServerMigrationPhase, taskState: TaskState | 'keep', outcome: MigrationOutcome | 'keep', note: string): ServerTransition =>
  ({ from, event, to, taskState, outcome, note });

export const SERVER_TRANSITIONS: readonly ServerTransition[] = [
  row('accepted', 'begin', 'prepare', 'migration_in_progress', 'keep', 'Manila 5.1 step 1'),
  row('prepare', 'prepared', 'driver_start', 'migration_driver_starting', 'keep', '5.1 steps 3-9'),
  row('prepare', 'refused', 'rollback', 'keep', 'error', '5.1 failure in 3-10. QUIRK(Manila): a back end without share servers leaves the shares server_migrating; ferry rolls back like any refusal'),
  row('driver_start', 'driver_started', 'driver_poll', 'migration_driver_in_progress', 'keep', '5.1 step 10'),
  row('driver_start', 'driver_start_failed', 'rollback', 'keep', 'error', '5.1 failure'),
  row('driver_poll', 'phase1_done', 'driver_phase1_done', 'migration_driver_phase1_done', 'keep', '5.2: continue answered true'),
  row('driver_poll', 'driver_failed', 'rollback', 'keep', 'error', '5.2: continue raised. ferry also tears the destination down (Manila leaves it in error); UNAVAILABLE is polled through'),
  row('driver_poll', 'cancel_requested', 'driver_cancel', 'migration_cancel_in_progress', 'keep', '4.6 cancel in migration_driver_in_progress'),
  row('driver_phase1_done', 'cancel_requested', 'driver_cancel', 'migration_cancel_in_progress', 'keep', '4.6 cancel after phase 1'),
  row('driver_phase1_done', 'complete_requested', 'driver_complete', 'migration_completing', 'keep', '5.3 step 1'),
  row('driver_complete', 'completed', 'finished', 'migration_success', 'success', '5.3 steps 2-10: source inactive then deleted, destination active'),
  row('driver_complete', 'complete_failed', 'finished', 'migration_error', 'error', '5.3 failure: shares, snapshots and both servers error; an operator repairs'),
  row('driver_cancel', 'cancelled', 'rollback', 'keep', 'cancelled', '5.4'),
  row('driver_cancel', 'cancel_failed', 'driver_poll', 'keep', 'keep', 'QUIRK(Manila): stuck in migration_cancel_in_progress; ferry returns to where the cancel was asked (see decideServer), so the operator can cancel again or complete'),
  row('rollback', 'rolled_back', 'finished', 'keep', 'keep', 'ends in migration_error or migration_cancelled, as the outcome says'),
];

export interface ServerMachineState {
  readonly phase: ServerMigrationPhase;
  readonly taskState: TaskState;
  readonly outcome: MigrationOutcome | null;
}

export class IllegalServerTransitionError extends Error {
  constructor(readonly state: ServerMachineState, readonly event: ServerMigrationEventType) {
    super(`no transition from phase ${state.phase} (${state.taskState}) on ${event}`);
  }
}

/**
 * The pure decision: the next state for an event. `resumeAt` is where a failed cancel returns
 * (the destination's task_state tells: it does not move during a cancel).
 */
export function decideServer(state: ServerMachineState, event: ServerMigrationEventType, resumeAt?: TaskState): ServerMachineState {
  const transition = SERVER_TRANSITIONS.find((t) => t.from === state.phase && t.event === event);
  if (transition === undefined) throw new IllegalServerTransitionError(state, event);
  let phase = transition.to;
  let taskState = transition.taskState === 'keep' ? state.taskState : transition.taskState;
  const outcome = transition.outcome === 'keep' ? state.outcome : transition.outcome;
  if (event === 'cancel_failed') {
    const waiting = resumeAt === 'migration_driver_phase1_done';
    phase = waiting ? 'driver_phase1_done' : 'driver_poll';
    taskState = waiting ? 'migration_driver_phase1_done' : 'migration_driver_in_progress';
  }
  if (event === 'rolled_back') taskState = state.outcome === 'cancelled' ? 'migration_cancelled' : 'migration_error';
  return { phase, taskState, outcome };
}

/** Phases where nothing happens until an operator acts (WatchMigration ends there). */
export const SERVER_RESTING_PHASES: ReadonlySet<ServerMigrationPhase> = new Set<ServerMigrationPhase>(['driver_phase1_done', 'finished']);
