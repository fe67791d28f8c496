/**
 * Constructors for the orchestrator's errors: domain ferry.dev, reasons from the catalogue in
 * src/domain/reasons.ts, messages that say what, which id and what next.
 */
import { FERRY_ERROR_DOMAIN, FerryError, type FieldViolation } from '../domain/errors.js';
import { FERRY_REASONS, type FerryReason } from '../domain/reasons.js';

export function ferryError(reason: FerryReason, message: string, metadata: Record<string, string> = {}, fieldViolations: readonly FieldViolation[] = [], cause?: unknown): FerryError {
  return new FerryError({ code: FERRY_REASONS[reason].code, reason, message, metadata, fieldViolations, domain: FERRY_ERROR_DOMAIN, cause });
}

export function notFound(reason: FerryReason, kind: string, id: string, metadataKey: string): FerryError {
  return ferryError(reason, `${kind} ${id} not found`, { [metadataKey]: id });
}

export function invalidField(field: string, description: string, reason: FerryReason = 'INVALID_FIELD', metadata: Record<string, string> = {}): FerryError {
  return ferryError(reason, `${field}: ${description}`, { field, ...metadata }, [{ field, description }]);
}
