/** GrantAccess / RevokeAccess / ListAccessRules: share-level rules mapped onto every instance. */
import { primaryInstance } from '../domain/primary-instance.js';
import type { AccessRule } from '../domain/resources.js';
import { ACCESS_LEVELS, ACCESS_TYPES } from '../domain/statuses.js';
import { syncInstanceAccess } from './access.js';
import type { OrchestratorContext } from './context.js';
import { ferryError, invalidField, notFound } from './errors.js';
import type { AccessRuleView, GrantAccessRequest } from './ferry-api.js';
import { assertAccessChangeable } from './guards.js';
import { accessRuleView, requireShare } from './views.js';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/(3[0-2]|[12]?\d))?$/;
const IPV6 = /^[0-9a-fA-F:]+(\/(12[0-8]|1[01]\d|\d?\d))?$/;
const USER = /^[A-Za-z0-9_.$@\\-]{1,255}$/;

function validateRule(request: GrantAccessRequest): void {
  if (!(ACCESS_TYPES as readonly string[]).includes(request.accessType)) throw invalidField('access_type', `must be one of ${ACCESS_TYPES.join(', ')}, got "${request.accessType}"`);
  if (!(ACCESS_LEVELS as readonly string[]).includes(request.accessLevel)) throw invalidField('access_level', `must be rw or ro, got "${request.accessLevel}"`);
  const to = request.accessTo ?? '';
  if (to === '') throw invalidField('access_to', 'is required', 'MISSING_FIELD');
  const valid = request.accessType === 'ip' ? IPV4.test(to) || (to.includes(':') && IPV6.test(to)) : request.accessType === 'user' ? USER.test(to) : to.length <= 64 && !/\s/.test(to);
  if (!valid) throw invalidField('access_to', `"${to}" is not a valid ${request.accessType} for an access rule`);
}

export async function grantAccess(ctx: OrchestratorContext, request: GrantAccessRequest): Promise<AccessRuleView> {
  validateRule(request);
  return ctx.locks.run(request.shareId, async () => {
    const share = await requireShare(ctx.store, request.shareId);
    const instances = await ctx.store.listShareInstances({ shareId: share.id });
    assertAccessChangeable(share, instances);
    const rules = await ctx.store.listAccessRules(share.id);
    if (rules.some((rule) => !rule.forDataService && rule.accessType === request.accessType && rule.accessTo === request.accessTo)) {
      throw ferryError('ALREADY_EXISTS', `share ${share.id} already has an ${request.accessType} rule for ${request.accessTo}`, { shareId: share.id });
    }
    const at = ctx.now();
    const rule: AccessRule = { id: ctx.newId(), shareId: share.id, accessType: request.accessType, accessTo: request.accessTo, accessLevel: request.accessLevel, accessKey: '', forDataService: false, createdAt: at };
    await ctx.store.transaction(async (tx) => {
      await tx.insertAccessRule(rule);
      for (const instance of instances) await tx.putAccessMapping({ accessRuleId: rule.id, shareInstanceId: instance.id, state: 'queued_to_apply', message: '', updatedAt: at });
    });
    for (const instance of instances) {
      await syncInstanceAccess(ctx, instance.id).catch((error: unknown) => ctx.logger.warn({ shareId: share.id, err: error }, 'access grant failed'));
    }
    const fresh = (await ctx.store.getAccessRule(rule.id))!;
    const after = await ctx.store.listShareInstances({ shareId: share.id });
    return accessRuleView(ctx.store, fresh, after, primaryInstance(after));
  });
}

export async function revokeAccess(ctx: OrchestratorContext, shareId: string, accessRuleId: string): Promise<void> {
  await ctx.locks.run(shareId, async () => {
    const share = await requireShare(ctx.store, shareId);
    const rule = await ctx.store.getAccessRule(accessRuleId);
    if (rule === undefined || rule.shareId !== shareId || rule.forDataService) throw notFound('ACCESS_RULE_NOT_FOUND', 'access rule', accessRuleId, 'accessRuleId');
    const instances = await ctx.store.listShareInstances({ shareId });
    assertAccessChangeable(share, instances);
    await ctx.store.transaction(async (tx) => {
      const at = ctx.now();
      for (const instance of instances) {
        const mapping = (await tx.listAccessMappings(instance.id)).find((m) => m.accessRuleId === accessRuleId);
        if (mapping) await tx.putAccessMapping({ ...mapping, state: 'queued_to_deny', updatedAt: at });
      }
    });
    let failure: unknown;
    for (const instance of instances) {
      await syncInstanceAccess(ctx, instance.id).catch((error: unknown) => (failure = error));
    }
    if (failure !== undefined) throw failure;
    await ctx.store.deleteAccessRule(accessRuleId);
  });
}

export async function listAccessRules(ctx: OrchestratorContext, shareId: string): Promise<AccessRuleView[]> {
  const share = await requireShare(ctx.store, shareId);
  const instances = await ctx.store.listShareInstances({ shareId: share.id });
  const primary = primaryInstance(instances);
  const rules = (await ctx.store.listAccessRules(share.id)).filter((rule) => !rule.forDataService);
  return Promise.all(rules.map((rule) => accessRuleView(ctx.store, rule, instances, primary)));
}
