/** Share migrations and their event history. */
import { NotFoundError } from '../../domain/errors.js';
import type { MigrationEvent } from '../../domain/resources.js';
import type { StoreTx } from '../../orchestrator/store-port.js';
import { cleanPatch, toFlag } from './codec.js';
import { migrationEventFromRow, migrationEventToRow, migrationFromRow, migrationToRow } from './mappers/migration-mapper.js';
import { write, type QueryContext } from './query-context.js';

export type MigrationQueries = Pick<StoreTx,
  'insertMigration' | 'getMigration' | 'listMigrations' | 'updateMigration' | 'appendMigrationEvent' | 'listMigrationEvents'>;

export function migrationQueries(ctx: QueryContext): MigrationQueries {
  const { db } = ctx;
  return {
    async insertMigration(migration) {
      await write(ctx, 'insert', 'share migration', migration.id,
        () => db.insertInto('share_migrations').values(migrationToRow(migration)).execute());
    },
    async getMigration(id) {
      const row = await db.selectFrom('share_migrations').selectAll().where('id', '=', id).executeTakeFirst();
      return row && migrationFromRow(row);
    },
    async listMigrations(filter = {}) {
      let query = db.selectFrom('share_migrations').selectAll();
      if (filter.shareId !== undefined) query = query.where('share_id', '=', filter.shareId);
      if (filter.active !== undefined) query = query.where('active', '=', toFlag(filter.active));
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(migrationFromRow);
    },
    async updateMigration(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('share_migrations').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError('share migration', id, 'MIGRATION_NOT_FOUND', 'migrationId');
        const next = migrationToRow({ ...migrationFromRow(row), ...cleanPatch(patch) });
        const { id: _id, ...changes } = next;
        await write(ctx, 'update', 'share migration', id, () => tx.updateTable('share_migrations').set(changes).where('id', '=', id).execute());
        return migrationFromRow(next);
      });
    },
    appendMigrationEvent: (event) => appendEvent(ctx, 'share_migrations', 'migration_events', 'share migration', event),
    listMigrationEvents: (migrationId) => listEvents(ctx, 'migration_events', migrationId),
  };
}

type MigrationTable = 'share_migrations' | 'share_server_migrations';
type EventTable = 'migration_events' | 'share_server_migration_events';

/**
 * Appends to a migration's history. The last sequence is read and the next inserted in one
 * transaction, so two appends can never pick the same number (the primary key would refuse
 * the second anyway).
 */
export function appendEvent(ctx: QueryContext, migrations: MigrationTable, events: EventTable, kind: string, event: Omit<MigrationEvent, 'sequence'>): Promise<MigrationEvent> {
  return ctx.atomic(async (tx) => {
    const migration = await tx.selectFrom(migrations).select('id').where('id', '=', event.migrationId).executeTakeFirst();
    if (!migration) throw new NotFoundError(kind, event.migrationId, 'MIGRATION_NOT_FOUND', 'migrationId');
    const last = await tx.selectFrom(events).select((eb) => eb.fn.max('sequence').as('sequence'))
      .where('migration_id', '=', event.migrationId).executeTakeFirst();
    const row = migrationEventToRow({ ...event, sequence: (last?.sequence ?? 0) + 1 });
    await write(ctx, 'insert', `event of ${kind}`, event.migrationId, () => tx.insertInto(events).values(row).execute());
    return migrationEventFromRow(row);
  });
}

export async function listEvents(ctx: QueryContext, events: EventTable, migrationId: string): Promise<MigrationEvent[]> {
  const rows = await ctx.db.selectFrom(events).selectAll().where('migration_id', '=', migrationId).orderBy('sequence').execute();
  return rows.map(migrationEventFromRow);
}
