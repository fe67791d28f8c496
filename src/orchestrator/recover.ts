/**
 * Start-up recovery of share actions a crash interrupted (outside migrations, which
 * share-migration/reconcile.ts resumes). Each leaves a state the operator can act on:
 * a create or resize of unknown outcome becomes an error status, a delete is retried,
 * and access rules caught mid-sync are sent to the driver again.
 */
import type { OrchestratorContext } from './context.js';
import { syncInstanceAccess } from './access.js';
import { deleteInstanceThroughDriver } from './shares.js';

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
