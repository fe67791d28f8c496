/**
 * The admin API's own errors: malformed requests, found before any call into ferry (plus the
 * lookups the API answers itself, GetMigrationHistory by share, share server or volume).
 * INVALID_ARGUMENT in domain ferry.dev with reason MISSING_FIELD or INVALID_FIELD (the
 * catalogue in proto/ferry/admin/v1/errors.proto) and one google.rpc.BadRequest field
 * violation per field, named by its proto (snake_case) path.
 */
import { FERRY_ERROR_DOMAIN, FerryError } from '../domain/errors.js';

/** Thrown when a REQUIRED request field is absent or empty. */
export function missingField(field: string, description = 'is required'): FerryError {
  return new FerryError({
    code: 'INVALID_ARGUMENT',
    reason: 'MISSING_FIELD',
    message: `${field}: ${description}`,
    metadata: { field },
    fieldViolations: [{ field, description }],
    domain: FERRY_ERROR_DOMAIN,
  });
}

/** Thrown when a request field is present but malformed (e.g. an enum number the API does not define). */
export function invalidField(field: string, description: string): FerryError {
  return new FerryError({
    code: 'INVALID_ARGUMENT',
    reason: 'INVALID_FIELD',
    message: `${field}: ${description}`,
    metadata: { field },
    fieldViolations: [{ field, description }],
    domain: FERRY_ERROR_DOMAIN,
  });
}

/** The value of a REQUIRED string field; throws MISSING_FIELD when it is empty. */
export function required(value: string, field: string): string {
  if (value === '') throw missingField(field);
  return value;
}

/** undefined for an empty OPTIONAL string field (proto3 cannot tell "unset" from ""). */
export function optional(value: string): string | undefined {
  return value === '' ? undefined : value;
}

/** Thrown when GetMigrationHistory names a share that never migrated. */
export function noMigration(shareId: string): FerryError {
  return new FerryError({
    code: 'NOT_FOUND',
    reason: 'MIGRATION_NOT_FOUND',
    message: `share ${shareId} has never migrated; start one with MigrationStart`,
    metadata: { shareId },
    domain: FERRY_ERROR_DOMAIN,
  });
}

/** Thrown when ShareServers.GetMigrationHistory names a share server that never migrated. */
export function noServerMigration(shareServerId: string): FerryError {
  return new FerryError({
    code: 'NOT_FOUND',
    reason: 'MIGRATION_NOT_FOUND',
    message: `share server ${shareServerId} has never migrated; start one with MigrationStart`,
    metadata: { shareServerId },
    domain: FERRY_ERROR_DOMAIN,
  });
}

/** Thrown when Volumes.GetMigrationHistory names a volume that never migrated or retyped. */
export function noVolumeMigration(volumeId: string): FerryError {
  return new FerryError({
    code: 'NOT_FOUND',
    reason: 'MIGRATION_NOT_FOUND',
    message: `volume ${volumeId} has never migrated or retyped; start one with MigrateVolume or RetypeVolume`,
    metadata: { volumeId },
    domain: FERRY_ERROR_DOMAIN,
  });
}

/** WatchMigration's re-read interval bounds, in milliseconds. */
const DEFAULT_WATCH_INTERVAL_MS = 1000;
const MIN_WATCH_INTERVAL_MS = 100;

/** A WatchMigration request's interval_ms as the stream uses it: 0 is the default, small values are raised. */
export function watchIntervalMs(requested: number): number {
  if (requested < 0) throw invalidField('interval_ms', `${requested} is negative`);
  return requested === 0 ? DEFAULT_WATCH_INTERVAL_MS : Math.max(MIN_WATCH_INTERVAL_MS, requested);
}
