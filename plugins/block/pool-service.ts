/**
 * PoolService for the block plugin: one pool per configured name, all on the file system of
 * the root. Capacity is statfs of the root unless `capacityGib` sets a pool's size; allocated
 * capacity is the sum of the volumes' provisioned sizes (images are sparse: a volume uses what
 * was written). migration_peer_info publishes the root, so a peer block plugin can move an
 * image into this back end's pools, and each configured pool capacity, so that peer can refuse
 * a move that would overfill the pool.
 */
import type { ListPoolsRequest, ListPoolsResponse, Pool } from '../../src/contract/gen/ferry/driver/v1/pool.js';
import type { DeepPartial, DriverContext } from '../sdk/index.js';
import type { BlockBackend } from './backend.js';
import { fileSystemBytes, GIB } from './images.js';

/** migration_peer_info keys: the root, and `capacityGib.<pool>` for each configured capacity. */
export const PEER_ROOT = 'root';
export const PEER_CAPACITY_PREFIX = 'capacityGib.';

/** The capabilities every pool reports (Cinder's keys and string values), besides volume_backend_name. */
export const POOL_CAPABILITIES: Readonly<Record<string, string>> = {
  thin_provisioning_support: 'true',
  thick_provisioning_support: 'false',
  multiattach: 'false',
  reserved_percentage: '0',
  storage_protocol: 'file',
};

export class PoolService {
  constructor(private readonly backend: BlockBackend) {}

  async listPools(_req: ListPoolsRequest, _ctx: DriverContext): Promise<DeepPartial<ListPoolsResponse>> {
    const b = this.backend;
    const fs = await fileSystemBytes(b.root);
    const pools: DeepPartial<Pool>[] = [];
    const migrationPeerInfo: Record<string, string> = { [PEER_ROOT]: b.root };
    for (const name of b.config.pools) {
      const allocated = await b.allocatedGib(name);
      const configured = b.config.capacityGib[name];
      const total = configured ?? fs.totalBytes / GIB;
      const free = configured === undefined ? fs.freeBytes / GIB : Math.max(0, Math.min(configured - allocated, fs.freeBytes / GIB));
      if (configured !== undefined) migrationPeerInfo[`${PEER_CAPACITY_PREFIX}${name}`] = String(configured);
      pools.push({
        name,
        totalCapacityGib: round2(total),
        freeCapacityGib: round2(free),
        allocatedCapacityGib: allocated,
        capabilities: { ...POOL_CAPABILITIES, volume_backend_name: b.config.volumeBackendName },
        availabilityZone: b.config.availabilityZone,
      });
    }
    return { pools, migrationPeerInfo };
  }
}

function round2(gib: number): number {
  return Math.floor(gib * 100) / 100;
}
