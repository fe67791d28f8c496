/** Rows <-> records for share servers. */
import type { NetworkAllocation, ShareServer, StringMap } from '../../../domain/resources.js';
import { fromFlag, fromJson, toFlag, toJson } from '../codec.js';
import type { ShareServerRow } from '../database.js';

export function shareServerToRow(server: ShareServer): ShareServerRow {
  return {
    id: server.id,
    host: server.host,
    status: server.status,
    task_state: server.taskState,
    share_network_id: server.shareNetworkId,
    share_network_subnet_ids: toJson(server.shareNetworkSubnetIds),
    availability_zone: server.availabilityZone,
    identifier: server.identifier,
    backend_details: toJson(server.backendDetails),
    network_allocations: toJson(server.networkAllocations),
    source_share_server_id: server.sourceShareServerId,
    is_auto_deletable: toFlag(server.isAutoDeletable),
    created_at: server.createdAt,
    updated_at: server.updatedAt,
  };
}

export function shareServerFromRow(row: ShareServerRow): ShareServer {
  return {
    id: row.id,
    host: row.host,
    status: row.status,
    taskState: row.task_state,
    shareNetworkId: row.share_network_id,
    shareNetworkSubnetIds: fromJson<string[]>(row.share_network_subnet_ids),
    availabilityZone: row.availability_zone,
    identifier: row.identifier,
    backendDetails: fromJson<StringMap>(row.backend_details),
    networkAllocations: fromJson<NetworkAllocation[]>(row.network_allocations),
    sourceShareServerId: row.source_share_server_id,
    isAutoDeletable: fromFlag(row.is_auto_deletable),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
