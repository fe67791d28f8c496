/**
 * The localfs plugin's configuration: FERRY_PLUGIN_CONFIG parsed into one typed, defaulted
 * object. Pure (no I/O): the caller says whether the process runs as root, because the
 * defaults and the allowed read-only enforcements depend on it. Every problem is an
 * InvalidArgumentError whose field names the exact key, e.g. `capacityGib.pool1`.
 */
import { InvalidArgumentError } from '../../src/domain/errors.js';
import { NAME_PATTERN, absoluteRoot, capacityGibOf, configObject, nonEmptyString, poolNames } from '../sdk/config-fields.js';

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
export { NAME_PATTERN };

export interface ParseConfigOptions {
  /** Whether the plugin runs as root (uid 0); decides the default enforcement. */
  readonly isRoot: boolean;
}

/** Validates FERRY_PLUGIN_CONFIG (already JSON-parsed) and fills in the defaults. */
export function parseConfig(raw: unknown, options: ParseConfigOptions): LocalFsConfig {
  const input = configObject(raw, KNOWN_KEYS);
  const root = absoluteRoot(input, '/srv/ferry/localfs1');
  const pools = poolNames(input, ['pool1', 'pool2']);
  const availabilityZone = nonEmptyString(input, 'availabilityZone', 'nova');

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

  const capacityGib = capacityGibOf(input, pools);

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
