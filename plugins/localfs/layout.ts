/**
 * Where everything lives under a back end's root directory. The same layout is used for this
 * plugin's own root and for a migration peer's root (the source plugin writes the destination
 * instance into the peer's tree), so every function takes the root explicitly.
 *
 * ```
 * <root>/
 *   pools/<pool>/shares/<shareInstanceId>/data            the share's files
 *   pools/<pool>/shares/<shareInstanceId>/instance.json   its metadata (size, proto, rules, snapshots)
 *   pools/<pool>/snapshots/<snapshotInstanceId>/data      a point-in-time copy of a share's data
 *   pools/<pool>/snapshots/<snapshotInstanceId>/snapshot.json
 *   exports/<shareInstanceId>                             the export location (bind mount of data)
 *   migrations/<migrationId>.json                         a driver-assisted migration (source side)
 *   migrations/<migrationId>/                             its work files (copy checkpoints)
 *   servers/<shareServerId>/server.json                   a share server (driverHandlesShareServers)
 *   server-migrations/<migrationId>.json                  a share-server migration (destination side)
 *   server-migrations/<migrationId>/                      its work files (copy checkpoints)
 * ```
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
export const sharesDir = (root: string, pool: string): string => join(poolDir(root, pool), 'shares');
export const snapshotsDir = (root: string, pool: string): string => join(poolDir(root, pool), 'snapshots');
export const shareDir = (root: string, pool: string, id: string): string => join(sharesDir(root, pool), id);
export const shareDataDir = (root: string, pool: string, id: string): string => join(shareDir(root, pool, id), 'data');
export const instanceFile = (root: string, pool: string, id: string): string => join(shareDir(root, pool, id), 'instance.json');
export const snapshotDir = (root: string, pool: string, id: string): string => join(snapshotsDir(root, pool), id);
export const snapshotDataDir = (root: string, pool: string, id: string): string => join(snapshotDir(root, pool, id), 'data');
export const snapshotFile = (root: string, pool: string, id: string): string => join(snapshotDir(root, pool, id), 'snapshot.json');
export const exportsDir = (root: string): string => join(root, 'exports');
export const exportPath = (root: string, id: string): string => join(exportsDir(root), id);
export const migrationsDir = (root: string): string => join(root, 'migrations');
export const serversDir = (root: string): string => join(root, 'servers');
export const serverDir = (root: string, id: string): string => join(serversDir(root), id);
export const serverFile = (root: string, id: string): string => join(serverDir(root, id), 'server.json');
export const serverMigrationsDir = (root: string): string => join(root, 'server-migrations');
