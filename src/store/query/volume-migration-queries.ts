/** Volume migrations (and retypes) and their event history. */
import { NotFoundError } from '../../domain/errors.js';
import type { StoreTx } from '../../orchestrator/store-port.js';
import { cleanPatch, toFlag } from './codec.js';
import {
  volumeMigrationEventFromRow, volumeMigrationEventToRow, volumeMigrationFromRow, volumeMigrationToRow,
} from './mappers/volume-migration-mapper.js';
import { write, type QueryContext } from './query-context.js';

export type VolumeMigrationQueries = Pick<StoreTx,
  'insertVolumeMigration' | 'getVolumeMigration' | 'listVolumeMigrations' | 'updateVolumeMigration' |
  'appendVolumeMigrationEvent' | 'listVolumeMigrationEvents'>;

const KIND = 'volume migration';

export function volumeMigrationQueries(ctx: QueryContext): VolumeMigrationQueries {
  const { db } = ctx;
  return {
    async insertVolumeMigration(migration) {
      await write(ctx, 'insert', KIND, migration.id, () => db.insertInto('volume_migrations').values(volumeMigrationToRow(migration)).execute());
    },
    async getVolumeMigration(id) {
      const row = await db.selectFrom('volume_migrations').selectAll().where('id', '=', id).executeTakeFirst();
      return row && volumeMigrationFromRow(row);
    },
    async listVolumeMigrations(filter = {}) {
      let query = db.selectFrom('volume_migrations').selectAll();
      if (filter.volumeId !== undefined) query = query.where('volume_id', '=', filter.volumeId);
      if (filter.active !== undefined) query = query.where('active', '=', toFlag(filter.active));
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(volumeMigrationFromRow);
    },
    async updateVolumeMigration(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('volume_migrations').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError(KIND, id, 'MIGRATION_NOT_FOUND', 'migrationId');
        const next = volumeMigrationToRow({ ...volumeMigrationFromRow(row), ...cleanPatch(patch) });
        const { id: _id, ...changes } = next;
        await write(ctx, 'update', KIND, id, () => tx.updateTable('volume_migrations').set(changes).where('id', '=', id).execute());
        return volumeMigrationFromRow(next);
      });
    },
    appendVolumeMigrationEvent(event) {
      // As appendEvent for share migrations: the last sequence is read and the next inserted in
      // one transaction, so two appends never pick the same number (the primary key would
      // refuse the second anyway). The event row differs (phase and migration_status instead of
      // task_state), hence a copy rather than a shared helper.
      return ctx.atomic(async (tx) => {
        const migration = await tx.selectFrom('volume_migrations').select('id').where('id', '=', event.migrationId).executeTakeFirst();
        if (!migration) throw new NotFoundError(KIND, event.migrationId, 'MIGRATION_NOT_FOUND', 'migrationId');
        const last = await tx.selectFrom('volume_migration_events').select((eb) => eb.fn.max('sequence').as('sequence'))
          .where('migration_id', '=', event.migrationId).executeTakeFirst();
        const row = volumeMigrationEventToRow({ ...event, sequence: (last?.sequence ?? 0) + 1 });
        await write(ctx, 'insert', `event of ${KIND}`, event.migrationId, () => tx.insertInto('volume_migration_events').values(row).execute());
        return volumeMigrationEventFromRow(row);
      });
    },
    async listVolumeMigrationEvents(migrationId) {
      const rows = await db.selectFrom('volume_migration_events').selectAll().where('migration_id', '=', migrationId).orderBy('sequence').execute();
      return rows.map(volumeMigrationEventFromRow);
    },
  };
}
