/**
 * The one wrapper every RPC goes through (the "logging interceptor" of csi-driver-host-path's
 * logGRPC): builds the DriverContext with an AbortSignal bound to client cancellation and the
 * deadline, gates the call on capabilities, runs the handler, fills the response's defaults,
 * maps errors to statuses with ErrorInfo, and logs method + payload at debug, errors always.
 */
import type { handleUnaryCall, Metadata, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CancelledError, FerryError } from '../../src/domain/errors.js';
import { toGrpcStatus } from '../../src/contract/status.js';
import type { DriverContext } from './driver.js';
import type { MethodSpec } from './service-spec.js';
import { payloadForLog } from './payload-log.js';

/** A handler resolved for a call, or the error refusing it. */
export type Resolution = { handler: (request: unknown, ctx: DriverContext) => unknown } | { refusal: FerryError };

/** Calls in flight, so a forced shutdown can abort their signals. */
export interface InFlight {
  add(controller: AbortController): void;
  delete(controller: AbortController): void;
}

export interface CallHandlerDeps {
  readonly logger: Logger;
  readonly inFlight: InFlight;
  /** Looks up the handler for the method at call time (gating happens here). */
  readonly resolve: (method: MethodSpec) => Resolution;
}

/** Builds the grpc-js unary handler of one RPC. */
export function createCallHandler(method: MethodSpec, deps: CallHandlerDeps): handleUnaryCall<unknown, unknown> {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    void runCall(method, deps, call, callback);
  };
}

async function runCall(method: MethodSpec, deps: CallHandlerDeps, call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): Promise<void> {
  const logger = deps.logger.child({ method: method.method });
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  logger.debug({ request: payloadForLog(method.requestType, call.request) }, 'driver call');

  const resolution = deps.resolve(method);
  if ('refusal' in resolution) {
    logger.info({ code: resolution.refusal.code, reason: resolution.refusal.reason, detail: resolution.refusal.message }, 'driver call refused');
    callback(toGrpcStatus(resolution.refusal));
    return;
  }

  const { ctx, controller, dispose } = createDriverContext(method.method, logger, call);
  deps.inFlight.add(controller);
  try {
    const answer = await resolution.handler(call.request, ctx);
    const response = method.fillResponse(answer ?? {});
    logger.debug({ durationMs: elapsed(), response: payloadForLog(method.responseType, response) }, 'driver call done');
    callback(null, response);
  } catch (thrown) {
    const error = errorForStatus(thrown, ctx.signal);
    const fields = { durationMs: elapsed(), code: error.code, reason: error.reason, err: thrown };
    if (error instanceof CancelledError && ctx.signal.aborted) logger.info(fields, 'driver call cancelled');
    else if (thrown instanceof FerryError) logger.warn(fields, 'driver call failed');
    else logger.error(fields, 'driver call failed with an unexpected error');
    callback(toGrpcStatus(error));
  } finally {
    deps.inFlight.delete(controller);
    dispose();
  }
}

/**
 * The error a failed call answers with: the abort reason when the call was cancelled or timed
 * out (whatever the handler threw after that), the FerryError the handler threw, or INTERNAL
 * with a generic message (the original only goes to the log).
 */
export function errorForStatus(thrown: unknown, signal: AbortSignal): FerryError {
  if (signal.aborted) {
    return signal.reason instanceof FerryError ? signal.reason : new CancelledError('call cancelled');
  }
  return FerryError.from(thrown);
}

/** A cancellation this close to the deadline (ms) is taken as the deadline passing. */
const DEADLINE_SLACK_MS = 100;

/** Builds a DriverContext for one call; `dispose` removes listeners and timers. */
export function createDriverContext(
  method: string,
  logger: Logger,
  call: Pick<ServerUnaryCall<unknown, unknown>, 'getDeadline' | 'on' | 'removeListener' | 'metadata'> & { cancelled?: boolean },
): { ctx: DriverContext; controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  const rawDeadline = call.getDeadline();
  const deadlineMs = rawDeadline instanceof Date ? rawDeadline.getTime() : rawDeadline;
  const deadline = Number.isFinite(deadlineMs) ? new Date(deadlineMs) : undefined;

  const abortDeadline = (): void => controller.abort(new CancelledError(`${method} deadline exceeded`, 'DEADLINE_EXCEEDED'));
  // The client's own deadline timer usually fires first and resets the stream, which reaches us
  // as a cancellation a few ms before our deadline (ours is computed from grpc-timeout on arrival).
  const onCancelled = (): void => {
    if (deadline !== undefined && deadline.getTime() - Date.now() <= DEADLINE_SLACK_MS) abortDeadline();
    else controller.abort(new CancelledError(`${method} cancelled by the client`, 'CANCELLED'));
  };
  call.on('cancelled', onCancelled);
  if (call.cancelled === true) onCancelled();

  // grpc-js answers DEADLINE_EXCEEDED on its own but never stops the handler: arm our own timer.
  let timer: NodeJS.Timeout | undefined;
  if (deadline !== undefined && !controller.signal.aborted) {
    const left = deadline.getTime() - Date.now();
    if (left <= 0) abortDeadline();
    else timer = setTimeout(abortDeadline, left);
  }

  const ctx: DriverContext = {
    signal: controller.signal,
    deadline,
    timeoutMs: () => (deadline === undefined ? undefined : Math.max(0, deadline.getTime() - Date.now())),
    method,
    logger,
    metadata: call.metadata as Metadata,
  };
  const dispose = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    call.removeListener('cancelled', onCancelled);
  };
  return { ctx, controller, dispose };
}
