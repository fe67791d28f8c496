/**
 * Where everything lives under a back end's root. The same layout is used for this plugin's
 * own root and for a migration peer's root (MigrateVolume moves an image into the peer's pool
 * and registers it there), so every function takes the root explicitly.
 *
 * ```
 * <root>/
 *   pools/<pool>/volume-<name>.img      a volume: sparse raw image, <name> = name_id || volume_id
 *   pools/<pool>/volume-<name>.json     its record (size, state, attachment, incoming migration)
 *   pools/<pool>/snapshot-<id>.img      a snapshot: sparse copy of its volume's image
 *   pools/<pool>/snapshot-<id>.json     its record
 *   pools/<pool>/*.partial              an image being copied (removed or renamed into place)
 *   migrations/<migrationId>.json       MigrateVolume's journal and replay record (source side)
 *   updates/<volumeId>--<newVolumeId>.json  UpdateMigratedVolume's journal and replay record
 * ```
 *
 * Records sit beside their images, one file per object, so a record is found by the same
 * (pool, name) as its image and a peer plugin can add one without touching any file this
 * plugin writes.
 */
import { join } from 'node:path';
import { InvalidArgumentError } from '../../src/domain/errors.js';
import { NAME_PATTERN } from './config.js';

/** Throws INVALID_ARGUMENT (INVALID_FIELD) unless `value` is one safe path component. */
export function checkName(field: string, value: string): string {
  if (!NAME_PATTERN.test(value)) throw new InvalidArgumentError(field, `${JSON.stringify(value)} is not a usable id (letters, digits, ".", "_", "-"; at most 128)`);
  return value;
}

export const poolsDir = (root: string): string => join(root, 'pools');
export const poolDir = (root: string, pool: string): string => join(poolsDir(root), pool);
export const volumeImage = (root: string, pool: string, name: string): string => join(poolDir(root, pool), `volume-${name}.img`);
export const volumeRecordFile = (root: string, pool: string, name: string): string => join(poolDir(root, pool), `volume-${name}.json`);
export const snapshotImage = (root: string, pool: string, id: string): string => join(poolDir(root, pool), `snapshot-${id}.img`);
export const snapshotRecordFile = (root: string, pool: string, id: string): string => join(poolDir(root, pool), `snapshot-${id}.json`);
export const partialOf = (image: string): string => `${image}.partial`;
export const migrationsDir = (root: string): string => join(root, 'migrations');
export const migrationFile = (root: string, id: string): string => join(migrationsDir(root), `${id}.json`);
export const updatesDir = (root: string): string => join(root, 'updates');
export const updateFile = (root: string, volumeId: string, newVolumeId: string): string => join(updatesDir(root), `${volumeId}--${newVolumeId}.json`);
