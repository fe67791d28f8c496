/**
 * The single place a request or response payload is prepared for the log: every field marked
 * `(ferry.driver.v1.secret)` is replaced by "[REDACTED]" (src/contract/redact.ts, driven by the
 * generated secret-fields table). Payloads are only logged at debug.
 */
import { redact } from '../../src/contract/redact.js';

/** `value` of message type `typeName` (e.g. "ferry.driver.v1.UpdateAccessRequest"), safe to log. */
export function payloadForLog(typeName: string, value: unknown): unknown {
  return redact(typeName, value);
}
