/**
 * Clean-up after a failed or cancelled attempt: one step per path, following the failure /
 * clean-up matrix (manila-migration-behaviour 2.13). Every action is idempotent and suppresses
 * its own errors (logged, and kept as warnings), so a rollback always reaches its end.
 */
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { revertReadOnly } from '../access.js';
import type { OrchestratorContext } from '../context.js';
import { deleteInstanceThroughDriver } from '../shares.js';
import { revokeDataServiceAccess } from './data-access.js';
import { checkpointPathOf } from './host-steps.js';
import { migrationPair, sourceDriver, type MigrationScope } from './scope.js';
import type { StepResult, StepRuntime } from './step.js';

async function attempt(runtime: StepRuntime, what: string, action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    runtime.log.warn({ err: error }, `${what} failed during clean-up`);
  }
}

/** The source back to service: read-only reverted unless a fallback follows, status available. */
async function restoreSource(ctx: OrchestratorContext, scope: MigrationScope, runtime: StepRuntime, keepReadOnly: boolean): Promise<void> {
  const sourceId = scope.migration.sourceInstanceId;
  if (!keepReadOnly) await attempt(runtime, 'reverting the read-only cast', () => revertReadOnly(ctx, sourceId));
  if (!(await ctx.store.getShareInstance(sourceId))) return;
  await ctx.store.transaction(async (tx) => {
    const at = ctx.now();
    for (const snapshot of await tx.listSnapshotInstances({ shareInstanceId: sourceId })) {
      if (snapshot.status === 'migrating') await tx.updateSnapshotInstance(snapshot.id, { status: 'available', updatedAt: at });
    }
    // During a fallback the source stays migrating: the host-assisted attempt follows at once.
    await tx.updateShareInstance(sourceId, { status: keepReadOnly ? 'migrating' : 'available', updatedAt: at });
  });
}

/** Driver path (2.2 failure, 2.6 continue failure, 2.10 cancel): destination removed from the records. */
export async function rollbackDriver(ctx: OrchestratorContext, scope: MigrationScope, runtime: StepRuntime): Promise<StepResult> {
  const startAttempted = scope.migration.taskState === 'migration_driver_starting' || scope.migration.taskState === 'migration_driver_in_progress';
  if (startAttempted && scope.migration.outcome !== 'cancelled' && scope.destination !== undefined && scope.source !== undefined) {
    // ferry asks the driver to drop what a failed start or continue left on the destination.
    await attempt(runtime, 'driver MigrationCancel', async () => sourceDriver(ctx, scope).migrationCancel(await migrationPair(ctx, scope), { signal: runtime.signal }));
  }
  if (scope.destination !== undefined) {
    const destinationId = scope.destination.id;
    await ctx.store.transaction(async (tx) => {
      await tx.deleteShareInstance(destinationId);
      await tx.updateMigration(scope.migration.id, { destinationInstanceId: null, updatedAt: ctx.now() });
    });
  }
  await restoreSource(ctx, scope, runtime, scope.migration.outcome === null);
  return { event: { type: 'rolled_back' } };
}

/** Host path (2.4 failures, 3.1 copy error/cancel, 2.7 apply-rules failure, 2.10 cancel after copy). */
export async function rollbackHost(ctx: OrchestratorContext, scope: MigrationScope, runtime: StepRuntime): Promise<StepResult> {
  const sourceId = scope.migration.sourceInstanceId;
  // A copy killed with ferry left its mounts; they are undone without the drivers, which may be down.
  await ctx.data.releaseMounts(scope.migration.id, [...(scope.destination ? [scope.destination.id] : []), sourceId]);
  const warnings = await revokeDataServiceAccess(ctx, scope.share.id, [sourceId, ...(scope.destination ? [scope.destination.id] : [])]);
  for (const warning of warnings) runtime.log.warn({ warning }, 'data service access clean-up');
  if (scope.destination !== undefined) {
    const destination = scope.destination;
    await ctx.store.updateShareInstance(destination.id, { status: 'inactive', updatedAt: ctx.now() });
    await attempt(runtime, 'deleting the destination instance', () => deleteInstanceThroughDriver(ctx, scope.share, destination));
  }
  await restoreSource(ctx, scope, runtime, false);
  await rm(dirname(checkpointPathOf(ctx, scope.migration.id)), { recursive: true, force: true });
  return { event: { type: 'rolled_back' } };
}
