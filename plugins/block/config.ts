/**
 * The block plugin's configuration: FERRY_PLUGIN_CONFIG parsed into one typed, defaulted
 * object. Pure (no I/O): the caller passes the back-end name the host gave the process
 * (FERRY_PLUGIN_NAME), which is the default volume_backend_name. Every problem is an
 * InvalidArgumentError whose field names the exact key, e.g. `capacityGib.pool9`.
 */
import { isAbsolute, normalize } from 'node:path';
import { InvalidArgumentError } from '../../src/domain/errors.js';

/** The validated configuration with every default filled in. */
export interface BlockConfig {
  /** Absolute back-end directory; created (with its layout) at start when missing. */
  readonly root: string;
  /** Pool names; each is a directory `<root>/pools/<name>` holding image files. */
  readonly pools: readonly string[];
  /** Capacity per pool in GiB; pools not listed report the file system's size (statfs of root). */
  readonly capacityGib: Readonly<Record<string, number>>;
  /** Availability zone reported for every pool. */
  readonly availabilityZone: string;
  /**
   * Cinder's volume_backend_name, reported in every pool's capabilities and matched by volume
   * types. Defaults to the back-end name ferry launched the plugin for.
   */
  readonly volumeBackendName: string;
}

export const KNOWN_KEYS = ['root', 'pools', 'capacityGib', 'availabilityZone', 'volumeBackendName'] as const;

/** A pool name, volume, snapshot or migration id: one safe path component. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface ParseConfigOptions {
  /** The back-end name the host launched the process for (FERRY_PLUGIN_NAME); "" when unset. */
  readonly backendName: string;
}

/** Validates FERRY_PLUGIN_CONFIG (already JSON-parsed) and fills in the defaults. */
export function parseConfig(raw: unknown, options: ParseConfigOptions): BlockConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError('config', 'must be a JSON object');
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) throw new InvalidArgumentError(key, `unknown configuration key; known keys: ${KNOWN_KEYS.join(', ')}`);
  }

  if (input.root === undefined || input.root === '') throw new InvalidArgumentError('root', 'is required: the back-end directory, e.g. "/srv/ferry/block1"', 'MISSING_FIELD');
  if (typeof input.root !== 'string' || !isAbsolute(input.root)) throw new InvalidArgumentError('root', 'must be an absolute directory path');
  const root = normalize(input.root).replace(/(.)\/+$/, '$1');

  let pools: string[] = ['pool1'];
  if (input.pools !== undefined) {
    if (!Array.isArray(input.pools) || input.pools.length === 0) throw new InvalidArgumentError('pools', 'must be a non-empty array of pool names');
    pools = input.pools.map((pool, i) => {
      if (typeof pool !== 'string' || !NAME_PATTERN.test(pool)) throw new InvalidArgumentError(`pools[${i}]`, 'must be a name of letters, digits, ".", "_" or "-" (at most 128, not starting with "." or "-")');
      return pool;
    });
    const duplicate = pools.find((pool, i) => pools.indexOf(pool) !== i);
    if (duplicate !== undefined) throw new InvalidArgumentError('pools', `duplicate pool name ${JSON.stringify(duplicate)}`);
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

  let availabilityZone = 'nova';
  if (input.availabilityZone !== undefined) {
    if (typeof input.availabilityZone !== 'string' || input.availabilityZone === '') throw new InvalidArgumentError('availabilityZone', 'must be a non-empty string');
    availabilityZone = input.availabilityZone;
  }

  let volumeBackendName = options.backendName;
  if (input.volumeBackendName !== undefined) {
    if (typeof input.volumeBackendName !== 'string' || input.volumeBackendName === '') throw new InvalidArgumentError('volumeBackendName', 'must be a non-empty string');
    volumeBackendName = input.volumeBackendName;
  }
  if (volumeBackendName === '') {
    throw new InvalidArgumentError('volumeBackendName', 'is required when the host sets no FERRY_PLUGIN_NAME: volume types select this back end by it', 'MISSING_FIELD');
  }

  return { root, pools, capacityGib, availabilityZone, volumeBackendName };
}
