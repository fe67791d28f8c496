/**
 * The block plugin's configuration: FERRY_PLUGIN_CONFIG parsed into one typed, defaulted
 * object. Pure (no I/O): the caller passes the back-end name the host gave the process
 * (FERRY_PLUGIN_NAME), which is the default volume_backend_name. Every problem is an
 * InvalidArgumentError whose field names the exact key, e.g. `capacityGib.pool9`.
 */
import { InvalidArgumentError } from '../../src/domain/errors.js';
import { NAME_PATTERN, absoluteRoot, capacityGibOf, configObject, nonEmptyString, poolNames } from '../sdk/config-fields.js';

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
export { NAME_PATTERN };

export interface ParseConfigOptions {
  /** The back-end name the host launched the process for (FERRY_PLUGIN_NAME); "" when unset. */
  readonly backendName: string;
}

/** Validates FERRY_PLUGIN_CONFIG (already JSON-parsed) and fills in the defaults. */
export function parseConfig(raw: unknown, options: ParseConfigOptions): BlockConfig {
  const input = configObject(raw, KNOWN_KEYS);
  const root = absoluteRoot(input, '/srv/ferry/block1');
  const pools = poolNames(input, ['pool1']);
  const capacityGib = capacityGibOf(input, pools);
  const availabilityZone = nonEmptyString(input, 'availabilityZone', 'nova');

  const volumeBackendName = nonEmptyString(input, 'volumeBackendName', options.backendName);
  if (volumeBackendName === '') {
    throw new InvalidArgumentError('volumeBackendName', 'is required when the host sets no FERRY_PLUGIN_NAME: volume types select this back end by it', 'MISSING_FIELD');
  }

  return { root, pools, capacityGib, availabilityZone, volumeBackendName };
}
