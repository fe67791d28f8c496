/** Builds the views the API shows from stored records (share status is its primary instance's). */
import { primaryInstance } from '../domain/primary-instance.js';
import type { AccessRule, Share, ShareInstance, Snapshot } from '../domain/resources.js';
import type { AccessRuleState } from '../domain/statuses.js';
import type { OrchestratorContext } from './context.js';
import { notFound } from './errors.js';
import type { AccessRuleView, ShareView, SnapshotView } from './ferry-api.js';
import type { StoreTx } from './store-port.js';

export async function requireShare(tx: StoreTx, shareId: string): Promise<Share> {
  const share = await tx.getShare(shareId);
  if (share === undefined) throw notFound('SHARE_NOT_FOUND', 'share', shareId, 'shareId');
  return share;
}

export async function shareView(tx: StoreTx, share: Share): Promise<ShareView> {
  const instances = await tx.listShareInstances({ shareId: share.id });
  const primary = primaryInstance(instances);
  const migrations = await tx.listMigrations({ shareId: share.id });
  return {
    ...share,
    status: primary?.status ?? 'error',
    host: primary?.host ?? '',
    shareServerId: primary?.shareServerId ?? null,
    accessRulesStatus: primary?.accessRulesStatus ?? 'active',
    exportLocations: primary?.exportLocations ?? [],
    instances,
    migration: migrations.at(-1) ?? null,
  };
}

export async function loadShareView(ctx: OrchestratorContext, shareId: string): Promise<ShareView> {
  return shareView(ctx.store, await requireShare(ctx.store, shareId));
}

export async function accessRuleView(tx: StoreTx, rule: AccessRule, instances: readonly ShareInstance[], primary: ShareInstance | undefined): Promise<AccessRuleView> {
  const instanceStates: Record<string, AccessRuleState> = {};
  for (const instance of instances) {
    const mapping = (await tx.listAccessMappings(instance.id)).find((m) => m.accessRuleId === rule.id);
    if (mapping) instanceStates[instance.id] = mapping.state;
  }
  return { ...rule, accessKey: rule.accessKey, state: (primary && instanceStates[primary.id]) ?? 'queued_to_apply', instanceStates };
}

export async function snapshotView(tx: StoreTx, snapshot: Snapshot, primaryInstanceId: string | undefined): Promise<SnapshotView> {
  const instances = await tx.listSnapshotInstances({ snapshotId: snapshot.id });
  const own = instances.find((instance) => instance.shareInstanceId === primaryInstanceId) ?? instances[0];
  return { ...snapshot, status: own?.status ?? 'error', instances };
}
