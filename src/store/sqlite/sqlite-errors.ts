/** How SQLite (through better-sqlite3) reports the errors the query layer must tell apart. */
import Database from 'better-sqlite3';
import type { ConstraintViolation } from '../query/query-context.js';

function codeOf(error: unknown): string | undefined {
  return error instanceof Database.SqliteError ? error.code : undefined;
}

/** Extended result codes (better-sqlite3 enables them) name the constraint that failed. */
export function sqliteConstraintOf(error: unknown): ConstraintViolation | undefined {
  switch (codeOf(error)) {
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
    case 'SQLITE_CONSTRAINT_UNIQUE':
      return 'unique';
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
      return 'foreign_key';
    default:
      return undefined;
  }
}

/** SQLITE_BUSY or SQLITE_LOCKED (and their extended forms): someone else holds the file. */
export function isSqliteBusy(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}
