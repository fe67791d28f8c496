/**
 * The embedded default store: one SQLite file, owned by one process, behind Kysely.
 * Opening takes the file's exclusive lock, sets the pragmas, refuses a file from a newer ferry
 * and applies pending schema migrations; everything after that is the dialect-neutral
 * query layer in ../query.
 */
import { Kysely } from 'kysely';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { StorePort } from '../../orchestrator/store-port.js';
import type { Database } from '../query/database.js';
import { createKyselyStore } from '../query/kysely-store.js';
import { appliedMigrations, latestVersion } from '../query/schema-migrations.js';
import { SQLITE_MIGRATIONS } from './migrations/index.js';
import { openOwnedDatabase } from './open-database.js';
import { TransactionalSqliteDialect } from './sqlite-dialect.js';
import { sqliteConstraintOf } from './sqlite-errors.js';
import { migrateSqlite } from './sqlite-migrate.js';

export interface SqliteStoreOptions {
  /** The SQLite file (e.g. `<data dir>/ferry.db`); created, with its directory, when missing. */
  readonly path: string;
  /** Receives open/close and rollback-failure logs, bound with `component: 'store'`. */
  readonly logger?: Logger;
}

/**
 * Opens (creating and migrating as needed) the store at `options.path`.
 * Throws StoreLockedError when another store holds the file, StoreSchemaTooNewError when a
 * newer ferry wrote it, StoreOpenError when it is not a usable SQLite file, and
 * StoreMigrationError when a schema migration fails (the file is left as it was).
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<StorePort> {
  const path = resolve(options.path);
  const logger = options.logger?.child({ component: 'store', storePath: path });
  const owned = openOwnedDatabase(path);
  const db = new Kysely<Database>({ dialect: new TransactionalSqliteDialect({ database: owned.sqlite }) });
  const release = async (): Promise<void> => {
    owned.forgetOwner();
    await db.destroy();
  };

  try {
    const { applied, version } = await migrateSqlite(db, owned.sqlite, SQLITE_MIGRATIONS, path);
    logger?.info({ schemaVersion: version, appliedMigrations: applied }, 'store opened');
  } catch (error) {
    await release();
    throw error;
  }

  return createKyselyStore({
    db,
    path,
    logger,
    release,
    constraintOf: sqliteConstraintOf,
    schemaVersion: async () => latestVersion(await appliedMigrations(db)),
  });
}
