/**
 * Opens the SQLite file for exactly one owner. The lock is SQLite's own: locking_mode=EXCLUSIVE
 * makes the connection keep the file lock it takes on first access until it closes, and with
 * WAL it keeps the WAL index in its own memory (no -shm file). The operating system drops the
 * lock when the process dies, even on kill -9, so there is no stale lock to detect or break.
 * A second opener, in this process or another, gets SQLITE_BUSY at once (busy timeout 0 while
 * locking) and a StoreLockedError.
 *
 * The lock cannot say who holds it, so the owner also writes `<file>.owner` (pid, hostname):
 * purely informational, read only to name the owner in the error, overwritten by the next owner
 * after a crash, removed on close before the lock is released.
 */
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { StoreLockedError, StoreOpenError, type StoreOwner } from '../store-errors.js';
import { isSqliteBusy } from './sqlite-errors.js';

/** How long a statement waits for the file once we own it; the lock makes waits rare (checkpoints). */
const BUSY_TIMEOUT_MS = 5000;

export interface OwnedDatabase {
  readonly sqlite: Database.Database;
  /** Removes the owner file; call before closing the connection (which releases the lock). */
  forgetOwner(): void;
}

export function ownerFileOf(path: string): string {
  return `${path}.owner`;
}

/** Who the owner file says holds `path`; empty when there is none or it is unreadable. */
export function readOwner(path: string): StoreOwner {
  try {
    const parsed = JSON.parse(fs.readFileSync(ownerFileOf(path), 'utf8')) as { pid?: unknown; hostname?: unknown };
    return {
      pid: typeof parsed.pid === 'number' ? parsed.pid : undefined,
      hostname: typeof parsed.hostname === 'string' ? parsed.hostname : undefined,
    };
  } catch {
    return {};
  }
}

function writeOwner(path: string): void {
  // Written to a temporary name and renamed, so a reader never sees half a file.
  const owner = ownerFileOf(path);
  const temporary = `${owner}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify({ pid: process.pid, hostname: hostname(), since: new Date().toISOString() })}\n`);
  fs.renameSync(temporary, owner);
}

function takeLock(sqlite: Database.Database, path: string): void {
  // locking_mode first: set before the first access, WAL then runs without shared memory and the
  // connection holds the exclusive file lock from here until close.
  sqlite.pragma('locking_mode = EXCLUSIVE');
  const mode = sqlite.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new StoreOpenError(path, `journal_mode is ${String(mode)}, WAL is required`);
  // A write transaction makes sure the lock is exclusive now, not at the first real write.
  sqlite.exec('BEGIN IMMEDIATE');
  sqlite.exec('COMMIT');
}

/** Opens and locks `path` (created with its directory when missing) or throws a StoreError. */
export function openOwnedDatabase(path: string): OwnedDatabase {
  let sqlite: Database.Database;
  try {
    fs.mkdirSync(dirname(path), { recursive: true });
    sqlite = new Database(path, { timeout: 0 });
  } catch (error) {
    throw new StoreOpenError(path, 'the file cannot be created or read', error);
  }
  try {
    takeLock(sqlite, path);
    // foreign_keys is per connection and off by default in SQLite; the schema relies on it.
    sqlite.pragma('foreign_keys = ON');
    // FULL: fsync the WAL on every commit. A control plane writes little; a lost commit after a
    // power cut would be a migration step the orchestrator cannot explain.
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    writeOwner(path);
  } catch (error) {
    sqlite.close();
    if (isSqliteBusy(error)) throw new StoreLockedError(path, readOwner(path), error);
    if (error instanceof StoreOpenError) throw error;
    throw new StoreOpenError(path, 'the file is not a usable SQLite database', error);
  }
  return {
    sqlite,
    forgetOwner() {
      fs.rmSync(ownerFileOf(path), { force: true });
    },
  };
}
