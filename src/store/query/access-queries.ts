/** Access rules and their per-instance mappings. */
import { NotFoundError } from '../../domain/errors.js';
import type { StoreTx } from '../../orchestrator/store-port.js';
import { cleanPatch } from './codec.js';
import { accessMappingFromRow, accessMappingToRow, accessRuleFromRow, accessRuleToRow } from './mappers/access-mapper.js';
import { write, type QueryContext } from './query-context.js';

export type AccessQueries = Pick<StoreTx,
  'insertAccessRule' | 'getAccessRule' | 'listAccessRules' | 'updateAccessRule' | 'deleteAccessRule' |
  'listAccessMappings' | 'putAccessMapping' | 'deleteAccessMapping'>;

export function accessQueries(ctx: QueryContext): AccessQueries {
  const { db } = ctx;
  return {
    async insertAccessRule(rule) {
      await write(ctx, 'insert', 'access rule', rule.id, () => db.insertInto('access_rules').values(accessRuleToRow(rule)).execute());
    },
    async getAccessRule(id) {
      const row = await db.selectFrom('access_rules').selectAll().where('id', '=', id).executeTakeFirst();
      return row && accessRuleFromRow(row);
    },
    async listAccessRules(shareId) {
      const rows = await db.selectFrom('access_rules').selectAll().where('share_id', '=', shareId)
        .orderBy('created_at').orderBy('id').execute();
      return rows.map(accessRuleFromRow);
    },
    async updateAccessRule(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('access_rules').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError('access rule', id, 'ACCESS_RULE_NOT_FOUND', 'accessRuleId');
        const next = accessRuleToRow({ ...accessRuleFromRow(row), ...cleanPatch(patch) });
        const { id: _id, ...changes } = next;
        await write(ctx, 'update', 'access rule', id, () => tx.updateTable('access_rules').set(changes).where('id', '=', id).execute());
        return accessRuleFromRow(next);
      });
    },
    async deleteAccessRule(id) {
      // Its mappings cascade.
      await write(ctx, 'delete', 'access rule', id, () => db.deleteFrom('access_rules').where('id', '=', id).execute());
    },

    async listAccessMappings(shareInstanceId) {
      // Mappings have no createdAt of their own: they follow their rules' order.
      const rows = await db.selectFrom('access_rule_mappings as m')
        .innerJoin('access_rules as r', 'r.id', 'm.access_rule_id')
        .selectAll('m').where('m.share_instance_id', '=', shareInstanceId)
        .orderBy('r.created_at').orderBy('r.id').execute();
      return rows.map(accessMappingFromRow);
    },
    async putAccessMapping(mapping) {
      const row = accessMappingToRow(mapping);
      const { access_rule_id: _rule, share_instance_id: _instance, ...changes } = row;
      await write(ctx, 'insert', 'access mapping of rule', `${mapping.accessRuleId} on instance ${mapping.shareInstanceId}`,
        () => db.insertInto('access_rule_mappings').values(row)
          .onConflict((conflict) => conflict.columns(['access_rule_id', 'share_instance_id']).doUpdateSet(changes)).execute());
    },
    async deleteAccessMapping(accessRuleId, shareInstanceId) {
      await db.deleteFrom('access_rule_mappings')
        .where('access_rule_id', '=', accessRuleId).where('share_instance_id', '=', shareInstanceId).execute();
    },
  };
}
