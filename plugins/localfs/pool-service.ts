/**
 * PoolService for localfs: one pool per configured name, all on the file system of the root.
 * Capacity is statfs of the root unless `capacityGib` sets a pool's size; allocated capacity is
 * the sum of the instances' provisioned sizes (pools are thin: a share uses what it holds).
 * migration_peer_info publishes the root, so a peer localfs plugin can write into this tree (share
 * migration) or read out of it (share-server migration), and with driverHandlesShareServers the
 * read-only enforcement, so the peer freezes and removes this tree's exports the way this plugin
 * made them.
 */
import type { ListPoolsRequest, ListPoolsResponse, Pool } from '../../src/contract/gen/ferry/driver/v1/pool.js';
import type { DeepPartial, DriverContext } from '../sdk/index.js';
import type { LocalFsBackend } from './backend.js';
import { fileSystemBytes, GIB } from './disk.js';

/** The capabilities every localfs pool reports (Manila's keys and string values); driver_handles_share_servers follows the config. */
export const POOL_CAPABILITIES: Readonly<Record<string, string>> = {
  snapshot_support: 'true',
  create_share_from_snapshot_support: 'true',
  revert_to_snapshot_support: 'false',
  mount_snapshot_support: 'false',
  driver_handles_share_servers: 'false',
  thin_provisioning: 'true',
  reserved_percentage: '0',
};

export class PoolService {
  constructor(private readonly backend: LocalFsBackend) {}

  async listPools(_req: ListPoolsRequest, _ctx: DriverContext): Promise<DeepPartial<ListPoolsResponse>> {
    const b = this.backend;
    const fs = await fileSystemBytes(b.root);
    const pools: DeepPartial<Pool>[] = [];
    for (const name of b.config.pools) {
      const allocated = (await b.store.listInstances(name)).reduce((sum, r) => sum + r.sizeGib, 0);
      const configured = b.config.capacityGib[name];
      const total = configured ?? fs.totalBytes / GIB;
      const free = configured === undefined ? fs.freeBytes / GIB : Math.max(0, Math.min(configured - allocated, fs.freeBytes / GIB));
      pools.push({
        name,
        totalCapacityGib: round2(total),
        freeCapacityGib: round2(free),
        allocatedCapacityGib: allocated,
        capabilities: { ...POOL_CAPABILITIES, driver_handles_share_servers: String(b.config.driverHandlesShareServers) },
        availabilityZone: b.config.availabilityZone,
      });
    }
    // Only share-server migration reads the enforcement, and only DHSS back ends take part in it.
    const migrationPeerInfo = b.config.driverHandlesShareServers ? { root: b.root, readOnlyEnforcement: b.config.readOnlyEnforcement } : { root: b.root };
    return { pools, migrationPeerInfo };
  }
}

function round2(gib: number): number {
  return Math.floor(gib * 100) / 100;
}
