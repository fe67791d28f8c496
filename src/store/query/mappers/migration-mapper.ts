/** Rows <-> records for share migrations and their event history. */
import type { MigrationCapabilities, MigrationEvent, MigrationRequest, ShareMigration } from '../../../domain/resources.js';
import { fromFlag, fromJson, toFlag, toJson } from '../codec.js';
import type { MigrationEventRow, ShareMigrationRow } from '../database.js';

export function migrationToRow(migration: ShareMigration): ShareMigrationRow {
  return {
    id: migration.id,
    share_id: migration.shareId,
    source_instance_id: migration.sourceInstanceId,
    destination_instance_id: migration.destinationInstanceId,
    request: toJson(migration.request),
    method: migration.method,
    capabilities: migration.capabilities === null ? null : toJson(migration.capabilities),
    task_state: migration.taskState,
    phase: migration.phase,
    outcome: migration.outcome,
    pending_action: migration.pendingAction,
    active: toFlag(migration.active),
    fallback_reason: migration.fallbackReason,
    error: migration.error,
    error_reason: migration.errorReason,
    checkpoint_path: migration.checkpointPath,
    created_at: migration.createdAt,
    updated_at: migration.updatedAt,
    finished_at: migration.finishedAt,
  };
}

export function migrationFromRow(row: ShareMigrationRow): ShareMigration {
  return {
    id: row.id,
    shareId: row.share_id,
    sourceInstanceId: row.source_instance_id,
    destinationInstanceId: row.destination_instance_id,
    request: fromJson<MigrationRequest>(row.request),
    method: row.method,
    capabilities: row.capabilities === null ? null : fromJson<MigrationCapabilities>(row.capabilities),
    taskState: row.task_state,
    phase: row.phase,
    outcome: row.outcome,
    pendingAction: row.pending_action,
    active: fromFlag(row.active),
    fallbackReason: row.fallback_reason,
    error: row.error,
    errorReason: row.error_reason,
    checkpointPath: row.checkpoint_path,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

export function migrationEventToRow(event: MigrationEvent): MigrationEventRow {
  return {
    migration_id: event.migrationId,
    sequence: event.sequence,
    task_state: event.taskState,
    message: event.message,
    at: event.at,
  };
}

export function migrationEventFromRow(row: MigrationEventRow): MigrationEvent {
  return {
    migrationId: row.migration_id,
    sequence: row.sequence,
    taskState: row.task_state,
    message: row.message,
    at: row.at,
  };
}
