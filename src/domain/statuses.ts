/**
 * Every status and task state ferry records, spelled exactly as Manila spells them
 * (manila-migration-behaviour section 0), as `as const` arrays plus union types.
 */

/** Status of a share instance; the share's status is its primary instance's. */
export const SHARE_STATUSES = [
  'creating', // the driver is creating the instance
  'available', // usable; the only status a migration starts from
  'error', // a driver call failed; an operator repairs (reset_status)
  'deleting', // the driver is deleting the instance
  'error_deleting', // deletion failed
  'inactive', // a migrated-away source or cancelled destination about to be deleted
  'extending',
  'extending_error',
  'shrinking',
  'shrinking_error',
  'migrating', // source instance of a share migration
  'migrating_to', // destination instance of a share migration
  'server_migrating', // instance on a share server that migrates (source)
  'server_migrating_to', // instance created for a share server migration (destination)
] as const;
export type ShareStatus = (typeof SHARE_STATUSES)[number];

/** Manila's TRANSITIONAL_STATUSES: access-rule changes are refused while an instance is in one. */
export const TRANSITIONAL_STATUSES: ReadonlySet<ShareStatus> = new Set<ShareStatus>([
  'creating', 'deleting', 'extending', 'shrinking', 'migrating', 'migrating_to', 'server_migrating', 'server_migrating_to',
]);

/** Values `reset_status` accepts (Manila's list). */
export const RESETTABLE_SHARE_STATUSES: readonly ShareStatus[] = [
  'creating', 'available', 'deleting', 'error', 'error_deleting', 'migrating', 'migrating_to', 'server_migrating',
];

/** Share (and share server) task_state values; null means no task. */
export const TASK_STATES = [
  'migration_starting',
  'migration_in_progress',
  'migration_completing',
  'migration_success',
  'migration_error',
  'migration_cancelled',
  'migration_cancel_in_progress', // share servers only
  'migration_driver_starting',
  'migration_driver_in_progress',
  'migration_driver_phase1_done',
  'data_copying_starting',
  'data_copying_in_progress',
  'data_copying_completing',
  'data_copying_completed',
  'data_copying_cancelled',
  'data_copying_error',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** BUSY_TASK_STATES: a share in one of these is busy and refuses other actions. */
export const BUSY_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'migration_starting', 'migration_in_progress', 'migration_completing', 'migration_driver_starting',
  'migration_driver_in_progress', 'migration_driver_phase1_done', 'data_copying_starting',
  'data_copying_in_progress', 'data_copying_completing', 'data_copying_completed',
]);

/** BUSY_COPYING_STATES: the data service is working on the share. */
export const BUSY_COPYING_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'data_copying_starting', 'data_copying_in_progress', 'data_copying_completing',
]);

/** TASK_STATE_STATUSES: what share reset_task_state accepts (plus null). */
export const RESETTABLE_TASK_STATES: readonly TaskState[] = [
  'migration_starting', 'migration_in_progress', 'migration_completing', 'migration_success', 'migration_error',
  'migration_cancelled', 'migration_driver_in_progress', 'migration_driver_phase1_done', 'data_copying_starting',
  'data_copying_in_progress', 'data_copying_completing', 'data_copying_completed', 'data_copying_cancelled',
  'data_copying_error',
];

/** SERVER_TASK_STATE_STATUSES: what share-server reset_task_state accepts (plus null). */
export const RESETTABLE_SERVER_TASK_STATES: readonly TaskState[] = [
  'migration_starting', 'migration_in_progress', 'migration_completing', 'migration_success', 'migration_error',
  'migration_cancel_in_progress', 'migration_cancelled', 'migration_driver_in_progress', 'migration_driver_phase1_done',
];

export function isBusy(taskState: TaskState | null): boolean {
  return taskState !== null && BUSY_TASK_STATES.has(taskState);
}

/** Per-instance state of one access rule (Manila's access-rule instance mapping states). */
export const ACCESS_RULE_STATES = ['queued_to_apply', 'applying', 'active', 'error', 'queued_to_deny', 'denying'] as const;
export type AccessRuleState = (typeof ACCESS_RULE_STATES)[number];

/** An instance's access_rules_status: the summary of its rules' states. */
export const ACCESS_RULES_STATUSES = ['active', 'syncing', 'error'] as const;
export type AccessRulesStatus = (typeof ACCESS_RULES_STATUSES)[number];

export const ACCESS_TYPES = ['ip', 'user', 'cert'] as const;
export type AccessType = (typeof ACCESS_TYPES)[number];

export const ACCESS_LEVELS = ['rw', 'ro'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

export const SNAPSHOT_STATUSES = ['creating', 'available', 'error', 'deleting', 'error_deleting', 'migrating', 'migrating_to', 'server_migrating'] as const;
export type SnapshotStatus = (typeof SNAPSHOT_STATUSES)[number];

export const SHARE_SERVER_STATUSES = [
  'creating', 'active', 'error', 'deleting', 'inactive', 'server_migrating', 'server_migrating_to', 'network_change',
] as const;
export type ShareServerStatus = (typeof SHARE_SERVER_STATUSES)[number];

export const SHARE_NETWORK_STATUSES = ['active', 'error', 'network_change'] as const;
export type ShareNetworkStatus = (typeof SHARE_NETWORK_STATUSES)[number];

/** Share protocols ferry knows; a back end reports which it serves. */
export const SHARE_PROTOCOLS = ['NFS', 'CIFS', 'CEPHFS', 'GLUSTERFS', 'HDFS', 'MAPRFS'] as const;
export type ShareProtocol = (typeof SHARE_PROTOCOLS)[number];
