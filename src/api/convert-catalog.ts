/**
 * Back ends, pools, share types and share networks: domain records -> admin proto messages,
 * and the Catalog service's create requests -> domain requests. Share servers, which Catalog
 * also lists, are convert-share-servers.ts's.
 */
import type * as pb from '../contract/gen/ferry/admin/v1/catalog.js';
import type { Pool, ShareNetwork, ShareNetworkSubnet, ShareType } from '../domain/resources.js';
import type { BackendView, CreateShareNetworkRequest, CreateShareTypeRequest } from '../orchestrator/ferry-api.js';
import { stringMap, toTimestamp } from './convert-common.js';
import { backendState, shareNetworkStatus } from './convert-enums.js';
import { optional, required } from './request-errors.js';

export function backendToProto(backend: BackendView): pb.Backend {
  // migrationPeerInfo is deliberately absent: it holds a peer's credentials (secret).
  return {
    name: backend.name,
    host: backend.host,
    pluginName: backend.pluginName,
    vendorVersion: backend.vendorVersion,
    capabilities: [...backend.capabilities],
    driverHandlesShareServers: backend.driverHandlesShareServers,
    updatedAt: toTimestamp(backend.updatedAt),
    state: backendState.toProto(backend.status.state),
    pid: backend.status.pid ?? 0,
    restarts: backend.status.restarts,
    lastError: backend.status.lastError,
  };
}

export function poolToProto(pool: Pool): pb.Pool {
  return {
    host: pool.host,
    backend: pool.backend,
    name: pool.name,
    totalCapacityGib: pool.totalCapacityGib,
    freeCapacityGib: pool.freeCapacityGib,
    allocatedCapacityGib: pool.allocatedCapacityGib,
    capabilities: stringMap(pool.capabilities),
    availabilityZone: pool.availabilityZone,
    updatedAt: toTimestamp(pool.updatedAt),
  };
}

export function shareTypeToProto(type: ShareType): pb.ShareType {
  return {
    id: type.id,
    name: type.name,
    description: type.description,
    extraSpecs: stringMap(type.extraSpecs),
    isPublic: type.isPublic,
    createdAt: toTimestamp(type.createdAt),
  };
}

export function shareNetworkToProto(network: ShareNetwork): pb.ShareNetwork {
  return {
    id: network.id,
    name: network.name,
    description: network.description,
    status: shareNetworkStatus.toProto(network.status),
    subnets: network.subnets.map(subnetToProto),
    createdAt: toTimestamp(network.createdAt),
  };
}

function subnetToProto(subnet: ShareNetworkSubnet): pb.ShareNetworkSubnet {
  return {
    id: subnet.id,
    shareNetworkId: subnet.shareNetworkId,
    availabilityZone: subnet.availabilityZone ?? '',
    neutronNetId: subnet.neutronNetId,
    neutronSubnetId: subnet.neutronSubnetId,
    createdAt: toTimestamp(subnet.createdAt),
  };
}

export function createShareTypeRequestFromProto(request: pb.CreateShareTypeRequest): CreateShareTypeRequest {
  return {
    name: required(request.name, 'name'),
    description: optional(request.description),
    extraSpecs: { ...request.extraSpecs },
    // Unset is Manila's default, public.
    isPublic: request.isPublic,
  };
}

export function createShareNetworkRequestFromProto(request: pb.CreateShareNetworkRequest): CreateShareNetworkRequest {
  // Subnet rules (ids required, one subnet per zone) are the orchestrator's, checked in one place.
  return {
    name: optional(request.name),
    description: optional(request.description),
    subnets: request.subnets.map((subnet) => ({
      availabilityZone: subnet.availabilityZone === '' ? null : subnet.availabilityZone,
      neutronNetId: subnet.neutronNetId,
      neutronSubnetId: subnet.neutronSubnetId,
    })),
  };
}
