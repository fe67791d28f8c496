/**
 * Everything a migration step needs, loaded fresh from the store: the share, both instances,
 * types, servers, snapshots, and the driver models built from them.
 */
import { backendHostOf, backendOf } from '../../domain/host.js';
import type { Share, ShareInstance, ShareMigration, ShareServer, ShareType, Snapshot, SnapshotInstance } from '../../domain/resources.js';
import type { OrchestratorContext } from '../context.js';
import { toDriverInstance, toDriverServer, toDriverSnapshot, toPeerInfo } from '../driver-models.js';
import type { BackendDriver, DriverSnapshotInstance, MigrationPair } from '../driver-port.js';
import { ferryError } from '../errors.js';

export interface MigrationScope {
  readonly migration: ShareMigration;
  readonly share: Share;
  readonly source: ShareInstance | undefined;
  readonly destination: ShareInstance | undefined;
  readonly sourceType: ShareType | undefined;
  readonly destinationType: ShareType | undefined;
  readonly sourceServer: ShareServer | undefined;
  readonly destinationServer: ShareServer | undefined;
  readonly snapshots: readonly Snapshot[];
  readonly sourceSnapshotInstances: readonly SnapshotInstance[];
  readonly destinationSnapshotInstances: readonly SnapshotInstance[];
  readonly sourceBackend: string;
  readonly destinationBackend: string;
}

export async function loadScope(ctx: OrchestratorContext, migrationId: string): Promise<MigrationScope> {
  const store = ctx.store;
  const migration = await store.getMigration(migrationId);
  if (migration === undefined) throw ferryError('MIGRATION_NOT_FOUND', `migration ${migrationId} not found`, { migrationId });
  const share = await store.getShare(migration.shareId);
  if (share === undefined) throw ferryError('SHARE_NOT_FOUND', `share ${migration.shareId} of migration ${migrationId} not found`, { shareId: migration.shareId });
  const source = await store.getShareInstance(migration.sourceInstanceId);
  const destination = migration.destinationInstanceId ? await store.getShareInstance(migration.destinationInstanceId) : undefined;
  const server = async (instance: ShareInstance | undefined) => (instance?.shareServerId ? store.getShareServer(instance.shareServerId) : undefined);
  const snapshots = await store.listSnapshots(share.id);
  return {
    migration,
    share,
    source,
    destination,
    sourceType: source ? await store.getShareType(source.shareTypeId) : undefined,
    destinationType: await store.getShareType(migration.request.newShareTypeId),
    sourceServer: await server(source),
    destinationServer: await server(destination),
    snapshots,
    sourceSnapshotInstances: source ? await store.listSnapshotInstances({ shareInstanceId: source.id }) : [],
    destinationSnapshotInstances: destination ? await store.listSnapshotInstances({ shareInstanceId: destination.id }) : [],
    sourceBackend: source ? backendOf(source.host) : '',
    destinationBackend: backendOf(migration.request.destinationHost),
  };
}

export function sourceDriver(ctx: OrchestratorContext, scope: MigrationScope): BackendDriver {
  return ctx.drivers.backend(scope.sourceBackend);
}

export function destinationDriver(ctx: OrchestratorContext, scope: MigrationScope): BackendDriver {
  return ctx.drivers.backend(scope.destinationBackend);
}

export function requireSource(scope: MigrationScope): ShareInstance {
  if (scope.source === undefined) throw ferryError('SHARE_INSTANCE_NOT_FOUND', `the source instance ${scope.migration.sourceInstanceId} of migration ${scope.migration.id} is gone`, { migrationId: scope.migration.id });
  return scope.source;
}

export function requireDestination(scope: MigrationScope): ShareInstance {
  if (scope.destination === undefined) throw ferryError('SHARE_INSTANCE_NOT_FOUND', `migration ${scope.migration.id} has no destination instance`, { migrationId: scope.migration.id });
  return scope.destination;
}

function snapshotOf(scope: MigrationScope, instance: SnapshotInstance): Snapshot {
  return scope.snapshots.find((snapshot) => snapshot.id === instance.snapshotId) ?? { id: instance.snapshotId, shareId: scope.share.id, name: '', description: '', sizeGib: 0, createdAt: instance.createdAt };
}

/** The models every driver-assisted call of one migration carries (the same on every call). */
export async function migrationPair(ctx: OrchestratorContext, scope: MigrationScope): Promise<MigrationPair> {
  const source = requireSource(scope);
  const destination = requireDestination(scope);
  const mappings: Record<string, DriverSnapshotInstance> = {};
  for (const sourceSnapshot of scope.sourceSnapshotInstances) {
    const target = scope.destinationSnapshotInstances.find((instance) => instance.snapshotId === sourceSnapshot.snapshotId);
    if (target) mappings[sourceSnapshot.id] = toDriverSnapshot(target, snapshotOf(scope, target));
  }
  const peer = await ctx.store.getBackend(scope.destinationBackend);
  return {
    migrationId: scope.migration.id,
    source: toDriverInstance(source, scope.share, scope.sourceType),
    destination: toDriverInstance(destination, scope.share, scope.destinationType),
    destinationPeer: toPeerInfo(peer, scope.destinationBackend),
    sourceSnapshots: scope.sourceSnapshotInstances.map((instance) => toDriverSnapshot(instance, snapshotOf(scope, instance))),
    snapshotMappings: mappings,
    sourceServer: scope.sourceServer && toDriverServer(scope.sourceServer),
    destinationServer: scope.destinationServer && toDriverServer(scope.destinationServer),
  };
}

export function destinationBackendHost(scope: MigrationScope): string {
  return backendHostOf(scope.migration.request.destinationHost);
}

export function driverSnapshots(scope: MigrationScope, instances: readonly SnapshotInstance[]) {
  return instances.map((instance) => toDriverSnapshot(instance, snapshotOf(scope, instance)));
}
