/**
 * Everything a server-migration step needs, loaded fresh from the store: both servers, the
 * share instances and snapshot instances on the source, their shares and types, and the
 * driver models built from them.
 */
import { backendOf } from '../../domain/host.js';
import type { Share, ShareInstance, ShareServer, ShareServerMigration, ShareType, Snapshot, SnapshotInstance } from '../../domain/resources.js';
import type { OrchestratorContext } from '../context.js';
import { toDriverInstance, toDriverServer, toDriverSnapshot, toPeerInfo } from '../driver-models.js';
import type { BackendDriver, ServerMigrationCall } from '../driver-port.js';
import { ferryError } from '../errors.js';
import type { StoreTx } from '../store-port.js';

/** One share instance on the migrating server, with what its driver model needs. */
export interface ServerShare {
  readonly instance: ShareInstance;
  readonly share: Share;
  readonly type: ShareType | undefined;
  readonly snapshots: readonly { readonly instance: SnapshotInstance; readonly snapshot: Snapshot }[];
}

export interface ServerMigrationScope {
  readonly migration: ShareServerMigration;
  readonly source: ShareServer;
  readonly destination: ShareServer | undefined;
  readonly shares: readonly ServerShare[];
  readonly sourceBackend: string;
  readonly destinationBackend: string;
}

/** The instances on `serverId` (a migrating server's shares follow their instances), with shares, types and snapshots. */
export async function loadServerShares(tx: StoreTx, serverId: string): Promise<ServerShare[]> {
  const shares: ServerShare[] = [];
  for (const instance of await tx.listShareInstances({ shareServerId: serverId })) {
    const share = await tx.getShare(instance.shareId);
    if (share === undefined) continue;
    const snapshots = [];
    for (const snapshotInstance of await tx.listSnapshotInstances({ shareInstanceId: instance.id })) {
      const snapshot = await tx.getSnapshot(snapshotInstance.snapshotId);
      if (snapshot !== undefined) snapshots.push({ instance: snapshotInstance, snapshot });
    }
    shares.push({ instance, share, type: await tx.getShareType(instance.shareTypeId), snapshots });
  }
  return shares;
}

export async function loadServerScope(ctx: OrchestratorContext, migrationId: string): Promise<ServerMigrationScope> {
  const migration = await ctx.store.getServerMigration(migrationId);
  if (migration === undefined) throw ferryError('MIGRATION_NOT_FOUND', `share server migration ${migrationId} not found`, { migrationId });
  const source = await ctx.store.getShareServer(migration.sourceShareServerId);
  if (source === undefined) throw ferryError('SHARE_SERVER_NOT_FOUND', `source share server ${migration.sourceShareServerId} of migration ${migrationId} is gone`, { shareServerId: migration.sourceShareServerId, migrationId });
  const destination = migration.destinationShareServerId ? await ctx.store.getShareServer(migration.destinationShareServerId) : undefined;
  return {
    migration,
    source,
    destination,
    shares: await loadServerShares(ctx.store, source.id),
    sourceBackend: backendOf(source.host),
    destinationBackend: backendOf(migration.request.destinationHost),
  };
}

export function destinationDriver(ctx: OrchestratorContext, scope: ServerMigrationScope): BackendDriver {
  return ctx.drivers.backend(scope.destinationBackend);
}

export function requireDestination(scope: ServerMigrationScope): ShareServer {
  if (scope.destination === undefined) throw ferryError('SHARE_SERVER_NOT_FOUND', `migration ${scope.migration.id} has no destination share server`, { migrationId: scope.migration.id });
  return scope.destination;
}

/** The models every ShareServerMigration* call of one migration carries. */
export async function serverMigrationCall(ctx: OrchestratorContext, scope: ServerMigrationScope): Promise<ServerMigrationCall> {
  return {
    migrationId: scope.migration.id,
    sourceServer: toDriverServer(scope.source),
    destinationServer: toDriverServer(requireDestination(scope)),
    shareInstances: scope.shares.map((entry) => toDriverInstance(entry.instance, entry.share, entry.type)),
    snapshotInstances: scope.shares.flatMap((entry) => entry.snapshots.map((s) => toDriverSnapshot(s.instance, s.snapshot))),
    sourcePeer: toPeerInfo(await ctx.store.getBackend(scope.sourceBackend), scope.sourceBackend),
  };
}
