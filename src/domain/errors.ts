/**
 * ferry's typed errors. Everything ferry throws across a module boundary is a FerryError: it
 * carries a gRPC-style `code` (what kind of failure), a machine-readable `reason` from the
 * catalogue in proto/ferry/driver/v1/errors.proto (what exactly), and `metadata` with the ids
 * involved. Callers decide from code + reason, never from the message text. Transport mapping
 * lives in src/contract/status.ts; this module is pure and imports nothing.
 */

/** The gRPC status codes by name; FerryError.code is one of these. */
export const ERROR_CODES = [
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One wrong request field, as google.rpc.BadRequest.FieldViolation. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** ErrorInfo domains: who defined the reason. */
export const DRIVER_ERROR_DOMAIN = 'driver.ferry.dev';
export const FERRY_ERROR_DOMAIN = 'ferry.dev';

export interface FerryErrorOptions {
  readonly code: ErrorCode;
  /** UPPER_SNAKE reason, e.g. "SHARE_INSTANCE_NOT_FOUND"; "" when there is none. */
  readonly reason: string;
  readonly message: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly fieldViolations?: readonly FieldViolation[];
  readonly domain?: string;
  readonly cause?: unknown;
}

/** Base class of every error ferry raises on purpose. */
export class FerryError extends Error {
  override readonly name: string = 'FerryError';
  readonly code: ErrorCode;
  readonly reason: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly fieldViolations: readonly FieldViolation[];
  readonly domain: string;

  constructor(options: FerryErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.reason = options.reason;
    this.metadata = options.metadata ?? {};
    this.fieldViolations = options.fieldViolations ?? [];
    this.domain = options.domain ?? DRIVER_ERROR_DOMAIN;
  }

  /** Normalises anything caught into a FerryError; unknown errors become INTERNAL and keep the original as `cause`. */
  static from(error: unknown): FerryError {
    if (error instanceof FerryError) return error;
    return new InternalError('internal error', { cause: error });
  }
}

/** Thrown when a request field is missing or malformed; not retryable. */
export class InvalidArgumentError extends FerryError {
  override readonly name = 'InvalidArgumentError';
  constructor(field: string, description: string, reason = 'INVALID_FIELD', metadata: Record<string, string> = {}) {
    super({
      code: 'INVALID_ARGUMENT',
      reason,
      message: `${field}: ${description}`,
      metadata: { field, ...metadata },
      fieldViolations: [{ field, description }],
    });
  }
}

/** Thrown when a REQUIRED field is empty. */
export class MissingFieldError extends InvalidArgumentError {
  constructor(field: string) {
    super(field, 'is required', 'MISSING_FIELD');
  }
}

/** Thrown when an id names nothing the callee knows. `kind` is e.g. "share instance". */
export class NotFoundError extends FerryError {
  override readonly name = 'NotFoundError';
  constructor(kind: string, id: string, reason: string, metadataKey = 'id') {
    super({ code: 'NOT_FOUND', reason, message: `${kind} ${id} not found`, metadata: { [metadataKey]: id } });
  }
}

/** Thrown when a create reuses an id with different parameters. */
export class AlreadyExistsError extends FerryError {
  override readonly name = 'AlreadyExistsError';
  constructor(message: string, metadata: Record<string, string> = {}) {
    super({ code: 'ALREADY_EXISTS', reason: 'ALREADY_EXISTS_INCOMPATIBLE', message, metadata });
  }
}

/** Thrown when the system is not in a state that allows the call (wrong phase, busy resource, dependents). */
export class FailedPreconditionError extends FerryError {
  override readonly name = 'FailedPreconditionError';
  constructor(reason: string, message: string, metadata: Record<string, string> = {}) {
    super({ code: 'FAILED_PRECONDITION', reason, message, metadata });
  }
}

/** Thrown when another operation with the same idempotency key is still running; retry later. */
export class OperationInProgressError extends FerryError {
  override readonly name = 'OperationInProgressError';
  constructor(key: string) {
    super({ code: 'ABORTED', reason: 'OPERATION_IN_PROGRESS', message: `an operation for ${key} is already in progress; retry later`, metadata: { key } });
  }
}

/** Thrown when a capability or RPC is not offered. */
export class UnimplementedError extends FerryError {
  override readonly name = 'UnimplementedError';
  constructor(what: string, capability = '') {
    super({ code: 'UNIMPLEMENTED', reason: 'CAPABILITY_NOT_SUPPORTED', message: `${what} is not supported`, metadata: capability ? { capability } : {} });
  }
}

/** Thrown when a dependency (a plugin, a back end) is down; retry with backoff. */
export class UnavailableError extends FerryError {
  override readonly name = 'UnavailableError';
  constructor(reason: string, message: string, metadata: Record<string, string> = {}, cause?: unknown) {
    super({ code: 'UNAVAILABLE', reason, message, metadata, cause });
  }
}

/** Thrown when an operation was cancelled or ran out of time. */
export class CancelledError extends FerryError {
  override readonly name = 'CancelledError';
  constructor(message = 'operation cancelled', code: 'CANCELLED' | 'DEADLINE_EXCEEDED' = 'CANCELLED', reason = 'CANCELLED', metadata: Record<string, string> = {}) {
    super({ code, reason, message, metadata });
  }
}

/** Thrown when capacity runs out. */
export class ResourceExhaustedError extends FerryError {
  override readonly name = 'ResourceExhaustedError';
  constructor(message: string, metadata: Record<string, string> = {}) {
    super({ code: 'RESOURCE_EXHAUSTED', reason: 'INSUFFICIENT_CAPACITY', message, metadata });
  }
}

/** Thrown for failures a retry will not fix; the message is safe to show, details go to `cause`. */
export class InternalError extends FerryError {
  override readonly name = 'InternalError';
  constructor(message: string, options: { reason?: string; metadata?: Record<string, string>; cause?: unknown } = {}) {
    super({ code: 'INTERNAL', reason: options.reason ?? '', message, metadata: options.metadata, cause: options.cause });
  }
}
