/**
 * The BackendDriver methods as the adapter calls them: the capability that gates each one and
 * its default deadline, plus the DriverPort options that change the deadlines. Pure.
 *
 * Gates mirror the contract (the service comments in proto/ferry/driver/v1/*.proto and enum
 * PluginCapability in identity.proto, the same table plugins/sdk/services.ts serves): a method
 * is called only when the plugin advertised one of `anyOf`; an empty list is ungated.
 *
 * Deadlines: calls that only read or poll (ListPools, GetConnectionInfo, the compatibility
 * check, Continue, GetProgress) get QUICK_CALL_TIMEOUT_MS; calls that create, copy, delete or
 * cut over data (snapshots are full copies on localfs, UpdateAccess walks a whole tree under
 * localfs's immutable enforcement) get LONG_CALL_TIMEOUT_MS. A timed-out call is cancelled on
 * the plugin and is safe to replay: every mutating RPC is idempotent for its key.
 */
import { InvalidArgumentError } from '../domain/errors.js';
import { PluginCapability } from '../contract/gen/ferry/driver/v1/identity.js';
import type { BackendDriver } from '../orchestrator/driver-port.js';

/** The BackendDriver methods that call the plugin. */
export type BackendDriverMethod = Exclude<keyof BackendDriver, 'name' | 'status'>;

export const QUICK_CALL_TIMEOUT_MS = 30_000;
export const LONG_CALL_TIMEOUT_MS = 300_000;

export interface MethodSpec {
  /** The plugin must advertise one of these; empty: no capability needed. */
  readonly anyOf: readonly PluginCapability[];
  /** Built-in default deadline. */
  readonly timeoutMs: number;
}

const C = PluginCapability;
const quick = (...anyOf: PluginCapability[]): MethodSpec => ({ anyOf, timeoutMs: QUICK_CALL_TIMEOUT_MS });
const long = (...anyOf: PluginCapability[]): MethodSpec => ({ anyOf, timeoutMs: LONG_CALL_TIMEOUT_MS });

/** Every method, so a method added to BackendDriver breaks the build until it has a row. */
export const METHOD_SPECS: Readonly<Record<BackendDriverMethod, MethodSpec>> = {
  listPools: quick(C.PLUGIN_CAPABILITY_SHARES, C.PLUGIN_CAPABILITY_VOLUMES),
  createShareInstance: long(C.PLUGIN_CAPABILITY_SHARES),
  deleteShareInstance: long(C.PLUGIN_CAPABILITY_SHARES),
  extendShareInstance: long(C.PLUGIN_CAPABILITY_SHARE_RESIZE),
  shrinkShareInstance: long(C.PLUGIN_CAPABILITY_SHARE_RESIZE),
  createSnapshotInstance: long(C.PLUGIN_CAPABILITY_SHARE_SNAPSHOTS),
  deleteSnapshotInstance: long(C.PLUGIN_CAPABILITY_SHARE_SNAPSHOTS),
  updateAccess: long(C.PLUGIN_CAPABILITY_SHARES),
  getConnectionInfo: quick(C.PLUGIN_CAPABILITY_SHARE_HOST_ASSISTED_MIGRATION),
  getExportLocations: quick(C.PLUGIN_CAPABILITY_SHARES),
  migrationCheckCompatibility: quick(C.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION),
  migrationStart: long(C.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION),
  migrationContinue: quick(C.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION),
  migrationComplete: long(C.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION),
  migrationCancel: long(C.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION),
  migrationGetProgress: quick(C.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION),
  // Ungated: the destination side of either migration path; UNIMPLEMENTED means "keep the model".
  migrationUpdateModel: long(),
  setupShareServer: long(C.PLUGIN_CAPABILITY_SHARE_SERVERS),
  teardownShareServer: long(C.PLUGIN_CAPABILITY_SHARE_SERVERS),
  shareServerMigrationCheckCompatibility: quick(C.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION),
  shareServerMigrationStart: long(C.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION),
  shareServerMigrationContinue: quick(C.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION),
  shareServerMigrationGetProgress: quick(C.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION),
  shareServerMigrationCancel: long(C.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION),
  shareServerMigrationComplete: long(C.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION),
  createVolume: long(C.PLUGIN_CAPABILITY_VOLUMES),
  deleteVolume: long(C.PLUGIN_CAPABILITY_VOLUMES),
  attachVolume: quick(C.PLUGIN_CAPABILITY_VOLUMES),
  detachVolume: quick(C.PLUGIN_CAPABILITY_VOLUMES),
  // A driver-assisted move copies the whole volume inside the back end.
  migrateVolume: long(C.PLUGIN_CAPABILITY_VOLUME_DRIVER_MIGRATION),
  // Gated by VOLUMES but optional: UNIMPLEMENTED means Cinder's defaults (volume-calls.ts).
  updateMigratedVolume: long(C.PLUGIN_CAPABILITY_VOLUMES),
  retypeVolume: long(C.PLUGIN_CAPABILITY_VOLUME_RETYPE),
  createVolumeSnapshot: long(C.PLUGIN_CAPABILITY_VOLUME_SNAPSHOTS),
  deleteVolumeSnapshot: long(C.PLUGIN_CAPABILITY_VOLUME_SNAPSHOTS),
};

export const BACKEND_DRIVER_METHODS = Object.keys(METHOD_SPECS) as readonly BackendDriverMethod[];

/** A capability's enum name without the PLUGIN_CAPABILITY_ prefix ("SHARE_DRIVER_MIGRATION"); undefined for values this build does not know. */
export function capabilityName(capability: PluginCapability): string | undefined {
  const name = (PluginCapability as unknown as Record<number, string | undefined>)[capability];
  if (name === undefined || capability === PluginCapability.PLUGIN_CAPABILITY_UNSPECIFIED) return undefined;
  return name.replace(/^PLUGIN_CAPABILITY_/, '');
}

/** Names of advertised capabilities, known values only (identity.proto: "unknown values are ignored by ferry"). */
export function capabilityNames(capabilities: readonly PluginCapability[]): string[] {
  return capabilities.map(capabilityName).filter((n): n is string => n !== undefined);
}

export interface DriverPortOptions {
  /** Replaces the built-in default deadline of every method (30 s for reads and polls, 5 min for the rest). */
  readonly defaultTimeoutMs?: number;
  /** Per-method deadlines; win over defaultTimeoutMs. A call's own timeoutMs wins over both. */
  readonly timeouts?: Readonly<Partial<Record<BackendDriverMethod, number>>>;
}

/** The deadline of each method after the options; throws InvalidArgumentError naming the option. */
export function resolveTimeouts(options: DriverPortOptions): Readonly<Record<BackendDriverMethod, number>> {
  if (options.defaultTimeoutMs !== undefined) checkTimeout('defaultTimeoutMs', options.defaultTimeoutMs);
  const overrides: Readonly<Record<string, number | undefined>> = options.timeouts ?? {};
  for (const [method, value] of Object.entries(overrides)) {
    if (!(BACKEND_DRIVER_METHODS as readonly string[]).includes(method)) {
      throw new InvalidArgumentError(`timeouts.${method}`, 'is not a BackendDriver method that calls the plugin');
    }
    if (value !== undefined) checkTimeout(`timeouts.${method}`, value);
  }
  const resolved = {} as Record<BackendDriverMethod, number>;
  for (const method of BACKEND_DRIVER_METHODS) resolved[method] = overrides[method] ?? options.defaultTimeoutMs ?? METHOD_SPECS[method].timeoutMs;
  return resolved;
}

/** A deadline is a whole number of milliseconds >= 1 (grpc-js takes an absolute Date; NaN or 0 would fail every call at once). */
export function checkTimeout(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(field, `must be a whole number of milliseconds >= 1, got ${JSON.stringify(value) ?? String(value)}`);
  }
}
