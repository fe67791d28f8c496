/** Rows <-> records for share-server migrations (their history uses the share migrations' event mapper). */
import type { ServerMigrationCapabilities, ServerMigrationRequest, ShareServerMigration } from '../../../domain/resources.js';
import { fromFlag, fromJson, toFlag, toJson } from '../codec.js';
import type { ShareServerMigrationRow } from '../database.js';

export function serverMigrationToRow(migration: ShareServerMigration): ShareServerMigrationRow {
  return {
    id: migration.id,
    source_share_server_id: migration.sourceShareServerId,
    destination_share_server_id: migration.destinationShareServerId,
    request: toJson(migration.request),
    capabilities: migration.capabilities === null ? null : toJson(migration.capabilities),
    network_change: toFlag(migration.networkChange),
    task_state: migration.taskState,
    phase: migration.phase,
    outcome: migration.outcome,
    active: toFlag(migration.active),
    error: migration.error,
    error_reason: migration.errorReason,
    created_at: migration.createdAt,
    updated_at: migration.updatedAt,
    finished_at: migration.finishedAt,
  };
}

export function serverMigrationFromRow(row: ShareServerMigrationRow): ShareServerMigration {
  return {
    id: row.id,
    sourceShareServerId: row.source_share_server_id,
    destinationShareServerId: row.destination_share_server_id,
    request: fromJson<ServerMigrationRequest>(row.request),
    capabilities: row.capabilities === null ? null : fromJson<ServerMigrationCapabilities>(row.capabilities),
    networkChange: fromFlag(row.network_change),
    taskState: row.task_state,
    phase: row.phase,
    outcome: row.outcome,
    active: fromFlag(row.active),
    error: row.error,
    errorReason: row.error_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}
