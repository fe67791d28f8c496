/**
 * Contract -> domain: the plugins' answers as the DriverPort's models. Pure. Where the contract
 * gives an empty field a meaning ("0: the share instance's size", "Empty: ferry uses
 * share_server_id", "a rule without an entry is active"), it is applied here, once, so the
 * orchestrator never has to know the wire's zero-value conventions.
 */
import type { ExportLocation, StringMap } from '../domain/resources.js';
import { AccessRuleState, type AccessRuleUpdate, type ExportLocation as ContractExportLocation, type SnapshotUpdate } from '../contract/gen/ferry/driver/v1/common.js';
import type { ListPoolsResponse } from '../contract/gen/ferry/driver/v1/pool.js';
import type { ConnectionInfo as ContractConnectionInfo, UpdateAccessResponse } from '../contract/gen/ferry/driver/v1/share.js';
import type {
  MigrationCheckCompatibilityResponse,
  MigrationCompleteResponse,
  MigrationGetProgressResponse,
  MigrationUpdateModelResponse,
} from '../contract/gen/ferry/driver/v1/share_migration.js';
import type { ShareServerMigrationCheckCompatibilityResponse, ShareServerMigrationCompleteResponse } from '../contract/gen/ferry/driver/v1/share_server.js';
import type {
  AccessRuleResult,
  CompatibilityAnswer,
  ConnectionInfo,
  DriverAccessRule,
  DriverProgress,
  ModelUpdate,
  PoolReport,
  ServerCompatibilityAnswer,
  ServerMigrationCompleteResult,
  SnapshotModelUpdate,
} from '../orchestrator/driver-port.js';

export function fromContractExportLocations(locations: readonly ContractExportLocation[]): ExportLocation[] {
  return locations.map((l) => ({ path: l.path, isAdminOnly: l.isAdminOnly, metadata: { ...l.metadata } }));
}

export function fromListPools(answer: ListPoolsResponse): { pools: PoolReport[]; migrationPeerInfo: StringMap } {
  return {
    pools: answer.pools.map((p) => ({
      name: p.name,
      totalCapacityGib: p.totalCapacityGib,
      freeCapacityGib: p.freeCapacityGib,
      allocatedCapacityGib: p.allocatedCapacityGib,
      capabilities: { ...p.capabilities },
      availabilityZone: p.availabilityZone,
    })),
    migrationPeerInfo: { ...answer.migrationPeerInfo },
  };
}

/**
 * Per-rule results of UpdateAccess, keyed by the rules that were sent. share.proto: "A rule
 * without an entry is active. Empty: every rule is active" (and AccessRuleState UNSPECIFIED
 * means active "when the call succeeded"): the call resolved, so the plugin applied every rule
 * it did not report, and a plugin that reports nothing is the common case, not an error.
 * An empty access_key keeps the key ferry sent ("Empty: no key, or keep the one ferry already
 * has"). A state this build does not know (a newer contract) counts as error, because ferry
 * cannot tell that the rule is applied. Entries for rules that were not sent are ignored.
 */
export function fromAccessUpdates(rules: readonly DriverAccessRule[], answer: UpdateAccessResponse): Record<string, AccessRuleResult> {
  const results: Record<string, AccessRuleResult> = {};
  for (const rule of rules) {
    const update: AccessRuleUpdate | undefined = answer.accessRuleUpdates[rule.accessRuleId];
    const accessKey = update?.accessKey || rule.accessKey;
    const state = update?.state ?? AccessRuleState.ACCESS_RULE_STATE_UNSPECIFIED;
    if (state === AccessRuleState.ACCESS_RULE_STATE_ACTIVE || state === AccessRuleState.ACCESS_RULE_STATE_UNSPECIFIED) {
      results[rule.accessRuleId] = { state: 'active', accessKey, message: '' };
    } else if (state === AccessRuleState.ACCESS_RULE_STATE_ERROR) {
      results[rule.accessRuleId] = { state: 'error', accessKey, message: update?.message ?? '' };
    } else {
      results[rule.accessRuleId] = { state: 'error', accessKey, message: `the driver reported access rule state ${String(state)}, which this ferry does not know${update?.message ? `: ${update.message}` : ''}` };
    }
  }
  return results;
}

export function fromConnectionInfo(info: ContractConnectionInfo): ConnectionInfo {
  const accessMapping: Record<string, readonly string[]> = {};
  for (const [accessType, protocols] of Object.entries(info.accessMapping)) accessMapping[accessType] = [...protocols.protocols];
  return {
    mountArgv: [...info.mountArgv],
    unmountArgv: [...info.unmountArgv],
    accessMapping,
    localPath: info.localPath,
    mountEnvironment: { ...info.mountEnvironment },
  };
}

export function fromCompatibility(answer: MigrationCheckCompatibilityResponse): CompatibilityAnswer {
  return {
    compatible: answer.compatible,
    writable: answer.writable,
    preserveMetadata: answer.preserveMetadata,
    nondisruptive: answer.nondisruptive,
    preserveSnapshots: answer.preserveSnapshots,
    incompatibilityReasons: [...answer.incompatibilityReasons],
  };
}

export function fromProgress(answer: MigrationGetProgressResponse): DriverProgress {
  return { totalProgress: answer.totalProgress, copiedBytes: answer.copiedBytes, totalBytes: answer.totalBytes, details: { ...answer.details } };
}

export function fromSnapshotUpdates(updates: Readonly<Record<string, SnapshotUpdate>>): Record<string, SnapshotModelUpdate> {
  const result: Record<string, SnapshotModelUpdate> = {};
  for (const [id, update] of Object.entries(updates)) {
    result[id] = { providerLocation: update.providerLocation, exportLocations: fromContractExportLocations(update.exportLocations) };
  }
  return result;
}

export function fromMigrationComplete(answer: MigrationCompleteResponse): { exportLocations: ExportLocation[]; snapshotUpdates: Record<string, SnapshotModelUpdate> } {
  return { exportLocations: fromContractExportLocations(answer.exportLocations), snapshotUpdates: fromSnapshotUpdates(answer.snapshotUpdates) };
}

export function fromModelUpdate(answer: MigrationUpdateModelResponse): ModelUpdate {
  return {
    exportLocations: fromContractExportLocations(answer.exportLocations),
    providerLocation: answer.providerLocation,
    backendDetails: { ...answer.backendDetails },
    snapshotUpdates: fromSnapshotUpdates(answer.snapshotUpdates),
    unchanged: false,
  };
}

/** The answer when the destination plugin does not implement MigrationUpdateModel: keep the model (share_migration.proto). */
export function unchangedModel(): ModelUpdate {
  return { exportLocations: [], providerLocation: '', backendDetails: {}, snapshotUpdates: {}, unchanged: true };
}

export function fromServerCompatibility(answer: ShareServerMigrationCheckCompatibilityResponse): ServerCompatibilityAnswer {
  return {
    compatible: answer.compatible,
    writable: answer.writable,
    nondisruptive: answer.nondisruptive,
    preserveSnapshots: answer.preserveSnapshots,
    migrationCancel: answer.migrationCancel,
    migrationGetProgress: answer.migrationGetProgress,
    shareNetworkId: answer.shareNetworkId,
    incompatibilityReasons: [...answer.incompatibilityReasons],
  };
}

export function fromServerMigrationComplete(answer: ShareServerMigrationCompleteResponse): ServerMigrationCompleteResult {
  const shareUpdates = Object.fromEntries(Object.entries(answer.shareUpdates).map(([id, update]) =>
    [id, { exportLocations: fromContractExportLocations(update.exportLocations), poolName: update.poolName, providerLocation: update.providerLocation, backendDetails: { ...update.backendDetails } }]));
  return { shareUpdates, snapshotUpdates: fromSnapshotUpdates(answer.snapshotUpdates), serverBackendDetails: { ...answer.serverBackendDetails } };
}
