/**
 * Share migration: every transition, in one table. Start here.
 *
 *   MigrationStart (validated, recorded)            task_state
 *        |
 *    [accepted] ...................................  migration_starting
 *        | force_host_assisted? ----------------------------------------------+
 *        v                                                                    |
 *    [driver_prepare] dest record, compatibility, snapshots, RO cast ......  migration_in_progress
 *        |  (refused / failed) --> [driver_rollback] --fallback allowed-->    |
 *        v                                  |                                 v
 *    [driver_start] MigrationStart ........ | ....... migration_driver_starting
 *        v                                  |       [host_prepare] RO cast, dest instance
 *    [driver_poll] MigrationContinue ...... | ....... migration_driver_in_progress  (migration_in_progress)
 *        v                                  |                 v
 *    [driver_phase1_done] ................. | ....... migration_driver_phase1_done
 *        | complete         | cancel        |       [data_copy] access, mount, copy, release
 *        v                  v               |          data_copying_starting -> _in_progress -> _completing
 *    [driver_complete]   [driver_cancel] -->+                 v
 *      migration_completing                 |       [data_copy_done] ...... data_copying_completed
 *        v                                  |          | complete          | cancel
 *    [finished] migration_success           |          v                   v
 *                                           |       [host_complete]     [host_rollback] dest deleted,
 *                                           v         migration_completing   rules denied, RO reverted
 *                              [finished] migration_error | migration_cancelled
 *
 * A phase names the one step the runner executes in it (runner.ts, steps in driver-steps.ts,
 * host-steps.ts, rollback-steps.ts). Each step is idempotent, so after a crash the runner
 * simply runs the recorded phase's step again: reconcile.ts does nothing else.
 * The phase, task_state and outcome change together in one store transaction (machine.ts).
 *
 * Where ferry departs from Manila, the row's note says QUIRK(Manila) / ferry.
 */
import type { MigrationPhase } from '../../domain/migration-phases.js';
import type { MigrationOutcome } from '../../domain/resources.js';
import type { TaskState } from '../../domain/statuses.js';

export type MigrationEventType =
  | 'begin_driver' // not forced to host-assisted: try the driver first
  | 'begin_host' // force_host_assisted_migration
  | 'driver_prepared' // compatible, snapshots mapped, read-only cast done when needed
  | 'driver_refused' // incompatible answer or a failed step before MigrationStart; may fall back
  | 'driver_started'
  | 'driver_start_failed' // may fall back
  | 'phase1_done'
  | 'driver_failed' // MigrationContinue raised: no fallback (Manila 2.6)
  | 'complete_requested'
  | 'cancel_requested'
  | 'completed'
  | 'complete_failed'
  | 'cancelled'
  | 'cancel_failed'
  | 'rolled_back'
  | 'host_prepared'
  | 'host_failed'
  | 'copy_started'
  | 'copy_finished'
  | 'copy_released'
  | 'copy_failed'
  | 'source_delete_failed';

/** 'keep' leaves task_state as it is. */
export type TaskStateChange = TaskState | 'keep';

/** Where a rollback leads: fall back to host-assisted (null) or end with an outcome. */
export type OutcomeChange = MigrationOutcome | null | 'keep' | 'fallback_or_error';

export interface Transition {
  readonly from: MigrationPhase;
  readonly event: MigrationEventType;
  readonly to: MigrationPhase;
  readonly taskState: TaskStateChange;
  /** The outcome recorded with the move; rollbacks read it to decide where they lead. */
  readonly outcome: OutcomeChange;
  readonly note: string;
}

const row = (from: MigrationPhase, event: MigrationEventType, to: MigrationPhase, taskState: TaskStateChange, outcome: OutcomeChange, note: string): Transition =>
  ({ from, event, to, taskState, outcome, note });

export const TRANSITIONS: readonly Transition[] = [
  row('accepted', 'begin_driver', 'driver_prepare', 'migration_in_progress', 'keep', 'Manila 2.1 step 5: the driver is tried first'),
  row('accepted', 'begin_host', 'host_prepare', 'migration_in_progress', 'keep', 'force_host_assisted_migration skips the driver (2.3)'),

  row('driver_prepare', 'driver_prepared', 'driver_start', 'migration_driver_starting', 'keep', '2.2 steps 2-7'),
  row('driver_prepare', 'driver_refused', 'driver_rollback', 'keep', 'fallback_or_error', '2.3: host-assisted only when no preservation flag and no snapshots'),
  row('driver_start', 'driver_started', 'driver_poll', 'migration_driver_in_progress', 'keep', '2.2 step 8'),
  row('driver_start', 'driver_start_failed', 'driver_rollback', 'keep', 'fallback_or_error', 'ferry also calls MigrationCancel to remove partial destination data'),
  row('driver_poll', 'phase1_done', 'driver_phase1_done', 'migration_driver_phase1_done', 'keep', '2.6: MigrationContinue answered true'),
  row('driver_poll', 'driver_failed', 'driver_rollback', 'keep', 'error', '2.6: continue raised; no fallback. ferry keeps polling through UNAVAILABLE (plugin restarting)'),
  row('driver_poll', 'cancel_requested', 'driver_cancel', 'keep', 'keep', '2.10: Manila has no cancel-in-progress state for shares'),
  row('driver_phase1_done', 'complete_requested', 'driver_complete', 'migration_completing', 'keep', '2.7 driver-assisted'),
  row('driver_phase1_done', 'cancel_requested', 'driver_cancel', 'keep', 'keep', '2.10'),
  row('driver_complete', 'completed', 'finished', 'migration_success', 'success', '2.7 steps 2-9'),
  row('driver_complete', 'complete_failed', 'finished', 'migration_error', 'error', '2.7: both instances and their snapshots in error; an operator repairs'),
  row('driver_cancel', 'cancelled', 'driver_rollback', 'keep', 'cancelled', '2.10 step 2'),
  row('driver_cancel', 'cancel_failed', 'driver_poll', 'keep', 'keep', '2.10: a failed driver cancel rolls nothing back (back to where it was)'),
  row('driver_rollback', 'rolled_back', 'finished', 'keep', 'keep', 'ends in migration_error or migration_cancelled (see machine.ts), or falls back'),

  row('host_prepare', 'host_prepared', 'data_copy', 'data_copying_starting', 'keep', '2.4 then 3.2 step 2'),
  row('host_prepare', 'host_failed', 'host_rollback', 'keep', 'error', '2.4 failures'),
  row('data_copy', 'copy_started', 'data_copy', 'data_copying_in_progress', 'keep', '3.2 step 6: access granted, both instances reached'),
  row('data_copy', 'copy_finished', 'data_copy', 'data_copying_completing', 'keep', '3.2 step 7'),
  row('data_copy', 'copy_released', 'data_copy_done', 'data_copying_completed', 'keep', '3.2 steps 8-9: unmounted, data-service rules removed'),
  row('data_copy', 'copy_failed', 'host_rollback', 'data_copying_error', 'error', '3.1: then migration_error after clean-up'),
  row('data_copy', 'cancel_requested', 'host_rollback', 'data_copying_cancelled', 'cancelled', 'QUIRK(Manila): a cancelled copy ends in migration_success; ferry: migration_cancelled'),
  row('data_copy_done', 'complete_requested', 'host_complete', 'migration_completing', 'keep', '2.7 host-assisted'),
  row('data_copy_done', 'cancel_requested', 'host_rollback', 'keep', 'cancelled', '2.10: destination inactive, deleted through its driver'),
  row('host_complete', 'completed', 'finished', 'migration_success', 'success', '2.7 host-assisted steps 3-6, then MigrationUpdateModel on the destination'),
  row('host_complete', 'host_failed', 'host_rollback', 'keep', 'error', '2.7 step 3: new rules could not be applied'),
  row('host_complete', 'source_delete_failed', 'finished', 'migration_error', 'error', 'QUIRK(Manila): source set back to available beside an available destination; ferry: the destination serves, the source is error_deleting'),
  row('host_rollback', 'rolled_back', 'finished', 'keep', 'keep', 'ends in migration_error or migration_cancelled (see machine.ts)'),
];

/** The step-less phases and the outcome-driven exits of the rollbacks are resolved in machine.ts. */
export function findTransition(from: MigrationPhase, event: MigrationEventType): Transition | undefined {
  return TRANSITIONS.find((t) => t.from === from && t.event === event);
}
