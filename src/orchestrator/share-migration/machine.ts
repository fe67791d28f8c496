/**
 * The pure decision function of the share-migration state machine: given the recorded state
 * and an event, the next state. No I/O, no clock: the runner persists what this returns, then
 * runs the new phase's step.
 */
import type { MigrationPhase } from '../../domain/migration-phases.js';
import type { MigrationMethod, MigrationOutcome } from '../../domain/resources.js';
import type { TaskState } from '../../domain/statuses.js';
import { findTransition, type MigrationEventType } from './transitions.js';

export interface MachineState {
  readonly phase: MigrationPhase;
  readonly taskState: TaskState;
  readonly outcome: MigrationOutcome | null;
  readonly method: MigrationMethod | null;
}

export interface MachineEvent {
  readonly type: MigrationEventType;
  /** driver_refused / driver_start_failed: whether Manila's fallback rules allow host-assisted. */
  readonly fallbackAllowed?: boolean;
}

export class IllegalTransitionError extends Error {
  constructor(readonly state: MachineState, readonly event: MigrationEventType) {
    super(`no transition from phase ${state.phase} (${state.taskState}) on ${event}`);
  }
}

export function decide(state: MachineState, event: MachineEvent): MachineState {
  const transition = findTransition(state.phase, event.type);
  if (transition === undefined) throw new IllegalTransitionError(state, event.type);

  let outcome: MigrationOutcome | null;
  switch (transition.outcome) {
    case 'keep':
      outcome = state.outcome;
      break;
    case 'fallback_or_error':
      outcome = event.fallbackAllowed ? null : 'error';
      break;
    default:
      outcome = transition.outcome;
  }
  let phase = transition.to;
  let taskState = transition.taskState === 'keep' ? state.taskState : transition.taskState;
  let method = state.method;
  if (transition.from === 'accepted') method = event.type === 'begin_host' ? 'host_assisted' : 'driver_assisted';

  // A failed driver cancel returns to where the cancel was asked: polling or waiting.
  if (event.type === 'cancel_failed') phase = state.taskState === 'migration_driver_phase1_done' ? 'driver_phase1_done' : 'driver_poll';

  // Rollbacks end according to the outcome they were entered with.
  if (event.type === 'rolled_back') {
    if (state.phase === 'driver_rollback' && state.outcome === null) {
      phase = 'host_prepare';
      taskState = 'migration_in_progress';
      method = 'host_assisted';
    } else {
      taskState = state.outcome === 'cancelled' ? 'migration_cancelled' : 'migration_error';
      outcome = state.outcome === 'cancelled' ? 'cancelled' : 'error';
    }
  }
  return { phase, taskState, outcome, method };
}
