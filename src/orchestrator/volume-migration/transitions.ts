/**
 * Volume migration and retype (Cinder's os-migrate_volume / os-retype): every transition, in
 * one table. Start here.
 *
 *   MigrateVolume (validated; migration_status starting;           RetypeVolume (validated;
 *   lock_volume: available -> maintenance)                          status retyping)
 *        |                                                              |
 *    [accepted] -- generic ----------------+               [accepted] --+-- in place --> [retype_in_place]
 *        | try driver                      |                            |                   | retyped -> [finished] success
 *        v                                 |                 needs migration (on-demand)   | not retyped + never -> [finished] error
 *    [driver_migrate] MigrateVolume on     |                            |                   | not retyped + on-demand
 *        | the source back end (migrating) |                            v                   v
 *        | moved -> [finished] success     +------------------> [create_target] temporary volume on the
 *        | not moved ------------------------------------------>   destination (target:<id>)
 *        | failed -> [rollback]                                         |
 *        v                                                              v
 *                                                               [host_copy] attach both on the data node,
 *                                                                 copy (block or file mode), detach
 *                                                                       |
 *                                                                       v
 *                                                               [complete] UpdateMigratedVolume on the
 *                                                                 destination, swap the records (completing)
 *                                                                       |
 *                                                                       v
 *                                                               [delete_old] DeleteVolume of the old
 *                                                                 object on the source (success)
 *                                                                       |
 *                                                                       v
 *                                                                 [finished] success (deleting if the
 *                                                                   old object could not be deleted)
 *
 *   Any failure before [complete], and an operator's abort, go to [rollback]: the temporary volume
 *   is deleted, migration_status becomes error, the status (and a retype's type) is restored.
 *
 * The volume's migration_status is the record's; each row says what it becomes. Each phase
 * names one idempotent step (steps.ts); after a crash the runner runs the recorded phase's
 * step again. Where ferry departs from Cinder, the row's note says QUIRK(Cinder) / ferry.
 */
import type { MigrationOutcome } from '../../domain/resources.js';
import type { VolumeMigrationPhase, VolumeMigrationStatus } from '../../domain/volumes.js';

export type VolumeMigrationEventType =
  | 'retype_here' // the scheduler kept the volume on its back end: try the driver's retype
  | 'try_driver' // driver-assisted path open: MigrateVolume on the source
  | 'generic' // straight to the generic (host-copy) migration
  | 'retyped'
  | 'retype_refused' // not retyped, migration_policy never (RETYPE_REQUIRES_MIGRATION)
  | 'retype_needs_migration' // not retyped, migration_policy on-demand
  | 'moved'
  | 'not_moved'
  | 'failed'
  | 'target_created'
  | 'copied'
  | 'aborted'
  | 'completed'
  | 'complete_failed'
  | 'old_deleted'
  | 'old_delete_failed'
  | 'rolled_back';

export interface VolumeTransition {
  readonly from: VolumeMigrationPhase;
  readonly event: VolumeMigrationEventType;
  readonly to: VolumeMigrationPhase;
  /** The volume's migration_status after the move; 'keep' leaves it. */
  readonly migrationStatus: VolumeMigrationStatus | null | 'keep';
  readonly outcome: MigrationOutcome | 'keep';
  readonly note: string;
}

const row = (from: VolumeMigrationPhase, event: VolumeMigrationEventType, to: VolumeMigrationPhase, migrationStatus: VolumeMigrationStatus | null | 'keep', outcome: MigrationOutcome | 'keep', note: string): VolumeTransition =>
  ({ from, event, to, migrationStatus, outcome, note });

export const VOLUME_TRANSITIONS: readonly VolumeTransition[] = [
  row('accepted', 'retype_here', 'retype_in_place', 'keep', 'keep', 'retype: driver.retype first when the back end is unchanged'),
  row('accepted', 'try_driver', 'driver_migrate', 'migrating', 'keep', 'migrate_volume: no attachments, no force_host_copy, type diff only volume_backend_name / availability zones'),
  row('accepted', 'generic', 'create_target', 'migrating', 'keep', 'migrate_volume: the generic migration'),
  row('accepted', 'aborted', 'rollback', 'keep', 'cancelled', 'ferry: AbortMigration before anything ran'),
  row('accepted', 'failed', 'rollback', 'keep', 'error', 'a check that only the runner can make failed (e.g. snapshots appeared)'),
  row('retype_in_place', 'retyped', 'finished', 'keep', 'success', 'new type set, status restored'),
  row('retype_in_place', 'retype_refused', 'finished', 'keep', 'error', 'Cinder: VolumeMigrationFailed("Retype requires migration but is not allowed."), status restored'),
  row('retype_in_place', 'retype_needs_migration', 'create_target', 'starting', 'keep', 'Cinder: on-demand sets migration_status starting and migrates to the same host with the new type'),
  row('retype_in_place', 'failed', 'finished', 'keep', 'error', 'driver.retype raised: status and type restored'),
  row('driver_migrate', 'moved', 'finished', 'success', 'success', 'model update applied, new host (and type)'),
  row('driver_migrate', 'not_moved', 'create_target', 'keep', 'keep', 'moved = false or UNIMPLEMENTED: the generic migration'),
  row('driver_migrate', 'failed', 'rollback', 'keep', 'error', 'Cinder: migration_status error, status restored'),
  row('create_target', 'target_created', 'host_copy', 'migrating', 'keep', 'the temporary volume is available (Cinder waits with n^2 sleeps; ferry\'s CreateVolume is synchronous)'),
  row('create_target', 'failed', 'rollback', 'keep', 'error', 'temporary volume deleted'),
  row('create_target', 'aborted', 'rollback', 'keep', 'cancelled', 'ferry: AbortMigration'),
  row('host_copy', 'copied', 'complete', 'completing', 'keep', 'copy_volume_data done, both detached'),
  row('host_copy', 'failed', 'rollback', 'keep', 'error', 'Cinder: temporary volume deleted while migrating'),
  row('host_copy', 'aborted', 'rollback', 'keep', 'cancelled', 'ferry: AbortMigration stops the copy'),
  row('complete', 'completed', 'delete_old', 'success', 'keep', 'records swapped: the user\'s id now names the destination object; status restored'),
  row('complete', 'complete_failed', 'finished', 'error', 'error', 'Cinder: in the completing phase the temporary volume is kept (only its migration_status cleared); ferry also sets it to error so an operator can inspect and delete it'),
  row('delete_old', 'old_deleted', 'finished', 'keep', 'success', 'the old back-end object and its record are gone'),
  row('delete_old', 'old_delete_failed', 'finished', 'deleting', 'success', 'Cinder\'s "deleting": the data moved; the old object\'s record stays in error_deleting for a retry with DeleteVolume'),
  row('rollback', 'rolled_back', 'finished', 'error', 'keep', 'Cinder has no "cancelled" migration_status: an abort ends in error too; the record\'s outcome says cancelled'),
];

export interface VolumeMachineState {
  readonly phase: VolumeMigrationPhase;
  readonly migrationStatus: VolumeMigrationStatus | null;
  readonly outcome: MigrationOutcome | null;
}

export class IllegalVolumeTransitionError extends Error {
  constructor(readonly state: VolumeMachineState, readonly event: VolumeMigrationEventType) {
    super(`no transition from phase ${state.phase} on ${event}`);
  }
}

/** The pure decision: the next state for an event. */
export function decideVolume(state: VolumeMachineState, event: VolumeMigrationEventType): VolumeMachineState {
  const transition = VOLUME_TRANSITIONS.find((t) => t.from === state.phase && t.event === event);
  if (transition === undefined) throw new IllegalVolumeTransitionError(state, event);
  return {
    phase: transition.to,
    migrationStatus: transition.migrationStatus === 'keep' ? state.migrationStatus : transition.migrationStatus,
    outcome: transition.outcome === 'keep' ? state.outcome : transition.outcome,
  };
}

/** Phases an operator's abort may interrupt (not while a back end moves or retypes the volume, nor once records swap). */
export const ABORTABLE_PHASES: ReadonlySet<VolumeMigrationPhase> = new Set<VolumeMigrationPhase>(['accepted', 'create_target', 'host_copy']);
