/**
 * The catalog: back ends and their pools (from the drivers' reports), share types and share
 * networks. Pool reports are cached in the store so placement and validation work from the
 * last report while a back end restarts.
 */
import { backendOf, formatHost } from '../domain/host.js';
import type { Backend, Pool, ShareNetwork, ShareType } from '../domain/resources.js';
import type { OrchestratorContext } from './context.js';
import { toDriverServer } from './driver-models.js';
import { ferryError, invalidField, notFound } from './errors.js';
import type { BackendView, CreateShareNetworkRequest, CreateShareTypeRequest } from './ferry-api.js';
import type { StoreTx } from './store-port.js';

export const DEFAULT_SHARE_TYPE = 'default';

/** Asks one back end for its pools and records the answer; a back end that is not ready keeps its last report. */
export async function refreshBackend(ctx: OrchestratorContext, name: string): Promise<void> {
  const driver = ctx.drivers.backend(name);
  const status = driver.status();
  if (status.state !== 'ready' || status.identity === undefined) return;
  const report = await driver.listPools({ timeoutMs: 30_000 });
  const at = ctx.now();
  const backendHost = formatHost({ host: ctx.settings.nodeName, backend: name });
  const pools: Pool[] = report.pools.map((pool) => ({
    host: formatHost({ host: ctx.settings.nodeName, backend: name, pool: pool.name }),
    backend: name,
    name: pool.name,
    totalCapacityGib: pool.totalCapacityGib,
    freeCapacityGib: pool.freeCapacityGib,
    allocatedCapacityGib: pool.allocatedCapacityGib,
    capabilities: pool.capabilities,
    availabilityZone: pool.availabilityZone,
    updatedAt: at,
  }));
  const backend: Backend = {
    name,
    host: backendHost,
    pluginName: status.identity.pluginName,
    vendorVersion: status.identity.vendorVersion,
    capabilities: status.identity.capabilities,
    driverHandlesShareServers: pools.some((pool) => pool.capabilities['driver_handles_share_servers'] === 'true'),
    migrationPeerInfo: report.migrationPeerInfo,
    updatedAt: at,
  };
  await ctx.store.transaction(async (tx) => {
    await tx.upsertBackend(backend);
    await tx.replacePools(name, pools);
  });
}

/** Refreshes every back end; one failing back end is logged and does not stop the others. */
export async function refreshAllBackends(ctx: OrchestratorContext): Promise<void> {
  await Promise.all(
    ctx.drivers.backendNames().map((name) =>
      refreshBackend(ctx, name).catch((error: unknown) => ctx.logger.warn({ backend: name, err: error }, 'pool report refresh failed')),
    ),
  );
}

export async function listBackends(ctx: OrchestratorContext): Promise<BackendView[]> {
  const recorded = new Map((await ctx.store.listBackends()).map((backend) => [backend.name, backend]));
  return ctx.drivers.backendNames().map((name) => {
    const status = ctx.drivers.backend(name).status();
    const record = recorded.get(name) ?? {
      name,
      host: formatHost({ host: ctx.settings.nodeName, backend: name }),
      pluginName: status.identity?.pluginName ?? '',
      vendorVersion: status.identity?.vendorVersion ?? '',
      capabilities: status.identity?.capabilities ?? [],
      driverHandlesShareServers: false,
      migrationPeerInfo: {},
      updatedAt: '',
    };
    return { ...record, migrationPeerInfo: {}, status };
  });
}

const BOOLEAN_SPECS = ['driver_handles_share_servers', 'snapshot_support', 'create_share_from_snapshot_support', 'revert_to_snapshot_support', 'mount_snapshot_support'];

export async function createShareType(ctx: OrchestratorContext, request: CreateShareTypeRequest): Promise<ShareType> {
  if (!request.name || request.name.trim() === '') throw invalidField('name', 'is required', 'MISSING_FIELD');
  const dhss = request.extraSpecs['driver_handles_share_servers'];
  if (dhss === undefined) throw invalidField('extra_specs', 'must set driver_handles_share_servers to "true" or "false"', 'MISSING_FIELD');
  for (const key of BOOLEAN_SPECS) {
    const value = request.extraSpecs[key];
    if (value !== undefined && !['true', 'false'].includes(value.toLowerCase())) throw invalidField(`extra_specs.${key}`, `must be "true" or "false", got "${value}"`);
  }
  for (const key of ['provisioning:min_share_size', 'provisioning:max_share_size']) {
    const value = request.extraSpecs[key];
    if (value !== undefined && !/^[1-9][0-9]*$/.test(value)) throw invalidField(`extra_specs.${key}`, `must be a positive integer, got "${value}"`);
  }
  const type: ShareType = {
    id: ctx.newId(),
    name: request.name.trim(),
    description: request.description ?? '',
    extraSpecs: Object.fromEntries(Object.entries(request.extraSpecs).map(([k, v]) => [k, BOOLEAN_SPECS.includes(k) ? v.toLowerCase() : v])),
    isPublic: request.isPublic ?? true,
    createdAt: ctx.now(),
  };
  return ctx.store.transaction(async (tx) => {
    if (await tx.getShareTypeByName(type.name)) throw ferryError('ALREADY_EXISTS', `share type "${type.name}" already exists`, { name: type.name });
    await tx.insertShareType(type);
    return type;
  });
}

/** Finds a share type by id or name. */
export async function resolveShareType(ctx: OrchestratorContext, idOrName: string): Promise<ShareType> {
  const type = (await ctx.store.getShareType(idOrName)) ?? (await ctx.store.getShareTypeByName(idOrName));
  if (type === undefined) throw notFound('SHARE_TYPE_NOT_FOUND', 'share type', idOrName, 'shareTypeId');
  return type;
}

export async function deleteShareType(ctx: OrchestratorContext, idOrName: string): Promise<void> {
  const type = await resolveShareType(ctx, idOrName);
  await ctx.store.transaction(async (tx) => {
    const users = await tx.listShares({ shareTypeId: type.id });
    if (users.length > 0) throw ferryError('IN_USE', `share type ${type.name} is used by ${users.length} share(s), e.g. ${users[0]!.id}`, { shareTypeId: type.id });
    await tx.deleteShareType(type.id);
  });
}

/** ferry's default type (no share servers, snapshots supported) so CreateShare works out of the box. */
export async function ensureDefaultShareType(ctx: OrchestratorContext): Promise<void> {
  if (await ctx.store.getShareTypeByName(DEFAULT_SHARE_TYPE)) return;
  await createShareType(ctx, {
    name: DEFAULT_SHARE_TYPE,
    description: 'created by ferry: shares without share servers, with snapshots',
    extraSpecs: { driver_handles_share_servers: 'false', snapshot_support: 'true', create_share_from_snapshot_support: 'true' },
  });
}

export async function createShareNetwork(ctx: OrchestratorContext, request: CreateShareNetworkRequest): Promise<ShareNetwork> {
  const id = ctx.newId();
  const at = ctx.now();
  const seenZones = new Set<string>();
  const subnets = request.subnets.map((subnet, i) => {
    const zone = subnet.availabilityZone ?? '';
    if (seenZones.has(zone)) throw invalidField(`subnets[${i}].availability_zone`, zone === '' ? 'a second default subnet' : `a second subnet for zone ${zone}`);
    seenZones.add(zone);
    if (!subnet.neutronNetId) throw invalidField(`subnets[${i}].neutron_net_id`, 'is required', 'MISSING_FIELD');
    if (!subnet.neutronSubnetId) throw invalidField(`subnets[${i}].neutron_subnet_id`, 'is required', 'MISSING_FIELD');
    return { id: ctx.newId(), shareNetworkId: id, availabilityZone: subnet.availabilityZone || null, neutronNetId: subnet.neutronNetId, neutronSubnetId: subnet.neutronSubnetId, createdAt: at };
  });
  const network: ShareNetwork = { id, name: request.name ?? '', description: request.description ?? '', status: 'active', subnets, createdAt: at };
  await ctx.store.insertShareNetwork(network);
  return network;
}

export async function getShareNetwork(ctx: OrchestratorContext, id: string): Promise<ShareNetwork> {
  const network = await ctx.store.getShareNetwork(id);
  if (network === undefined) throw notFound('SHARE_NETWORK_NOT_FOUND', 'share network', id, 'shareNetworkId');
  return network;
}

export async function deleteShareNetwork(ctx: OrchestratorContext, id: string): Promise<void> {
  await getShareNetwork(ctx, id);
  const inUse = async (tx: StoreTx) => {
    const users = await tx.listShares({ shareNetworkId: id });
    if (users.length > 0) throw ferryError('IN_USE', `share network ${id} is used by ${users.length} share(s), e.g. ${users[0]!.id}`, { shareNetworkId: id });
    for (const server of await tx.listShareServers({ shareNetworkId: id })) {
      const [instance] = await tx.listShareInstances({ shareServerId: server.id });
      if (instance) throw ferryError('IN_USE', `share network ${id} is used by share server ${server.id} of share ${instance.shareId}`, { shareNetworkId: id, shareServerId: server.id });
    }
  };
  await inUse(ctx.store);
  // Share servers outlive their last share (Manila's delete_share_server_with_last_share is off
  // by default); like Manila, deleting the network tears its idle servers down through their
  // drivers first. Without this the store refuses the delete (the servers reference the network).
  for (const server of await ctx.store.listShareServers({ shareNetworkId: id })) {
    try {
      await ctx.drivers.backend(backendOf(server.host)).teardownShareServer({ server: toDriverServer(server) }, { timeoutMs: 300_000 });
    } catch (error) {
      // A server whose set-up failed may be unknown to its driver; anything else must go first.
      if (server.status !== 'error') throw error;
      ctx.logger.warn({ shareServerId: server.id, err: error }, 'tearing down a share server in error failed; deleting its record');
    }
    await ctx.store.deleteShareServer(server.id);
  }
  await ctx.store.transaction(async (tx) => {
    await inUse(tx);
    await tx.deleteShareNetwork(id);
  });
}

/** The subnet of `network` usable in `zone`: the zone's own, else the default (zone-less) one. */
export function subnetForZone(network: ShareNetwork, zone: string) {
  return network.subnets.find((subnet) => subnet.availabilityZone === zone) ?? network.subnets.find((subnet) => subnet.availabilityZone === null);
}
