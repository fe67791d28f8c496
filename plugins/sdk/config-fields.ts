/**
 * Checks for the fields every file-backed reference plugin's FERRY_PLUGIN_CONFIG has (the
 * object itself, root, pools, capacityGib, availabilityZone). Pure. Each problem is an
 * InvalidArgumentError whose field names the exact key, e.g. `pools[2]` or `capacityGib.pool9`.
 */
import { isAbsolute, normalize } from 'node:path';
import { InvalidArgumentError } from '../../src/domain/errors.js';

/** A pool name or an id a plugin uses as a path component: one safe component. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The parsed config as an object, refusing anything else and any key not in `knownKeys`. */
export function configObject(raw: unknown, knownKeys: readonly string[]): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError('config', 'must be a JSON object');
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!knownKeys.includes(key)) throw new InvalidArgumentError(key, `unknown configuration key; known keys: ${knownKeys.join(', ')}`);
  }
  return input;
}

/** The required `root`: an absolute directory, normalised, without a trailing slash. */
export function absoluteRoot(input: Record<string, unknown>, example: string): string {
  if (input.root === undefined || input.root === '') throw new InvalidArgumentError('root', `is required: the back-end directory, e.g. ${JSON.stringify(example)}`, 'MISSING_FIELD');
  if (typeof input.root !== 'string' || !isAbsolute(input.root)) throw new InvalidArgumentError('root', 'must be an absolute directory path');
  return normalize(input.root).replace(/(.)\/+$/, '$1');
}

/** `pools`: a non-empty array of distinct names matching NAME_PATTERN; `fallback` when absent. */
export function poolNames(input: Record<string, unknown>, fallback: readonly string[]): string[] {
  if (input.pools === undefined) return [...fallback];
  if (!Array.isArray(input.pools) || input.pools.length === 0) throw new InvalidArgumentError('pools', 'must be a non-empty array of pool names');
  const pools = input.pools.map((pool, i) => {
    if (typeof pool !== 'string' || !NAME_PATTERN.test(pool)) throw new InvalidArgumentError(`pools[${i}]`, 'must be a name of letters, digits, ".", "_" or "-" (at most 128, not starting with "." or "-")');
    return pool;
  });
  const duplicate = pools.find((pool, i) => pools.indexOf(pool) !== i);
  if (duplicate !== undefined) throw new InvalidArgumentError('pools', `duplicate pool name ${JSON.stringify(duplicate)}`);
  return pools;
}

/** `capacityGib`: positive GiB per configured pool; pools not listed are absent from the result. */
export function capacityGibOf(input: Record<string, unknown>, pools: readonly string[]): Record<string, number> {
  const capacityGib: Record<string, number> = {};
  if (input.capacityGib === undefined) return capacityGib;
  if (typeof input.capacityGib !== 'object' || input.capacityGib === null || Array.isArray(input.capacityGib)) {
    throw new InvalidArgumentError('capacityGib', 'must be an object of pool name to GiB, e.g. {"pool1": 100}');
  }
  for (const [pool, gib] of Object.entries(input.capacityGib as Record<string, unknown>)) {
    if (!pools.includes(pool)) throw new InvalidArgumentError(`capacityGib.${pool}`, `is not a configured pool (pools: ${pools.join(', ')})`);
    if (typeof gib !== 'number' || !Number.isFinite(gib) || gib <= 0) throw new InvalidArgumentError(`capacityGib.${pool}`, 'must be a positive number of GiB');
    capacityGib[pool] = gib;
  }
  return capacityGib;
}

/** An optional non-empty string field; `fallback` when absent. */
export function nonEmptyString(input: Record<string, unknown>, key: string, fallback: string): string {
  const value = input[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(key, 'must be a non-empty string');
  return value;
}
