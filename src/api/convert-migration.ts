/**
 * Share migration: domain records and results -> admin proto messages, and MigrationStart /
 * MigrationCheck requests -> the domain request. The four preservation flags are passed on as
 * undefined when absent: the orchestrator reports them missing in Manila's order (after the
 * share lookup, section 4.1 check 3), so the API must not refuse them earlier.
 */
import type * as pb from '../contract/gen/ferry/admin/v1/migration.js';
import type { MigrationCheckResponse, MigrationStartRequest as PbMigrationStartRequest } from '../contract/gen/ferry/admin/v1/share_migration.js';
import type { MigrationCapabilities, MigrationEvent, ShareMigration } from '../domain/resources.js';
import type { CopyDetails, MigrationCheckResult, MigrationProgress, MigrationStartRequest } from '../orchestrator/ferry-api.js';
import { stringMap, toTimestamp } from './convert-common.js';
import { blockedPath, migrationMethodToProto, migrationOutcome, pendingAction, taskState, taskStateToProto } from './convert-enums.js';
import { optional, required } from './request-errors.js';

export function shareMigrationToProto(migration: ShareMigration): pb.ShareMigration {
  const request = migration.request;
  return {
    id: migration.id,
    shareId: migration.shareId,
    sourceInstanceId: migration.sourceInstanceId,
    destinationInstanceId: migration.destinationInstanceId ?? '',
    request: {
      host: request.destinationHost,
      writable: request.writable,
      preserveMetadata: request.preserveMetadata,
      preserveSnapshots: request.preserveSnapshots,
      nondisruptive: request.nondisruptive,
      forceHostAssistedMigration: request.forceHostAssistedMigration,
      newShareTypeId: request.newShareTypeId,
      newShareNetworkId: request.newShareNetworkId ?? '',
    },
    method: migrationMethodToProto(migration.method),
    capabilities: migration.capabilities === null ? undefined : capabilitiesToProto(migration.capabilities),
    taskState: taskState.toProto(migration.taskState),
    pendingAction: migration.pendingAction === null ? 0 : pendingAction.toProto(migration.pendingAction),
    active: migration.active,
    fallbackReason: migration.fallbackReason,
    error: migration.error,
    errorReason: migration.errorReason,
    createdAt: toTimestamp(migration.createdAt),
    updatedAt: toTimestamp(migration.updatedAt),
    finishedAt: toTimestamp(migration.finishedAt),
    phase: migration.phase,
    outcome: migration.outcome === null ? 0 : migrationOutcome.toProto(migration.outcome),
  };
}

export function capabilitiesToProto(capabilities: Omit<MigrationCapabilities, 'reasons'> & { readonly reasons?: readonly string[] }): pb.MigrationCapabilities {
  return {
    compatible: capabilities.compatible,
    writable: capabilities.writable,
    preserveMetadata: capabilities.preserveMetadata,
    nondisruptive: capabilities.nondisruptive,
    preserveSnapshots: capabilities.preserveSnapshots,
    reasons: [...(capabilities.reasons ?? [])],
  };
}

export function migrationEventToProto(event: MigrationEvent): pb.MigrationEvent {
  return {
    migrationId: event.migrationId,
    sequence: event.sequence,
    taskState: taskState.toProto(event.taskState),
    message: event.message,
    at: toTimestamp(event.at),
  };
}

export function migrationProgressToProto(progress: MigrationProgress): pb.MigrationProgress {
  return {
    shareId: progress.shareId,
    migrationId: progress.migrationId,
    taskState: taskStateToProto(progress.taskState),
    // The wire promises 0-100 whole percents; a driver's 99.5 or a stray 101 must not leak.
    totalProgress: Math.min(100, Math.max(0, Math.floor(progress.totalProgress))),
    method: migrationMethodToProto(progress.method),
    details: {
      hostCopy: progress.copy === null ? undefined : copyDetailsToProto(progress.copy),
      driver: stringMap(progress.details),
    },
    error: progress.error,
    errorReason: progress.errorReason,
    fallbackReason: progress.fallbackReason,
  };
}

export function copyDetailsToProto(copy: CopyDetails): pb.CopyDetails {
  return {
    bytesDone: copy.bytesDone,
    bytesTotal: copy.bytesTotal,
    filesDone: copy.filesDone,
    filesTotal: copy.filesTotal,
    currentFiles: [...copy.currentFiles],
    throughputBytesPerSecond: copy.throughputBytesPerSecond,
    etaSeconds: copy.etaSeconds === null ? undefined : Math.round(copy.etaSeconds),
  };
}

export function migrationCheckToProto(result: MigrationCheckResult): MigrationCheckResponse {
  return {
    accepted: result.accepted,
    noop: result.noop,
    path: migrationMethodToProto(result.path),
    blockers: result.blockers.map((blocker) => ({ reason: blocker.reason, message: blocker.message, blocks: blockedPath.toProto(blocker.blocks) })),
    driverCompatibility: result.driverCompatibility === null ? undefined : capabilitiesToProto(result.driverCompatibility),
  };
}

/** MigrationStartRequest and MigrationCheckRequest have the same fields and numbers. */
export function migrationStartRequestFromProto(request: PbMigrationStartRequest): MigrationStartRequest {
  return {
    shareId: required(request.shareId, 'share_id'),
    // Not checked here, not even for presence: host is Manila's check 3, after the share
    // lookup, and the orchestrator reports it in that order.
    host: request.host,
    writable: request.writable,
    preserveMetadata: request.preserveMetadata,
    preserveSnapshots: request.preserveSnapshots,
    nondisruptive: request.nondisruptive,
    forceHostAssistedMigration: request.forceHostAssistedMigration,
    newShareTypeId: optional(request.newShareTypeId),
    newShareNetworkId: optional(request.newShareNetworkId),
  };
}
