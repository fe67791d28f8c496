/**
 * Domain strings <-> admin proto enums. The mapping is by name, never by position: the proto
 * value is the enum's prefix plus the domain string in upper case ("migration_driver_phase1_done"
 * <-> TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE; Cinder's hyphens become "_": "in-use" <->
 * VOLUME_STATUS_IN_USE), so proto numbers can stay fixed while the
 * domain lists are reordered. Each codec checks at load that the mapping is 1:1 in both
 * directions, so a status added on one side only fails the first import (and the unit tests)
 * instead of reaching the wire as UNSPECIFIED.
 */
import type { BackendState } from '../orchestrator/driver-port.js';
import type { MigrationBlocker } from '../orchestrator/ferry-api.js';
import type { MigrationMethod, MigrationOutcome, ShareMigration } from '../domain/resources.js';
import {
  VOLUME_MIGRATION_STATUSES, VOLUME_SNAPSHOT_STATUSES, VOLUME_STATUSES, type VolumeMigration, type VolumeMigrationMethod, type VolumeMigrationRequest,
  type VolumeStatus, type VolumeTransferMode,
} from '../domain/volumes.js';
import {
  ACCESS_LEVELS, ACCESS_RULE_STATES, ACCESS_RULES_STATUSES, ACCESS_TYPES, SHARE_NETWORK_STATUSES, SHARE_SERVER_STATUSES,
  SHARE_STATUSES, SNAPSHOT_STATUSES, TASK_STATES, type TaskState,
} from '../domain/statuses.js';
import * as proto from '../contract/gen/ferry/admin/v1/enums.js';
import { invalidField } from './request-errors.js';

export interface EnumCodec<D extends string, P extends number> {
  /** Every domain value, in the domain's order. */
  readonly values: readonly D[];
  toProto(value: D): P;
  /**
   * The domain value of a number received in a request: undefined for *_UNSPECIFIED (0),
   * INVALID_ARGUMENT (INVALID_FIELD, naming `field`) for a number the enum does not define.
   */
  fromProto(value: number, field: string): D | undefined;
}

/** Thrown at load when a domain list and its proto enum do not map 1:1 (a programming error). */
export class EnumMappingError extends Error {
  override readonly name = 'EnumMappingError';
}

export function enumCodec<D extends string, P extends number>(prefix: string, protoEnum: Readonly<Record<string, string | number>>, values: readonly D[]): EnumCodec<D, P> {
  const toProto = new Map<D, P>();
  const fromProto = new Map<number, D>();
  for (const value of values) {
    const name = `${prefix}${protoValueName(value)}`;
    const number = protoEnum[name];
    if (typeof number !== 'number' || number === 0) throw new EnumMappingError(`${name} is missing from the proto enum for "${value}"`);
    toProto.set(value, number as P);
    fromProto.set(number, value);
  }
  for (const [name, number] of Object.entries(protoEnum)) {
    if (typeof number === 'number' && number !== 0 && !fromProto.has(number)) throw new EnumMappingError(`proto enum value ${name} has no domain value`);
  }
  return {
    values,
    toProto: (value) => toProto.get(value) as P,
    fromProto: (number, field) => {
      if (number === 0) return undefined;
      const value = fromProto.get(number);
      if (value === undefined) throw invalidField(field, `${number} is not a ${prefix.slice(0, -1)} value`);
      return value;
    },
  };
}

/** A domain string as a proto enum value name (without prefix): upper case, anything but letters and digits as "_". */
function protoValueName(value: string): string {
  return value.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** All values of a string union, checked complete at compile time (for unions without an `as const` list). */
function allOf<T extends string>() {
  return <const A extends readonly T[]>(values: A & ([T] extends [A[number]] ? unknown : 'missing a value')): A => values;
}

const MIGRATION_METHODS = allOf<MigrationMethod>()(['driver_assisted', 'host_assisted']);
const BACKEND_STATES = allOf<BackendState>()(['starting', 'ready', 'restarting', 'failed', 'stopped']);
const MIGRATION_OUTCOMES = allOf<MigrationOutcome>()(['success', 'error', 'cancelled']);
const PENDING_ACTIONS = allOf<NonNullable<ShareMigration['pendingAction']>>()(['complete', 'cancel']);
const BLOCKED_PATHS = allOf<MigrationBlocker['blocks']>()(['migration', 'driver_assisted', 'host_assisted']);

const VOLUME_MIGRATION_POLICIES = allOf<NonNullable<VolumeMigrationRequest['migrationPolicy']>>()(['never', 'on-demand']);
const VOLUME_MIGRATION_KINDS = allOf<VolumeMigration['request']['kind']>()(['migrate', 'retype']);
const VOLUME_MIGRATION_METHODS = allOf<VolumeMigrationMethod>()(['driver_assisted', 'host_copy', 'retype_in_place']);
const VOLUME_TRANSFER_MODES = allOf<VolumeTransferMode>()(['block', 'file']);
/**
 * Cinder's migration_status values plus "target", the wire's half of `target:<id>` (the id
 * travels in its own field; convert-volumes.ts joins and splits them).
 */
const VOLUME_MIGRATION_STATUS_NAMES = [...VOLUME_MIGRATION_STATUSES, 'target'] as const;

export const shareStatus = enumCodec<(typeof SHARE_STATUSES)[number], proto.ShareStatus>('SHARE_STATUS_', proto.ShareStatus, SHARE_STATUSES);
export const taskState = enumCodec<TaskState, proto.TaskState>('TASK_STATE_', proto.TaskState, TASK_STATES);
export const accessRuleState = enumCodec<(typeof ACCESS_RULE_STATES)[number], proto.AccessRuleState>('ACCESS_RULE_STATE_', proto.AccessRuleState, ACCESS_RULE_STATES);
export const accessRulesStatus = enumCodec<(typeof ACCESS_RULES_STATUSES)[number], proto.AccessRulesStatus>('ACCESS_RULES_STATUS_', proto.AccessRulesStatus, ACCESS_RULES_STATUSES);
export const accessType = enumCodec<(typeof ACCESS_TYPES)[number], proto.AccessType>('ACCESS_TYPE_', proto.AccessType, ACCESS_TYPES);
export const accessLevel = enumCodec<(typeof ACCESS_LEVELS)[number], proto.AccessLevel>('ACCESS_LEVEL_', proto.AccessLevel, ACCESS_LEVELS);
export const snapshotStatus = enumCodec<(typeof SNAPSHOT_STATUSES)[number], proto.SnapshotStatus>('SNAPSHOT_STATUS_', proto.SnapshotStatus, SNAPSHOT_STATUSES);
export const shareServerStatus = enumCodec<(typeof SHARE_SERVER_STATUSES)[number], proto.ShareServerStatus>('SHARE_SERVER_STATUS_', proto.ShareServerStatus, SHARE_SERVER_STATUSES);
export const shareNetworkStatus = enumCodec<(typeof SHARE_NETWORK_STATUSES)[number], proto.ShareNetworkStatus>('SHARE_NETWORK_STATUS_', proto.ShareNetworkStatus, SHARE_NETWORK_STATUSES);
export const migrationMethod = enumCodec<MigrationMethod, proto.MigrationMethod>('MIGRATION_METHOD_', proto.MigrationMethod, MIGRATION_METHODS);
export const backendState = enumCodec<BackendState, proto.BackendState>('BACKEND_STATE_', proto.BackendState, BACKEND_STATES);
export const migrationOutcome = enumCodec<MigrationOutcome, proto.MigrationOutcome>('MIGRATION_OUTCOME_', proto.MigrationOutcome, MIGRATION_OUTCOMES);
export const pendingAction = enumCodec<NonNullable<ShareMigration['pendingAction']>, proto.PendingAction>('PENDING_ACTION_', proto.PendingAction, PENDING_ACTIONS);
export const blockedPath = enumCodec<MigrationBlocker['blocks'], proto.BlockedPath>('BLOCKED_PATH_', proto.BlockedPath, BLOCKED_PATHS);

export const volumeStatus = enumCodec<VolumeStatus, proto.VolumeStatus>('VOLUME_STATUS_', proto.VolumeStatus, VOLUME_STATUSES);
export const volumeMigrationStatusName = enumCodec<(typeof VOLUME_MIGRATION_STATUS_NAMES)[number], proto.VolumeMigrationStatus>('VOLUME_MIGRATION_STATUS_', proto.VolumeMigrationStatus, VOLUME_MIGRATION_STATUS_NAMES);
export const volumeSnapshotStatus = enumCodec<(typeof VOLUME_SNAPSHOT_STATUSES)[number], proto.VolumeSnapshotStatus>('VOLUME_SNAPSHOT_STATUS_', proto.VolumeSnapshotStatus, VOLUME_SNAPSHOT_STATUSES);
export const volumeMigrationPolicy = enumCodec<(typeof VOLUME_MIGRATION_POLICIES)[number], proto.VolumeMigrationPolicy>('VOLUME_MIGRATION_POLICY_', proto.VolumeMigrationPolicy, VOLUME_MIGRATION_POLICIES);
export const volumeMigrationKind = enumCodec<(typeof VOLUME_MIGRATION_KINDS)[number], proto.VolumeMigrationKind>('VOLUME_MIGRATION_KIND_', proto.VolumeMigrationKind, VOLUME_MIGRATION_KINDS);
export const volumeMigrationMethod = enumCodec<VolumeMigrationMethod, proto.VolumeMigrationMethod>('VOLUME_MIGRATION_METHOD_', proto.VolumeMigrationMethod, VOLUME_MIGRATION_METHODS);
export const volumeTransferMode = enumCodec<VolumeTransferMode, proto.VolumeTransferMode>('VOLUME_TRANSFER_MODE_', proto.VolumeTransferMode, VOLUME_TRANSFER_MODES);

/** A task_state for the wire: null (no task) is TASK_STATE_UNSPECIFIED. */
export function taskStateToProto(value: TaskState | null): proto.TaskState {
  return value === null ? proto.TaskState.TASK_STATE_UNSPECIFIED : taskState.toProto(value);
}

/** A migration method for the wire: null (not chosen) is MIGRATION_METHOD_UNSPECIFIED. */
export function migrationMethodToProto(value: MigrationMethod | null): proto.MigrationMethod {
  return value === null ? proto.MigrationMethod.MIGRATION_METHOD_UNSPECIFIED : migrationMethod.toProto(value);
}
