/** Shares and share instances. */
import { NotFoundError } from '../../domain/errors.js';
import type { StoreTx } from '../../orchestrator/store-port.js';
import { cleanPatch } from './codec.js';
import { hostColumn } from './host-filter.js';
import { shareFromRow, shareInstanceFromRow, shareInstanceToRow, shareToRow } from './mappers/share-mapper.js';
import { write, type QueryContext } from './query-context.js';

export type ShareQueries = Pick<StoreTx,
  'insertShare' | 'getShare' | 'listShares' | 'updateShare' | 'deleteShare' |
  'insertShareInstance' | 'getShareInstance' | 'listShareInstances' | 'updateShareInstance' | 'deleteShareInstance'>;

export function shareQueries(ctx: QueryContext): ShareQueries {
  const { db } = ctx;
  return {
    async insertShare(share) {
      await write(ctx, 'insert', 'share', share.id, () => db.insertInto('shares').values(shareToRow(share)).execute());
    },
    async getShare(id) {
      const row = await db.selectFrom('shares').selectAll().where('id', '=', id).executeTakeFirst();
      return row && shareFromRow(row);
    },
    async listShares(filter = {}) {
      let query = db.selectFrom('shares').selectAll();
      if (filter.shareTypeId !== undefined) query = query.where('share_type_id', '=', filter.shareTypeId);
      if (filter.shareNetworkId !== undefined) query = query.where('share_network_id', '=', filter.shareNetworkId);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(shareFromRow);
    },
    async updateShare(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('shares').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError('share', id, 'SHARE_NOT_FOUND', 'shareId');
        const next = shareToRow({ ...shareFromRow(row), ...cleanPatch(patch) });
        const { id: _id, ...changes } = next;
        await write(ctx, 'update', 'share', id, () => tx.updateTable('shares').set(changes).where('id', '=', id).execute());
        return shareFromRow(next);
      });
    },
    async deleteShare(id) {
      // Instances, access rules (and their mappings), snapshots (and their instances) and
      // migrations (and their events) go with it through ON DELETE CASCADE.
      await write(ctx, 'delete', 'share', id, () => db.deleteFrom('shares').where('id', '=', id).execute());
    },

    async insertShareInstance(instance) {
      await write(ctx, 'insert', 'share instance', instance.id,
        () => db.insertInto('share_instances').values(shareInstanceToRow(instance)).execute());
    },
    async getShareInstance(id) {
      const row = await db.selectFrom('share_instances').selectAll().where('id', '=', id).executeTakeFirst();
      return row && shareInstanceFromRow(row);
    },
    async listShareInstances(filter = {}) {
      let query = db.selectFrom('share_instances').selectAll();
      if (filter.shareId !== undefined) query = query.where('share_id', '=', filter.shareId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.shareServerId !== undefined) query = query.where('share_server_id', '=', filter.shareServerId);
      if (filter.host !== undefined) query = query.where(hostColumn(filter.host), '=', filter.host);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(shareInstanceFromRow);
    },
    async updateShareInstance(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('share_instances').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError('share instance', id, 'SHARE_INSTANCE_NOT_FOUND', 'shareInstanceId');
        const next = shareInstanceToRow({ ...shareInstanceFromRow(row), ...cleanPatch(patch) });
        const { id: _id, ...changes } = next;
        await write(ctx, 'update', 'share instance', id, () => tx.updateTable('share_instances').set(changes).where('id', '=', id).execute());
        return shareInstanceFromRow(next);
      });
    },
    async deleteShareInstance(id) {
      // Access-rule mappings and snapshot instances of the instance cascade (Manila 2.8).
      await write(ctx, 'delete', 'share instance', id, () => db.deleteFrom('share_instances').where('id', '=', id).execute());
    },
  };
}
