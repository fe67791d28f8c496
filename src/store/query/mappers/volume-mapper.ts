/** Rows <-> records for volume types, volume groups, volumes (with their attachments) and volume snapshots. */
import { backendHostOf } from '../../../domain/host.js';
import type { StringMap } from '../../../domain/resources.js';
import type { Volume, VolumeAttachment, VolumeGroup, VolumeSnapshot, VolumeType } from '../../../domain/volumes.js';
import { fromFlag, fromJson, toFlag, toJson } from '../codec.js';
import type { VolumeGroupRow, VolumeRow, VolumeSnapshotRow, VolumeTypeRow } from '../database.js';

export function volumeTypeToRow(type: VolumeType): VolumeTypeRow {
  return {
    id: type.id,
    name: type.name,
    description: type.description,
    extra_specs: toJson(type.extraSpecs),
    qos_specs: toJson(type.qosSpecs),
    is_public: toFlag(type.isPublic),
    created_at: type.createdAt,
  };
}

export function volumeTypeFromRow(row: VolumeTypeRow): VolumeType {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    extraSpecs: fromJson<StringMap>(row.extra_specs),
    qosSpecs: fromJson<StringMap>(row.qos_specs),
    isPublic: fromFlag(row.is_public),
    createdAt: row.created_at,
  };
}

export function volumeGroupToRow(group: VolumeGroup): VolumeGroupRow {
  return { id: group.id, name: group.name, description: group.description, created_at: group.createdAt };
}

export function volumeGroupFromRow(row: VolumeGroupRow): VolumeGroup {
  return { id: row.id, name: row.name, description: row.description, createdAt: row.created_at };
}

export function volumeToRow(volume: Volume): VolumeRow {
  return {
    id: volume.id,
    name: volume.name,
    description: volume.description,
    size_gib: volume.sizeGib,
    volume_type_id: volume.volumeTypeId,
    status: volume.status,
    migration_status: volume.migrationStatus,
    previous_status: volume.previousStatus,
    host: volume.host,
    backend_host: backendHostOf(volume.host),
    availability_zone: volume.availabilityZone,
    name_id: volume.nameId,
    provider_location: volume.providerLocation,
    group_id: volume.groupId,
    attachments: toJson(volume.attachments),
    created_at: volume.createdAt,
    updated_at: volume.updatedAt,
  };
}

export function volumeFromRow(row: VolumeRow): Volume {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    sizeGib: row.size_gib,
    volumeTypeId: row.volume_type_id,
    status: row.status,
    migrationStatus: row.migration_status,
    previousStatus: row.previous_status,
    host: row.host,
    availabilityZone: row.availability_zone,
    nameId: row.name_id,
    providerLocation: row.provider_location,
    groupId: row.group_id,
    attachments: fromJson<VolumeAttachment[]>(row.attachments),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function volumeSnapshotToRow(snapshot: VolumeSnapshot): VolumeSnapshotRow {
  return {
    id: snapshot.id,
    volume_id: snapshot.volumeId,
    name: snapshot.name,
    size_gib: snapshot.sizeGib,
    status: snapshot.status,
    provider_location: snapshot.providerLocation,
    created_at: snapshot.createdAt,
  };
}

export function volumeSnapshotFromRow(row: VolumeSnapshotRow): VolumeSnapshot {
  return {
    id: row.id,
    volumeId: row.volume_id,
    name: row.name,
    sizeGib: row.size_gib,
    status: row.status,
    providerLocation: row.provider_location,
    createdAt: row.created_at,
  };
}
