/** Share-server migrations and their event history. */
import { NotFoundError } from '../../domain/errors.js';
import type { StoreTx } from '../../orchestrator/store-port.js';
import { cleanPatch, toFlag } from './codec.js';
import { serverMigrationFromRow, serverMigrationToRow } from './mappers/server-migration-mapper.js';
import { appendEvent, listEvents } from './migration-queries.js';
import { write, type QueryContext } from './query-context.js';

export type ServerMigrationQueries = Pick<StoreTx,
  'insertServerMigration' | 'getServerMigration' | 'listServerMigrations' | 'updateServerMigration' | 'appendServerMigrationEvent' | 'listServerMigrationEvents'>;

const KIND = 'share server migration';

export function serverMigrationQueries(ctx: QueryContext): ServerMigrationQueries {
  const { db } = ctx;
  return {
    async insertServerMigration(migration) {
      await write(ctx, 'insert', KIND, migration.id, () => db.insertInto('share_server_migrations').values(serverMigrationToRow(migration)).execute());
    },
    async getServerMigration(id) {
      const row = await db.selectFrom('share_server_migrations').selectAll().where('id', '=', id).executeTakeFirst();
      return row && serverMigrationFromRow(row);
    },
    async listServerMigrations(filter = {}) {
      let query = db.selectFrom('share_server_migrations').selectAll();
      if (filter.sourceShareServerId !== undefined) query = query.where('source_share_server_id', '=', filter.sourceShareServerId);
      if (filter.destinationShareServerId !== undefined) query = query.where('destination_share_server_id', '=', filter.destinationShareServerId);
      if (filter.active !== undefined) query = query.where('active', '=', toFlag(filter.active));
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(serverMigrationFromRow);
    },
    async updateServerMigration(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('share_server_migrations').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError(KIND, id, 'MIGRATION_NOT_FOUND', 'migrationId');
        const next = serverMigrationToRow({ ...serverMigrationFromRow(row), ...cleanPatch(patch) });
        const { id: _id, ...changes } = next;
        await write(ctx, 'update', KIND, id, () => tx.updateTable('share_server_migrations').set(changes).where('id', '=', id).execute());
        return serverMigrationFromRow(next);
      });
    },
    appendServerMigrationEvent: (event) => appendEvent(ctx, 'share_server_migrations', 'share_server_migration_events', KIND, event),
    listServerMigrationEvents: (migrationId) => listEvents(ctx, 'share_server_migration_events', migrationId),
  };
}
