/**
 * Schema version 3: block volumes (src/domain/volumes.ts): volume types, volume groups, volumes
 * with their attachments, volume snapshots, and ferry's volume-migration records with their
 * history.
 *
 * - Attachments are a JSON column of the volume, not a table. The port stores and replaces them
 *   with the volume as a whole (updateVolume), and nothing looks an attachment up on its own.
 * - A type or group that a volume names, and a volume that still has snapshots, cannot be
 *   deleted. The refusal is SQL's default NO ACTION, as in 0001. SQLite reports RESTRICT as a
 *   trigger failure (SQLITE_CONSTRAINT_TRIGGER), which the store could only tell from other
 *   trigger failures by the message text. NO ACTION is reported as SQLITE_CONSTRAINT_FOREIGNKEY,
 *   which becomes StoreRecordInUseError. The constraints are not deferred, so NO ACTION refuses
 *   at the end of the DELETE statement, which here is the same outcome as RESTRICT.
 * - Deleting a volume deletes its migrations, and those deletes delete their events (cascade).
 * - A migration keeps its temporary volume id and its original volume type id without a foreign
 *   key. Both records may be deleted while the migration must stay readable: the temporary
 *   volume at the record swap or rollback, the old type by an operator after a retype.
 * - `volumes.backend_host` is the `host@backend` part of host, as in share_instances, so that the
 *   back-end filter is an indexed equality.
 *
 * Never edit this file once released: add 0004-what.ts instead (docs/store.md).
 */
import { sql, type Kysely, type Migration } from 'kysely';

const strict = sql`strict`;

async function createTables(db: Kysely<unknown>): Promise<void> {
  const s = db.schema;
  await s.createTable('volume_types').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('extra_specs', 'text', (c) => c.notNull())
    .addColumn('qos_specs', 'text', (c) => c.notNull())
    .addColumn('is_public', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('volume_groups').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('volumes').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('size_gib', 'integer', (c) => c.notNull())
    .addColumn('volume_type_id', 'text', (c) => c.notNull().references('volume_types.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('migration_status', 'text')
    .addColumn('previous_status', 'text')
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('backend_host', 'text', (c) => c.notNull())
    .addColumn('availability_zone', 'text', (c) => c.notNull())
    .addColumn('name_id', 'text')
    .addColumn('provider_location', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.references('volume_groups.id'))
    .addColumn('attachments', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('volume_snapshots').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('volume_id', 'text', (c) => c.notNull().references('volumes.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size_gib', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider_location', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('volume_migrations').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('volume_id', 'text', (c) => c.notNull().references('volumes.id').onDelete('cascade'))
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('source_host', 'text', (c) => c.notNull())
    .addColumn('original_status', 'text', (c) => c.notNull())
    .addColumn('original_volume_type_id', 'text', (c) => c.notNull())
    .addColumn('method', 'text')
    .addColumn('transfer_mode', 'text')
    .addColumn('temporary_volume_id', 'text')
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('abort_requested', 'integer', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('bytes_copied', 'integer', (c) => c.notNull())
    .addColumn('bytes_total', 'integer', (c) => c.notNull())
    .addColumn('fallback_reason', 'text', (c) => c.notNull())
    .addColumn('error', 'text', (c) => c.notNull())
    .addColumn('error_reason', 'text', (c) => c.notNull())
    .addColumn('checkpoint_path', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();

  await s.createTable('volume_migration_events').modifyEnd(strict)
    .addColumn('migration_id', 'text', (c) => c.notNull().references('volume_migrations.id').onDelete('cascade'))
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('migration_status', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('volume_migration_events_pk', ['migration_id', 'sequence'])
    .execute();
}

/** [table, column...]: the port's filters, and every foreign key (cascades and refused deletes look them up). */
const INDEXES: readonly (readonly [string, ...string[]])[] = [
  ['volumes', 'host'],
  ['volumes', 'backend_host'],
  ['volumes', 'status'],
  ['volumes', 'volume_type_id'],
  ['volumes', 'group_id'],
  ['volumes', 'created_at', 'id'],
  ['volume_snapshots', 'volume_id'],
  ['volume_migrations', 'volume_id'],
  ['volume_migrations', 'active'],
];

export const volumes: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await createTables(db);
    for (const [table, ...columns] of INDEXES) {
      await db.schema.createIndex(`${table}_${columns.join('_')}_idx`).on(table).columns(columns).execute();
    }
  },
};
