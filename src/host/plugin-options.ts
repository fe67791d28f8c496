/**
 * The options of createPluginHost, their defaults, and their validation. Defaults are filled
 * in one place (normalisePluginOptions); a wrong option is an InvalidArgumentError whose
 * field names the exact option, e.g. `plugins[1].restart.maxBackoffMs`.
 */
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '../domain/errors.js';

/** How to start a plugin as a child process of the host. */
export interface LaunchOptions {
  /** Executable to run, e.g. `process.execPath` or `/usr/libexec/ferry/localfs`. */
  readonly command: string;
  /** Arguments. @default [] */
  readonly args?: readonly string[];
  /** Extra environment, merged over the host's own; `FERRY_*` names are reserved for the host. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory. @default the host's */
  readonly cwd?: string;
}

/** TLS for an endpoint reached over TCP. Paths to PEM files. */
export interface EndpointTlsOptions {
  /** CA bundle that signs the plugin's certificate. @default the system roots */
  readonly caFile?: string;
  /** Client certificate, for mutual TLS (with keyFile). */
  readonly certFile?: string;
  /** Client key, for mutual TLS (with certFile). */
  readonly keyFile?: string;
}

/** An already running plugin: the host connects, checks and supervises it, but manages no process. */
export interface EndpointOptions {
  /** `unix:///path/to.sock`, `unix:/path/to.sock` or `host:port`. */
  readonly address: string;
  /** TLS settings; plaintext when absent. @default undefined */
  readonly tls?: EndpointTlsOptions;
}

/** Restart policy for a plugin that exits or stops answering health checks. */
export interface RestartOptions {
  /** Delay before the first restart; doubles on each consecutive failure. @default 200 */
  readonly initialBackoffMs?: number;
  /** Upper bound of the delay. Once a plugin stayed ready this long, the delay starts over. @default 30000 */
  readonly maxBackoffMs?: number;
  /** Give up (state `failed`) after this many restarts in a row. @default unlimited */
  readonly maxRestarts?: number;
}

/** One configured plugin (one back end). Exactly one of `launch` or `endpoint`. */
export interface PluginOptions {
  /** Back-end instance name, e.g. `localfs1`: letters, digits, `.`, `_`, `-`; at most 64. */
  readonly name: string;
  readonly launch?: LaunchOptions;
  readonly endpoint?: EndpointOptions;
  /** The plugin's own configuration, passed as FERRY_PLUGIN_CONFIG. @default {} */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Time from spawn (or connect) to ready: handshake, health SERVING, identity calls. @default 10000 */
  readonly startTimeoutMs?: number;
  /** Deadline of a call that does not set its own. @default 30000 */
  readonly callTimeoutMs?: number;
  /** Interval between grpc.health.v1 checks of a ready plugin. @default 2000 */
  readonly healthIntervalMs?: number;
  /** Consecutive failed health checks after which the plugin is restarted. @default 3 */
  readonly healthFailureThreshold?: number;
  readonly restart?: RestartOptions;
  /** Time between SIGTERM and SIGKILL on close. @default 5000 */
  readonly shutdownGraceMs?: number;
  /** pino level the plugin should log at (FERRY_PLUGIN_LOG_LEVEL). @default 'info' */
  readonly logLevel?: string;
}

/** PluginOptions with every default filled in. */
export interface ResolvedPluginOptions {
  readonly name: string;
  readonly launch?: Required<Pick<LaunchOptions, 'command' | 'args' | 'env'>> & { readonly cwd?: string };
  readonly endpoint?: EndpointOptions;
  readonly config: Readonly<Record<string, unknown>>;
  readonly startTimeoutMs: number;
  readonly callTimeoutMs: number;
  readonly healthIntervalMs: number;
  readonly healthFailureThreshold: number;
  readonly restart: { readonly initialBackoffMs: number; readonly maxBackoffMs: number; readonly maxRestarts: number };
  readonly shutdownGraceMs: number;
  readonly logLevel: string;
}

/** Default socket root: per user, under the OS temp dir. Removed and recreated at start. */
export function defaultSocketRoot(): string {
  return path.join(os.tmpdir(), `ferry-plugins-${process.getuid?.() ?? 'user'}`);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Validates one plugin's options and fills the defaults. `at` prefixes field names, e.g. `plugins[0]`. */
export function normalisePluginOptions(options: PluginOptions, at: string): ResolvedPluginOptions {
  const bad = (field: string, description: string): never => {
    throw new InvalidArgumentError(`${at}.${field}`, description);
  };
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(at, 'must be an object');
  if (typeof options.name !== 'string' || !NAME.test(options.name)) {
    bad('name', 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  if ((options.launch === undefined) === (options.endpoint === undefined)) bad('launch', 'set exactly one of launch or endpoint');

  let launch: ResolvedPluginOptions['launch'];
  if (options.launch !== undefined) {
    const { command, args = [], env = {}, cwd } = options.launch;
    if (typeof command !== 'string' || command === '') bad('launch.command', 'must be a non-empty string');
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) bad('launch.args', 'must be an array of strings');
    for (const [key, value] of Object.entries(env)) {
      if (key.startsWith('FERRY_')) bad(`launch.env.${key}`, 'FERRY_* variables are reserved for the host');
      if (typeof value !== 'string') bad(`launch.env.${key}`, 'must be a string');
    }
    launch = { command, args: [...args], env: { ...env }, cwd };
  }
  if (options.endpoint !== undefined) {
    const { address, tls } = options.endpoint;
    if (typeof address !== 'string' || address === '') bad('endpoint.address', 'must be unix:///path or host:port');
    if (tls !== undefined && (tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      bad('endpoint.tls.certFile', 'certFile and keyFile go together');
    }
  }
  const config = options.config ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) bad('config', 'must be a JSON object');

  const ms = (field: string, value: number | undefined, fallback: number, min = 1): number => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || v < min) bad(field, `must be an integer >= ${min}, got ${String(v)}`);
    return v;
  };
  const restart = options.restart ?? {};
  const initialBackoffMs = ms('restart.initialBackoffMs', restart.initialBackoffMs, 200);
  const maxBackoffMs = ms('restart.maxBackoffMs', restart.maxBackoffMs, 30000);
  if (maxBackoffMs < initialBackoffMs) bad('restart.maxBackoffMs', 'must be >= restart.initialBackoffMs');
  const logLevel = options.logLevel ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) bad('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`);

  return {
    name: options.name,
    launch,
    endpoint: options.endpoint,
    config,
    startTimeoutMs: ms('startTimeoutMs', options.startTimeoutMs, 10000),
    callTimeoutMs: ms('callTimeoutMs', options.callTimeoutMs, 30000),
    healthIntervalMs: ms('healthIntervalMs', options.healthIntervalMs, 2000),
    healthFailureThreshold: ms('healthFailureThreshold', options.healthFailureThreshold, 3),
    restart: { initialBackoffMs, maxBackoffMs, maxRestarts: restart.maxRestarts === undefined ? Infinity : ms('restart.maxRestarts', restart.maxRestarts, 0, 0) },
    shutdownGraceMs: ms('shutdownGraceMs', options.shutdownGraceMs, 5000, 0),
    logLevel,
  };
}
