/**
 * The simulated back end every service file works on: configuration + state, pools and
 * capacity, where a share's data lives (dataRoot), and who a migration peer is. Also the
 * request-field checks every handler starts with (validate, then lock, then touch state).
 */
import { MissingFieldError, NotFoundError, ResourceExhaustedError } from '../../src/domain/errors.js';
import type { PeerInfo } from '../../src/contract/gen/ferry/driver/v1/common.js';
import { join } from 'node:path';
import type { DummyConfig, PoolConfig } from './config.js';
import type { DummyState, ExportLocationRecord, ShareRecord } from './state.js';

/** migration_peer_info keys the dummy publishes (ListPools) and reads back from PeerInfo. */
export const PEER_BACKEND_ID = 'dummyBackendId';
export const PEER_DATA_ROOT = 'dataRoot';

/** Capabilities every pool reports unless its config overrides them. */
export const DEFAULT_POOL_CAPABILITIES: Readonly<Record<string, string>> = {
  snapshot_support: 'true',
  create_share_from_snapshot_support: 'true',
  mount_snapshot_support: 'false',
  driver_handles_share_servers: 'false',
  thin_provisioning: 'false',
  reserved_percentage: '0',
};

export const GIB = 1024 ** 3;

export class DummyBackend {
  constructor(
    readonly config: DummyConfig,
    readonly state: DummyState,
  ) {}

  pool(name: string): PoolConfig | undefined {
    return this.config.pools.find((p) => p.name === name);
  }

  /** The pool, or NOT_FOUND (POOL_NOT_FOUND). */
  requirePool(name: string): PoolConfig {
    const pool = this.pool(name);
    if (pool === undefined) throw new NotFoundError('pool', name, 'POOL_NOT_FOUND', 'pool');
    return pool;
  }

  freeGib(pool: PoolConfig): number {
    return Math.max(0, pool.freeCapacityGib - this.state.allocatedGib(pool.name));
  }

  /** RESOURCE_EXHAUSTED (INSUFFICIENT_CAPACITY) unless `gib` more fit in the pool. */
  ensureCapacity(pool: PoolConfig, gib: number): void {
    const free = this.freeGib(pool);
    if (gib > free) {
      throw new ResourceExhaustedError(`pool ${pool.name} has ${free} GiB free, ${gib} GiB needed`, { pool: pool.name, freeGib: String(free) });
    }
  }

  /** Whether the peer runs the same plugin (the dummy's compatibility rule). */
  isSamePlugin(peer: PeerInfo | undefined): boolean {
    return peer !== undefined && peer.pluginName === this.config.name;
  }

  /**
   * Whether the peer is this very back end: its migration_peer_info carries our backend id, or
   * carries none (a test driving one dummy directly).
   */
  isSelf(peer: PeerInfo | undefined): boolean {
    const id = peer?.properties[PEER_BACKEND_ID];
    return this.isSamePlugin(peer) && (id === undefined || id === '' || id === this.state.data.backendId);
  }

  /** The real directory of a share instance, or undefined without dataRoot. */
  shareDir(shareInstanceId: string, root = this.config.dataRoot): string | undefined {
    return root === undefined || root === '' ? undefined : join(root, shareInstanceId);
  }

  /** The real image file of a volume, or undefined without dataRoot. */
  volumeFile(volumeId: string, root = this.config.dataRoot): string | undefined {
    return root === undefined || root === '' ? undefined : join(root, `volume-${volumeId}.img`);
  }

  /** Export locations of a share instance: Manila's fake NFS path, plus the real directory (admin only) with dataRoot. */
  exportLocationsFor(shareInstanceId: string): ExportLocationRecord[] {
    const locations: ExportLocationRecord[] = [{ path: fakeSharePath(shareInstanceId), isAdminOnly: false, metadata: {} }];
    const dir = this.shareDir(shareInstanceId);
    if (dir !== undefined) locations.push({ path: dir, isAdminOnly: true, metadata: { local: 'true' } });
    return locations;
  }

  /** The share instance, or NOT_FOUND (SHARE_INSTANCE_NOT_FOUND). */
  requireShare(shareInstanceId: string): ShareRecord {
    const share = this.state.data.shares[shareInstanceId];
    if (share === undefined) throw new NotFoundError('share instance', shareInstanceId, 'SHARE_INSTANCE_NOT_FOUND', 'shareInstanceId');
    return share;
  }
}

/** Manila's dummy export path. */
export function fakeSharePath(shareInstanceId: string): string {
  return `/path/to/fake/share/${shareInstanceId}`;
}

export function fakeSnapshotPath(snapshotInstanceId: string): string {
  return `/path/to/fake/snapshot/${snapshotInstanceId}`;
}

/** `value` when set, else MissingFieldError naming `field`. */
export function required<T>(value: T | undefined | null, field: string): T {
  if (value === undefined || value === null || value === '') throw new MissingFieldError(field);
  return value;
}

/** The ExportLocation messages of records. */
export function toExportLocations(records: readonly ExportLocationRecord[]): { path: string; isAdminOnly: boolean; metadata: Record<string, string> }[] {
  return records.map((r) => ({ path: r.path, isAdminOnly: r.isAdminOnly, metadata: { ...r.metadata } }));
}
