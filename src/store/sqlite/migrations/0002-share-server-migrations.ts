/**
 * Schema version 2: share-server migrations and their history (issue 5). The record keeps the
 * source server's id without a foreign key, because a successful migration deletes the source
 * server while its migration must stay readable (progress on the old id answers from it).
 *
 * Never edit this file once released: add 0003-what.ts instead (docs/store.md).
 */
import { sql, type Kysely, type Migration } from 'kysely';

const strict = sql`strict`;

export const shareServerMigrations: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const s = db.schema;
    await s.createTable('share_server_migrations').modifyEnd(strict)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('source_share_server_id', 'text', (c) => c.notNull())
      .addColumn('destination_share_server_id', 'text')
      .addColumn('request', 'text', (c) => c.notNull())
      .addColumn('capabilities', 'text')
      .addColumn('network_change', 'integer', (c) => c.notNull())
      .addColumn('task_state', 'text', (c) => c.notNull())
      .addColumn('phase', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text')
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('error', 'text', (c) => c.notNull())
      .addColumn('error_reason', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .execute();
    await s.createTable('share_server_migration_events').modifyEnd(strict)
      .addColumn('migration_id', 'text', (c) => c.notNull().references('share_server_migrations.id').onDelete('cascade'))
      .addColumn('sequence', 'integer', (c) => c.notNull())
      .addColumn('task_state', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('share_server_migration_events_pk', ['migration_id', 'sequence'])
      .execute();
    for (const column of ['source_share_server_id', 'destination_share_server_id', 'active']) {
      await db.schema.createIndex(`share_server_migrations_${column}_idx`).on('share_server_migrations').column(column).execute();
    }
  },
};
