/**
 * The stored shape of every table, as Kysely sees it. Column names are snake_case; values are
 * what both SQLite and PostgreSQL store without a dialect-specific type: booleans are 0/1
 * integers, maps, lists and nested objects are JSON text (columns whose comment says "JSON"),
 * times are ISO-8601 text. Status columns are typed with the domain unions so filters are
 * checked at compile time; only this layer writes them, so what comes back is what went in.
 * The mappers in ./mappers turn rows into domain records and back.
 */
import type {
  AccessLevel, AccessRuleState, AccessRulesStatus, AccessType, ShareNetworkStatus, ShareServerStatus, ShareStatus,
  SnapshotStatus, TaskState,
} from '../../domain/statuses.js';
import type { MigrationPhase, ServerMigrationPhase } from '../../domain/migration-phases.js';
import type { MigrationMethod, MigrationOutcome } from '../../domain/resources.js';
import type {
  VolumeMigrationMethod, VolumeMigrationPhase, VolumeMigrationStatus, VolumeSnapshotStatus, VolumeStatus, VolumeTransferMode,
} from '../../domain/volumes.js';

/** 0 or 1. */
export type Flag = number;
/** JSON text of the type named in the column comment. */
export type Json = string;

export interface BackendRow {
  name: string;
  host: string;
  plugin_name: string;
  vendor_version: string;
  /** JSON string[] */
  capabilities: Json;
  driver_handles_share_servers: Flag;
  /** JSON StringMap */
  migration_peer_info: Json;
  updated_at: string;
}

export interface PoolRow {
  host: string;
  backend: string;
  name: string;
  total_capacity_gib: number;
  free_capacity_gib: number;
  allocated_capacity_gib: number;
  /** JSON StringMap */
  capabilities: Json;
  availability_zone: string;
  updated_at: string;
}

export interface ShareTypeRow {
  id: string;
  name: string;
  description: string;
  /** JSON StringMap */
  extra_specs: Json;
  is_public: Flag;
  created_at: string;
}

export interface ShareNetworkRow {
  id: string;
  name: string;
  description: string;
  status: ShareNetworkStatus;
  created_at: string;
}

export interface ShareNetworkSubnetRow {
  id: string;
  share_network_id: string;
  availability_zone: string | null;
  neutron_net_id: string;
  neutron_subnet_id: string;
  created_at: string;
}

export interface ShareRow {
  id: string;
  name: string;
  description: string;
  share_proto: string;
  size_gib: number;
  share_type_id: string;
  share_network_id: string | null;
  availability_zone: string;
  task_state: TaskState | null;
  /** JSON StringMap */
  metadata: Json;
  snapshot_support: Flag;
  create_share_from_snapshot_support: Flag;
  revert_to_snapshot_support: Flag;
  mount_snapshot_support: Flag;
  created_at: string;
  updated_at: string;
}

export interface ShareInstanceRow {
  id: string;
  share_id: string;
  status: ShareStatus;
  host: string;
  /** `host@backend` of host, kept so the back-end filter is an indexed equality in every dialect. */
  backend_host: string;
  share_type_id: string;
  share_network_id: string | null;
  share_server_id: string | null;
  availability_zone: string;
  cast_rules_to_readonly: Flag;
  access_rules_status: AccessRulesStatus;
  progress: string;
  replica_state: string | null;
  /** JSON ExportLocation[] */
  export_locations: Json;
  provider_location: string;
  /** JSON StringMap */
  backend_details: Json;
  created_at: string;
  updated_at: string;
}

export interface AccessRuleRow {
  id: string;
  share_id: string;
  access_type: AccessType;
  access_to: string;
  access_level: AccessLevel;
  access_key: string;
  for_data_service: Flag;
  created_at: string;
}

export interface AccessRuleMappingRow {
  access_rule_id: string;
  share_instance_id: string;
  state: AccessRuleState;
  message: string;
  updated_at: string;
}

export interface SnapshotRow {
  id: string;
  share_id: string;
  name: string;
  description: string;
  size_gib: number;
  created_at: string;
}

export interface SnapshotInstanceRow {
  id: string;
  snapshot_id: string;
  share_instance_id: string;
  status: SnapshotStatus;
  progress: string;
  provider_location: string;
  /** JSON ExportLocation[] */
  export_locations: Json;
  created_at: string;
  updated_at: string;
}

export interface ShareServerRow {
  id: string;
  host: string;
  status: ShareServerStatus;
  task_state: TaskState | null;
  share_network_id: string;
  /** JSON string[] */
  share_network_subnet_ids: Json;
  availability_zone: string;
  identifier: string;
  /** JSON StringMap */
  backend_details: Json;
  /** JSON NetworkAllocation[] */
  network_allocations: Json;
  source_share_server_id: string | null;
  is_auto_deletable: Flag;
  created_at: string;
  updated_at: string;
}

export interface ShareMigrationRow {
  id: string;
  share_id: string;
  source_instance_id: string;
  destination_instance_id: string | null;
  /** JSON MigrationRequest */
  request: Json;
  method: MigrationMethod | null;
  /** JSON MigrationCapabilities, or null */
  capabilities: Json | null;
  task_state: TaskState;
  phase: MigrationPhase;
  outcome: MigrationOutcome | null;
  pending_action: 'complete' | 'cancel' | null;
  active: Flag;
  fallback_reason: string;
  error: string;
  error_reason: string;
  checkpoint_path: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface MigrationEventRow {
  migration_id: string;
  sequence: number;
  task_state: TaskState;
  message: string;
  at: string;
}

export interface ShareServerMigrationRow {
  id: string;
  source_share_server_id: string;
  destination_share_server_id: string | null;
  /** JSON ServerMigrationRequest */
  request: Json;
  /** JSON ServerMigrationCapabilities, or null */
  capabilities: Json | null;
  network_change: Flag;
  task_state: TaskState;
  phase: ServerMigrationPhase;
  outcome: MigrationOutcome | null;
  active: Flag;
  error: string;
  error_reason: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface VolumeTypeRow {
  id: string;
  name: string;
  description: string;
  /** JSON StringMap */
  extra_specs: Json;
  /** JSON StringMap */
  qos_specs: Json;
  is_public: Flag;
  created_at: string;
}

export interface VolumeGroupRow {
  id: string;
  name: string;
  description: string;
  created_at: string;
}

export interface VolumeRow {
  id: string;
  name: string;
  description: string;
  size_gib: number;
  volume_type_id: string;
  status: VolumeStatus;
  migration_status: VolumeMigrationStatus | null;
  previous_status: VolumeStatus | null;
  host: string;
  /** `host@backend` of host, kept so the back-end filter is an indexed equality in every dialect. */
  backend_host: string;
  availability_zone: string;
  name_id: string | null;
  provider_location: string;
  group_id: string | null;
  /** JSON VolumeAttachment[] */
  attachments: Json;
  created_at: string;
  updated_at: string;
}

export interface VolumeSnapshotRow {
  id: string;
  volume_id: string;
  name: string;
  size_gib: number;
  status: VolumeSnapshotStatus;
  provider_location: string;
  created_at: string;
}

export interface VolumeMigrationRow {
  id: string;
  volume_id: string;
  /** JSON VolumeMigrationRequest */
  request: Json;
  source_host: string;
  original_status: VolumeStatus;
  original_volume_type_id: string;
  method: VolumeMigrationMethod | null;
  transfer_mode: VolumeTransferMode | null;
  temporary_volume_id: string | null;
  phase: VolumeMigrationPhase;
  outcome: MigrationOutcome | null;
  abort_requested: Flag;
  active: Flag;
  bytes_copied: number;
  bytes_total: number;
  fallback_reason: string;
  error: string;
  error_reason: string;
  checkpoint_path: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface VolumeMigrationEventRow {
  migration_id: string;
  sequence: number;
  phase: VolumeMigrationPhase;
  migration_status: VolumeMigrationStatus | null;
  message: string;
  at: string;
}

/** Every table of the schema (the latest migration's shape). */
export interface Database {
  backends: BackendRow;
  pools: PoolRow;
  share_types: ShareTypeRow;
  share_networks: ShareNetworkRow;
  share_network_subnets: ShareNetworkSubnetRow;
  shares: ShareRow;
  share_instances: ShareInstanceRow;
  access_rules: AccessRuleRow;
  access_rule_mappings: AccessRuleMappingRow;
  snapshots: SnapshotRow;
  snapshot_instances: SnapshotInstanceRow;
  share_servers: ShareServerRow;
  share_migrations: ShareMigrationRow;
  migration_events: MigrationEventRow;
  share_server_migrations: ShareServerMigrationRow;
  share_server_migration_events: MigrationEventRow;
  volume_types: VolumeTypeRow;
  volume_groups: VolumeGroupRow;
  volumes: VolumeRow;
  volume_snapshots: VolumeSnapshotRow;
  volume_migrations: VolumeMigrationRow;
  volume_migration_events: VolumeMigrationEventRow;
}
