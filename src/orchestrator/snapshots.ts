/** CreateSnapshot / DeleteSnapshot / ListSnapshots: a snapshot instance on the share's primary instance. */
import { backendOf } from '../domain/host.js';
import { primaryInstance } from '../domain/primary-instance.js';
import type { Snapshot, SnapshotInstance } from '../domain/resources.js';
import type { OrchestratorContext } from './context.js';
import { toDriverInstance, toDriverServer, toDriverSnapshot } from './driver-models.js';
import { ferryError, notFound } from './errors.js';
import type { SnapshotView } from './ferry-api.js';
import { assertNotBusy, assertStatus } from './guards.js';
import { requireShare, snapshotView } from './views.js';

export async function createSnapshot(ctx: OrchestratorContext, request: { shareId: string; name?: string; description?: string }): Promise<SnapshotView> {
  return ctx.locks.run(request.shareId, async () => {
    const share = await requireShare(ctx.store, request.shareId);
    assertNotBusy(share, 'create snapshot');
    const primary = assertStatus(share, primaryInstance(await ctx.store.listShareInstances({ shareId: share.id })), ['available'], 'create snapshot');
    if (!share.snapshotSupport) throw ferryError('INVALID_SHARE_STATUS', `share ${share.id}'s type does not support snapshots (snapshot_support is not true)`, { shareId: share.id });
    const at = ctx.now();
    const snapshot: Snapshot = { id: ctx.newId(), shareId: share.id, name: request.name ?? '', description: request.description ?? '', sizeGib: share.sizeGib, createdAt: at };
    const instance: SnapshotInstance = { id: ctx.newId(), snapshotId: snapshot.id, shareInstanceId: primary.id, status: 'creating', progress: '0%', providerLocation: '', exportLocations: [], createdAt: at, updatedAt: at };
    await ctx.store.transaction(async (tx) => {
      await tx.insertSnapshot(snapshot);
      await tx.insertSnapshotInstance(instance);
    });
    const type = await ctx.store.getShareType(primary.shareTypeId);
    const server = primary.shareServerId ? await ctx.store.getShareServer(primary.shareServerId) : undefined;
    try {
      const created = await ctx.drivers.backend(backendOf(primary.host)).createSnapshotInstance(
        { snapshot: toDriverSnapshot(instance, snapshot), instance: toDriverInstance(primary, share, type), server: server && toDriverServer(server) },
        { timeoutMs: 600_000 },
      );
      await ctx.store.updateSnapshotInstance(instance.id, { status: 'available', progress: '100%', providerLocation: created.providerLocation, exportLocations: created.exportLocations, updatedAt: ctx.now() });
    } catch (error) {
      await ctx.store.updateSnapshotInstance(instance.id, { status: 'error', updatedAt: ctx.now() });
      throw error;
    }
    return snapshotView(ctx.store, (await ctx.store.getSnapshot(snapshot.id))!, primary.id);
  });
}

export async function deleteSnapshot(ctx: OrchestratorContext, snapshotId: string): Promise<void> {
  const found = await ctx.store.getSnapshot(snapshotId);
  if (found === undefined) throw notFound('SNAPSHOT_NOT_FOUND', 'snapshot', snapshotId, 'snapshotId');
  await ctx.locks.run(found.shareId, async () => {
    const snapshot = await ctx.store.getSnapshot(snapshotId);
    if (snapshot === undefined) return;
    const share = await requireShare(ctx.store, snapshot.shareId);
    assertNotBusy(share, 'delete snapshot');
    for (const instance of await ctx.store.listSnapshotInstances({ snapshotId })) {
      if (!['available', 'error', 'error_deleting'].includes(instance.status)) {
        throw ferryError('INVALID_SHARE_STATUS', `snapshot ${snapshotId} cannot be deleted while its instance ${instance.id} is ${instance.status}`, { snapshotId });
      }
      const shareInstance = await ctx.store.getShareInstance(instance.shareInstanceId);
      await ctx.store.updateSnapshotInstance(instance.id, { status: 'deleting', updatedAt: ctx.now() });
      if (shareInstance !== undefined && shareInstance.host !== '') {
        const type = await ctx.store.getShareType(shareInstance.shareTypeId);
        const server = shareInstance.shareServerId ? await ctx.store.getShareServer(shareInstance.shareServerId) : undefined;
        try {
          await ctx.drivers.backend(backendOf(shareInstance.host)).deleteSnapshotInstance(
            { snapshot: toDriverSnapshot(instance, snapshot), instance: toDriverInstance(shareInstance, share, type), server: server && toDriverServer(server) },
            { timeoutMs: 600_000 },
          );
        } catch (error) {
          await ctx.store.updateSnapshotInstance(instance.id, { status: 'error_deleting', updatedAt: ctx.now() });
          throw error;
        }
      }
      await ctx.store.deleteSnapshotInstance(instance.id);
    }
    await ctx.store.deleteSnapshot(snapshotId);
  });
}

export async function listSnapshots(ctx: OrchestratorContext, filter: { shareId?: string } = {}): Promise<SnapshotView[]> {
  const shares = filter.shareId ? [await requireShare(ctx.store, filter.shareId)] : await ctx.store.listShares();
  const views: SnapshotView[] = [];
  for (const share of shares) {
    const primary = primaryInstance(await ctx.store.listShareInstances({ shareId: share.id }));
    for (const snapshot of await ctx.store.listSnapshots(share.id)) views.push(await snapshotView(ctx.store, snapshot, primary?.id));
  }
  return views;
}
