/**
 * The single place a request or response payload is prepared for the log.
 *
 * HOOK(redact): src/contract/redact.ts (`redact(typeName, value)`, driven by the
 * `(ferry.driver.v1.secret)` field option) is being written by a colleague and does not exist
 * yet. Until it does, payloads are NOT logged at all (secrets could be in them); only the
 * message type is. When it lands, replace the body below with:
 *
 *   import { redact } from '../../src/contract/redact.js';
 *   return redact(typeName, value);
 */
export function payloadForLog(typeName: string, value: unknown): unknown {
  void value;
  return `[${typeName}: payload not logged until src/contract/redact.ts exists]`;
}
