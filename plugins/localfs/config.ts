/**
 * The localfs plugin's configuration: FERRY_PLUGIN_CONFIG parsed into one typed, defaulted
 * object. Pure (no I/O): the caller says whether the process runs as root, because the
 * defaults and the allowed read-only enforcements depend on it. Every problem is an
 * InvalidArgumentError whose field names the exact key, e.g. `capacityGib.pool1`.
 */
import { isAbsolute, normalize } from 'node:path';
import { InvalidArgumentError } from '../../src/domain/errors.js';

/**
 * How a read-only access state (every rule "ro", or cast_rules_to_readonly) is enforced:
 * - `bind-mount`: the export is a bind mount of the data directory, remounted read-only. Blocks
 *   writes through the export for everyone, root included; touches no file. Needs root.
 * - `immutable`: the export is a bind mount too, and the data tree gets the immutable attribute
 *   (`chattr -R +i`). Blocks writes even through the data directory; changes the files' ctime
 *   (not their modes, mtimes or atimes). Needs root (CAP_LINUX_IMMUTABLE and CAP_SYS_ADMIN).
 * - `none`: rules are recorded and the export is a symlink to the data directory; a read-only
 *   state is NOT enforced. The only choice when not running as root.
 */
export const READ_ONLY_ENFORCEMENTS = ['bind-mount', 'immutable', 'none'] as const;
export type ReadOnlyEnforcement = (typeof READ_ONLY_ENFORCEMENTS)[number];

/** The validated configuration with every default filled in. */
export interface LocalFsConfig {
  /** Absolute back-end directory; created (with its layout) at start when missing. */
  readonly root: string;
  /** Pool names; each is a directory `<root>/pools/<name>`. */
  readonly pools: readonly string[];
  /** Availability zone reported for every pool. */
  readonly availabilityZone: string;
  readonly readOnlyEnforcement: ReadOnlyEnforcement;
  /** Capacity per pool in GiB; pools not listed report the file system's size (statfs of root). */
  readonly capacityGib: Readonly<Record<string, number>>;
  /** Bandwidth limit of migration copies in bytes per second; 0 = unlimited. */
  readonly migrationBandwidthBytesPerSecond: number;
  /** Copy-engine worker threads. */
  readonly copyThreads: number;
  /**
   * Whether the back end handles share servers (Manila's driver_handles_share_servers): every
   * share instance lives on a share server set up first, and servers can be migrated.
   */
  readonly driverHandlesShareServers: boolean;
}

const KNOWN_KEYS = ['root', 'pools', 'availabilityZone', 'readOnlyEnforcement', 'capacityGib', 'migrationBandwidthBytesPerSecond', 'copyThreads', 'driverHandlesShareServers'] as const;

/** A pool name, share or snapshot id: one safe path component. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface ParseConfigOptions {
  /** Whether the plugin runs as root (uid 0); decides the default enforcement. */
  readonly isRoot: boolean;
}

/** Validates FERRY_PLUGIN_CONFIG (already JSON-parsed) and fills in the defaults. */
export function parseConfig(raw: unknown, options: ParseConfigOptions): LocalFsConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError('config', 'must be a JSON object');
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) throw new InvalidArgumentError(key, `unknown configuration key; known keys: ${KNOWN_KEYS.join(', ')}`);
  }

  if (input.root === undefined || input.root === '') throw new InvalidArgumentError('root', 'is required: the back-end directory, e.g. "/srv/ferry/localfs1"', 'MISSING_FIELD');
  if (typeof input.root !== 'string' || !isAbsolute(input.root)) throw new InvalidArgumentError('root', 'must be an absolute directory path');
  const root = normalize(input.root).replace(/(.)\/+$/, '$1');

  let pools: string[] = ['pool1', 'pool2'];
  if (input.pools !== undefined) {
    if (!Array.isArray(input.pools) || input.pools.length === 0) throw new InvalidArgumentError('pools', 'must be a non-empty array of pool names');
    pools = input.pools.map((pool, i) => {
      if (typeof pool !== 'string' || !NAME_PATTERN.test(pool)) throw new InvalidArgumentError(`pools[${i}]`, 'must be a name of letters, digits, ".", "_" or "-" (at most 128, not starting with "." or "-")');
      return pool;
    });
    const duplicate = pools.find((pool, i) => pools.indexOf(pool) !== i);
    if (duplicate !== undefined) throw new InvalidArgumentError('pools', `duplicate pool name ${JSON.stringify(duplicate)}`);
  }

  let availabilityZone = 'nova';
  if (input.availabilityZone !== undefined) {
    if (typeof input.availabilityZone !== 'string' || input.availabilityZone === '') throw new InvalidArgumentError('availabilityZone', 'must be a non-empty string');
    availabilityZone = input.availabilityZone;
  }

  let readOnlyEnforcement: ReadOnlyEnforcement = options.isRoot ? 'bind-mount' : 'none';
  if (input.readOnlyEnforcement !== undefined) {
    if (!(READ_ONLY_ENFORCEMENTS as readonly unknown[]).includes(input.readOnlyEnforcement)) {
      throw new InvalidArgumentError('readOnlyEnforcement', `must be one of ${READ_ONLY_ENFORCEMENTS.join(', ')}`);
    }
    readOnlyEnforcement = input.readOnlyEnforcement as ReadOnlyEnforcement;
    if (readOnlyEnforcement !== 'none' && !options.isRoot) {
      throw new InvalidArgumentError('readOnlyEnforcement', `${readOnlyEnforcement} needs the plugin to run as root (mount and chattr need CAP_SYS_ADMIN / CAP_LINUX_IMMUTABLE); use "none" or run as root`);
    }
  }

  const capacityGib: Record<string, number> = {};
  if (input.capacityGib !== undefined) {
    if (typeof input.capacityGib !== 'object' || input.capacityGib === null || Array.isArray(input.capacityGib)) {
      throw new InvalidArgumentError('capacityGib', 'must be an object of pool name to GiB, e.g. {"pool1": 100}');
    }
    for (const [pool, gib] of Object.entries(input.capacityGib as Record<string, unknown>)) {
      if (!pools.includes(pool)) throw new InvalidArgumentError(`capacityGib.${pool}`, `is not a configured pool (pools: ${pools.join(', ')})`);
      if (typeof gib !== 'number' || !Number.isFinite(gib) || gib <= 0) throw new InvalidArgumentError(`capacityGib.${pool}`, 'must be a positive number of GiB');
      capacityGib[pool] = gib;
    }
  }

  const migrationBandwidthBytesPerSecond = nonNegativeInteger(input, 'migrationBandwidthBytesPerSecond', 0);
  const copyThreads = nonNegativeInteger(input, 'copyThreads', 2);
  if (copyThreads < 1) throw new InvalidArgumentError('copyThreads', 'must be at least 1');

  const driverHandlesShareServers = input.driverHandlesShareServers === undefined ? false : input.driverHandlesShareServers;
  if (typeof driverHandlesShareServers !== 'boolean') throw new InvalidArgumentError('driverHandlesShareServers', 'must be true or false');

  return { root, pools, availabilityZone, readOnlyEnforcement, capacityGib, migrationBandwidthBytesPerSecond, copyThreads, driverHandlesShareServers };
}

function nonNegativeInteger(input: Record<string, unknown>, key: string, fallback: number): number {
  const value = input[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new InvalidArgumentError(key, 'must be a non-negative integer');
  return value;
}
