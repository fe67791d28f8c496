/**
 * The store's own errors. Record-level outcomes use the domain errors (NotFoundError,
 * AlreadyExistsError); these cover the store as a whole: who owns the file, which schema it is
 * at, and misuse of the transaction API. All carry domain ferry.dev (the reason is ferry's, not a
 * driver's) and the store path in metadata.storePath where one applies.
 */
import { FERRY_ERROR_DOMAIN, FerryError, type ErrorCode } from '../domain/errors.js';

function storeError(code: ErrorCode, reason: string, message: string, metadata: Record<string, string>, cause?: unknown) {
  return { code, reason, message, metadata, cause, domain: FERRY_ERROR_DOMAIN };
}

/** Who holds a store file, as the owner wrote it beside the file; pid is undefined when unknown. */
export interface StoreOwner {
  readonly pid?: number;
  readonly hostname?: string;
}

/**
 * Thrown when a second process (or a second open in this process) tries to open a store file that
 * another store instance holds. Stop the other daemon, or give this one its own data directory.
 */
export class StoreLockedError extends FerryError {
  override readonly name = 'StoreLockedError';
  constructor(path: string, owner: StoreOwner, cause?: unknown) {
    const who = owner.pid === undefined ? 'owner unknown' : `held by pid ${owner.pid}${owner.hostname ? ` on ${owner.hostname}` : ''}`;
    const metadata: Record<string, string> = { storePath: path };
    if (owner.pid !== undefined) metadata.pid = String(owner.pid);
    super(storeError('FAILED_PRECONDITION', 'STORE_LOCKED',
      `store ${path} is already open (${who}); stop that ferry or use another data directory`, metadata, cause));
  }
}

/**
 * Thrown at open when the file records a schema migration this code does not know: it was written
 * by a newer ferry. Running on it could corrupt it, so the store refuses; upgrade ferry.
 */
export class StoreSchemaTooNewError extends FerryError {
  override readonly name = 'StoreSchemaTooNewError';
  constructor(path: string, unknownMigrations: readonly string[], knownVersion: number) {
    super(storeError('FAILED_PRECONDITION', 'STORE_SCHEMA_TOO_NEW',
      `store ${path} has schema migrations this ferry does not know (${unknownMigrations.join(', ')}; this ferry knows up to ${knownVersion}); ` +
      'it was written by a newer ferry: upgrade ferry or use another data directory',
      { storePath: path, unknownMigrations: unknownMigrations.join(','), knownVersion: String(knownVersion) }));
  }
}

/** Thrown when the store file cannot be opened or prepared (unreadable, not a database, no WAL). */
export class StoreOpenError extends FerryError {
  override readonly name = 'StoreOpenError';
  constructor(path: string, what: string, cause?: unknown) {
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    super(storeError('FAILED_PRECONDITION', 'STORE_OPEN_FAILED', `cannot open store ${path}: ${what}${detail}`, { storePath: path }, cause));
  }
}

/** Thrown when applying a schema migration fails; the migration run is rolled back as a whole. */
export class StoreMigrationError extends FerryError {
  override readonly name = 'StoreMigrationError';
  constructor(path: string, migration: string, cause: unknown) {
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    super(storeError('INTERNAL', 'STORE_MIGRATION_FAILED', `schema migration ${migration} of store ${path} failed${detail}`,
      { storePath: path, migration }, cause));
  }
}

/** Thrown when a store method is called after close(). */
export class StoreClosedError extends FerryError {
  override readonly name = 'StoreClosedError';
  constructor(path: string, method: string) {
    super(storeError('FAILED_PRECONDITION', 'STORE_CLOSED', `store ${path} is closed (${method} called after close)`, { storePath: path, method }));
  }
}

/**
 * Thrown on a programming error with transactions: calling the outer store (not `tx`) inside
 * transaction(fn), which would wait for the very transaction that waits for it, or using `tx`
 * after its transaction ended. Fix the caller; inside fn use only tx.
 */
export class StoreTransactionMisuseError extends FerryError {
  override readonly name = 'StoreTransactionMisuseError';
  constructor(method: string, problem: 'outer-call-in-transaction' | 'tx-after-end') {
    const message = problem === 'outer-call-in-transaction'
      ? `store.${method} called on the outer store inside transaction(fn); it would wait for the open transaction forever: inside fn use only tx`
      : `tx.${method} called after its transaction ended; keep store work inside transaction(fn)`;
    super(storeError('INTERNAL', 'STORE_TRANSACTION_MISUSE', message, { method }));
  }
}

/** Thrown when an insert or update names a record (share type, network, parent) that does not exist. */
export class StoreReferenceError extends FerryError {
  override readonly name = 'StoreReferenceError';
  constructor(kind: string, id: string) {
    super(storeError('FAILED_PRECONDITION', 'STORE_REFERENCE_NOT_FOUND',
      `${kind} ${id} refers to a record that does not exist; create that first`, { kind, id }));
  }
}

/** Thrown when a delete would orphan records that refer to it without cascading (e.g. a share type in use). */
export class StoreRecordInUseError extends FerryError {
  override readonly name = 'StoreRecordInUseError';
  constructor(kind: string, id: string) {
    super(storeError('FAILED_PRECONDITION', 'STORE_RECORD_IN_USE',
      `${kind} ${id} is still referenced by other records; delete or move those first`, { kind, id }));
  }
}

/** Thrown when the database fails in a way the store cannot classify; the driver's error is the cause. */
export class StoreQueryError extends FerryError {
  override readonly name = 'StoreQueryError';
  constructor(method: string, cause: unknown) {
    super(storeError('INTERNAL', 'STORE_QUERY_FAILED', `store query failed (${method})`, { method }, cause));
  }
}
