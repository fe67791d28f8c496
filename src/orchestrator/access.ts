/**
 * The access engine: tells an instance's driver the full list of rules it must enforce and
 * records each rule's state (Manila's access-rule instance mappings, section 2.5). ferry calls
 * the driver directly instead of queueing, so "wait until access_rules_status is active" is
 * the call itself, bounded by its deadline.
 */
import { backendOf } from '../domain/host.js';
import type { AccessRule, AccessRuleMapping, ShareInstance } from '../domain/resources.js';
import type { AccessRulesStatus } from '../domain/statuses.js';
import type { OrchestratorContext } from './context.js';
import { toDriverInstance, toDriverRule, toDriverServer } from './driver-models.js';
import type { AccessRuleResult } from './driver-port.js';
import { ferryError } from './errors.js';
import type { StoreTx } from './store-port.js';

const ACCESS_TIMEOUT_MS = 180_000;

/** The rules an instance must enforce now: mapped to it and not being denied. */
async function enforcedRules(tx: StoreTx, instance: ShareInstance): Promise<{ rules: AccessRule[]; mappings: AccessRuleMapping[] }> {
  const mappings = await tx.listAccessMappings(instance.id);
  const rules: AccessRule[] = [];
  for (const mapping of mappings) {
    if (mapping.state === 'queued_to_deny' || mapping.state === 'denying') continue;
    const rule = await tx.getAccessRule(mapping.accessRuleId);
    if (rule !== undefined) rules.push(rule);
  }
  return { rules, mappings };
}

/**
 * Sends the instance's rules to its driver and records the outcome. Rules queued to deny are
 * dropped from the list and their mappings removed once the driver answered. Throws the
 * driver's error after recording the rules in error.
 */
export async function syncInstanceAccess(ctx: OrchestratorContext, instanceId: string, signal?: AbortSignal): Promise<AccessRulesStatus> {
  const prepared = await ctx.store.transaction(async (tx) => {
    const instance = await tx.getShareInstance(instanceId);
    if (instance === undefined) return undefined;
    const share = await tx.getShare(instance.shareId);
    const type = await tx.getShareType(instance.shareTypeId);
    const server = instance.shareServerId ? await tx.getShareServer(instance.shareServerId) : undefined;
    const { rules, mappings } = await enforcedRules(tx, instance);
    const at = ctx.now();
    for (const mapping of mappings) {
      const next = mapping.state === 'queued_to_deny' || mapping.state === 'denying' ? 'denying' : 'applying';
      await tx.putAccessMapping({ ...mapping, state: next, updatedAt: at });
    }
    await tx.updateShareInstance(instanceId, { accessRulesStatus: 'syncing', updatedAt: at });
    return { instance, share: share!, type, server, rules };
  });
  if (prepared === undefined) return 'active';
  const { instance, share, type, server, rules } = prepared;
  const log = ctx.logger.child({ shareId: share.id, shareInstanceId: instance.id });
  let results: Record<string, AccessRuleResult>;
  try {
    const backend = ctx.drivers.backend(backendOf(instance.host));
    results = await backend.updateAccess(
      { instance: toDriverInstance(instance, share, type), rules: rules.map(toDriverRule), castRulesToReadonly: instance.castRulesToReadonly, server: server && toDriverServer(server) },
      { signal, timeoutMs: ACCESS_TIMEOUT_MS },
    );
  } catch (error) {
    await ctx.store.transaction(async (tx) => {
      const at = ctx.now();
      for (const mapping of await tx.listAccessMappings(instanceId)) {
        if (mapping.state === 'applying') await tx.putAccessMapping({ ...mapping, state: 'error', message: (error as Error).message, updatedAt: at });
      }
      if (await tx.getShareInstance(instanceId)) await tx.updateShareInstance(instanceId, { accessRulesStatus: 'error', updatedAt: at });
    });
    log.warn({ err: error }, 'access rules update failed');
    throw error;
  }
  return ctx.store.transaction(async (tx) => {
    const at = ctx.now();
    let status: AccessRulesStatus = 'active';
    for (const mapping of await tx.listAccessMappings(instanceId)) {
      if (mapping.state === 'denying') {
        await tx.deleteAccessMapping(mapping.accessRuleId, instanceId);
        continue;
      }
      if (mapping.state !== 'applying') continue;
      const result = results[mapping.accessRuleId];
      const failed = result?.state === 'error';
      if (failed) status = 'error';
      await tx.putAccessMapping({ ...mapping, state: failed ? 'error' : 'active', message: result?.message ?? '', updatedAt: at });
      if (result?.accessKey) await tx.updateAccessRule(mapping.accessRuleId, { accessKey: result.accessKey });
    }
    if (await tx.getShareInstance(instanceId)) await tx.updateShareInstance(instanceId, { accessRulesStatus: status, updatedAt: at });
    return status;
  });
}

/** Read-only cast of an instance (Manila 2.5): every rule is enforced as ro until reverted. */
export async function castRulesToReadOnly(ctx: OrchestratorContext, instanceId: string, signal?: AbortSignal): Promise<void> {
  await ctx.store.updateShareInstance(instanceId, { castRulesToReadonly: true, updatedAt: ctx.now() });
  await requireActive(ctx, instanceId, await syncInstanceAccess(ctx, instanceId, signal));
}

/**
 * Undoes a read-only cast; a no-op for an instance that is not cast. A revert cut short by a
 * crash (kill -9 between clearing the flag and the driver's UpdateAccess) left the flag cleared
 * but the rules syncing and the back end read-only: a re-run syncs again instead of returning.
 */
export async function revertReadOnly(ctx: OrchestratorContext, instanceId: string, signal?: AbortSignal): Promise<void> {
  const instance = await ctx.store.getShareInstance(instanceId);
  if (instance === undefined || (!instance.castRulesToReadonly && instance.accessRulesStatus !== 'syncing')) return;
  if (instance.castRulesToReadonly) await ctx.store.updateShareInstance(instanceId, { castRulesToReadonly: false, updatedAt: ctx.now() });
  await requireActive(ctx, instanceId, await syncInstanceAccess(ctx, instanceId, signal));
}

/** Maps every user rule of the share onto `instanceId` and applies them (Manila's apply_new_access_rules). */
export async function applyShareRulesTo(ctx: OrchestratorContext, shareId: string, instanceId: string, signal?: AbortSignal): Promise<void> {
  const count = await ctx.store.transaction(async (tx) => {
    const existing = new Set((await tx.listAccessMappings(instanceId)).map((mapping) => mapping.accessRuleId));
    const rules = (await tx.listAccessRules(shareId)).filter((rule) => !rule.forDataService);
    const at = ctx.now();
    for (const rule of rules) {
      if (!existing.has(rule.id)) await tx.putAccessMapping({ accessRuleId: rule.id, shareInstanceId: instanceId, state: 'queued_to_apply', message: '', updatedAt: at });
    }
    return rules.length;
  });
  if (count === 0) return;
  await requireActive(ctx, instanceId, await syncInstanceAccess(ctx, instanceId, signal));
}

async function requireActive(ctx: OrchestratorContext, instanceId: string, status: AccessRulesStatus): Promise<void> {
  if (status === 'active') return;
  const failed = (await ctx.store.listAccessMappings(instanceId)).filter((mapping) => mapping.state === 'error');
  throw ferryError('ACCESS_RULES_ERROR', `failed to update access rules on share instance ${instanceId}: ${failed.map((m) => `${m.accessRuleId}: ${m.message}`).join('; ') || 'driver reported an error'}`, { shareInstanceId: instanceId });
}
