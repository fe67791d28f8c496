/**
 * ferry.admin.v1.Catalog: one handler per RPC, each a thin translation to a Ferry method
 * (src/orchestrator/ferry-api.ts), with the same split of checks as shares-handlers.ts.
 */
import type { Logger } from 'pino';
import type * as pb from '../contract/gen/ferry/admin/v1/catalog.js';
import type { CatalogServer } from '../contract/gen/ferry/admin/v1/catalog.js';
import type { Ferry } from '../orchestrator/ferry-api.js';
import {
  backendToProto, createShareNetworkRequestFromProto, createShareTypeRequestFromProto, poolToProto, shareNetworkToProto, shareTypeToProto,
} from './convert-catalog.js';
import { createVolumeTypeRequestFromProto, volumeTypeToProto } from './convert-volumes.js';
import { listShareServers } from './share-servers-handlers.js';
import { unary, type CallContext } from './logged-call.js';
import { optional, required } from './request-errors.js';

export function createCatalogHandlers(ferry: Ferry, logger: Logger): CatalogServer {
  const rpc = <Req, Res>(method: string, run: (request: Req, context: CallContext) => Promise<Res>) => unary(`ferry.admin.v1.Catalog/${method}`, logger, run);

  return {
    listBackends: rpc('ListBackends', async (_request: pb.ListBackendsRequest): Promise<pb.ListBackendsResponse> => ({
      backends: (await ferry.listBackends()).map(backendToProto),
    })),
    listPools: rpc('ListPools', async (request: pb.ListPoolsRequest): Promise<pb.ListPoolsResponse> => ({
      pools: (await ferry.listPools({ backend: optional(request.backend) })).map(poolToProto),
    })),
    createShareType: rpc('CreateShareType', async (request: pb.CreateShareTypeRequest): Promise<pb.CreateShareTypeResponse> => ({
      shareType: shareTypeToProto(await ferry.createShareType(createShareTypeRequestFromProto(request))),
    })),
    listShareTypes: rpc('ListShareTypes', async (_request: pb.ListShareTypesRequest): Promise<pb.ListShareTypesResponse> => ({
      shareTypes: (await ferry.listShareTypes()).map(shareTypeToProto),
    })),
    deleteShareType: rpc('DeleteShareType', async (request: pb.DeleteShareTypeRequest): Promise<pb.DeleteShareTypeResponse> => {
      await ferry.deleteShareType(required(request.shareType, 'share_type'));
      return {};
    }),
    createShareNetwork: rpc('CreateShareNetwork', async (request: pb.CreateShareNetworkRequest): Promise<pb.CreateShareNetworkResponse> => ({
      shareNetwork: shareNetworkToProto(await ferry.createShareNetwork(createShareNetworkRequestFromProto(request))),
    })),
    listShareNetworks: rpc('ListShareNetworks', async (_request: pb.ListShareNetworksRequest): Promise<pb.ListShareNetworksResponse> => ({
      shareNetworks: (await ferry.listShareNetworks()).map(shareNetworkToProto),
    })),
    deleteShareNetwork: rpc('DeleteShareNetwork', async (request: pb.DeleteShareNetworkRequest): Promise<pb.DeleteShareNetworkResponse> => {
      await ferry.deleteShareNetwork(required(request.shareNetworkId, 'share_network_id'));
      return {};
    }),
    // Kept for existing clients; ShareServers.ListShareServers answers the same.
    listShareServers: rpc('ListShareServers', (request: pb.ListShareServersRequest): Promise<pb.ListShareServersResponse> => listShareServers(ferry, request)),
    createVolumeType: rpc('CreateVolumeType', async (request: pb.CreateVolumeTypeRequest): Promise<pb.CreateVolumeTypeResponse> => ({
      volumeType: volumeTypeToProto(await ferry.createVolumeType(createVolumeTypeRequestFromProto(request))),
    })),
    listVolumeTypes: rpc('ListVolumeTypes', async (_request: pb.ListVolumeTypesRequest): Promise<pb.ListVolumeTypesResponse> => ({
      volumeTypes: (await ferry.listVolumeTypes()).map(volumeTypeToProto),
    })),
    deleteVolumeType: rpc('DeleteVolumeType', async (request: pb.DeleteVolumeTypeRequest): Promise<pb.DeleteVolumeTypeResponse> => {
      await ferry.deleteVolumeType(required(request.volumeType, 'volume_type'));
      return {};
    }),
  };
}
