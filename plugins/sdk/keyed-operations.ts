/**
 * Idempotency helpers for plugin authors. The contract (identity.proto, "Concurrency and
 * retries") says every mutating RPC is idempotent for its key: a call arriving while another
 * call with the same key still runs answers ABORTED (OPERATION_IN_PROGRESS), and a replay of a
 * call that completed returns the same result. These two helpers make both rules one line each
 * in a handler:
 *
 * ```ts
 * const ops = createKeyedOperations();
 * const created = createCompletedResults<CreateShareInstanceResponse>();
 * async createShareInstance(req, ctx) {
 *   const key = req.shareInstance.shareInstanceId;
 *   return ops.run(key, () => created.replayOrRun(key, () => this.reallyCreate(req, ctx), { fingerprint: `${req.shareInstance.sizeGib}` }));
 * }
 * ```
 *
 * Both live in memory: after a plugin restart they are empty, so a handler still has to look
 * at its back end (does the directory exist already?) to stay idempotent across restarts.
 */
import { AlreadyExistsError, OperationInProgressError } from '../../src/domain/errors.js';

/** Runs at most one operation per key at a time. */
export interface KeyedOperations {
  /**
   * Runs `fn` unless an operation with the same key is still running, in which case it throws
   * OperationInProgressError (ABORTED, OPERATION_IN_PROGRESS) without calling `fn`. The key is
   * released when `fn` settles, whether it resolved or threw.
   */
  run<T>(key: string, fn: () => Promise<T> | T): Promise<T>;
  /** Whether an operation with this key is running now. */
  isRunning(key: string): boolean;
  /** How many operations are running now. */
  readonly size: number;
}

/** Creates an empty set of keyed operations; keep one per resource kind (shares, volumes...). */
export function createKeyedOperations(): KeyedOperations {
  const running = new Set<string>();
  return {
    async run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
      if (running.has(key)) throw new OperationInProgressError(key);
      running.add(key);
      try {
        return await fn();
      } finally {
        running.delete(key);
      }
    },
    isRunning: (key) => running.has(key),
    get size() {
      return running.size;
    },
  };
}

/** Operations on one key run one after another: a queue, where KeyedOperations refuses. */
export interface KeyedQueue {
  /** Runs `fn` after every earlier call with the same key settled; rejects as `fn` does. */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export function createKeyedQueue(): KeyedQueue {
  const tails = new Map<string, Promise<void>>();
  return {
    withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const next = (tails.get(key) ?? Promise.resolve()).then(fn);
      const settled = next.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, settled);
      // The map holds only keys with work queued, so it does not grow with every key ever used.
      void settled.then(() => {
        if (tails.get(key) === settled) tails.delete(key);
      });
      return next;
    },
  };
}

export interface CompletedResultsOptions {
  /**
   * How many results to keep; the oldest is forgotten first.
   * @default 10000
   */
  readonly maxEntries?: number;
}

export interface ReplayOptions {
  /**
   * A string that identifies the call's arguments (e.g. size and protocol). A replay whose
   * fingerprint differs from the remembered one throws AlreadyExistsError
   * (ALREADY_EXISTS_INCOMPATIBLE): the same key was reused with different parameters.
   * @default "" (every replay is compatible)
   */
  readonly fingerprint?: string;
}

/** Remembers the result of each completed operation so a replay returns the same result. */
export interface CompletedResults<T> {
  /** The remembered result for `key`, or undefined. */
  get(key: string): T | undefined;
  /** Remembers `value` as the result for `key` and returns it. */
  remember(key: string, value: T, options?: ReplayOptions): T;
  /** Forgets `key` (e.g. after the resource was deleted, so a later create runs again). */
  forget(key: string): void;
  /**
   * Returns the remembered result for `key` if there is one (checking the fingerprint), or runs
   * `fn` and remembers what it returns. A failed `fn` is not remembered, so a retry runs again.
   * Combine with KeyedOperations.run so overlapping calls answer ABORTED.
   */
  replayOrRun(key: string, fn: () => Promise<T> | T, options?: ReplayOptions): Promise<T>;
  readonly size: number;
}

/** Creates an empty, bounded memory of completed results. */
export function createCompletedResults<T>(options: CompletedResultsOptions = {}): CompletedResults<T> {
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`createCompletedResults: maxEntries must be a positive integer, got ${maxEntries}`);
  }
  // Map keeps insertion order, so the first key is the oldest.
  const results = new Map<string, { value: T; fingerprint: string }>();
  const remember = (key: string, value: T, replay: ReplayOptions = {}): T => {
    results.delete(key);
    results.set(key, { value, fingerprint: replay.fingerprint ?? '' });
    while (results.size > maxEntries) {
      const oldest = results.keys().next().value as string;
      results.delete(oldest);
    }
    return value;
  };
  return {
    get: (key) => results.get(key)?.value,
    remember,
    forget: (key) => void results.delete(key),
    async replayOrRun(key, fn, replay = {}) {
      const known = results.get(key);
      if (known !== undefined) {
        const fingerprint = replay.fingerprint ?? '';
        if (known.fingerprint !== fingerprint) {
          throw new AlreadyExistsError(`${key} already exists with different parameters (${known.fingerprint || 'none'} != ${fingerprint || 'none'})`, { key });
        }
        return known.value;
      }
      return remember(key, await fn(), replay);
    },
    get size() {
      return results.size;
    },
  };
}
