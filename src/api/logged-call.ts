/**
 * The one place admin handlers meet grpc-js: each handler is an async function from a request
 * to a response (or an async iterable of responses) that throws FerryErrors. These wrappers
 * log the method per call at debug, log every error at warn with its code and reason (and the
 * original error for INTERNAL ones, which the wire never shows), convert errors once with
 * toGrpcStatus, and turn the call's cancellation into an AbortSignal.
 */
import { once } from 'node:events';
import { status as GrpcCode, type handleServerStreamingCall, type handleUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { FerryError } from '../domain/errors.js';
import { toGrpcStatus } from '../contract/status.js';

export interface CallContext {
  /** Aborted when the client cancels the call or its deadline passes. */
  readonly signal: AbortSignal;
}

export function unary<Req, Res>(method: string, logger: Logger, run: (request: Req, context: CallContext) => Promise<Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort());
    logger.debug({ method }, 'admin call');
    run(call.request, { signal: controller.signal }).then(
      (response) => callback(null, response),
      (error: unknown) => callback(reportError(logger, method, error)),
    );
  };
}

export function serverStream<Req, Res>(
  method: string,
  logger: Logger,
  run: (request: Req, context: CallContext) => AsyncIterable<Res>,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort());
    logger.debug({ method }, 'admin call');
    // run() may throw before yielding (a malformed request): pump calls it inside its promise.
    pump(call, () => run(call.request, { signal: controller.signal }), controller.signal).then(
      () => {
        if (!call.cancelled) call.end();
      },
      (error: unknown) => {
        // A stream the client cancelled has nobody to tell; anything else gets a status.
        if (call.cancelled) return;
        call.emit('error', reportError(logger, method, error));
      },
    );
  };
}

async function pump<Req, Res>(call: ServerWritableStream<Req, Res>, source: () => AsyncIterable<Res>, signal: AbortSignal): Promise<void> {
  for await (const message of source()) {
    if (signal.aborted) return;
    // Respect back-pressure: a slow client must not make the server buffer without bound.
    if (!call.write(message)) await once(call, 'drain', { signal }).catch(() => undefined);
  }
}

function reportError(logger: Logger, method: string, error: unknown) {
  const status = toGrpcStatus(error);
  const code = GrpcCode[status.code];
  if (error instanceof FerryError && error.code !== 'INTERNAL') {
    logger.warn({ method, code, reason: error.reason, metadata: error.metadata }, 'admin call failed');
  } else {
    const reason = error instanceof FerryError ? error.reason : '';
    const cause = error instanceof FerryError && error.cause !== undefined ? error.cause : error;
    logger.warn({ method, code, reason, err: cause }, 'admin call failed');
  }
  return status;
}

/** A stream's messages mapped one by one (domain events -> proto messages). */
export async function* mapAsync<T, U>(source: AsyncIterable<T>, map: (value: T) => U): AsyncIterable<U> {
  for await (const value of source) yield map(value);
}
