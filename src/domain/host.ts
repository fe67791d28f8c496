/**
 * Host strings, Manila's addressing of where a resource lives: `host@backend#pool`.
 * `host` is the ferry node's name, `backend` one configured plugin instance, `pool` one of the
 * pools that back end reports. A back end is addressed without the pool (`host@backend`).
 */

export interface HostAddress {
  readonly host: string;
  readonly backend: string;
  /** Absent for a back-end address (`host@backend`). */
  readonly pool?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why a host string does not parse, or undefined when it does. */
export function hostProblem(value: string, requirePool: boolean): string | undefined {
  const at = value.indexOf('@');
  if (at <= 0) return `"${value}" is not of the form host@backend${requirePool ? '#pool' : ''}`;
  const hash = value.indexOf('#', at);
  const host = value.slice(0, at);
  const backend = hash < 0 ? value.slice(at + 1) : value.slice(at + 1, hash);
  const pool = hash < 0 ? undefined : value.slice(hash + 1);
  if (!NAME.test(host)) return `"${host}" is not a valid host name`;
  if (!NAME.test(backend)) return `"${backend}" is not a valid back-end name`;
  if (pool !== undefined && !NAME.test(pool)) return `"${pool}" is not a valid pool name`;
  if (requirePool && pool === undefined) return `"${value}" names no pool: expected host@backend#pool`;
  return undefined;
}

/** Parses `host@backend[#pool]`; throws a plain Error naming the problem (callers wrap it). */
export function parseHost(value: string): HostAddress {
  const problem = hostProblem(value, false);
  if (problem !== undefined) throw new Error(problem);
  const at = value.indexOf('@');
  const hash = value.indexOf('#', at);
  return hash < 0
    ? { host: value.slice(0, at), backend: value.slice(at + 1) }
    : { host: value.slice(0, at), backend: value.slice(at + 1, hash), pool: value.slice(hash + 1) };
}

export function formatHost(address: HostAddress): string {
  return address.pool === undefined ? `${address.host}@${address.backend}` : `${address.host}@${address.backend}#${address.pool}`;
}

/** The `backend` of a `host@backend[#pool]` string. */
export function backendOf(value: string): string {
  const at = value.indexOf('@');
  const hash = value.indexOf('#', at);
  return value.slice(at + 1, hash < 0 ? undefined : hash);
}

/** `host@backend` of a `host@backend#pool` string (the part that names the service). */
export function backendHostOf(value: string): string {
  const hash = value.indexOf('#');
  return hash < 0 ? value : value.slice(0, hash);
}
