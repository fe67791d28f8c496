/**
 * The host side of the launch handshake (docs/plugin-handshake.md): the environment a plugin
 * is started with, and the parser for the one JSON line it writes to stdout once its gRPC
 * server accepts connections. Pure: no I/O.
 */
import path from 'node:path';
import type { FerryError } from '../domain/errors.js';
import { contractVersionMismatchError, pluginProtocolError } from './errors.js';

/** Value of FERRY_PLUGIN_MAGIC_COOKIE. A UX guard against starting a plugin by hand, not security. */
export const MAGIC_COOKIE = 'ferry-driver-plugin-7c1e';
/** The handshake line format this host reads (`ferry_plugin`). */
export const HANDSHAKE_FORMAT = 1;
/** Contract versions this host speaks, most preferred first. */
export const HOST_CONTRACT_VERSIONS: readonly string[] = ['v1'];

/** Where a plugin listens, as its handshake line says. */
export interface Handshake {
  readonly contractVersion: string;
  readonly network: 'unix' | 'tcp';
  /** Socket path for `unix`, `host:port` for `tcp`. */
  readonly address: string;
  readonly pid: number;
}

export interface HandshakeContext {
  /** The plugin's configured name, for messages. */
  readonly plugin: string;
  /** The versions the host offered (FERRY_PLUGIN_CONTRACT_VERSIONS). */
  readonly offered: readonly string[];
  /** The socket directory the host created; a unix address must lie inside it. */
  readonly socketDir: string;
}

export type HandshakeResult = { readonly ok: true; readonly handshake: Handshake } | { readonly ok: false; readonly error: FerryError };

const MAX_QUOTED = 200;

/**
 * Parses and validates one handshake line. Never throws: a malformed line yields
 * PLUGIN_PROTOCOL_ERROR naming the first wrong field, an unspoken contract version yields
 * CONTRACT_VERSION_MISMATCH naming the offered versions.
 */
export function parseHandshake(line: string, context: HandshakeContext): HandshakeResult {
  const fail = (message: string): HandshakeResult => ({
    ok: false,
    error: pluginProtocolError(context.plugin, `malformed handshake line ${quote(line)}: ${message}`),
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return fail('not JSON; the first line on stdout must be the handshake, logs go to stderr');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('not a JSON object');
  const fields = parsed as Record<string, unknown>;

  if (fields.ferry_plugin !== HANDSHAKE_FORMAT) return fail(`ferry_plugin must be ${HANDSHAKE_FORMAT}, got ${show(fields.ferry_plugin)}`);
  const version = fields.contract_version;
  if (typeof version !== 'string' || version === '') return fail(`contract_version must be a non-empty string, got ${show(version)}`);
  const network = fields.network ?? 'unix';
  if (network !== 'unix' && network !== 'tcp') return fail(`network must be "unix" or "tcp", got ${show(network)}`);
  const address = fields.address;
  if (typeof address !== 'string' || address === '') return fail(`address must be a non-empty string, got ${show(address)}`);
  const pid = fields.pid;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return fail(`pid must be a positive integer, got ${show(pid)}`);

  if (network === 'unix') {
    const dir = path.resolve(context.socketDir);
    if (!path.isAbsolute(address) || path.dirname(path.resolve(address)) !== dir) {
      return fail(`unix address must be a socket path directly inside ${dir} (FERRY_PLUGIN_SOCKET_DIR)`);
    }
  } else if (!isHostPort(address)) {
    return fail('tcp address must be host:port');
  }

  if (!context.offered.includes(version)) return { ok: false, error: contractVersionMismatchError(context.plugin, context.offered, version) };
  return { ok: true, handshake: { contractVersion: version, network, address, pid } };
}

/** The gRPC target for a handshake's address. */
export function grpcTarget(handshake: Pick<Handshake, 'network' | 'address'>): string {
  return handshake.network === 'unix' ? `unix:${handshake.address}` : handshake.address;
}

function isHostPort(address: string): boolean {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(address);
  return match !== null && Number(match[2]) > 0 && Number(match[2]) < 65536;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function quote(line: string): string {
  return JSON.stringify(line.length > MAX_QUOTED ? `${line.slice(0, MAX_QUOTED)}…` : line);
}
