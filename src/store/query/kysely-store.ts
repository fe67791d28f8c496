/**
 * StorePort over any Kysely instance: the transaction rule, the guards around it, and error
 * normalisation. Dialect-specific parts (opening, locking, schema, constraint codes) come in
 * through KyselyStoreOptions, so a PostgreSQL store reuses this file unchanged.
 *
 * The transaction rule: inside transaction(fn), use only `tx`. The SQLite driver has a single
 * connection behind a mutex; the transaction holds it until fn settles, so a call on the outer
 * store from inside fn would queue behind the transaction that is waiting for it, and hang. The
 * store detects that case (an AsyncLocalStorage marks fn's async context) and throws
 * StoreTransactionMisuseError instead. Calls from unrelated async work (another request) are
 * not inside fn's context and simply wait their turn: that is the serialisation the port asks for.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { FerryError } from '../../domain/errors.js';
import type { StorePort, StoreTx } from '../../orchestrator/store-port.js';
import { StoreClosedError, StoreQueryError, StoreTransactionMisuseError } from '../store-errors.js';
import type { Database } from './database.js';
import type { ConstraintViolation, QueryContext } from './query-context.js';
import { createStoreTx } from './store-tx.js';

export interface KyselyStoreOptions {
  readonly db: Kysely<Database>;
  /** Shown in errors and logs. */
  readonly path: string;
  readonly constraintOf: (error: unknown) => ConstraintViolation | undefined;
  readonly schemaVersion: () => Promise<number>;
  /** Releases what the dialect holds (lock, connection); called once, after in-flight work ends. */
  readonly release: () => Promise<void>;
  readonly logger?: Logger;
}

interface TxScope {
  open: boolean;
}

type Method = (...args: unknown[]) => Promise<unknown>;

/** Wraps every method of `target` with `around` (guards and error normalisation). */
function wrapMethods<T extends object>(target: T, around: (method: string, call: () => Promise<unknown>) => Promise<unknown>): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(target)) {
    const method = value as Method;
    wrapped[name] = (...args: unknown[]) => around(name, () => method(...args));
  }
  return wrapped as T;
}

/** Errors leave the store typed: FerryErrors as they are, anything else as StoreQueryError. */
function typed(method: string, error: unknown): FerryError {
  return error instanceof FerryError ? error : new StoreQueryError(method, error);
}

export function createKyselyStore(options: KyselyStoreOptions): StorePort {
  const { db, path, logger } = options;
  const scope = new AsyncLocalStorage<TxScope>();
  let closed = false;

  const context = (executor: Kysely<Database>, inTransaction: boolean): QueryContext => ({
    db: executor,
    constraintOf: options.constraintOf,
    atomic: inTransaction ? (fn) => fn(executor) : (fn) => executor.transaction().execute(fn),
  });

  /** Refuses calls after close and calls on the outer store from inside a transaction's fn. */
  const checkOuter = (method: string): void => {
    if (closed) throw new StoreClosedError(path, method);
    if (scope.getStore()?.open) throw new StoreTransactionMisuseError(method, 'outer-call-in-transaction');
  };

  const outer = wrapMethods(createStoreTx(context(db, false)), async (method, call) => {
    checkOuter(method);
    try {
      return await call();
    } catch (error) {
      throw typed(method, error);
    }
  });

  async function transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    checkOuter('transaction');
    const txScope: TxScope = { open: true };
    // fn's own error is what the caller gets back, even if the rollback after it fails too.
    let fnFailure: { error: unknown } | undefined;
    try {
      return await db.transaction().execute(async (trx) => {
        // tx calls run one at a time even if fn starts several at once (Promise.all): a
        // read-modify-write such as updateShare or appendMigrationEvent must not interleave
        // with another on the same connection.
        let queue: Promise<unknown> = Promise.resolve();
        const tx = wrapMethods(createStoreTx(context(trx, true)), (method, call) => {
          const result = queue.then(async () => {
            if (!txScope.open) throw new StoreTransactionMisuseError(method, 'tx-after-end');
            try {
              return await call();
            } catch (error) {
              throw typed(method, error);
            }
          });
          queue = result.catch(() => undefined);
          return result;
        });
        try {
          return await scope.run(txScope, () => fn(tx));
        } catch (error) {
          fnFailure = { error };
          throw error;
        } finally {
          txScope.open = false;
        }
      });
    } catch (error) {
      if (fnFailure === undefined) throw typed('transaction', error);
      if (error !== fnFailure.error) logger?.error({ err: error }, 'store rollback failed');
      throw fnFailure.error;
    }
  }

  return {
    ...outer,
    transaction,
    async schemaVersion() {
      checkOuter('schemaVersion');
      return options.schemaVersion();
    },
    async close() {
      if (closed) return;
      if (scope.getStore()?.open) throw new StoreTransactionMisuseError('close', 'outer-call-in-transaction');
      closed = true;
      // Taking the connection once more waits for every call already queued on it.
      await db.connection().execute(async () => undefined);
      await options.release();
      logger?.info('store closed');
    },
  };
}
