/** The share record after a successful migration: the destination's type, network and zone (2.7 step 9). */
import type { OrchestratorContext } from '../context.js';
import type { MigrationScope } from './scope.js';

export async function finishShareAttributes(ctx: OrchestratorContext, scope: MigrationScope): Promise<void> {
  const type = scope.destinationType;
  const extra = type?.extraSpecs ?? {};
  const pool = await ctx.store.getPool(scope.migration.request.destinationHost);
  await ctx.store.updateShare(scope.share.id, {
    shareTypeId: scope.migration.request.newShareTypeId,
    shareNetworkId: scope.migration.request.newShareNetworkId,
    availabilityZone: pool?.availabilityZone ?? scope.share.availabilityZone,
    snapshotSupport: extra['snapshot_support'] === 'true',
    createShareFromSnapshotSupport: extra['create_share_from_snapshot_support'] === 'true',
    revertToSnapshotSupport: extra['revert_to_snapshot_support'] === 'true',
    mountSnapshotSupport: extra['mount_snapshot_support'] === 'true',
    updatedAt: ctx.now(),
  });
}
