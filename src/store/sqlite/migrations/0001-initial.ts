/**
 * Schema version 1: a table per record of src/domain/resources.ts (see src/store/query/database.ts
 * for the column types and docs/store.md for the picture). Tables are STRICT so SQLite refuses a
 * value of the wrong type instead of storing it. Foreign keys cascade where the port says a
 * delete takes dependents with it (share -> instances, rules, snapshots, migrations; instance ->
 * mappings, snapshot instances; network -> subnets) and refuse elsewhere, so a share type,
 * network or share server in use cannot vanish under the records that name it. Refusing is
 * SQL's default NO ACTION rather than RESTRICT: SQLite reports RESTRICT as a trigger failure
 * (SQLITE_CONSTRAINT_TRIGGER) but NO ACTION as SQLITE_CONSTRAINT_FOREIGNKEY, which the store maps. Migration records
 * keep instance ids without a foreign key: they outlive the source instance they migrated away from.
 *
 * Never edit this file once released: add 0002-what.ts instead (docs/store.md).
 */
import { sql, type Kysely, type Migration } from 'kysely';

const strict = sql`strict`;

async function createTables(db: Kysely<unknown>): Promise<void> {
  const s = db.schema;
  await s.createTable('backends').modifyEnd(strict)
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('plugin_name', 'text', (c) => c.notNull())
    .addColumn('vendor_version', 'text', (c) => c.notNull())
    .addColumn('capabilities', 'text', (c) => c.notNull())
    .addColumn('driver_handles_share_servers', 'integer', (c) => c.notNull())
    .addColumn('migration_peer_info', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('pools').modifyEnd(strict)
    .addColumn('host', 'text', (c) => c.primaryKey())
    .addColumn('backend', 'text', (c) => c.notNull().references('backends.name').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('total_capacity_gib', 'real', (c) => c.notNull())
    .addColumn('free_capacity_gib', 'real', (c) => c.notNull())
    .addColumn('allocated_capacity_gib', 'real', (c) => c.notNull())
    .addColumn('capabilities', 'text', (c) => c.notNull())
    .addColumn('availability_zone', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('share_types').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('extra_specs', 'text', (c) => c.notNull())
    .addColumn('is_public', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('share_networks').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('share_network_subnets').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('share_network_id', 'text', (c) => c.notNull().references('share_networks.id').onDelete('cascade'))
    .addColumn('availability_zone', 'text')
    .addColumn('neutron_net_id', 'text', (c) => c.notNull())
    .addColumn('neutron_subnet_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  // share_instances refers to share_servers, so servers come first.
  await s.createTable('share_servers').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('task_state', 'text')
    .addColumn('share_network_id', 'text', (c) => c.notNull().references('share_networks.id'))
    .addColumn('share_network_subnet_ids', 'text', (c) => c.notNull())
    .addColumn('availability_zone', 'text', (c) => c.notNull())
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('backend_details', 'text', (c) => c.notNull())
    .addColumn('network_allocations', 'text', (c) => c.notNull())
    // A finished server migration deletes its source; the destination outlives it.
    .addColumn('source_share_server_id', 'text', (c) => c.references('share_servers.id').onDelete('set null'))
    .addColumn('is_auto_deletable', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('shares').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('share_proto', 'text', (c) => c.notNull())
    .addColumn('size_gib', 'integer', (c) => c.notNull())
    .addColumn('share_type_id', 'text', (c) => c.notNull().references('share_types.id'))
    .addColumn('share_network_id', 'text', (c) => c.references('share_networks.id'))
    .addColumn('availability_zone', 'text', (c) => c.notNull())
    .addColumn('task_state', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('snapshot_support', 'integer', (c) => c.notNull())
    .addColumn('create_share_from_snapshot_support', 'integer', (c) => c.notNull())
    .addColumn('revert_to_snapshot_support', 'integer', (c) => c.notNull())
    .addColumn('mount_snapshot_support', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('share_instances').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('share_id', 'text', (c) => c.notNull().references('shares.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('backend_host', 'text', (c) => c.notNull())
    .addColumn('share_type_id', 'text', (c) => c.notNull().references('share_types.id'))
    .addColumn('share_network_id', 'text', (c) => c.references('share_networks.id'))
    .addColumn('share_server_id', 'text', (c) => c.references('share_servers.id'))
    .addColumn('availability_zone', 'text', (c) => c.notNull())
    .addColumn('cast_rules_to_readonly', 'integer', (c) => c.notNull())
    .addColumn('access_rules_status', 'text', (c) => c.notNull())
    .addColumn('progress', 'text', (c) => c.notNull())
    .addColumn('replica_state', 'text')
    .addColumn('export_locations', 'text', (c) => c.notNull())
    .addColumn('provider_location', 'text', (c) => c.notNull())
    .addColumn('backend_details', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('access_rules').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('share_id', 'text', (c) => c.notNull().references('shares.id').onDelete('cascade'))
    .addColumn('access_type', 'text', (c) => c.notNull())
    .addColumn('access_to', 'text', (c) => c.notNull())
    .addColumn('access_level', 'text', (c) => c.notNull())
    .addColumn('access_key', 'text', (c) => c.notNull())
    .addColumn('for_data_service', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('access_rule_mappings').modifyEnd(strict)
    .addColumn('access_rule_id', 'text', (c) => c.notNull().references('access_rules.id').onDelete('cascade'))
    .addColumn('share_instance_id', 'text', (c) => c.notNull().references('share_instances.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('access_rule_mappings_pk', ['access_rule_id', 'share_instance_id'])
    .execute();

  await s.createTable('snapshots').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('share_id', 'text', (c) => c.notNull().references('shares.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('size_gib', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('snapshot_instances').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('snapshot_id', 'text', (c) => c.notNull().references('snapshots.id').onDelete('cascade'))
    .addColumn('share_instance_id', 'text', (c) => c.notNull().references('share_instances.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('progress', 'text', (c) => c.notNull())
    .addColumn('provider_location', 'text', (c) => c.notNull())
    .addColumn('export_locations', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await s.createTable('share_migrations').modifyEnd(strict)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('share_id', 'text', (c) => c.notNull().references('shares.id').onDelete('cascade'))
    .addColumn('source_instance_id', 'text', (c) => c.notNull())
    .addColumn('destination_instance_id', 'text')
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('method', 'text')
    .addColumn('capabilities', 'text')
    .addColumn('task_state', 'text', (c) => c.notNull())
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('pending_action', 'text')
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('fallback_reason', 'text', (c) => c.notNull())
    .addColumn('error', 'text', (c) => c.notNull())
    .addColumn('error_reason', 'text', (c) => c.notNull())
    .addColumn('checkpoint_path', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();

  await s.createTable('migration_events').modifyEnd(strict)
    .addColumn('migration_id', 'text', (c) => c.notNull().references('share_migrations.id').onDelete('cascade'))
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('task_state', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('migration_events_pk', ['migration_id', 'sequence'])
    .execute();
}

/** [table, column...]: the port's filters, and every foreign key (cascades and refused deletes look them up). */
const INDEXES: readonly (readonly [string, ...string[]])[] = [
  ['pools', 'backend'],
  ['share_network_subnets', 'share_network_id'],
  ['share_servers', 'host'],
  ['share_servers', 'status'],
  ['share_servers', 'share_network_id'],
  ['share_servers', 'source_share_server_id'],
  ['shares', 'share_type_id'],
  ['shares', 'share_network_id'],
  ['shares', 'created_at', 'id'],
  ['share_instances', 'share_id'],
  ['share_instances', 'status'],
  ['share_instances', 'host'],
  ['share_instances', 'backend_host'],
  ['share_instances', 'share_type_id'],
  ['share_instances', 'share_network_id'],
  ['share_instances', 'share_server_id'],
  ['access_rules', 'share_id'],
  ['access_rule_mappings', 'share_instance_id'],
  ['snapshots', 'share_id'],
  ['snapshot_instances', 'snapshot_id'],
  ['snapshot_instances', 'share_instance_id'],
  ['share_migrations', 'share_id'],
  ['share_migrations', 'active'],
];

export const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await createTables(db);
    for (const [table, ...columns] of INDEXES) {
      await db.schema.createIndex(`${table}_${columns.join('_')}_idx`).on(table).columns(columns).execute();
    }
  },
  // No down: ferry never migrates a store backwards (an older ferry refuses a newer file).
};
