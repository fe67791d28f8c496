/**
 * The phases of ferry's share-migration state machine: finer than Manila's task_state, so that
 * each names exactly one step to run, and a restarted daemon knows what to redo. The table of
 * transitions between them is src/orchestrator/share-migration/transitions.ts.
 */
export const MIGRATION_PHASES = [
  'accepted', // validated and recorded; nothing done yet (migration_starting)
  'driver_prepare', // destination record, compatibility check, snapshot mapping, read-only cast
  'driver_start', // driver MigrationStart in flight (migration_driver_starting)
  'driver_poll', // phase 1 on the driver, polled with MigrationContinue
  'driver_phase1_done', // waits for the operator: complete or cancel
  'driver_complete', // driver MigrationComplete and the records' switch-over
  'driver_cancel', // driver MigrationCancel, then the driver roll-back
  'driver_rollback', // undo the driver attempt; then fall back to host-assisted or fail
  'host_prepare', // read-only cast, destination instance through its driver, connection info
  'data_copy', // the copy engine runs (data_copying_starting .. data_copying_completing)
  'data_copy_done', // waits for the operator: complete or cancel
  'host_complete', // rules on the destination, switch-over, source deleted through its driver
  'host_rollback', // destination deleted, data-service rules removed, read-only reverted
  'finished', // resting: outcome says how it ended
] as const;
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

/**
 * The phases of ferry's share-server migration machine; the table of transitions is
 * src/orchestrator/server-migration/transitions.ts.
 */
export const SERVER_MIGRATION_PHASES = [
  'accepted', // validated and recorded; shares and snapshots server_migrating (migration_starting)
  'prepare', // compatibility check, destination server record (+ setup), read-only cast (migration_in_progress)
  'driver_start', // ShareServerMigrationStart in flight (migration_driver_starting)
  'driver_poll', // phase 1 on the driver, polled with ShareServerMigrationContinue
  'driver_phase1_done', // waits for the operator: complete or cancel
  'driver_complete', // ShareServerMigrationComplete, re-homing, source teardown (migration_completing)
  'driver_cancel', // ShareServerMigrationCancel (migration_cancel_in_progress)
  'rollback', // undo phase 1: shares available, read-only reverted, destination torn down
  'finished', // resting: outcome says how it ended
] as const;
export type ServerMigrationPhase = (typeof SERVER_MIGRATION_PHASES)[number];
