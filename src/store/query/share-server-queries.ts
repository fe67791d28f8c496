/** Share servers. */
import { NotFoundError } from '../../domain/errors.js';
import type { StoreTx } from '../../orchestrator/store-port.js';
import { cleanPatch } from './codec.js';
import { shareServerFromRow, shareServerToRow } from './mappers/share-server-mapper.js';
import { write, type QueryContext } from './query-context.js';

export type ShareServerQueries = Pick<StoreTx,
  'insertShareServer' | 'getShareServer' | 'listShareServers' | 'updateShareServer' | 'deleteShareServer'>;

export function shareServerQueries(ctx: QueryContext): ShareServerQueries {
  const { db } = ctx;
  return {
    async insertShareServer(server) {
      await write(ctx, 'insert', 'share server', server.id, () => db.insertInto('share_servers').values(shareServerToRow(server)).execute());
    },
    async getShareServer(id) {
      const row = await db.selectFrom('share_servers').selectAll().where('id', '=', id).executeTakeFirst();
      return row && shareServerFromRow(row);
    },
    async listShareServers(filter = {}) {
      let query = db.selectFrom('share_servers').selectAll();
      if (filter.host !== undefined) query = query.where('host', '=', filter.host);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.sourceShareServerId !== undefined) query = query.where('source_share_server_id', '=', filter.sourceShareServerId);
      if (filter.shareNetworkId !== undefined) query = query.where('share_network_id', '=', filter.shareNetworkId);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(shareServerFromRow);
    },
    async updateShareServer(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('share_servers').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError('share server', id, 'SHARE_SERVER_NOT_FOUND', 'shareServerId');
        const next = shareServerToRow({ ...shareServerFromRow(row), ...cleanPatch(patch) });
        const { id: _id, ...changes } = next;
        await write(ctx, 'update', 'share server', id, () => tx.updateTable('share_servers').set(changes).where('id', '=', id).execute());
        return shareServerFromRow(next);
      });
    },
    async deleteShareServer(id) {
      // Refused (StoreRecordInUseError) while share instances still sit on the server; a
      // destination that names it as its source keeps its record with sourceShareServerId null.
      await write(ctx, 'delete', 'share server', id, () => db.deleteFrom('share_servers').where('id', '=', id).execute());
    },
  };
}
