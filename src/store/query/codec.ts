/**
 * Column codecs shared by the mappers: booleans as 0/1 and structured values as JSON text, the
 * two encodings every SQL dialect stores the same way.
 */
import type { Flag, Json } from './database.js';

export function toFlag(value: boolean): Flag {
  return value ? 1 : 0;
}

export function fromFlag(value: Flag): boolean {
  return value !== 0;
}

export function toJson(value: unknown): Json {
  return JSON.stringify(value);
}

/**
 * Parses a JSON column. Unchecked by design: only the mappers write these columns, from typed
 * records, so the text always holds a T. JSON.parse also hands back a fresh object each time,
 * which is what makes returned records safe to mutate.
 */
export function fromJson<T>(text: Json): T {
  return JSON.parse(text) as T;
}

/**
 * A patch without the keys an update must never change and without undefined values, so
 * `{ host: undefined }` means "leave host alone" rather than "store undefined".
 */
export function cleanPatch<T extends object>(patch: T, immutable: readonly string[] = ['id', 'createdAt']): Partial<T> {
  const entries = Object.entries(patch).filter(([key, value]) => value !== undefined && !immutable.includes(key));
  return Object.fromEntries(entries) as Partial<T>;
}
