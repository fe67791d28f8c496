/**
 * Access for the data service during a host-assisted copy (manila-migration-behaviour 3.2
 * step 3): the identities of data_node_access_* for every access type both back ends accept,
 * as rw rules on source (still read-only: it is cast) and destination. ferry keeps them apart
 * from the users' rules (forDataService), so removing them never removes a user's rule —
 * QUIRK(Manila): it denies and reuses a user's rule with the same identity.
 */
import type { AccessRule } from '../../domain/resources.js';
import type { AccessType } from '../../domain/statuses.js';
import { syncInstanceAccess } from '../access.js';
import type { OrchestratorContext } from '../context.js';
import type { ConnectionInfo } from '../driver-port.js';
import { ferryError } from '../errors.js';

/** (access type, identity) pairs the data service needs, from the intersection of both mappings. */
export function dataServiceIdentities(ctx: OrchestratorContext, source: ConnectionInfo, destination: ConnectionInfo): { accessType: AccessType; accessTo: string }[] {
  const settings = ctx.settings.dataService;
  const identities: { accessType: AccessType; accessTo: string }[] = [];
  for (const [type, protocols] of Object.entries(source.accessMapping)) {
    const shared = protocols.filter((protocol) => (destination.accessMapping[type] ?? []).includes(protocol));
    if (shared.length === 0) continue;
    if (type === 'ip') {
      if (settings.dataNodeAccessIps.length === 0) throw ferryError('DATA_SERVICE_ACCESS_NOT_CONFIGURED', 'Configuration for Data node mounting access type ip has not been set (dataService.dataNodeAccessIps).', { accessType: type });
      for (const ip of settings.dataNodeAccessIps) identities.push({ accessType: 'ip', accessTo: ip });
    } else if (type === 'user' && settings.dataNodeAccessAdminUser !== '') {
      identities.push({ accessType: 'user', accessTo: settings.dataNodeAccessAdminUser });
    } else if (type === 'cert' && settings.dataNodeAccessCert !== '') {
      identities.push({ accessType: 'cert', accessTo: settings.dataNodeAccessCert });
    } else if (type === 'user' || type === 'cert') {
      // QUIRK(Manila): it answers "Unsupported access type provided" here too, for a type it supports but was not configured.
      const option = type === 'user' ? 'dataNodeAccessAdminUser' : 'dataNodeAccessCert';
      throw ferryError('DATA_SERVICE_ACCESS_NOT_CONFIGURED', `Configuration for Data node mounting access type ${type} has not been set (dataService.${option}).`, { accessType: type });
    } else {
      throw ferryError('DATA_SERVICE_ACCESS_NOT_CONFIGURED', `Unsupported access type provided: ${type} (the data service can be given ip, user or cert access).`, { accessType: type });
    }
  }
  return identities;
}

/** Adds (once) the data-service rules and applies them on both instances. */
export async function grantDataServiceAccess(ctx: OrchestratorContext, shareId: string, instanceIds: readonly string[], identities: readonly { accessType: AccessType; accessTo: string }[], signal: AbortSignal): Promise<void> {
  if (identities.length === 0) return;
  await ctx.store.transaction(async (tx) => {
    const existing = (await tx.listAccessRules(shareId)).filter((rule) => rule.forDataService);
    const at = ctx.now();
    for (const identity of identities) {
      let rule = existing.find((r) => r.accessType === identity.accessType && r.accessTo === identity.accessTo);
      if (rule === undefined) {
        rule = { id: ctx.newId(), shareId, accessType: identity.accessType, accessTo: identity.accessTo, accessLevel: 'rw', accessKey: '', forDataService: true, createdAt: at } satisfies AccessRule;
        await tx.insertAccessRule(rule);
      }
      for (const instanceId of instanceIds) {
        const mapped = (await tx.listAccessMappings(instanceId)).some((mapping) => mapping.accessRuleId === rule.id && mapping.state !== 'queued_to_deny' && mapping.state !== 'denying');
        if (!mapped) await tx.putAccessMapping({ accessRuleId: rule.id, shareInstanceId: instanceId, state: 'queued_to_apply', message: '', updatedAt: at });
      }
    }
  });
  for (const instanceId of instanceIds) {
    const status = await syncInstanceAccess(ctx, instanceId, signal);
    if (status !== 'active') throw ferryError('ACCESS_RULES_ERROR', `the data service's access to share instance ${instanceId} could not be applied`, { shareInstanceId: instanceId });
  }
}

/** Removes every data-service rule of the share from the given instances; warnings only (3.2 step 8). */
export async function revokeDataServiceAccess(ctx: OrchestratorContext, shareId: string, instanceIds: readonly string[]): Promise<string[]> {
  const warnings: string[] = [];
  const rules = (await ctx.store.listAccessRules(shareId)).filter((rule) => rule.forDataService);
  if (rules.length === 0) return warnings;
  const live: string[] = [];
  await ctx.store.transaction(async (tx) => {
    const at = ctx.now();
    for (const instanceId of instanceIds) {
      if (!(await tx.getShareInstance(instanceId))) continue;
      live.push(instanceId);
      for (const mapping of await tx.listAccessMappings(instanceId)) {
        if (rules.some((rule) => rule.id === mapping.accessRuleId)) await tx.putAccessMapping({ ...mapping, state: 'queued_to_deny', updatedAt: at });
      }
    }
  });
  for (const instanceId of live) {
    try {
      await syncInstanceAccess(ctx, instanceId);
    } catch (error) {
      warnings.push(`revoking the data service's access to ${instanceId} failed: ${(error as Error).message}`);
    }
  }
  await ctx.store.transaction(async (tx) => {
    for (const rule of rules) {
      const stillMapped = (await Promise.all(instanceIds.map((id) => tx.listAccessMappings(id)))).flat().some((mapping) => mapping.accessRuleId === rule.id);
      if (!stillMapped) await tx.deleteAccessRule(rule.id);
    }
  });
  return warnings;
}
