/**
 * PoolService of the dummy: the configured pools with capacity net of what the dummy placed on
 * them, and the migration_peer_info a peer dummy needs (this back end's id and its dataRoot).
 */
import type { PoolServiceService } from '../../src/contract/gen/ferry/driver/v1/pool.js';
import type { ServiceHandlers } from '../sdk/driver.js';
import { DEFAULT_POOL_CAPABILITIES, DummyBackend, PEER_BACKEND_ID, PEER_DATA_ROOT } from './backend.js';

export function createPoolHandlers(backend: DummyBackend): ServiceHandlers<typeof PoolServiceService> {
  return {
    listPools() {
      const { config, state } = backend;
      const migrationPeerInfo: Record<string, string> = { [PEER_BACKEND_ID]: state.data.backendId };
      if (config.dataRoot !== undefined) migrationPeerInfo[PEER_DATA_ROOT] = config.dataRoot;
      return {
        pools: config.pools.map((pool) => ({
          name: pool.name,
          totalCapacityGib: pool.totalCapacityGib,
          freeCapacityGib: backend.freeGib(pool),
          allocatedCapacityGib: state.allocatedGib(pool.name),
          capabilities: { ...DEFAULT_POOL_CAPABILITIES, ...pool.capabilities },
          availabilityZone: pool.availabilityZone,
        })),
        migrationPeerInfo,
      };
    },
  };
}
