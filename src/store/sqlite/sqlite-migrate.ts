/**
 * Runs the schema migrations the SQLite way. SQLite's ALTER TABLE cannot change a column or a
 * constraint, so such a migration rebuilds the table (create new, copy, drop old, rename). With
 * foreign keys on, dropping a parent table deletes its rows first and cascades to the children,
 * and foreign_keys cannot be switched inside a transaction. So migrations run with foreign keys
 * off, and every migration ends with PRAGMA foreign_key_check inside the migration transaction:
 * a migration that leaves a dangling reference fails and the whole run rolls back. That
 * relies on the run being one transaction, which needs TransactionalSqliteDialect (checked).
 */
import type Database from 'better-sqlite3';
import { sql, type Kysely, type Migration } from 'kysely';
import { migrateToLatest, type MigrateOutcome, type MigrationSet } from '../query/schema-migrations.js';

interface ForeignKeyViolation {
  table: string;
  rowid: number | null;
  parent: string;
}

async function assertForeignKeys(db: Kysely<unknown>, migration: string): Promise<void> {
  const { rows } = await sql<ForeignKeyViolation>`pragma foreign_key_check`.execute(db);
  if (rows.length === 0) return;
  const sample = rows.slice(0, 3).map((row) => `${row.table} row ${String(row.rowid)} -> ${row.parent}`).join('; ');
  throw new Error(`migration ${migration} leaves ${rows.length} dangling reference(s): ${sample}`);
}

/** Each migration followed by a foreign-key check, in the same transaction. */
export function withForeignKeyCheck(migrations: MigrationSet): MigrationSet {
  return Object.fromEntries(Object.entries(migrations).map(([name, migration]): [string, Migration] => [name, {
    async up(db: Kysely<unknown>) {
      await migration.up(db);
      await assertForeignKeys(db, name);
    },
  }]));
}

/** Migrates `db` (a Kysely over `sqlite`) to the newest of `migrations`; see the file comment. */
export async function migrateSqlite<DB>(db: Kysely<DB>, sqlite: Database.Database, migrations: MigrationSet, path: string): Promise<MigrateOutcome> {
  if (!db.getExecutor().adapter.supportsTransactionalDdl) {
    throw new Error('migrateSqlite needs a Kysely built with TransactionalSqliteDialect: migrations must run in one transaction');
  }
  sqlite.pragma('foreign_keys = OFF');
  try {
    return await migrateToLatest(db, withForeignKeyCheck(migrations), path);
  } finally {
    sqlite.pragma('foreign_keys = ON');
  }
}
