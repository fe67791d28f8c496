/**
 * Share-migration states as the operator sees them: which task_states rest (change only on an
 * operator's action), which accept complete and cancel, and the derived progress outside the
 * live states (manila-migration-behaviour 4.2-4.4).
 */
import type { MigrationPhase } from '../../domain/migration-phases.js';
import type { TaskState } from '../../domain/statuses.js';

/** Phases in which nothing happens until the operator acts (WatchMigration ends there). */
export const RESTING_PHASES: ReadonlySet<MigrationPhase> = new Set<MigrationPhase>(['driver_phase1_done', 'data_copy_done', 'finished']);

/** Manila 4.2: complete is accepted only after phase 1. */
export const COMPLETABLE_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>(['data_copying_completed', 'migration_driver_phase1_done']);

/** Manila 4.3: cancel is accepted in these task_states only. */
export const CANCELLABLE_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'data_copying_completed', 'migration_driver_phase1_done', 'migration_driver_in_progress', 'data_copying_in_progress',
]);

/** Manila 4.4: total_progress outside the live states (migration_driver_in_progress, data_copying_in_progress). */
export function derivedProgress(taskState: TaskState): number {
  switch (taskState) {
    case 'migration_starting':
    case 'migration_driver_starting':
    case 'data_copying_starting':
    case 'migration_in_progress':
    case 'migration_driver_in_progress':
    case 'data_copying_in_progress':
      return 0;
    case 'migration_success':
    case 'data_copying_error':
    case 'migration_cancelled':
    case 'migration_cancel_in_progress':
    case 'migration_completing':
    case 'migration_driver_phase1_done':
    case 'data_copying_completed':
    case 'data_copying_completing':
    case 'data_copying_cancelled':
    case 'migration_error':
      return 100;
    default: {
      const unhandled: never = taskState;
      throw new Error(`no derived progress for ${String(unhandled)}`);
    }
  }
}

/**
 * A driver's live percentage as ferry reports it: 0-99. 100 is said only once ferry has recorded
 * phase 1 as done (the derived value), so an operator who sees 100 can complete: a driver
 * that answers 100 before its Continue says done would otherwise get a complete refused.
 */
export function livePercent(value: number): number {
  return Math.max(0, Math.min(99, Math.trunc(value)));
}
