/** Rows <-> records for snapshots and snapshot instances. */
import type { ExportLocation, Snapshot, SnapshotInstance } from '../../../domain/resources.js';
import { fromJson, toJson } from '../codec.js';
import type { SnapshotInstanceRow, SnapshotRow } from '../database.js';

export function snapshotToRow(snapshot: Snapshot): SnapshotRow {
  return {
    id: snapshot.id,
    share_id: snapshot.shareId,
    name: snapshot.name,
    description: snapshot.description,
    size_gib: snapshot.sizeGib,
    created_at: snapshot.createdAt,
  };
}

export function snapshotFromRow(row: SnapshotRow): Snapshot {
  return {
    id: row.id,
    shareId: row.share_id,
    name: row.name,
    description: row.description,
    sizeGib: row.size_gib,
    createdAt: row.created_at,
  };
}

export function snapshotInstanceToRow(instance: SnapshotInstance): SnapshotInstanceRow {
  return {
    id: instance.id,
    snapshot_id: instance.snapshotId,
    share_instance_id: instance.shareInstanceId,
    status: instance.status,
    progress: instance.progress,
    provider_location: instance.providerLocation,
    export_locations: toJson(instance.exportLocations),
    created_at: instance.createdAt,
    updated_at: instance.updatedAt,
  };
}

export function snapshotInstanceFromRow(row: SnapshotInstanceRow): SnapshotInstance {
  return {
    id: row.id,
    snapshotId: row.snapshot_id,
    shareInstanceId: row.share_instance_id,
    status: row.status,
    progress: row.progress,
    providerLocation: row.provider_location,
    exportLocations: fromJson<ExportLocation[]>(row.export_locations),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
