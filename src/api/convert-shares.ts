/**
 * Shares, instances, access rules and snapshots: domain views -> admin proto messages, and the
 * Shares service's create/grant requests -> domain requests. Request conversions check what
 * the wire alone can tell (required fields present, enum numbers known) and leave every rule
 * that needs state (sizes, ids, statuses) to the orchestrator, which checks them in Manila's order.
 */
import type * as pb from '../contract/gen/ferry/admin/v1/share.js';
import type { CreateShareRequest as PbCreateShareRequest, GrantAccessRequest as PbGrantAccessRequest } from '../contract/gen/ferry/admin/v1/shares.js';
import type { ShareInstance, SnapshotInstance } from '../domain/resources.js';
import type { AccessRuleView, CreateShareRequest, GrantAccessRequest, ShareView, SnapshotView } from '../orchestrator/ferry-api.js';
import { exportLocation, stringMap, toTimestamp } from './convert-common.js';
import { accessLevel, accessRuleState, accessRulesStatus, accessType, shareStatus, snapshotStatus, taskStateToProto } from './convert-enums.js';
import { shareMigrationToProto } from './convert-migration.js';
import { invalidField, missingField, optional, required } from './request-errors.js';

export function shareToProto(share: ShareView): pb.Share {
  return {
    id: share.id,
    name: share.name,
    description: share.description,
    shareProto: share.shareProto,
    sizeGib: share.sizeGib,
    shareTypeId: share.shareTypeId,
    shareNetworkId: share.shareNetworkId ?? '',
    availabilityZone: share.availabilityZone,
    taskState: taskStateToProto(share.taskState),
    metadata: stringMap(share.metadata),
    snapshotSupport: share.snapshotSupport,
    createShareFromSnapshotSupport: share.createShareFromSnapshotSupport,
    revertToSnapshotSupport: share.revertToSnapshotSupport,
    mountSnapshotSupport: share.mountSnapshotSupport,
    createdAt: toTimestamp(share.createdAt),
    updatedAt: toTimestamp(share.updatedAt),
    status: shareStatus.toProto(share.status),
    host: share.host,
    shareServerId: share.shareServerId ?? '',
    accessRulesStatus: accessRulesStatus.toProto(share.accessRulesStatus),
    exportLocations: share.exportLocations.map(exportLocation),
    instances: share.instances.map(shareInstanceToProto),
    migration: share.migration === null ? undefined : shareMigrationToProto(share.migration),
  };
}

export function shareInstanceToProto(instance: ShareInstance): pb.ShareInstance {
  return {
    id: instance.id,
    shareId: instance.shareId,
    status: shareStatus.toProto(instance.status),
    host: instance.host,
    shareTypeId: instance.shareTypeId,
    shareNetworkId: instance.shareNetworkId ?? '',
    shareServerId: instance.shareServerId ?? '',
    availabilityZone: instance.availabilityZone,
    castRulesToReadonly: instance.castRulesToReadonly,
    accessRulesStatus: accessRulesStatus.toProto(instance.accessRulesStatus),
    progress: instance.progress,
    replicaState: instance.replicaState ?? '',
    exportLocations: instance.exportLocations.map(exportLocation),
    providerLocation: instance.providerLocation,
    backendDetails: stringMap(instance.backendDetails),
    createdAt: toTimestamp(instance.createdAt),
    updatedAt: toTimestamp(instance.updatedAt),
  };
}

export function accessRuleToProto(rule: AccessRuleView): pb.AccessRule {
  return {
    id: rule.id,
    shareId: rule.shareId,
    accessType: accessType.toProto(rule.accessType),
    accessTo: rule.accessTo,
    accessLevel: accessLevel.toProto(rule.accessLevel),
    accessKey: rule.accessKey,
    forDataService: rule.forDataService,
    state: accessRuleState.toProto(rule.state),
    instanceStates: Object.fromEntries(Object.entries(rule.instanceStates).map(([instanceId, state]) => [instanceId, accessRuleState.toProto(state)])),
    createdAt: toTimestamp(rule.createdAt),
  };
}

export function snapshotToProto(snapshot: SnapshotView): pb.Snapshot {
  return {
    id: snapshot.id,
    shareId: snapshot.shareId,
    name: snapshot.name,
    description: snapshot.description,
    sizeGib: snapshot.sizeGib,
    status: snapshotStatus.toProto(snapshot.status),
    instances: snapshot.instances.map(snapshotInstanceToProto),
    createdAt: toTimestamp(snapshot.createdAt),
  };
}

export function snapshotInstanceToProto(instance: SnapshotInstance): pb.SnapshotInstance {
  return {
    id: instance.id,
    snapshotId: instance.snapshotId,
    shareInstanceId: instance.shareInstanceId,
    status: snapshotStatus.toProto(instance.status),
    progress: instance.progress,
    providerLocation: instance.providerLocation,
    exportLocations: instance.exportLocations.map(exportLocation),
    createdAt: toTimestamp(instance.createdAt),
    updatedAt: toTimestamp(instance.updatedAt),
  };
}

export function createShareRequestFromProto(request: PbCreateShareRequest): CreateShareRequest {
  const shareProto = required(request.shareProto, 'share_proto');
  if (request.sizeGib === 0) throw missingField('size_gib');
  if (!Number.isSafeInteger(request.sizeGib) || request.sizeGib < 0) throw invalidField('size_gib', `${request.sizeGib} is not a size in GiB (an integer >= 1)`);
  return {
    shareProto,
    sizeGib: request.sizeGib,
    name: optional(request.name),
    description: optional(request.description),
    shareType: optional(request.shareType),
    shareNetworkId: optional(request.shareNetworkId),
    availabilityZone: optional(request.availabilityZone),
    host: optional(request.host),
    metadata: Object.keys(request.metadata).length === 0 ? undefined : { ...request.metadata },
  };
}

export function grantAccessRequestFromProto(request: PbGrantAccessRequest): GrantAccessRequest {
  const shareId = required(request.shareId, 'share_id');
  const type = accessType.fromProto(request.accessType, 'access_type');
  if (type === undefined) throw missingField('access_type');
  const accessTo = required(request.accessTo, 'access_to');
  // UNSPECIFIED is Manila's default level, read-write.
  const level = accessLevel.fromProto(request.accessLevel, 'access_level') ?? 'rw';
  return { shareId, accessType: type, accessTo, accessLevel: level };
}
