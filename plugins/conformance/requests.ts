/** Builders for the requests the kit sends: complete messages with kit-owned ids. */
import { ShareInstance, SnapshotInstance, AccessRule, PeerInfo, ShareServer, Volume } from '../../src/contract/gen/ferry/driver/v1/common.js';
import { NetworkInfo } from '../../src/contract/gen/ferry/driver/v1/share_server.js';
import type { GetPluginInfoResponse } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import type { ListPoolsResponse } from '../../src/contract/gen/ferry/driver/v1/pool.js';
import { newId } from './case.js';

export const BACKEND_HOST = 'conformance';

/** A share instance of `sizeGib` in the first pool the plugin reports. */
export function shareInstance(pools: ListPoolsResponse, backend: string, overrides: Partial<ShareInstance> = {}): ShareInstance {
  const pool = pools.pools[0]?.name ?? 'pool';
  return ShareInstance.fromPartial({
    shareInstanceId: newId('share-instance'),
    shareId: newId('share'),
    pool,
    host: `${BACKEND_HOST}@${backend}#${pool}`,
    sizeGib: 1,
    shareProto: 'NFS',
    availabilityZone: pools.pools[0]?.availabilityZone ?? '',
    ...overrides,
  });
}

export function snapshotInstance(instance: ShareInstance): SnapshotInstance {
  return SnapshotInstance.fromPartial({
    snapshotInstanceId: newId('snapshot-instance'),
    snapshotId: newId('snapshot'),
    shareInstanceId: instance.shareInstanceId,
    sizeGib: instance.sizeGib,
  });
}

export function ipRule(accessTo: string, accessLevel: 'rw' | 'ro'): AccessRule {
  return AccessRule.fromPartial({ accessRuleId: newId('rule'), accessType: 'ip', accessTo, accessLevel });
}

/** PeerInfo as ferry builds it from a back end's GetPluginInfo and ListPools. */
export function peerInfo(backend: string, info: GetPluginInfoResponse, pools: ListPoolsResponse): PeerInfo {
  return PeerInfo.fromPartial({
    backend: `${BACKEND_HOST}@${backend}`,
    pluginName: info.name,
    vendorVersion: info.vendorVersion,
    properties: { ...pools.migrationPeerInfo },
  });
}

/** A share server of `backend` on a kit-owned share network with one subnet. */
export function shareServer(backend: string, shareNetworkId = newId('share-network')): ShareServer {
  return ShareServer.fromPartial({
    shareServerId: newId('share-server'),
    host: `${BACKEND_HOST}@${backend}`,
    shareNetworkId,
    shareNetworkSubnetIds: [`${shareNetworkId}-subnet`],
  });
}

/** The network facts of a server's subnet, with one user allocation at `ipAddress`. */
export function networkInfo(server: ShareServer, ipAddress: string): NetworkInfo {
  const subnet = server.shareNetworkSubnetIds[0] ?? '';
  return NetworkInfo.fromPartial({
    shareNetworkSubnetId: subnet,
    networkType: 'flat',
    cidr: '10.254.0.0/24',
    gateway: '10.254.0.1',
    ipVersion: 4,
    networkAllocations: [{ networkAllocationId: newId('allocation'), shareNetworkSubnetId: subnet, ipAddress, ipVersion: 4, cidr: '10.254.0.0/24', label: 'user' }],
  });
}

/** A 1 GiB volume in the first pool the plugin reports (or `pool`), status "creating". */
export function volumeModel(pools: ListPoolsResponse, backend: string, overrides: Partial<Volume> = {}): Volume {
  const pool = overrides.pool ?? pools.pools[0]?.name ?? 'pool';
  return Volume.fromPartial({ volumeId: newId('volume'), sizeGib: 1, pool, host: `${BACKEND_HOST}@${backend}#${pool}`, status: 'creating', ...overrides });
}
