/** Rows <-> records for volume migrations and their event history. */
import type { VolumeMigration, VolumeMigrationEvent, VolumeMigrationRequest } from '../../../domain/volumes.js';
import { fromFlag, fromJson, toFlag, toJson } from '../codec.js';
import type { VolumeMigrationEventRow, VolumeMigrationRow } from '../database.js';

export function volumeMigrationToRow(migration: VolumeMigration): VolumeMigrationRow {
  return {
    id: migration.id,
    volume_id: migration.volumeId,
    request: toJson(migration.request),
    source_host: migration.sourceHost,
    original_status: migration.originalStatus,
    original_volume_type_id: migration.originalVolumeTypeId,
    method: migration.method,
    transfer_mode: migration.transferMode,
    temporary_volume_id: migration.temporaryVolumeId,
    phase: migration.phase,
    outcome: migration.outcome,
    abort_requested: toFlag(migration.abortRequested),
    active: toFlag(migration.active),
    bytes_copied: migration.bytesCopied,
    bytes_total: migration.bytesTotal,
    fallback_reason: migration.fallbackReason,
    error: migration.error,
    error_reason: migration.errorReason,
    checkpoint_path: migration.checkpointPath,
    created_at: migration.createdAt,
    updated_at: migration.updatedAt,
    finished_at: migration.finishedAt,
  };
}

export function volumeMigrationFromRow(row: VolumeMigrationRow): VolumeMigration {
  return {
    id: row.id,
    volumeId: row.volume_id,
    request: fromJson<VolumeMigrationRequest>(row.request),
    sourceHost: row.source_host,
    originalStatus: row.original_status,
    originalVolumeTypeId: row.original_volume_type_id,
    method: row.method,
    transferMode: row.transfer_mode,
    temporaryVolumeId: row.temporary_volume_id,
    phase: row.phase,
    outcome: row.outcome,
    abortRequested: fromFlag(row.abort_requested),
    active: fromFlag(row.active),
    bytesCopied: row.bytes_copied,
    bytesTotal: row.bytes_total,
    fallbackReason: row.fallback_reason,
    error: row.error,
    errorReason: row.error_reason,
    checkpointPath: row.checkpoint_path,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

export function volumeMigrationEventToRow(event: VolumeMigrationEvent): VolumeMigrationEventRow {
  return {
    migration_id: event.migrationId,
    sequence: event.sequence,
    phase: event.phase,
    migration_status: event.migrationStatus,
    message: event.message,
    at: event.at,
  };
}

export function volumeMigrationEventFromRow(row: VolumeMigrationEventRow): VolumeMigrationEvent {
  return {
    migrationId: row.migration_id,
    sequence: row.sequence,
    phase: row.phase,
    migrationStatus: row.migration_status,
    message: row.message,
    at: row.at,
  };
}
