/** Rows <-> records for what the catalog holds: back ends, pools, share types, share networks. */
import type { Backend, Pool, ShareNetwork, ShareNetworkSubnet, ShareType, StringMap } from '../../../domain/resources.js';
import { fromFlag, fromJson, toFlag, toJson } from '../codec.js';
import type { BackendRow, PoolRow, ShareNetworkRow, ShareNetworkSubnetRow, ShareTypeRow } from '../database.js';

export function backendToRow(backend: Backend): BackendRow {
  return {
    name: backend.name,
    host: backend.host,
    plugin_name: backend.pluginName,
    vendor_version: backend.vendorVersion,
    capabilities: toJson(backend.capabilities),
    driver_handles_share_servers: toFlag(backend.driverHandlesShareServers),
    migration_peer_info: toJson(backend.migrationPeerInfo),
    updated_at: backend.updatedAt,
  };
}

export function backendFromRow(row: BackendRow): Backend {
  return {
    name: row.name,
    host: row.host,
    pluginName: row.plugin_name,
    vendorVersion: row.vendor_version,
    capabilities: fromJson<string[]>(row.capabilities),
    driverHandlesShareServers: fromFlag(row.driver_handles_share_servers),
    migrationPeerInfo: fromJson<StringMap>(row.migration_peer_info),
    updatedAt: row.updated_at,
  };
}

export function poolToRow(pool: Pool): PoolRow {
  return {
    host: pool.host,
    backend: pool.backend,
    name: pool.name,
    total_capacity_gib: pool.totalCapacityGib,
    free_capacity_gib: pool.freeCapacityGib,
    allocated_capacity_gib: pool.allocatedCapacityGib,
    capabilities: toJson(pool.capabilities),
    availability_zone: pool.availabilityZone,
    updated_at: pool.updatedAt,
  };
}

export function poolFromRow(row: PoolRow): Pool {
  return {
    host: row.host,
    backend: row.backend,
    name: row.name,
    totalCapacityGib: row.total_capacity_gib,
    freeCapacityGib: row.free_capacity_gib,
    allocatedCapacityGib: row.allocated_capacity_gib,
    capabilities: fromJson<StringMap>(row.capabilities),
    availabilityZone: row.availability_zone,
    updatedAt: row.updated_at,
  };
}

export function shareTypeToRow(type: ShareType): ShareTypeRow {
  return {
    id: type.id,
    name: type.name,
    description: type.description,
    extra_specs: toJson(type.extraSpecs),
    is_public: toFlag(type.isPublic),
    created_at: type.createdAt,
  };
}

export function shareTypeFromRow(row: ShareTypeRow): ShareType {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    extraSpecs: fromJson<StringMap>(row.extra_specs),
    isPublic: fromFlag(row.is_public),
    createdAt: row.created_at,
  };
}

/** The network's own columns; subnets live in their own table (subnetToRow). */
export function shareNetworkToRow(network: Omit<ShareNetwork, 'subnets'>): ShareNetworkRow {
  return {
    id: network.id,
    name: network.name,
    description: network.description,
    status: network.status,
    created_at: network.createdAt,
  };
}

export function shareNetworkFromRows(row: ShareNetworkRow, subnets: readonly ShareNetworkSubnetRow[]): ShareNetwork {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status,
    subnets: subnets.map(subnetFromRow),
    createdAt: row.created_at,
  };
}

export function subnetToRow(subnet: ShareNetworkSubnet): ShareNetworkSubnetRow {
  return {
    id: subnet.id,
    share_network_id: subnet.shareNetworkId,
    availability_zone: subnet.availabilityZone,
    neutron_net_id: subnet.neutronNetId,
    neutron_subnet_id: subnet.neutronSubnetId,
    created_at: subnet.createdAt,
  };
}

export function subnetFromRow(row: ShareNetworkSubnetRow): ShareNetworkSubnet {
  return {
    id: row.id,
    shareNetworkId: row.share_network_id,
    availabilityZone: row.availability_zone,
    neutronNetId: row.neutron_net_id,
    neutronSubnetId: row.neutron_subnet_id,
    createdAt: row.created_at,
  };
}
