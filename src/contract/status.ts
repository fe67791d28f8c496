/**
 * The one place that maps between FerryError and a gRPC status, in both directions.
 * Outgoing: code + message, and a google.rpc.Status with ErrorInfo (plus BadRequest for field
 * violations) in the `grpc-status-details-bin` trailer. Incoming: the details are preferred over
 * the bare code; a status without details keeps its code with an empty reason; unknown codes
 * become INTERNAL. Handlers throw FerryErrors and never build statuses inline.
 */
import { Metadata, status as GrpcCode, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ERROR_CODES, FerryError, InternalError, type ErrorCode } from '../domain/errors.js';
import { Status } from './gen/google/rpc/status.js';
import { BadRequest, ErrorInfo } from './gen/google/rpc/error_details.js';

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const ERROR_INFO_TYPE = 'type.googleapis.com/google.rpc.ErrorInfo';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';

/** gRPC numeric code of a FerryError code name. */
export function grpcCodeOf(code: ErrorCode): GrpcCode {
  return GrpcCode[code];
}

/** FerryError code name of a numeric gRPC code; unknown numbers (and OK, which is no error) map to INTERNAL. */
export function errorCodeOf(code: number): ErrorCode {
  const name = GrpcCode[code] as string | undefined;
  return name !== undefined && (ERROR_CODES as readonly string[]).includes(name) ? (name as ErrorCode) : 'INTERNAL';
}

/**
 * Builds the status a server handler passes to its callback. Anything that is not a FerryError
 * becomes INTERNAL with a generic message: the original stays in the caller's logs, never on
 * the wire.
 */
export function toGrpcStatus(error: unknown): Partial<StatusObject> & { code: GrpcCode; details: string; metadata: Metadata } {
  const ferryError = error instanceof FerryError ? error : new InternalError('internal error', { cause: error });
  const details = [
    {
      typeUrl: ERROR_INFO_TYPE,
      value: Buffer.from(ErrorInfo.encode({ reason: ferryError.reason, domain: ferryError.domain, metadata: { ...ferryError.metadata } }).finish()),
    },
  ];
  if (ferryError.fieldViolations.length > 0) {
    details.push({
      typeUrl: BAD_REQUEST_TYPE,
      value: Buffer.from(BadRequest.encode({ fieldViolations: ferryError.fieldViolations.map((v) => ({ ...v })) }).finish()),
    });
  }
  const code = grpcCodeOf(ferryError.code);
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(Status.encode({ code, message: ferryError.message, details }).finish()));
  return { code, details: ferryError.message, metadata };
}

/** Turns an error from a gRPC client call into a FerryError, keeping the remote reason and metadata. */
export function fromGrpcError(error: unknown): FerryError {
  if (error instanceof FerryError) return error;
  if (!isServiceError(error)) return new InternalError('internal error', { cause: error });
  const code = errorCodeOf(error.code);
  let reason = '';
  let domain = '';
  let metadata: Record<string, string> = {};
  let fieldViolations: { field: string; description: string }[] = [];
  let message = error.details || error.message;
  const raw = error.metadata?.get(STATUS_DETAILS_KEY)[0];
  if (raw instanceof Buffer) {
    try {
      const status = Status.decode(raw);
      if (status.message) message = status.message;
      for (const detail of status.details) {
        if (detail.typeUrl === ERROR_INFO_TYPE) {
          const info = ErrorInfo.decode(detail.value);
          reason = info.reason;
          domain = info.domain;
          metadata = { ...info.metadata };
        } else if (detail.typeUrl === BAD_REQUEST_TYPE) {
          fieldViolations = BadRequest.decode(detail.value).fieldViolations;
        }
      }
    } catch {
      // A malformed details trailer must not hide the status itself: keep code and message.
    }
  }
  return new FerryError({ code, reason, message, metadata, fieldViolations, domain: domain || undefined, cause: error });
}

function isServiceError(error: unknown): error is ServiceError {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number' && 'metadata' in error;
}
