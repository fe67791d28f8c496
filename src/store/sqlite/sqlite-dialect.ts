/**
 * Kysely's SqliteDialect, with one correction: its adapter reports that SQLite cannot run DDL
 * inside a transaction, so Kysely's Migrator would apply migrations statement by statement and a
 * failure halfway would leave a half-migrated file. SQLite does run CREATE/ALTER/DROP inside
 * transactions, so this adapter says so and the Migrator wraps the whole run in one transaction.
 */
import { SqliteAdapter, SqliteDialect, type DialectAdapter } from 'kysely';

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class TransactionalSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
