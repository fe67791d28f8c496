/**
 * Share servers for share types with driver_handles_share_servers = true: reuse an active
 * server of the same back end, network and subnet, or set one up through the driver (Manila's
 * provide_share_server).
 */
import type { ShareNetwork, ShareServer } from '../domain/resources.js';
import type { OrchestratorContext } from './context.js';
import { toDriverServer } from './driver-models.js';
import { ferryError } from './errors.js';
import { subnetForZone } from './catalog.js';

export async function provideShareServer(ctx: OrchestratorContext, backendHost: string, backend: string, network: ShareNetwork, zone: string, metadata: Record<string, string> = {}): Promise<ShareServer> {
  const subnet = subnetForZone(network, zone);
  if (subnet === undefined) {
    throw ferryError('NO_VALID_HOST', `share network ${network.id} has no subnet usable in availability zone "${zone}"`, { shareNetworkId: network.id });
  }
  const reusable = (await ctx.store.listShareServers({ host: backendHost, status: 'active', shareNetworkId: network.id }))
    .find((server) => server.shareNetworkSubnetIds.includes(subnet.id) && server.sourceShareServerId === null);
  if (reusable !== undefined) return reusable;
  const at = ctx.now();
  const record: ShareServer = {
    id: ctx.newId(), host: backendHost, status: 'creating', taskState: null, shareNetworkId: network.id, shareNetworkSubnetIds: [subnet.id],
    availabilityZone: zone, identifier: '', backendDetails: {}, networkAllocations: [], sourceShareServerId: null, isAutoDeletable: true, createdAt: at, updatedAt: at,
  };
  await ctx.store.insertShareServer(record);
  try {
    const setup = await ctx.drivers.backend(backend).setupShareServer({ server: toDriverServer(record), metadata }, { timeoutMs: 300_000 });
    return await ctx.store.updateShareServer(record.id, {
      status: 'active', identifier: setup.identifier, backendDetails: setup.backendDetails, networkAllocations: setup.networkAllocations, updatedAt: ctx.now(),
    });
  } catch (error) {
    await ctx.store.updateShareServer(record.id, { status: 'error', updatedAt: ctx.now() });
    throw error;
  }
}
