/** Rows <-> records for shares and share instances. */
import { backendHostOf } from '../../../domain/host.js';
import type { ExportLocation, Share, ShareInstance, StringMap } from '../../../domain/resources.js';
import { fromFlag, fromJson, toFlag, toJson } from '../codec.js';
import type { ShareInstanceRow, ShareRow } from '../database.js';

export function shareToRow(share: Share): ShareRow {
  return {
    id: share.id,
    name: share.name,
    description: share.description,
    share_proto: share.shareProto,
    size_gib: share.sizeGib,
    share_type_id: share.shareTypeId,
    share_network_id: share.shareNetworkId,
    availability_zone: share.availabilityZone,
    task_state: share.taskState,
    metadata: toJson(share.metadata),
    snapshot_support: toFlag(share.snapshotSupport),
    create_share_from_snapshot_support: toFlag(share.createShareFromSnapshotSupport),
    revert_to_snapshot_support: toFlag(share.revertToSnapshotSupport),
    mount_snapshot_support: toFlag(share.mountSnapshotSupport),
    created_at: share.createdAt,
    updated_at: share.updatedAt,
  };
}

export function shareFromRow(row: ShareRow): Share {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    shareProto: row.share_proto,
    sizeGib: row.size_gib,
    shareTypeId: row.share_type_id,
    shareNetworkId: row.share_network_id,
    availabilityZone: row.availability_zone,
    taskState: row.task_state,
    metadata: fromJson<StringMap>(row.metadata),
    snapshotSupport: fromFlag(row.snapshot_support),
    createShareFromSnapshotSupport: fromFlag(row.create_share_from_snapshot_support),
    revertToSnapshotSupport: fromFlag(row.revert_to_snapshot_support),
    mountSnapshotSupport: fromFlag(row.mount_snapshot_support),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function shareInstanceToRow(instance: ShareInstance): ShareInstanceRow {
  return {
    id: instance.id,
    share_id: instance.shareId,
    status: instance.status,
    host: instance.host,
    backend_host: backendHostOf(instance.host),
    share_type_id: instance.shareTypeId,
    share_network_id: instance.shareNetworkId,
    share_server_id: instance.shareServerId,
    availability_zone: instance.availabilityZone,
    cast_rules_to_readonly: toFlag(instance.castRulesToReadonly),
    access_rules_status: instance.accessRulesStatus,
    progress: instance.progress,
    replica_state: instance.replicaState,
    export_locations: toJson(instance.exportLocations),
    provider_location: instance.providerLocation,
    backend_details: toJson(instance.backendDetails),
    created_at: instance.createdAt,
    updated_at: instance.updatedAt,
  };
}

export function shareInstanceFromRow(row: ShareInstanceRow): ShareInstance {
  return {
    id: row.id,
    shareId: row.share_id,
    status: row.status,
    host: row.host,
    shareTypeId: row.share_type_id,
    shareNetworkId: row.share_network_id,
    shareServerId: row.share_server_id,
    availabilityZone: row.availability_zone,
    castRulesToReadonly: fromFlag(row.cast_rules_to_readonly),
    accessRulesStatus: row.access_rules_status,
    progress: row.progress,
    replicaState: row.replica_state,
    exportLocations: fromJson<ExportLocation[]>(row.export_locations),
    providerLocation: row.provider_location,
    backendDetails: fromJson<StringMap>(row.backend_details),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
