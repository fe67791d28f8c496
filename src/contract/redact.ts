/**
 * Removes secrets before anything is logged: every field marked `(ferry.driver.v1.secret)` is
 * replaced by "[REDACTED]", in nested messages, repeated fields and map values too. Driven by
 * the generated table in gen/secret-fields.ts, so marking a field in the proto is all it takes.
 */
import { secretFields, type MessageSecrets } from './gen/secret-fields.js';

export const REDACTED = '[REDACTED]';

/** Per message type name: its secret fields and its message-typed fields (see gen/secret-fields.ts). */
export type SecretTable = Readonly<Record<string, MessageSecrets>>;

/**
 * Returns a copy of `value` (a ts-proto message object or its JSON form, both use JSON field
 * names) with every secret field of `messageTypeName` and its nested messages replaced by
 * "[REDACTED]". Unset fields stay unset. The input is never modified. A type missing from the
 * table is returned as is: only types the generator saw can be walked.
 */
export function redact<T>(messageTypeName: string, value: T, table: SecretTable = secretFields): T {
  return redactMessage(messageTypeName, value, table) as T;
}

function redactMessage(typeName: string, value: unknown, table: SecretTable): unknown {
  const secrets = table[typeName];
  if (secrets === undefined || !isPlainObject(value)) return value;
  const copy: Record<string, unknown> = { ...value };
  for (const field of secrets.secret) {
    if (copy[field] !== undefined && copy[field] !== null) copy[field] = REDACTED;
  }
  for (const [field, nestedType] of Object.entries(secrets.nested)) {
    const fieldValue = copy[field];
    if (fieldValue === undefined || fieldValue === null) continue;
    if (Array.isArray(fieldValue)) {
      copy[field] = fieldValue.map((item) => redactMessage(nestedType, item, table));
    } else if (isMapEntryType(typeName, field, nestedType) && isPlainObject(fieldValue)) {
      copy[field] = redactMap(nestedType, fieldValue, table);
    } else {
      copy[field] = redactMessage(nestedType, fieldValue, table);
    }
  }
  return copy;
}

/** A map field `foo_bar` of message M has the synthetic entry type `M.FooBarEntry`; ts-proto holds it as a plain object. */
function isMapEntryType(typeName: string, jsonName: string, nestedType: string): boolean {
  return nestedType === `${typeName}.${jsonName.charAt(0).toUpperCase()}${jsonName.slice(1)}Entry`;
}

function redactMap(entryType: string, map: Record<string, unknown>, table: SecretTable): Record<string, unknown> {
  const valueType = table[entryType]?.nested.value;
  if (valueType === undefined) return { ...map };
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(map)) copy[key] = redactMessage(valueType, item, table);
  return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
