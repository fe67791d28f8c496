/**
 * LocalFsDriver: the ferry Driver the SDK serves, composed of one object per contract service
 * (identity.ts, pool-service.ts, share-service.ts, share-migration-service.ts, and with
 * driverHandlesShareServers share-server-service.ts and server-migration-service.ts). This
 * file only wires them together and runs the start-up reconciliation.
 */
import type { Logger } from 'pino';
import type { Driver, PluginCapability } from '../sdk/index.js';
import { LocalFsBackend } from './backend.js';
import { parseConfig } from './config.js';
import { createTreeCopier, type TreeCopier } from './copier.js';
import { IdentityService, pluginCapabilities, PLUGIN_INFO } from './identity.js';
import { PoolService } from './pool-service.js';
import { ShareMigrationService } from './share-migration-service.js';
import { ServerMigrationService } from './server-migration-service.js';
import { ShareServerService } from './share-server-service.js';
import { ShareService } from './share-service.js';

export interface LocalFsDriverOptions {
  /** Whether the process runs as root; decides the default read-only enforcement. @default process.getuid() === 0 */
  readonly isRoot?: boolean;
  /** The copier; tests may pass their own. @default the copy engine */
  readonly copier?: TreeCopier;
}

/** Builds the driver from FERRY_PLUGIN_CONFIG; throws InvalidArgumentError naming the bad field. */
export function createLocalFsDriver(rawConfig: unknown, logger: Logger, options: LocalFsDriverOptions = {}): LocalFsDriver {
  const config = parseConfig(rawConfig, { isRoot: options.isRoot ?? process.getuid?.() === 0 });
  const backend = new LocalFsBackend(config, options.copier ?? createTreeCopier(config.copyThreads), logger);
  return new LocalFsDriver(backend);
}

export class LocalFsDriver implements Driver {
  readonly info = PLUGIN_INFO;
  readonly capabilities: readonly PluginCapability[];

  readonly identity: IdentityService;
  readonly pools: PoolService;
  readonly shares: ShareService;
  readonly migrations: ShareMigrationService;
  /** Only with driverHandlesShareServers. */
  readonly servers?: ShareServerService;
  readonly serverMigrations?: ServerMigrationService;

  // Each contract RPC, delegated to the service object that implements it.
  readonly probe: IdentityService['probe'];
  readonly listPools: PoolService['listPools'];
  readonly createShareInstance: ShareService['createShareInstance'];
  readonly deleteShareInstance: ShareService['deleteShareInstance'];
  readonly extendShareInstance: ShareService['extendShareInstance'];
  readonly shrinkShareInstance: ShareService['shrinkShareInstance'];
  readonly createSnapshotInstance: ShareService['createSnapshotInstance'];
  readonly deleteSnapshotInstance: ShareService['deleteSnapshotInstance'];
  readonly updateAccess: ShareService['updateAccess'];
  readonly getConnectionInfo: ShareService['getConnectionInfo'];
  readonly getExportLocations: ShareService['getExportLocations'];
  readonly migrationCheckCompatibility: ShareMigrationService['migrationCheckCompatibility'];
  readonly migrationStart: ShareMigrationService['migrationStart'];
  readonly migrationContinue: ShareMigrationService['migrationContinue'];
  readonly migrationComplete: ShareMigrationService['migrationComplete'];
  readonly migrationCancel: ShareMigrationService['migrationCancel'];
  readonly migrationGetProgress: ShareMigrationService['migrationGetProgress'];
  readonly migrationUpdateModel: ShareMigrationService['migrationUpdateModel'];
  // Absent without driverHandlesShareServers, so the SDK neither serves nor warns about them.
  readonly setupShareServer?: ShareServerService['setupShareServer'];
  readonly teardownShareServer?: ShareServerService['teardownShareServer'];
  readonly shareServerMigrationCheckCompatibility?: ServerMigrationService['shareServerMigrationCheckCompatibility'];
  readonly shareServerMigrationStart?: ServerMigrationService['shareServerMigrationStart'];
  readonly shareServerMigrationContinue?: ServerMigrationService['shareServerMigrationContinue'];
  readonly shareServerMigrationGetProgress?: ServerMigrationService['shareServerMigrationGetProgress'];
  readonly shareServerMigrationComplete?: ServerMigrationService['shareServerMigrationComplete'];
  readonly shareServerMigrationCancel?: ServerMigrationService['shareServerMigrationCancel'];

  constructor(readonly backend: LocalFsBackend) {
    this.capabilities = pluginCapabilities(backend.config);
    this.identity = new IdentityService(backend);
    this.pools = new PoolService(backend);
    this.shares = new ShareService(backend);
    this.migrations = new ShareMigrationService(backend, this.shares);
    this.probe = this.identity.probe.bind(this.identity);
    this.listPools = this.pools.listPools.bind(this.pools);
    this.createShareInstance = this.shares.createShareInstance.bind(this.shares);
    this.deleteShareInstance = this.shares.deleteShareInstance.bind(this.shares);
    this.extendShareInstance = this.shares.extendShareInstance.bind(this.shares);
    this.shrinkShareInstance = this.shares.shrinkShareInstance.bind(this.shares);
    this.createSnapshotInstance = this.shares.createSnapshotInstance.bind(this.shares);
    this.deleteSnapshotInstance = this.shares.deleteSnapshotInstance.bind(this.shares);
    this.updateAccess = this.shares.updateAccess.bind(this.shares);
    this.getConnectionInfo = this.shares.getConnectionInfo.bind(this.shares);
    this.getExportLocations = this.shares.getExportLocations.bind(this.shares);
    this.migrationCheckCompatibility = this.migrations.migrationCheckCompatibility.bind(this.migrations);
    this.migrationStart = this.migrations.migrationStart.bind(this.migrations);
    this.migrationContinue = this.migrations.migrationContinue.bind(this.migrations);
    this.migrationComplete = this.migrations.migrationComplete.bind(this.migrations);
    this.migrationCancel = this.migrations.migrationCancel.bind(this.migrations);
    this.migrationGetProgress = this.migrations.migrationGetProgress.bind(this.migrations);
    this.migrationUpdateModel = this.migrations.migrationUpdateModel.bind(this.migrations);
    if (backend.config.driverHandlesShareServers) {
      const serverMigrations = new ServerMigrationService(backend);
      const servers = new ShareServerService(backend, serverMigrations);
      this.servers = servers;
      this.serverMigrations = serverMigrations;
      this.setupShareServer = servers.setupShareServer.bind(servers);
      this.teardownShareServer = servers.teardownShareServer.bind(servers);
      this.shareServerMigrationCheckCompatibility = serverMigrations.shareServerMigrationCheckCompatibility.bind(serverMigrations);
      this.shareServerMigrationStart = serverMigrations.shareServerMigrationStart.bind(serverMigrations);
      this.shareServerMigrationContinue = serverMigrations.shareServerMigrationContinue.bind(serverMigrations);
      this.shareServerMigrationGetProgress = serverMigrations.shareServerMigrationGetProgress.bind(serverMigrations);
      this.shareServerMigrationComplete = serverMigrations.shareServerMigrationComplete.bind(serverMigrations);
      this.shareServerMigrationCancel = serverMigrations.shareServerMigrationCancel.bind(serverMigrations);
    }
  }

  /**
   * Start-up: create the layout, re-apply every instance's export state (mounts do not survive
   * a reboot; an export left mounted by a killed process is reused), resume phase-1 copies.
   */
  async start(): Promise<void> {
    const b = this.backend;
    await b.prepare();
    for (const pool of b.config.pools) {
      for (const record of await b.store.listInstances(pool)) {
        if (record.migration !== undefined && record.migration.state !== 'adopted') continue; // a peer's migration target
        try {
          await b.applyExport(record);
        } catch (error) {
          b.logger.error({ err: error, shareInstanceId: record.shareInstanceId }, 'could not re-apply the export state');
        }
      }
    }
    await this.migrations.resume();
    await this.serverMigrations?.resume();
    b.logger.info({ root: b.root, pools: b.config.pools, readOnlyEnforcement: b.config.readOnlyEnforcement }, 'localfs ready');
  }

  async close(): Promise<void> {
    await this.migrations.close();
    await this.serverMigrations?.close();
    await this.backend.copier.close();
  }
}
