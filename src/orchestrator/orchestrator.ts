/**
 * createOrchestrator: the Ferry operations over the three ports. Knows nothing of gRPC,
 * SQLite or processes; src/ferry/create-ferry.ts composes it with the real adapters.
 */
import type { Logger } from 'pino';
import * as catalog from './catalog.js';
import { defaultIdSource, type OrchestratorContext, type OrchestratorSettings } from './context.js';
import type { DataPort } from './data-port.js';
import type { DriverPort } from './driver-port.js';
import { MigrationEventBus, ServerMigrationEventBus, VolumeMigrationEventBus } from './event-bus.js';
import type { Ferry, ShareView } from './ferry-api.js';
import { KeyedMutex } from './keyed-mutex.js';
import { recoverInterruptedActions, recoverInterruptedVolumeActions } from './recover.js';
import { grantAccess, listAccessRules, revokeAccess } from './share-access.js';
import { ShareServerMigrations } from './server-migration/operator.js';
import { ServerMigrationRunner } from './server-migration/runner.js';
import { ShareMigrations } from './share-migration/operator.js';
import { resumeMigrations } from './share-migration/reconcile.js';
import { MigrationRunner } from './share-migration/runner.js';
import * as shares from './shares.js';
import { createSnapshot, deleteSnapshot, listSnapshots } from './snapshots.js';
import type { StorePort } from './store-port.js';
import { loadShareView, shareView } from './views.js';
import { notFound } from './errors.js';
import { VolumeMigrations } from './volume-migration/operator.js';
import { VolumeMigrationRunner } from './volume-migration/runner.js';
import * as volumeCatalog from './volumes/catalog.js';
import * as volumes from './volumes/lifecycle.js';
import { loadVolumeView, volumeView } from './volumes/views.js';
import type { VolumeView } from './volume-api.js';

export interface OrchestratorOptions {
  readonly store: StorePort;
  readonly drivers: DriverPort;
  readonly data: DataPort;
  readonly logger: Logger;
  readonly settings: OrchestratorSettings;
  /** For tests that need stable ids or times; defaults are random UUIDs and the wall clock. */
  readonly newId?: () => string;
  readonly now?: () => string;
}

export interface Orchestrator extends Ferry {
  /** Refreshes pool reports, recovers interrupted actions and resumes migrations. */
  start(): Promise<void>;
}

export function createOrchestrator(options: OrchestratorOptions): Orchestrator {
  const ctx: OrchestratorContext = {
    store: options.store,
    drivers: options.drivers,
    data: options.data,
    logger: options.logger,
    settings: options.settings,
    locks: new KeyedMutex(),
    events: new MigrationEventBus(),
    serverEvents: new ServerMigrationEventBus(),
    volumeEvents: new VolumeMigrationEventBus(),
    now: options.now ?? (() => new Date().toISOString()),
    newId: options.newId ?? defaultIdSource,
  };
  const runner = new MigrationRunner(ctx);
  const migrations = new ShareMigrations(ctx, runner);
  const serverRunner = new ServerMigrationRunner(ctx);
  const servers = new ShareServerMigrations(ctx, serverRunner);
  const volumeRunner = new VolumeMigrationRunner(ctx);
  const volumeMigrations = new VolumeMigrations(ctx, volumeRunner);
  let refreshTimer: NodeJS.Timeout | undefined;
  let unsubscribeStatus: (() => void) | undefined;

  return {
    async start() {
      await catalog.ensureDefaultShareType(ctx);
      await volumeCatalog.ensureDefaultVolumeType(ctx);
      await catalog.refreshAllBackends(ctx);
      unsubscribeStatus = ctx.drivers.onStatus((status) => {
        if (status.state === 'ready') void catalog.refreshBackend(ctx, status.name).catch((error: unknown) => ctx.logger.warn({ backend: status.name, err: error }, 'pool report refresh failed'));
      });
      refreshTimer = setInterval(() => void catalog.refreshAllBackends(ctx), ctx.settings.poolRefreshIntervalMs);
      refreshTimer.unref();
      await recoverInterruptedActions(ctx);
      await recoverInterruptedVolumeActions(ctx);
      await resumeMigrations(ctx, runner);
      for (const migration of await ctx.store.listServerMigrations({ active: true })) serverRunner.kick(migration.id);
      for (const migration of await ctx.store.listVolumeMigrations({ active: true })) volumeRunner.kick(migration.id);
    },

    createShare: (request) => shares.createShare(ctx, request),
    getShare: (shareId) => loadShareView(ctx, shareId),
    async listShares(filter = {}) {
      const views: ShareView[] = [];
      for (const share of await ctx.store.listShares()) {
        const view = await shareView(ctx.store, share);
        if (filter.status !== undefined && view.status !== filter.status) continue;
        if (filter.host !== undefined && view.host !== filter.host && !view.host.startsWith(`${filter.host}#`)) continue;
        views.push(view);
      }
      return views;
    },
    deleteShare: (shareId) => shares.deleteShare(ctx, shareId),
    extendShare: (shareId, size) => shares.extendShare(ctx, shareId, size),
    shrinkShare: (shareId, size) => shares.shrinkShare(ctx, shareId, size),
    grantAccess: (request) => grantAccess(ctx, request),
    revokeAccess: (shareId, ruleId) => revokeAccess(ctx, shareId, ruleId),
    listAccessRules: (shareId) => listAccessRules(ctx, shareId),
    createSnapshot: (request) => createSnapshot(ctx, request),
    deleteSnapshot: (snapshotId) => deleteSnapshot(ctx, snapshotId),
    listSnapshots: (filter) => listSnapshots(ctx, filter),
    resetStatus: (shareId, status) => shares.resetStatus(ctx, shareId, status),
    resetTaskState: (shareId, taskState) => migrations.resetTaskState(shareId, taskState),

    migrationCheck: (request) => migrations.check(request),
    migrationStart: (request) => migrations.start(request),
    migrationComplete: (shareId) => migrations.complete(shareId),
    migrationCancel: (shareId) => migrations.cancel(shareId),
    migrationGetProgress: (shareId) => migrations.progress(shareId),
    async migrationHistory(migrationId) {
      if ((await ctx.store.getMigration(migrationId)) === undefined) throw notFound('MIGRATION_NOT_FOUND', 'migration', migrationId, 'migrationId');
      return ctx.store.listMigrationEvents(migrationId);
    },
    watchMigration: (shareId, watchOptions) => migrations.watch(shareId, watchOptions),

    listBackends: () => catalog.listBackends(ctx),
    listPools: (filter) => ctx.store.listPools(filter),
    createShareType: (request) => catalog.createShareType(ctx, request),
    listShareTypes: () => ctx.store.listShareTypes(),
    deleteShareType: (idOrName) => catalog.deleteShareType(ctx, idOrName),
    createShareNetwork: (request) => catalog.createShareNetwork(ctx, request),
    listShareNetworks: () => ctx.store.listShareNetworks(),
    deleteShareNetwork: (id) => catalog.deleteShareNetwork(ctx, id),
    listShareServers: (filter) => servers.list(filter),
    getShareServer: (shareServerId) => servers.view(shareServerId),
    resetShareServerStatus: (shareServerId, status) => servers.resetStatus(shareServerId, status),
    resetShareServerTaskState: (shareServerId, taskState) => servers.resetTaskState(shareServerId, taskState),
    serverMigrationCheck: (request) => servers.check(request),
    serverMigrationStart: (request) => servers.start(request),
    serverMigrationComplete: (shareServerId) => servers.complete(shareServerId),
    serverMigrationCancel: (shareServerId) => servers.cancel(shareServerId),
    serverMigrationGetProgress: (shareServerId) => servers.progress(shareServerId),
    serverMigrationHistory: (migrationId) => servers.history(migrationId),
    watchServerMigration: (shareServerId, watchOptions) => servers.watch(shareServerId, watchOptions),

    createVolume: (request) => volumes.createVolume(ctx, request),
    getVolume: (volumeId) => loadVolumeView(ctx, volumeId),
    async listVolumes(filter = {}) {
      const views: VolumeView[] = [];
      for (const volume of await ctx.store.listVolumes({ status: filter.status, host: filter.host, groupId: filter.groupId })) views.push(await volumeView(ctx.store, volume));
      return views;
    },
    deleteVolume: (volumeId) => volumes.deleteVolume(ctx, volumeId),
    attachVolume: (request) => volumes.attachVolume(ctx, request),
    detachVolume: (volumeId, attachmentId) => volumes.detachVolume(ctx, volumeId, attachmentId),
    resetVolumeStatus: (volumeId, reset) => volumes.resetVolumeStatus(ctx, volumeId, reset),
    createVolumeSnapshot: (request) => volumes.createVolumeSnapshot(ctx, request),
    deleteVolumeSnapshot: (snapshotId) => volumes.deleteVolumeSnapshot(ctx, snapshotId),
    listVolumeSnapshots: (filter = {}) => ctx.store.listVolumeSnapshots(filter),
    createVolumeGroup: (request) => volumeCatalog.createVolumeGroup(ctx, request),
    listVolumeGroups: () => ctx.store.listVolumeGroups(),
    deleteVolumeGroup: (groupId) => volumeCatalog.deleteVolumeGroup(ctx, groupId),
    createVolumeType: (request) => volumeCatalog.createVolumeType(ctx, request),
    listVolumeTypes: () => ctx.store.listVolumeTypes(),
    deleteVolumeType: (idOrName) => volumeCatalog.deleteVolumeType(ctx, idOrName),
    migrateVolume: (request) => volumeMigrations.migrate(request),
    retypeVolume: (request) => volumeMigrations.retype(request),
    getVolumeMigration: (volumeId) => volumeMigrations.progress(volumeId),
    watchVolumeMigration: (volumeId, watchOptions) => volumeMigrations.watch(volumeId, watchOptions),
    volumeMigrationHistory: (migrationId) => volumeMigrations.history(migrationId),
    abortVolumeMigration: (volumeId) => volumeMigrations.abort(volumeId),

    onMigrationEvent: (listener) => ctx.events.subscribe(listener),
    async close() {
      if (refreshTimer) clearInterval(refreshTimer);
      unsubscribeStatus?.();
      await Promise.all([runner.close(), serverRunner.close(), volumeRunner.close()]);
    },
  };
}
