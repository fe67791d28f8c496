/**
 * Typed errors of the data copy engine. Every failure of a copy job is a DataCopyError: a
 * FerryError whose `reason` says what went wrong and whose `path` names the entry (relative to
 * the source root, '' for the root itself). Worker threads cannot post Error subclasses across
 * threads on Node 20 (they arrive as plain Errors), so workers return a {@link WorkerFailure}
 * and the pool rebuilds the typed error with {@link dataCopyErrorFromFailure}.
 */
import { FerryError, type ErrorCode } from '../domain/errors.js';

/** The reasons a copy job fails with; UPPER_SNAKE like every ferry reason. */
export const DATA_COPY_REASONS = [
  'SOURCE_UNREADABLE',
  'NO_SPACE',
  'PERMISSION_DENIED',
  'SOURCE_VANISHED',
  'DESTINATION_NOT_EMPTY',
  'DESTINATION_CONFLICT',
  'HASH_MISMATCH',
  'ESCAPE_ATTEMPT',
  'CANCELLED',
  'INVALID_COPY_OPTIONS',
  'COPY_FAILED',
] as const;
export type DataCopyReason = (typeof DATA_COPY_REASONS)[number];

const CODE_OF: Record<DataCopyReason, ErrorCode> = {
  SOURCE_UNREADABLE: 'DATA_LOSS',
  NO_SPACE: 'RESOURCE_EXHAUSTED',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  SOURCE_VANISHED: 'NOT_FOUND',
  DESTINATION_NOT_EMPTY: 'FAILED_PRECONDITION',
  DESTINATION_CONFLICT: 'FAILED_PRECONDITION',
  HASH_MISMATCH: 'DATA_LOSS',
  ESCAPE_ATTEMPT: 'PERMISSION_DENIED',
  CANCELLED: 'CANCELLED',
  INVALID_COPY_OPTIONS: 'INVALID_ARGUMENT',
  COPY_FAILED: 'INTERNAL',
};

/** What a worker returns instead of throwing: plain data that survives structured clone. */
export interface WorkerFailure {
  readonly ok: false;
  readonly reason: DataCopyReason;
  readonly message: string;
  /** Path relative to the source root ('' = the root), decoded for display. */
  readonly path: string;
  /** errno code of the underlying system error, when there was one (e.g. "ENOSPC"). */
  readonly errno?: string;
}

/** Thrown when a copy job fails; `reason` says why and `path` names the entry. */
export class DataCopyError extends FerryError {
  override readonly name: string = 'DataCopyError';
  declare readonly reason: DataCopyReason;
  readonly path: string;
  readonly errno: string | undefined;
  constructor(reason: DataCopyReason, message: string, path: string, options: { errno?: string; cause?: unknown } = {}) {
    const metadata: Record<string, string> = { path };
    if (options.errno) metadata.errno = options.errno;
    super({ code: CODE_OF[reason], reason, message, metadata, domain: 'ferry.dev', cause: options.cause });
    this.path = path;
    this.errno = options.errno;
  }
}

/** Thrown when the job was cancelled through its AbortSignal; partial files were removed. */
export class DataCopyCancelledError extends DataCopyError {
  override readonly name = 'DataCopyCancelledError';
  constructor(path = '') {
    super('CANCELLED', 'data copy cancelled; partially written files were removed', path);
  }
}

/** Thrown when a copied file's hash differs from its source twice in a row. */
export class HashMismatchError extends DataCopyError {
  override readonly name = 'HashMismatchError';
  constructor(path: string, message?: string) {
    super('HASH_MISMATCH', message ?? `data corrupted while copying ${path}: destination hash differs from source after a retry`, path);
  }
}

/** Thrown when a symlink or a race would make the engine read or write outside its roots. */
export class EscapeAttemptError extends DataCopyError {
  override readonly name = 'EscapeAttemptError';
  constructor(path: string, message?: string) {
    super('ESCAPE_ATTEMPT', message ?? `refusing to follow a symlink at ${path}: it would leave the copy roots`, path);
  }
}

/** Thrown when the destination must be empty and is not. */
export class DestinationNotEmptyError extends DataCopyError {
  override readonly name = 'DestinationNotEmptyError';
  constructor(destination: string) {
    super('DESTINATION_NOT_EMPTY', `destination ${destination} is not empty; empty it or drop requireEmptyDestination`, '');
  }
}

/** Thrown for invalid CopyTreeOptions (bad roots, nested roots, checkpoint inside a root). */
export class InvalidCopyOptionsError extends DataCopyError {
  override readonly name = 'InvalidCopyOptionsError';
  constructor(message: string) {
    super('INVALID_COPY_OPTIONS', message, '');
  }
}

/** Rebuilds the typed error from a worker's failure record. */
export function dataCopyErrorFromFailure(failure: WorkerFailure): DataCopyError {
  switch (failure.reason) {
    case 'CANCELLED':
      return new DataCopyCancelledError(failure.path);
    case 'HASH_MISMATCH':
      return new HashMismatchError(failure.path, failure.message);
    case 'ESCAPE_ATTEMPT':
      return new EscapeAttemptError(failure.path, failure.message);
    default:
      return new DataCopyError(failure.reason, failure.message, failure.path, failure.errno ? { errno: failure.errno } : {});
  }
}

/** Maps an errno code to a reason; `side` says whether the source or destination failed. */
export function reasonForErrno(errno: string | undefined, side: 'source' | 'destination'): DataCopyReason {
  switch (errno) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'NO_SPACE';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'PERMISSION_DENIED';
    case 'ENOENT':
      return side === 'source' ? 'SOURCE_VANISHED' : 'COPY_FAILED';
    case 'ELOOP':
      return 'ESCAPE_ATTEMPT';
    default:
      return side === 'source' ? 'SOURCE_UNREADABLE' : 'COPY_FAILED';
  }
}
