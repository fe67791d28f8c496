/**
 * Start-up recovery of share actions a crash interrupted (outside migrations, which
 * share-migration/reconcile.ts resumes). Each leaves a state the operator can act on:
 * a create or resize of unknown outcome becomes an error status, a delete is retried,
 * and access rules caught mid-sync are sent to the driver again.
 */
import type { OrchestratorContext } from './context.js';
import { syncInstanceAccess } from './access.js';
import { deleteInstanceThroughDriver } from './shares.js';
import { destroyVolume } from './volumes/lifecycle.js';

export async function recoverInterruptedActions(ctx: OrchestratorContext): Promise<void> {
  const migrating = new Set((await ctx.store.listMigrations({ active: true })).flatMap((m) => [m.sourceInstanceId, m.destinationInstanceId ?? '']));
  for (const instance of await ctx.store.listShareInstances()) {
    if (migrating.has(instance.id)) continue;
    const log = ctx.logger.child({ shareId: instance.shareId, shareInstanceId: instance.id });
    const interrupted = { creating: 'error', extending: 'extending_error', shrinking: 'shrinking_error' } as const;
    if (instance.status in interrupted) {
      const status = interrupted[instance.status as keyof typeof interrupted];
      await ctx.store.updateShareInstance(instance.id, { status, updatedAt: ctx.now() });
      log.warn({ from: instance.status, to: status }, 'action interrupted by a restart');
    } else if (instance.status === 'deleting') {
      const share = await ctx.store.getShare(instance.shareId);
      if (share === undefined) continue;
      try {
        await deleteInstanceThroughDriver(ctx, share, instance);
        // The instance was the last of a share being deleted: finish that delete too.
        if ((await ctx.store.listShareInstances({ shareId: share.id })).length === 0) await ctx.store.deleteShare(share.id);
      } catch (error) {
        log.warn({ err: error }, 'resumed delete failed');
      }
    } else if (instance.accessRulesStatus === 'syncing') {
      await syncInstanceAccess(ctx, instance.id).catch((error: unknown) => log.warn({ err: error }, 'resumed access sync failed'));
    }
  }
}

/**
 * The same for volumes and volume snapshots outside migrations (a migration's temporary volume
 * is its runner's): a create of unknown outcome becomes error, a delete is retried.
 */
export async function recoverInterruptedVolumeActions(ctx: OrchestratorContext): Promise<void> {
  const owned = new Set((await ctx.store.listVolumeMigrations({ active: true })).map((m) => m.temporaryVolumeId ?? ''));
  for (const volume of await ctx.store.listVolumes()) {
    if (owned.has(volume.id)) continue;
    const log = ctx.logger.child({ volumeId: volume.id });
    if (volume.status === 'creating') {
      await ctx.store.updateVolume(volume.id, { status: 'error', updatedAt: ctx.now() });
      log.warn({ from: 'creating', to: 'error' }, 'volume create interrupted by a restart');
    } else if (volume.status === 'deleting') {
      await destroyVolume(ctx, volume).catch((error: unknown) => log.warn({ err: error }, 'resumed volume delete failed'));
    }
  }
  for (const snapshot of await ctx.store.listVolumeSnapshots()) {
    if (snapshot.status === 'creating' || snapshot.status === 'deleting') {
      const status = snapshot.status === 'creating' ? 'error' : 'error_deleting';
      await ctx.store.updateVolumeSnapshot(snapshot.id, { status });
      ctx.logger.warn({ volumeSnapshotId: snapshot.id, from: snapshot.status, to: status }, 'volume snapshot action interrupted by a restart');
    }
  }
}
