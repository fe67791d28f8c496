/**
 * The shape of a conformance case and the assertions cases use. A failed assertion throws a
 * ConformanceFailure whose message says what the contract expects, what the plugin did, and
 * where the rule is written, so a vendor can act on it without reading the kit's code.
 */
import { randomUUID } from 'node:crypto';
import { FerryError } from '../../src/domain/errors.js';
import type { PluginHandle } from '../../src/host/index.js';
import type { PluginCapability } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import type { GetPluginInfoResponse } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import type { ListPoolsResponse } from '../../src/contract/gen/ferry/driver/v1/pool.js';

/** What every case gets: the plugin under test, an optional peer of the same plugin, and facts read once. */
export interface CaseContext {
  readonly subject: PluginHandle;
  /** A second instance of the same plugin (another back end), for migration suites; absent when it could not start. */
  readonly peer: PluginHandle | undefined;
  readonly info: GetPluginInfoResponse;
  readonly capabilities: ReadonlySet<PluginCapability>;
  readonly pools: ListPoolsResponse;
  readonly peerInfo: GetPluginInfoResponse | undefined;
  readonly peerPools: ListPoolsResponse | undefined;
  /** Registers cleanup that runs after the case, last registered first; its errors are ignored. */
  defer(cleanup: () => Promise<unknown>): void;
}

export interface ConformanceCase {
  /** Suite name, e.g. "shares". */
  readonly suite: string;
  /** A sentence about required behaviour. */
  readonly name: string;
  /** Capabilities the plugin must advertise for the case to run; otherwise it is skipped. */
  readonly requires?: readonly PluginCapability[];
  /** The case needs the peer instance. */
  readonly needsPeer?: boolean;
  run(ctx: CaseContext): Promise<void>;
}

/** A broken contract rule, with the reference to where it is written. */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
  constructor(message: string, readonly rule: string) {
    super(message);
  }
}

/**
 * Thrown by a case that cannot apply to this plugin for a reason capabilities do not express
 * (e.g. a migration between pools of a back end that reports one pool); reported as skipped.
 */
export class CaseSkipped extends Error {
  override readonly name = 'CaseSkipped';
}

/** Fails the case unless `condition` holds. */
export function check(condition: unknown, message: string, rule: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message, rule);
}

/** Awaits a call that must succeed; a failure is reported with the plugin's code and reason. */
export async function expectOk<T>(call: Promise<T>, what: string, rule: string): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw new ConformanceFailure(`${what}: expected OK, got ${describe(error)}`, rule);
  }
}

/** Awaits a call that must fail with `code` (and `reason`, when given). */
export async function expectError(call: Promise<unknown>, code: string | readonly string[], reason: string | undefined, what: string, rule: string): Promise<FerryError> {
  const codes = typeof code === 'string' ? [code] : code;
  const wanted = `${codes.join(' or ')}${reason ? ` (${reason})` : ''}`;
  try {
    await call;
  } catch (error) {
    if (!(error instanceof FerryError)) throw new ConformanceFailure(`${what}: expected ${wanted}, got ${describe(error)}`, rule);
    const codeOk = codes.includes(error.code);
    const reasonOk = reason === undefined || error.reason === reason;
    if (codeOk && reasonOk) return error;
    throw new ConformanceFailure(`${what}: expected ${wanted}, got ${describe(error)}`, rule);
  }
  throw new ConformanceFailure(`${what}: expected ${wanted}, but the call succeeded`, rule);
}

/** "NOT_FOUND (SHARE_INSTANCE_NOT_FOUND): share instance x not found" */
export function describe(error: unknown): string {
  if (error instanceof FerryError) return `${error.code}${error.reason ? ` (${error.reason})` : ' (no ErrorInfo reason)'}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A fresh id for a resource the kit creates, recognisable in the plugin's logs. */
export function newId(kind: string): string {
  return `conformance-${kind}-${randomUUID()}`;
}
