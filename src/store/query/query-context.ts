/**
 * What every query module works with: the Kysely executor (the plain instance outside a
 * transaction, the transaction inside one), a way to make several statements atomic, and the
 * dialect's classification of constraint errors. Nothing here is SQLite-specific.
 */
import type { Kysely } from 'kysely';
import { AlreadyExistsError } from '../../domain/errors.js';
import { StoreRecordInUseError, StoreReferenceError } from '../store-errors.js';
import type { Database } from './database.js';

export type ConstraintViolation = 'unique' | 'foreign_key';

export interface QueryContext {
  readonly db: Kysely<Database>;
  /**
   * Runs fn so that its statements commit together: inside a transaction with the same executor,
   * outside one in a transaction of its own (used by multi-statement methods such as replacePools).
   */
  atomic<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /** The dialect's reading of a driver error: which constraint failed, if any. */
  constraintOf(error: unknown): ConstraintViolation | undefined;
}

export type WriteOp = 'insert' | 'update' | 'delete';

/**
 * Runs one write and turns constraint violations into the port's typed errors: a duplicate key
 * is AlreadyExistsError, a missing referenced record StoreReferenceError, a delete that would
 * orphan restricted children StoreRecordInUseError. Anything else propagates unchanged.
 */
export async function write<T>(ctx: QueryContext, op: WriteOp, kind: string, id: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const violation = ctx.constraintOf(error);
    if (violation === 'unique') throw new AlreadyExistsError(`${kind} ${id} already exists`, { kind, id });
    if (violation === 'foreign_key') throw op === 'delete' ? new StoreRecordInUseError(kind, id) : new StoreReferenceError(kind, id);
    throw error;
  }
}
