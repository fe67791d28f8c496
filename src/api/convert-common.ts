/**
 * Small conversions every convert-* module needs: ISO-8601 strings (the domain's times) to
 * google.protobuf.Timestamp, and nullable domain values to proto3's "empty means none".
 */
import type { Timestamp } from '../contract/gen/google/protobuf/timestamp.js';
import type { ExportLocation as DomainExportLocation, StringMap } from '../domain/resources.js';
import type { ExportLocation } from '../contract/gen/ferry/admin/v1/share.js';

/**
 * An ISO-8601 time as a Timestamp; undefined (field not set) for null, "" or a string that is
 * not a time, so a malformed record shows as "never" instead of failing the whole response.
 */
export function toTimestamp(iso: string | null): Timestamp | undefined {
  if (iso === null || iso === '') return undefined;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse keeps milliseconds only; sub-millisecond digits of the string are kept when present.
  const fraction = /\.(\d+)(?:Z|[+-]\d{2}:?\d{2})?$/i.exec(iso)?.[1];
  const nanos = fraction === undefined ? (((ms % 1000) + 1000) % 1000) * 1_000_000 : Number(fraction.slice(0, 9).padEnd(9, '0'));
  return { seconds: Math.floor(ms / 1000), nanos };
}

/** A Timestamp as an ISO-8601 string (UTC, millisecond precision). */
export function fromTimestamp(timestamp: Timestamp): string {
  return new Date(timestamp.seconds * 1000 + Math.floor(timestamp.nanos / 1_000_000)).toISOString();
}

/** A copy of a string map, as a mutable object for the generated message types. */
export function stringMap(map: StringMap): { [key: string]: string } {
  return { ...map };
}

export function exportLocation(location: DomainExportLocation): ExportLocation {
  return { path: location.path, isAdminOnly: location.isAdminOnly, metadata: stringMap(location.metadata) };
}
