/**
 * BlockDriver: the ferry Driver the SDK serves, composed of one object per contract service
 * (identity.ts, pool-service.ts, volume-service.ts, snapshot-service.ts,
 * migration-service.ts). This file only wires them together and runs the start-up
 * reconciliation that makes `kill -9` at any point safe.
 */
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Driver, PluginCapability } from '../sdk/index.js';
import { BlockBackend } from './backend.js';
import { parseConfig } from './config.js';
import { IdentityService, PLUGIN_CAPABILITIES, PLUGIN_INFO } from './identity.js';
import { partialOf, snapshotImage } from './layout.js';
import { MigrationService } from './migration-service.js';
import { PoolService } from './pool-service.js';
import { SnapshotService } from './snapshot-service.js';
import { VolumeService } from './volume-service.js';

/** Builds the driver from FERRY_PLUGIN_CONFIG; throws InvalidArgumentError naming the bad key. */
export function createBlockDriver(rawConfig: unknown, backendName: string, logger: Logger): BlockDriver {
  return new BlockDriver(new BlockBackend(parseConfig(rawConfig, { backendName }), logger));
}

export class BlockDriver implements Driver {
  readonly info = PLUGIN_INFO;
  readonly capabilities: readonly PluginCapability[] = PLUGIN_CAPABILITIES;

  readonly identity: IdentityService;
  readonly pools: PoolService;
  readonly volumes: VolumeService;
  readonly snapshots: SnapshotService;
  readonly migrations: MigrationService;

  // Each contract RPC, delegated to the service object that implements it.
  readonly probe: IdentityService['probe'];
  readonly listPools: PoolService['listPools'];
  readonly createVolume: VolumeService['createVolume'];
  readonly deleteVolume: VolumeService['deleteVolume'];
  readonly attachVolume: VolumeService['attachVolume'];
  readonly detachVolume: VolumeService['detachVolume'];
  readonly retypeVolume: VolumeService['retypeVolume'];
  readonly createVolumeSnapshot: SnapshotService['createVolumeSnapshot'];
  readonly deleteVolumeSnapshot: SnapshotService['deleteVolumeSnapshot'];
  readonly migrateVolume: MigrationService['migrateVolume'];
  readonly updateMigratedVolume: MigrationService['updateMigratedVolume'];

  constructor(readonly backend: BlockBackend) {
    this.identity = new IdentityService(backend);
    this.pools = new PoolService(backend);
    this.volumes = new VolumeService(backend);
    this.snapshots = new SnapshotService(backend);
    this.migrations = new MigrationService(backend);
    this.probe = this.identity.probe.bind(this.identity);
    this.listPools = this.pools.listPools.bind(this.pools);
    this.createVolume = this.volumes.createVolume.bind(this.volumes);
    this.deleteVolume = this.volumes.deleteVolume.bind(this.volumes);
    this.attachVolume = this.volumes.attachVolume.bind(this.volumes);
    this.detachVolume = this.volumes.detachVolume.bind(this.volumes);
    this.retypeVolume = this.volumes.retypeVolume.bind(this.volumes);
    this.createVolumeSnapshot = this.snapshots.createVolumeSnapshot.bind(this.snapshots);
    this.deleteVolumeSnapshot = this.snapshots.deleteVolumeSnapshot.bind(this.snapshots);
    this.migrateVolume = this.migrations.migrateVolume.bind(this.migrations);
    this.updateMigratedVolume = this.migrations.updateMigratedVolume.bind(this.migrations);
  }

  /**
   * Start-up: create the layout, then finish or undo what a killed process left half done.
   * Creates are undone (a replay creates afresh), deletes are finished, volume moves are
   * undone before their commit point and finished after it, renames are finished.
   */
  async start(): Promise<void> {
    const b = this.backend;
    await b.prepare();
    for (const pool of b.config.pools) {
      for (const record of await b.store.listVolumes(pool)) {
        // An incoming record belongs to the journal of whichever plugin moves it here.
        if (record.incomingMigrationId !== undefined || record.state === 'ready') continue;
        b.logger.warn({ pool, name: record.name, state: record.state }, 'removing a volume a killed process left half created or half deleted');
        await this.volumes.removeVolume(record);
      }
      for (const record of await b.store.listSnapshots(pool)) {
        if (record.state === 'ready') continue;
        b.logger.warn({ pool, snapshotId: record.snapshotId, state: record.state }, 'removing a snapshot a killed process left half created or half deleted');
        await rm(partialOf(snapshotImage(b.root, pool, record.snapshotId)), { force: true });
        await this.snapshots.removeSnapshot(record);
      }
    }
    await this.migrations.reconcile();
    b.logger.info({ root: b.root, pools: b.config.pools, volumeBackendName: b.config.volumeBackendName }, 'block ready');
  }
}
