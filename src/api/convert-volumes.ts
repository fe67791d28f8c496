/**
 * Volumes, volume types, snapshots, groups and volume migrations: domain views and results ->
 * admin proto messages, and the Volumes service's requests -> domain requests. As in
 * convert-shares.ts, request conversions check only what the wire alone can tell (required
 * fields present, enum numbers known) and leave every rule that needs state to the
 * orchestrator, which checks them in Cinder's order.
 *
 * Cinder's migration_status `target:<id>` is one string in the domain and two fields on the
 * wire (VOLUME_MIGRATION_STATUS_TARGET plus migration_source_volume_id), so a client can
 * switch on the enum without parsing strings; the two helpers below are the only place that
 * joins and splits them.
 */
import type * as pb from '../contract/gen/ferry/admin/v1/volume.js';
import type * as cat from '../contract/gen/ferry/admin/v1/catalog.js';
import type { CreateVolumeRequest as PbCreateVolumeRequest, ResetVolumeStatusRequest as PbResetVolumeStatusRequest } from '../contract/gen/ferry/admin/v1/volumes.js';
import type { MigrateVolumeRequest as PbMigrateVolumeRequest, RetypeVolumeRequest as PbRetypeVolumeRequest } from '../contract/gen/ferry/admin/v1/volume_migration.js';
import { VolumeMigrationStatus as PbVolumeMigrationStatus } from '../contract/gen/ferry/admin/v1/enums.js';
import type {
  VolumeAttachment, VolumeGroup, VolumeMigration, VolumeMigrationEvent, VolumeMigrationStatus, VolumeSnapshot, VolumeStatus, VolumeType,
} from '../domain/volumes.js';
import type {
  CreateVolumeRequest, CreateVolumeTypeRequest, MigrateVolumeRequest, RetypeVolumeRequest, VolumeMigrationProgress, VolumeView,
} from '../orchestrator/volume-api.js';
import { stringMap, toTimestamp } from './convert-common.js';
import {
  migrationOutcome, volumeMigrationKind, volumeMigrationMethod, volumeMigrationPolicy, volumeMigrationStatusName, volumeSnapshotStatus, volumeStatus,
  volumeTransferMode,
} from './convert-enums.js';
import { invalidField, missingField, optional, required } from './request-errors.js';

const TARGET_PREFIX = 'target:';

/** A migration_status for the wire: null is UNSPECIFIED (Cinder's None); `target:<id>` is TARGET plus the id. */
export function volumeMigrationStatusToProto(value: VolumeMigrationStatus | null): { migrationStatus: PbVolumeMigrationStatus; migrationSourceVolumeId: string } {
  if (value === null) return { migrationStatus: PbVolumeMigrationStatus.VOLUME_MIGRATION_STATUS_UNSPECIFIED, migrationSourceVolumeId: '' };
  if (value.startsWith(TARGET_PREFIX)) return { migrationStatus: PbVolumeMigrationStatus.VOLUME_MIGRATION_STATUS_TARGET, migrationSourceVolumeId: value.slice(TARGET_PREFIX.length) };
  return { migrationStatus: volumeMigrationStatusName.toProto(value as Exclude<VolumeMigrationStatus, `target:${string}`>), migrationSourceVolumeId: '' };
}

/**
 * A migration_status from a request (ResetVolumeStatus): '' for UNSPECIFIED (clear it),
 * `target:<id>` for TARGET with the id. The id is REQUIRED with TARGET and refused with
 * anything else, so the pair can never say two things.
 */
export function volumeMigrationStatusFromProto(value: number, sourceVolumeId: string): VolumeMigrationStatus | '' {
  const name = volumeMigrationStatusName.fromProto(value, 'migration_status');
  if (name === 'target') {
    if (sourceVolumeId === '') throw missingField('migration_source_volume_id', 'is required with migration_status VOLUME_MIGRATION_STATUS_TARGET (Cinder\'s target:<id>)');
    return `${TARGET_PREFIX}${sourceVolumeId}`;
  }
  if (sourceVolumeId !== '') throw invalidField('migration_source_volume_id', 'is only allowed with migration_status VOLUME_MIGRATION_STATUS_TARGET');
  return name ?? '';
}

function volumeStatusToProto(value: VolumeStatus | null) {
  return value === null ? 0 : volumeStatus.toProto(value);
}

export function volumeToProto(volume: VolumeView): pb.Volume {
  return {
    id: volume.id,
    name: volume.name,
    description: volume.description,
    sizeGib: volume.sizeGib,
    volumeTypeId: volume.volumeTypeId,
    volumeTypeName: volume.volumeTypeName,
    status: volumeStatus.toProto(volume.status),
    ...volumeMigrationStatusToProto(volume.migrationStatus),
    previousStatus: volumeStatusToProto(volume.previousStatus),
    host: volume.host,
    availabilityZone: volume.availabilityZone,
    nameId: volume.nameId ?? '',
    providerLocation: volume.providerLocation,
    groupId: volume.groupId ?? '',
    attachments: volume.attachments.map(volumeAttachmentToProto),
    createdAt: toTimestamp(volume.createdAt),
    updatedAt: toTimestamp(volume.updatedAt),
    migration: volume.migration === null ? undefined : volumeMigrationToProto(volume.migration),
  };
}

export function volumeAttachmentToProto(attachment: VolumeAttachment): pb.VolumeAttachment {
  return {
    id: attachment.id,
    instanceUuid: attachment.instanceUuid,
    attachedHost: attachment.attachedHost,
    mountpoint: attachment.mountpoint,
    attachedAt: toTimestamp(attachment.attachedAt),
  };
}

export function volumeSnapshotToProto(snapshot: VolumeSnapshot): pb.VolumeSnapshot {
  return {
    id: snapshot.id,
    volumeId: snapshot.volumeId,
    name: snapshot.name,
    sizeGib: snapshot.sizeGib,
    status: volumeSnapshotStatus.toProto(snapshot.status),
    providerLocation: snapshot.providerLocation,
    createdAt: toTimestamp(snapshot.createdAt),
  };
}

export function volumeGroupToProto(group: VolumeGroup): pb.VolumeGroup {
  return { id: group.id, name: group.name, description: group.description, createdAt: toTimestamp(group.createdAt) };
}

export function volumeTypeToProto(type: VolumeType): pb.VolumeType {
  return {
    id: type.id,
    name: type.name,
    description: type.description,
    extraSpecs: stringMap(type.extraSpecs),
    qosSpecs: stringMap(type.qosSpecs),
    isPublic: type.isPublic,
    createdAt: toTimestamp(type.createdAt),
  };
}

export function volumeMigrationToProto(migration: VolumeMigration): pb.VolumeMigration {
  const { request } = migration;
  // checkpointPath is left out: a path on the data node, meaningful to the copy engine only.
  return {
    id: migration.id,
    volumeId: migration.volumeId,
    kind: volumeMigrationKind.toProto(request.kind),
    request: {
      host: request.destinationHost,
      forceHostCopy: request.forceHostCopy,
      lockVolume: request.lockVolume,
      newVolumeTypeId: request.newVolumeTypeId ?? '',
      migrationPolicy: request.migrationPolicy === null ? 0 : volumeMigrationPolicy.toProto(request.migrationPolicy),
    },
    sourceHost: migration.sourceHost,
    originalStatus: volumeStatus.toProto(migration.originalStatus),
    originalVolumeTypeId: migration.originalVolumeTypeId,
    method: migration.method === null ? 0 : volumeMigrationMethod.toProto(migration.method),
    transferMode: migration.transferMode === null ? 0 : volumeTransferMode.toProto(migration.transferMode),
    temporaryVolumeId: migration.temporaryVolumeId ?? '',
    phase: migration.phase,
    outcome: migration.outcome === null ? 0 : migrationOutcome.toProto(migration.outcome),
    abortRequested: migration.abortRequested,
    active: migration.active,
    bytesCopied: migration.bytesCopied,
    bytesTotal: migration.bytesTotal,
    fallbackReason: migration.fallbackReason,
    error: migration.error,
    errorReason: migration.errorReason,
    createdAt: toTimestamp(migration.createdAt),
    updatedAt: toTimestamp(migration.updatedAt),
    finishedAt: toTimestamp(migration.finishedAt),
  };
}

export function volumeMigrationProgressToProto(progress: VolumeMigrationProgress): pb.VolumeMigrationProgress {
  return {
    volumeId: progress.volumeId,
    migrationId: progress.migrationId,
    kind: volumeMigrationKind.toProto(progress.kind),
    phase: progress.phase,
    // The volume's own status is never target:<id>; the id field stays on Volume only.
    migrationStatus: volumeMigrationStatusToProto(progress.migrationStatus).migrationStatus,
    volumeStatus: volumeStatus.toProto(progress.volumeStatus),
    method: progress.method === null ? 0 : volumeMigrationMethod.toProto(progress.method),
    transferMode: progress.transferMode === null ? 0 : volumeTransferMode.toProto(progress.transferMode),
    temporaryVolumeId: progress.temporaryVolumeId,
    // The wire promises 0-100 whole percents.
    totalProgress: Math.min(100, Math.max(0, Math.floor(progress.totalProgress))),
    bytesDone: progress.bytesDone,
    bytesTotal: progress.bytesTotal,
    throughputBytesPerSecond: progress.throughputBytesPerSecond,
    etaSeconds: progress.etaSeconds === null ? undefined : Math.round(progress.etaSeconds),
    active: progress.active,
    outcome: progress.outcome === null ? 0 : migrationOutcome.toProto(progress.outcome),
    fallbackReason: progress.fallbackReason,
    error: progress.error,
    errorReason: progress.errorReason,
  };
}

export function volumeMigrationEventToProto(event: VolumeMigrationEvent): pb.VolumeMigrationEvent {
  return {
    migrationId: event.migrationId,
    sequence: event.sequence,
    phase: event.phase,
    migrationStatus: volumeMigrationStatusToProto(event.migrationStatus).migrationStatus,
    message: event.message,
    at: toTimestamp(event.at),
  };
}

export function createVolumeRequestFromProto(request: PbCreateVolumeRequest): CreateVolumeRequest {
  if (request.sizeGib === 0) throw missingField('size_gib');
  if (!Number.isSafeInteger(request.sizeGib) || request.sizeGib < 0) throw invalidField('size_gib', `${request.sizeGib} is not a size in GiB (an integer >= 1)`);
  return {
    sizeGib: request.sizeGib,
    name: optional(request.name),
    description: optional(request.description),
    volumeType: optional(request.volumeType),
    availabilityZone: optional(request.availabilityZone),
    host: optional(request.host),
    groupId: optional(request.groupId),
  };
}

export function createVolumeTypeRequestFromProto(request: cat.CreateVolumeTypeRequest): CreateVolumeTypeRequest {
  return {
    name: required(request.name, 'name'),
    description: optional(request.description),
    extraSpecs: { ...request.extraSpecs },
    qosSpecs: { ...request.qosSpecs },
    // Unset is Cinder's default, public.
    isPublic: request.isPublic,
  };
}

/** Cinder validates os-reset_status's body before it looks the volume up; so does this, before the call. */
export function resetVolumeStatusFromProto(request: PbResetVolumeStatusRequest): { volumeId: string; reset: { status?: VolumeStatus; migrationStatus?: VolumeMigrationStatus | '' } } {
  const volumeId = required(request.volumeId, 'volume_id');
  const status = volumeStatus.fromProto(request.status, 'status');
  const migrationStatus = request.migrationStatus === undefined ? undefined : volumeMigrationStatusFromProto(request.migrationStatus, request.migrationSourceVolumeId);
  if (request.migrationStatus === undefined && request.migrationSourceVolumeId !== '') {
    throw invalidField('migration_source_volume_id', 'is only allowed with migration_status VOLUME_MIGRATION_STATUS_TARGET');
  }
  if (status === undefined && migrationStatus === undefined) throw missingField('status', 'give status, migration_status or both');
  return { volumeId, reset: { ...(status === undefined ? {} : { status }), ...(migrationStatus === undefined ? {} : { migrationStatus }) } };
}

export function migrateVolumeRequestFromProto(request: PbMigrateVolumeRequest): MigrateVolumeRequest {
  return {
    volumeId: required(request.volumeId, 'volume_id'),
    // Presence only: the host string's form, and every rule that needs the volume, are the orchestrator's.
    host: required(request.host, 'host'),
    forceHostCopy: request.forceHostCopy,
    lockVolume: request.lockVolume,
  };
}

export function retypeVolumeRequestFromProto(request: PbRetypeVolumeRequest): RetypeVolumeRequest {
  return {
    volumeId: required(request.volumeId, 'volume_id'),
    newType: required(request.newType, 'new_type'),
    // UNSPECIFIED is Cinder's default, never.
    migrationPolicy: volumeMigrationPolicy.fromProto(request.migrationPolicy, 'migration_policy') ?? 'never',
  };
}
