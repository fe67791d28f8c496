/**
 * Share lifecycle outside migrations: create (placement, share server, driver), delete,
 * extend, shrink, reset_status and reset_task_state. Driver calls are made synchronously, so
 * each call answers with the share's settled state; a driver failure leaves the instance in
 * an error status the operator can see and repair, and is thrown to the caller.
 */
import { backendOf, formatHost, hostProblem } from '../domain/host.js';
import { primaryInstance } from '../domain/primary-instance.js';
import type { Share, ShareInstance } from '../domain/resources.js';
import { RESETTABLE_SHARE_STATUSES, RESETTABLE_TASK_STATES, SHARE_PROTOCOLS, type ShareStatus, type TaskState } from '../domain/statuses.js';
import { DEFAULT_SHARE_TYPE, getShareNetwork, refreshBackend, resolveShareType } from './catalog.js';
import type { OrchestratorContext } from './context.js';
import { toDriverInstance, toDriverServer } from './driver-models.js';
import { ferryError, invalidField } from './errors.js';
import type { CreateShareRequest, ShareView } from './ferry-api.js';
import { assertNotBusy, assertStatus } from './guards.js';
import { choosePool, findPool, poolProblem, sizeProblem, typeHandlesShareServers, zoneProblem } from './placement.js';
import { provideShareServer } from './share-servers.js';
import { loadShareView, requireShare } from './views.js';

function validSize(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw invalidField(field, `must be a whole number of GiB >= 1, got ${value}`);
  return value;
}

export async function createShare(ctx: OrchestratorContext, request: CreateShareRequest): Promise<ShareView> {
  const shareProto = (request.shareProto ?? '').toUpperCase();
  if (shareProto === '') throw invalidField('share_proto', 'is required', 'MISSING_FIELD');
  if (!(SHARE_PROTOCOLS as readonly string[]).includes(shareProto)) throw invalidField('share_proto', `must be one of ${SHARE_PROTOCOLS.join(', ')}, got "${request.shareProto}"`);
  const sizeGib = validSize('size', request.sizeGib);
  if (request.host !== undefined && request.host !== '') {
    const problem = hostProblem(request.host, true);
    if (problem !== undefined) throw invalidField('host', problem);
  }
  const type = await resolveShareType(ctx, request.shareType || DEFAULT_SHARE_TYPE);
  const dhss = typeHandlesShareServers(type);
  const network = request.shareNetworkId ? await getShareNetwork(ctx, request.shareNetworkId) : undefined;
  if (dhss && network === undefined) throw invalidField('share_network_id', `share type ${type.name} handles share servers: a share network is required`, 'SHARE_NETWORK_REQUIRED');
  if (!dhss && network !== undefined) throw invalidField('share_network_id', `share type ${type.name} does not handle share servers: no share network may be given`, 'SHARE_NETWORK_NOT_ALLOWED');
  if (network !== undefined && network.status !== 'active') throw ferryError('SHARE_NETWORK_NOT_ACTIVE', `share network ${network.id} is ${network.status}, not active`, { shareNetworkId: network.id });
  const sizeError = sizeProblem(type, sizeGib);
  if (sizeError) throw sizeError;

  let pool;
  if (request.host) {
    pool = await findPool(ctx, request.host);
    const problem = poolProblem(pool, type, sizeGib, shareProto) ?? zoneProblem(pool, type);
    if (problem) throw problem;
    if (request.availabilityZone && pool.availabilityZone !== request.availabilityZone) {
      throw ferryError('AVAILABILITY_ZONE_MISMATCH', `pool ${pool.host} is in availability zone ${pool.availabilityZone}, not ${request.availabilityZone}`, { host: pool.host });
    }
  } else {
    pool = await choosePool(ctx, type, sizeGib, shareProto, request.availabilityZone);
  }

  const at = ctx.now();
  const share: Share = {
    id: ctx.newId(), name: request.name ?? '', description: request.description ?? '', shareProto, sizeGib, shareTypeId: type.id,
    shareNetworkId: network?.id ?? null, availabilityZone: pool.availabilityZone, taskState: null, metadata: request.metadata ?? {},
    snapshotSupport: type.extraSpecs['snapshot_support'] === 'true',
    createShareFromSnapshotSupport: type.extraSpecs['create_share_from_snapshot_support'] === 'true',
    revertToSnapshotSupport: type.extraSpecs['revert_to_snapshot_support'] === 'true',
    mountSnapshotSupport: type.extraSpecs['mount_snapshot_support'] === 'true',
    createdAt: at, updatedAt: at,
  };
  const instance: ShareInstance = {
    id: ctx.newId(), shareId: share.id, status: 'creating', host: pool.host, shareTypeId: type.id, shareNetworkId: share.shareNetworkId,
    shareServerId: null, availabilityZone: pool.availabilityZone, castRulesToReadonly: false, accessRulesStatus: 'active', progress: '0%',
    replicaState: null, exportLocations: [], providerLocation: '', backendDetails: {}, createdAt: at, updatedAt: at,
  };
  await ctx.store.transaction(async (tx) => {
    await tx.insertShare(share);
    await tx.insertShareInstance(instance);
  });
  const log = ctx.logger.child({ shareId: share.id, shareInstanceId: instance.id, backend: pool.backend });
  try {
    let current = instance;
    let server;
    if (network !== undefined) {
      server = await provideShareServer(ctx, formatHost({ host: ctx.settings.nodeName, backend: pool.backend }), pool.backend, network, pool.availabilityZone, { request_host: formatHost({ host: ctx.settings.nodeName, backend: pool.backend }) });
      current = await ctx.store.updateShareInstance(instance.id, { shareServerId: server.id });
    }
    const created = await ctx.drivers.backend(pool.backend).createShareInstance(
      { instance: toDriverInstance(current, share, type), server: server && toDriverServer(server) },
      { timeoutMs: 300_000 },
    );
    await ctx.store.updateShareInstance(instance.id, {
      status: 'available', progress: '100%', exportLocations: created.exportLocations, providerLocation: created.providerLocation, backendDetails: created.backendDetails, updatedAt: ctx.now(),
    });
    log.info({ host: pool.host }, 'share created');
  } catch (error) {
    await ctx.store.updateShareInstance(instance.id, { status: 'error', updatedAt: ctx.now() });
    log.warn({ err: error }, 'share creation failed');
    throw error;
  } finally {
    void refreshBackend(ctx, pool.backend).catch(() => undefined);
  }
  return loadShareView(ctx, share.id);
}

export async function deleteShare(ctx: OrchestratorContext, shareId: string): Promise<void> {
  await ctx.locks.run(shareId, async () => {
    const share = await requireShare(ctx.store, shareId);
    assertNotBusy(share, 'delete');
    const instances = await ctx.store.listShareInstances({ shareId });
    const blocking = instances.find((instance) => !['available', 'error', 'inactive', 'extending_error', 'shrinking_error', 'error_deleting'].includes(instance.status));
    if (blocking) throw ferryError('INVALID_SHARE_STATUS', `share ${shareId} cannot be deleted while instance ${blocking.id} is ${blocking.status}`, { shareId, status: blocking.status });
    const snapshots = await ctx.store.listSnapshots(shareId);
    if (snapshots.length > 0) throw ferryError('SHARE_HAS_SNAPSHOTS', `share ${shareId} has ${snapshots.length} snapshot(s); delete them first`, { shareId });
    for (const instance of instances) await deleteInstanceThroughDriver(ctx, share, instance);
    await ctx.store.deleteShare(shareId);
    ctx.logger.info({ shareId }, 'share deleted');
  });
}

/** Deletes one instance on its back end, then its record; on failure the instance is error_deleting. */
export async function deleteInstanceThroughDriver(ctx: OrchestratorContext, share: Share, instance: ShareInstance, signal?: AbortSignal): Promise<void> {
  await ctx.store.updateShareInstance(instance.id, { status: 'deleting', updatedAt: ctx.now() });
  if (instance.host !== '') {
    const type = await ctx.store.getShareType(instance.shareTypeId);
    const server = instance.shareServerId ? await ctx.store.getShareServer(instance.shareServerId) : undefined;
    try {
      await ctx.drivers.backend(backendOf(instance.host)).deleteShareInstance(
        { instance: toDriverInstance(instance, share, type), server: server && toDriverServer(server) },
        { timeoutMs: 300_000, signal },
      );
    } catch (error) {
      await ctx.store.updateShareInstance(instance.id, { status: 'error_deleting', updatedAt: ctx.now() });
      throw error;
    }
  }
  await ctx.store.deleteShareInstance(instance.id);
  void refreshBackend(ctx, backendOf(instance.host)).catch(() => undefined);
}

async function resize(ctx: OrchestratorContext, shareId: string, newSizeGib: number, kind: 'extend' | 'shrink'): Promise<ShareView> {
  validSize('new_size', newSizeGib);
  return ctx.locks.run(shareId, async () => {
    const share = await requireShare(ctx.store, shareId);
    assertNotBusy(share, kind);
    const instances = await ctx.store.listShareInstances({ shareId });
    const primary = assertStatus(share, primaryInstance(instances), ['available'], kind);
    if (kind === 'extend' ? newSizeGib <= share.sizeGib : newSizeGib >= share.sizeGib) {
      throw invalidField('new_size', `must be ${kind === 'extend' ? 'larger' : 'smaller'} than the current size ${share.sizeGib} GiB, got ${newSizeGib}`, 'INVALID_SIZE');
    }
    const type = await ctx.store.getShareType(primary.shareTypeId);
    const server = primary.shareServerId ? await ctx.store.getShareServer(primary.shareServerId) : undefined;
    await ctx.store.updateShareInstance(primary.id, { status: kind === 'extend' ? 'extending' : 'shrinking', updatedAt: ctx.now() });
    const driver = ctx.drivers.backend(backendOf(primary.host));
    const request = { instance: toDriverInstance(primary, share, type), newSizeGib, server: server && toDriverServer(server) };
    try {
      if (kind === 'extend') await driver.extendShareInstance(request, { timeoutMs: 300_000 });
      else await driver.shrinkShareInstance(request, { timeoutMs: 300_000 });
    } catch (error) {
      // A shrink the driver refused (data would not fit) leaves the share usable at its old size.
      const refused = kind === 'shrink' && (error as { code?: string }).code === 'FAILED_PRECONDITION';
      await ctx.store.updateShareInstance(primary.id, { status: refused ? 'available' : kind === 'extend' ? 'extending_error' : 'shrinking_error', updatedAt: ctx.now() });
      throw error;
    }
    await ctx.store.transaction(async (tx) => {
      await tx.updateShareInstance(primary.id, { status: 'available', updatedAt: ctx.now() });
      await tx.updateShare(shareId, { sizeGib: newSizeGib, updatedAt: ctx.now() });
    });
    void refreshBackend(ctx, backendOf(primary.host)).catch(() => undefined);
    return loadShareView(ctx, shareId);
  });
}

export const extendShare = (ctx: OrchestratorContext, shareId: string, newSizeGib: number) => resize(ctx, shareId, newSizeGib, 'extend');
export const shrinkShare = (ctx: OrchestratorContext, shareId: string, newSizeGib: number) => resize(ctx, shareId, newSizeGib, 'shrink');

/** Writes the primary instance's status only (Manila's reset_status); no driver call, no clean-up. */
export async function resetStatus(ctx: OrchestratorContext, shareId: string, status: ShareStatus): Promise<ShareView> {
  return ctx.locks.run(shareId, async () => {
    const share = await requireShare(ctx.store, shareId); // Manila 6: an unknown share is NOT_FOUND before a bad value
    if (!RESETTABLE_SHARE_STATUSES.includes(status)) throw invalidField('status', `must be one of ${RESETTABLE_SHARE_STATUSES.join(', ')}, got "${status}"`, 'INVALID_STATUS');
    const primary = primaryInstance(await ctx.store.listShareInstances({ shareId }));
    if (primary === undefined) throw ferryError('INVALID_SHARE_STATUS', `share ${shareId} has no instance to reset`, { shareId });
    await ctx.store.updateShareInstance(primary.id, { status, updatedAt: ctx.now() });
    ctx.logger.warn({ shareId, shareInstanceId: primary.id, from: primary.status, to: status }, 'share status reset by operator');
    return loadShareView(ctx, share.id);
  });
}

export function validateResettableTaskState(taskState: TaskState | null): void {
  if (taskState !== null && !RESETTABLE_TASK_STATES.includes(taskState)) {
    throw invalidField('task_state', `must be null or one of ${RESETTABLE_TASK_STATES.join(', ')}, got "${taskState}"`, 'INVALID_TASK_STATE');
  }
}

