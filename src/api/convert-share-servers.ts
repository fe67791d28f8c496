/**
 * Share servers and their migrations: domain views and results -> admin proto messages, and
 * the server MigrationStart / MigrationCheck requests -> the domain request. The three flags
 * are passed on as undefined when absent: the orchestrator reports them missing in Manila's
 * order (after the server lookup, section 4.6 step 4), so the API must not refuse them
 * earlier. Catalog.ListShareServers shows servers through the same conversion.
 */
import type * as pb from '../contract/gen/ferry/admin/v1/catalog.js';
import type * as rec from '../contract/gen/ferry/admin/v1/share_server.js';
import type { ShareServersMigrationCheckResponse, ShareServersMigrationStartRequest } from '../contract/gen/ferry/admin/v1/share_server_migration.js';
import type { NetworkAllocation, ShareServerMigration } from '../domain/resources.js';
import type { ServerMigrationCheckResult, ServerMigrationProgress, ServerMigrationStartRequest, ShareServerView } from '../orchestrator/ferry-api.js';
import { stringMap, toTimestamp } from './convert-common.js';
import { migrationOutcome, shareServerStatus, taskState, taskStateToProto } from './convert-enums.js';
import { optional, required } from './request-errors.js';

export function shareServerToProto(server: ShareServerView): pb.ShareServer {
  return {
    id: server.id,
    host: server.host,
    status: shareServerStatus.toProto(server.status),
    taskState: taskStateToProto(server.taskState),
    shareNetworkId: server.shareNetworkId,
    shareNetworkSubnetIds: [...server.shareNetworkSubnetIds],
    availabilityZone: server.availabilityZone,
    identifier: server.identifier,
    // The driver contract marks backend details secret (admin credentials); only their names leave ferry.
    backendDetails: {},
    backendDetailKeys: Object.keys(server.backendDetails).sort(),
    networkAllocations: server.networkAllocations.map(allocationToProto),
    sourceShareServerId: server.sourceShareServerId ?? '',
    isAutoDeletable: server.isAutoDeletable,
    createdAt: toTimestamp(server.createdAt),
    updatedAt: toTimestamp(server.updatedAt),
    shareIds: [...server.shareIds],
    shareInstanceIds: [...server.shareInstanceIds],
    migration: server.migration === null ? undefined : shareServerMigrationToProto(server.migration),
  };
}

function allocationToProto(allocation: NetworkAllocation): pb.NetworkAllocation {
  return { ...allocation };
}

export function shareServerMigrationToProto(migration: ShareServerMigration): rec.ShareServerMigration {
  const { request, capabilities } = migration;
  return {
    id: migration.id,
    sourceShareServerId: migration.sourceShareServerId,
    destinationShareServerId: migration.destinationShareServerId ?? '',
    request: {
      host: request.destinationHost,
      writable: request.writable,
      nondisruptive: request.nondisruptive,
      preserveSnapshots: request.preserveSnapshots,
      shareNetworkId: request.shareNetworkId,
      newShareNetworkGiven: request.newShareNetworkGiven,
    },
    capabilities: capabilities === null ? undefined : {
      compatible: capabilities.compatible,
      writable: capabilities.writable,
      nondisruptive: capabilities.nondisruptive,
      preserveSnapshots: capabilities.preserveSnapshots,
      migrationCancel: capabilities.migrationCancel,
      migrationGetProgress: capabilities.migrationGetProgress,
      shareNetworkId: capabilities.shareNetworkId,
      reasons: [...capabilities.reasons],
    },
    networkChange: migration.networkChange,
    taskState: taskState.toProto(migration.taskState),
    phase: migration.phase,
    outcome: migration.outcome === null ? 0 : migrationOutcome.toProto(migration.outcome),
    active: migration.active,
    error: migration.error,
    errorReason: migration.errorReason,
    createdAt: toTimestamp(migration.createdAt),
    updatedAt: toTimestamp(migration.updatedAt),
    finishedAt: toTimestamp(migration.finishedAt),
  };
}

export function serverMigrationProgressToProto(progress: ServerMigrationProgress): rec.ShareServerMigrationProgress {
  return {
    shareServerId: progress.shareServerId,
    migrationId: progress.migrationId,
    // The wire promises 0-100 whole percents.
    totalProgress: Math.min(100, Math.max(0, Math.floor(progress.totalProgress))),
    taskState: taskStateToProto(progress.taskState),
    destinationShareServerId: progress.destinationShareServerId,
    sourceTaskState: taskStateToProto(progress.sourceTaskState),
    details: stringMap(progress.details),
    error: progress.error,
    errorReason: progress.errorReason,
  };
}

export function serverMigrationCheckToProto(result: ServerMigrationCheckResult): ShareServersMigrationCheckResponse {
  const { requested, supported } = result;
  return {
    compatible: result.compatible,
    requestedCapabilities: {
      writable: requested.writable,
      nondisruptive: requested.nondisruptive,
      preserveSnapshots: requested.preserveSnapshots,
      shareNetworkId: requested.shareNetworkId ?? '',
      host: requested.host,
    },
    supportedCapabilities: {
      writable: supported.writable,
      nondisruptive: supported.nondisruptive,
      preserveSnapshots: supported.preserveSnapshots,
      shareNetworkId: supported.shareNetworkId,
      migrationCancel: supported.migrationCancel,
      migrationGetProgress: supported.migrationGetProgress,
    },
    blockers: result.blockers.map((blocker) => ({ reason: blocker.reason, message: blocker.message })),
  };
}

/** ShareServersMigrationStartRequest and ShareServersMigrationCheckRequest have the same fields and numbers. */
export function serverMigrationStartRequestFromProto(request: ShareServersMigrationStartRequest): ServerMigrationStartRequest {
  return {
    shareServerId: required(request.shareServerId, 'share_server_id'),
    // Not checked here, not even for presence: host is Manila's step 4, after the server
    // lookup, and the orchestrator reports it in that order.
    host: request.host,
    writable: request.writable,
    nondisruptive: request.nondisruptive,
    preserveSnapshots: request.preserveSnapshots,
    newShareNetworkId: optional(request.newShareNetworkId),
  };
}
