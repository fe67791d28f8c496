/**
 * ferry's own reason catalogue (ErrorInfo domain "ferry.dev"): every reason the orchestrator
 * and the admin API return, with its gRPC code, when it happens and what the caller does next.
 * docs/errors.md is checked against this table by a test. Drivers' reasons (domain
 * driver.ferry.dev) are catalogued in proto/ferry/driver/v1/errors.proto.
 */
import type { ErrorCode } from './errors.js';

export interface ReasonEntry {
  readonly code: ErrorCode;
  readonly when: string;
  readonly next: string;
}

export const FERRY_REASONS = {
  INVALID_FIELD: { code: 'INVALID_ARGUMENT', when: 'a request field is malformed (see the field violations)', next: 'fix the request' },
  MISSING_FIELD: { code: 'INVALID_ARGUMENT', when: 'a required request field is absent', next: 'send the field' },
  INVALID_PARAMETER_COMBINATION: { code: 'INVALID_ARGUMENT', when: 'force_host_assisted_migration together with writable, preserve_metadata, preserve_snapshots or nondisruptive', next: 'drop one side' },
  SHARE_NETWORK_REQUIRED: { code: 'INVALID_ARGUMENT', when: 'the (new) share type handles share servers and no share network is given or set', next: 'pass new_share_network_id' },
  SHARE_NETWORK_NOT_ALLOWED: { code: 'INVALID_ARGUMENT', when: 'a share network is given for a share type that does not handle share servers', next: 'omit the network' },
  SHARE_NOT_FOUND: { code: 'NOT_FOUND', when: 'no share has the id', next: 'list shares' },
  SHARE_INSTANCE_NOT_FOUND: { code: 'NOT_FOUND', when: 'no share instance has the id', next: 'get the share' },
  SNAPSHOT_NOT_FOUND: { code: 'NOT_FOUND', when: 'no snapshot has the id', next: 'list snapshots' },
  ACCESS_RULE_NOT_FOUND: { code: 'NOT_FOUND', when: 'the share has no access rule with the id', next: 'list access rules' },
  SHARE_TYPE_NOT_FOUND: { code: 'NOT_FOUND', when: 'no share type has the id or name', next: 'list share types' },
  SHARE_NETWORK_NOT_FOUND: { code: 'NOT_FOUND', when: 'no share network has the id', next: 'list share networks' },
  BACKEND_NOT_FOUND: { code: 'NOT_FOUND', when: 'the host names a back end ferry is not configured with', next: 'list back ends' },
  POOL_NOT_FOUND: { code: 'NOT_FOUND', when: 'the back end reports no pool of that name', next: 'list pools' },
  MIGRATION_NOT_FOUND: { code: 'NOT_FOUND', when: 'no migration has the id', next: 'get the share: it names its latest migration' },
  ALREADY_EXISTS: { code: 'ALREADY_EXISTS', when: 'a share type or network of that name exists', next: 'pick another name or reuse it' },
  SHARE_BUSY: { code: 'FAILED_PRECONDITION', when: 'the share has an active task (a busy task_state) or is in a transitional status', next: 'wait for the task, or cancel the migration' },
  INVALID_SHARE_STATUS: { code: 'FAILED_PRECONDITION', when: 'the share (primary instance) is not in the status the action needs', next: 'wait, or repair with ResetStatus' },
  ACCESS_RULES_ERROR: { code: 'FAILED_PRECONDITION', when: 'the share\'s access rules are in error', next: 'fix or revoke the failing rules' },
  SHARE_HAS_REPLICAS: { code: 'FAILED_PRECONDITION', when: 'the share has replicas', next: 'remove the replicas' },
  SHARE_HAS_SNAPSHOTS: { code: 'FAILED_PRECONDITION', when: 'host-assisted migration (forced or as fallback) of a share with snapshots, or deleting a share with snapshots', next: 'delete the snapshots, or use a driver that preserves them' },
  SHARE_NETWORK_NOT_ACTIVE: { code: 'FAILED_PRECONDITION', when: 'the target share network is not active', next: 'repair the network' },
  BACKEND_DOWN: { code: 'FAILED_PRECONDITION', when: 'the destination back end\'s plugin is not ready', next: 'check ListBackends and the plugin\'s logs; retry once it is ready' },
  NO_VALID_HOST: { code: 'FAILED_PRECONDITION', when: 'the pool cannot take the share (capacity, share-server mode, protocol) or no pool fits a new share', next: 'pick another pool' },
  SHARE_SIZE_OUT_OF_RANGE: { code: 'FAILED_PRECONDITION', when: 'the share size is outside the (new) type\'s provisioning:min/max_share_size', next: 'pick another type or resize' },
  AVAILABILITY_ZONE_MISMATCH: { code: 'FAILED_PRECONDITION', when: 'the destination pool\'s availability zone is not in the type\'s availability_zones', next: 'pick a pool in an allowed zone' },
  MIGRATION_NOT_IN_PROGRESS: { code: 'FAILED_PRECONDITION', when: 'complete, cancel or progress with no migration under way (task_state null or migration_error)', next: 'start a migration' },
  MIGRATION_ALREADY_COMPLETED: { code: 'FAILED_PRECONDITION', when: 'complete or cancel after migration_success', next: 'nothing: the share is on its destination' },
  MIGRATION_ALREADY_CANCELLED: { code: 'FAILED_PRECONDITION', when: 'complete or cancel after migration_cancelled', next: 'start a new migration' },
  MIGRATION_PHASE1_NOT_DONE: { code: 'FAILED_PRECONDITION', when: 'complete before phase 1 finished', next: 'watch the migration; complete once it rests' },
  MIGRATION_NOT_CANCELLABLE: { code: 'FAILED_PRECONDITION', when: 'cancel in a state that cannot be cancelled (starting, completing, copying_starting/completing)', next: 'wait for the next state and retry' },
  MIGRATION_PROGRESS_UNAVAILABLE: { code: 'FAILED_PRECONDITION', when: 'progress asked with no migration', next: 'start a migration' },
  DRIVER_ASSISTED_NOT_POSSIBLE: { code: 'FAILED_PRECONDITION', when: 'MigrationCheck: the driver-assisted path is closed (no driver migration, incompatible pair, a requested guarantee the driver cannot give, forced host-assisted)', next: 'read the message; host-assisted may still run' },
  HOST_ASSISTED_NOT_ALLOWED: { code: 'FAILED_PRECONDITION', when: 'MigrationCheck: the host-assisted path is closed (a preservation flag requested, or the share has snapshots)', next: 'drop the flags or the snapshots, or use a driver-assisted pair' },
  INVALID_TASK_STATE: { code: 'INVALID_ARGUMENT', when: 'ResetTaskState with a value Manila does not accept (e.g. migration_driver_starting)', next: 'use one of the listed values' },
  INVALID_STATUS: { code: 'INVALID_ARGUMENT', when: 'ResetStatus with a value it does not accept', next: 'use one of the listed values' },
  IN_USE: { code: 'FAILED_PRECONDITION', when: 'deleting a share type or network that shares still use', next: 'delete or migrate those shares first' },
  INVALID_SIZE: { code: 'INVALID_ARGUMENT', when: 'extend to a size not larger, or shrink to a size not smaller, than the current one', next: 'pass a valid new size' },
  DATA_SERVICE_ACCESS_NOT_CONFIGURED: { code: 'FAILED_PRECONDITION', when: 'host-assisted copy needs an access type whose data_node_access_* option is unset', next: 'configure dataService.dataNodeAccessIps/AdminUser/Cert' },
  STORE_LOCKED: { code: 'FAILED_PRECONDITION', when: 'another ferry process owns the store', next: 'stop it or use another data directory' },
  CONFIG_INVALID: { code: 'INVALID_ARGUMENT', when: 'the configuration file does not validate', next: 'fix the named field' },
  SHARE_SERVER_NOT_FOUND: { code: 'NOT_FOUND', when: 'no share server has the id', next: 'list share servers' },
  HOST_HAS_POOL: { code: 'INVALID_ARGUMENT', when: 'a share server migration names a pool (host@backend#pool); servers move between back ends', next: 'pass host@backend' },
  NONDISRUPTIVE_NETWORK_CHANGE: { code: 'INVALID_ARGUMENT', when: 'nondisruptive server migration with a new share network whose subnets differ from the current ones', next: 'drop nondisruptive or keep the network' },
  SHARE_SERVER_HAS_NO_SHARES: { code: 'FAILED_PRECONDITION', when: 'the share server to migrate serves no shares', next: 'nothing to migrate: delete the server instead' },
  INVALID_SHARE_SERVER_STATUS: { code: 'FAILED_PRECONDITION', when: 'the share server is not in the status the action needs (active to start, server_migrating to complete or cancel)', next: 'wait, or repair with ResetStatus' },
  SHARE_SERVER_MIGRATION_NO_CHANGE: { code: 'FAILED_PRECONDITION', when: 'server migration to its own back end without a new share network', next: 'pick another back end or a new network' },
  SHARE_SERVER_DESTINATION_EXISTS: { code: 'FAILED_PRECONDITION', when: 'another server already points at this one as its migration source (server_migrating_to)', next: 'clean up that destination (ResetStatus, delete) first' },
  NO_SUBNET_IN_ZONE: { code: 'FAILED_PRECONDITION', when: 'the target share network has no subnet usable in the destination availability zone', next: 'add a subnet for that zone, or a default subnet' },
  INVALID_SNAPSHOT_STATUS: { code: 'FAILED_PRECONDITION', when: 'a snapshot of a share to migrate is not available', next: 'wait for it, or delete it' },
  SHARE_SERVERS_NOT_SUPPORTED: { code: 'FAILED_PRECONDITION', when: 'the destination back end does not handle share servers or does not offer server migration', next: 'pick a back end with driver_handles_share_servers and server migration' },
  SHARE_SERVER_MIGRATION_INCOMPATIBLE: { code: 'FAILED_PRECONDITION', when: 'the destination driver answered incompatible, or cannot give a requested guarantee (writable, nondisruptive, preserve_snapshots)', next: 'read the reasons; drop the guarantee or pick another back end' },
  MIGRATION_CANCEL_NOT_SUPPORTED: { code: 'FAILED_PRECONDITION', when: 'cancel of a server migration whose destination driver said migration_cancel = false', next: 'complete it, or reset states by hand' },
  VOLUME_NOT_FOUND: { code: 'NOT_FOUND', when: 'no volume has the id', next: 'list volumes' },
  VOLUME_TYPE_NOT_FOUND: { code: 'NOT_FOUND', when: 'no volume type has the id or name', next: 'list volume types' },
  VOLUME_SNAPSHOT_NOT_FOUND: { code: 'NOT_FOUND', when: 'no volume snapshot has the id', next: 'list volume snapshots' },
  VOLUME_GROUP_NOT_FOUND: { code: 'NOT_FOUND', when: 'no volume group has the id', next: 'list volume groups' },
  INVALID_VOLUME_STATUS: { code: 'FAILED_PRECONDITION', when: 'the volume is not in the status the action needs (available or in-use to migrate or retype, available to delete, maintenance refuses attach and detach)', next: 'wait, detach, or repair with ResetVolumeStatus' },
  VOLUME_MIGRATING: { code: 'FAILED_PRECONDITION', when: 'the volume\'s migration_status is starting, migrating, completing or target:<id> (a migration or retype is under way, or the volume is a migration\'s temporary volume)', next: 'wait for the migration, or abort it' },
  VOLUME_HAS_SNAPSHOTS: { code: 'FAILED_PRECONDITION', when: 'migrating, retyping by migration or deleting a volume with snapshots', next: 'delete the snapshots' },
  VOLUME_IN_GROUP: { code: 'FAILED_PRECONDITION', when: 'migrating or retyping a volume that belongs to a group', next: 'remove it from the group first' },
  VOLUME_SAME_HOST: { code: 'FAILED_PRECONDITION', when: 'MigrateVolume to the pool the volume is already on', next: 'pick another pool' },
  VOLUME_TYPE_UNCHANGED: { code: 'INVALID_ARGUMENT', when: 'RetypeVolume to the volume\'s own type', next: 'pick another type' },
  VOLUMES_NOT_SUPPORTED: { code: 'FAILED_PRECONDITION', when: 'the back end does not offer volumes (PLUGIN_CAPABILITY_VOLUMES)', next: 'pick a block back end' },
  VOLUME_LOCKED: { code: 'FAILED_PRECONDITION', when: 'abort of a migration started with lock_volume (the volume is in maintenance)', next: 'wait for the migration to end' },
  VOLUME_MIGRATION_NOT_ABORTABLE: { code: 'FAILED_PRECONDITION', when: 'abort with no migration under way, or once it is completing (the records are being swapped)', next: 'wait for the migration to end' },
  RETYPE_REQUIRES_MIGRATION: { code: 'FAILED_PRECONDITION', when: 'recorded on a retype with migration_policy never that the back end cannot do in place (Cinder: Retype requires migration but is not allowed)', next: 'retype with migration_policy on-demand' },
  VOLUME_COPY_FAILED: { code: 'FAILED_PRECONDITION', when: 'recorded on a host-copy migration whose copy failed (the message names the cause: verification mismatch, I/O error, destination too small)', next: 'read the error; the temporary volume is gone and the volume is where it was' },
  VOLUME_MIGRATION_ABORTED: { code: 'FAILED_PRECONDITION', when: 'recorded on a volume migration an operator aborted (AbortMigration)', next: 'start a new migration when ready' },
} as const satisfies Record<string, ReasonEntry>;

export type FerryReason = keyof typeof FERRY_REASONS;
