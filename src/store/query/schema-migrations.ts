/**
 * Applies the schema migrations a store's code ships with, through Kysely's Migrator and a
 * static provider: the list is compiled in, so the tsc output works from any cwd and no
 * directory is scanned at run time. Names are `NNNN-what`; the number is the schema version.
 * A file that records a migration this code does not know was written by a newer ferry: it is
 * refused before anything runs.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationResult } from 'kysely';
import { StoreMigrationError, StoreSchemaTooNewError } from '../store-errors.js';

/** Where the Migrator records applied migrations (and its lock row). */
export const MIGRATION_TABLE = 'schema_migration';
export const MIGRATION_LOCK_TABLE = 'schema_migration_lock';

export type MigrationSet = Readonly<Record<string, Migration>>;

/** The schema version a migration name stands for: its leading number. */
export function versionOf(name: string): number {
  const match = /^(\d+)-/.exec(name);
  if (!match) throw new Error(`schema migration name "${name}" does not start with its number (NNNN-what)`);
  return Number(match[1]);
}

/** The highest version among `names`, 0 for none. */
export function latestVersion(names: Iterable<string>): number {
  let latest = 0;
  for (const name of names) latest = Math.max(latest, versionOf(name));
  return latest;
}

/** Names of the migrations applied to this database, oldest first; empty for a new file. */
export async function appliedMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const tables = await db.introspection.getTables();
  if (!tables.some((table) => table.name === MIGRATION_TABLE)) return [];
  // The Migrator's own table is outside the Database interface, hence a typed raw query.
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)} order by name`.execute(db);
  return rows.map((row) => row.name);
}

export interface MigrateOutcome {
  /** Migrations this run applied, in order. */
  readonly applied: readonly string[];
  readonly version: number;
}

/** Brings the schema to the newest version `migrations` knows, or refuses a newer file. */
export async function migrateToLatest<DB>(db: Kysely<DB>, migrations: MigrationSet, storePath: string): Promise<MigrateOutcome> {
  const known = new Set(Object.keys(migrations));
  const unknown = (await appliedMigrations(db)).filter((name) => !known.has(name));
  if (unknown.length > 0) throw new StoreSchemaTooNewError(storePath, unknown, latestVersion(known));

  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed: MigrationResult | undefined = results.find((result) => result.status === 'Error');
    throw new StoreMigrationError(storePath, failed?.migrationName ?? '(before any migration)', error);
  }
  return {
    applied: results.filter((result) => result.status === 'Success').map((result) => result.migrationName),
    version: latestVersion(await appliedMigrations(db)),
  };
}
