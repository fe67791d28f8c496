/**
 * The daemon's configuration: the embedded default (default-config.ts), or a JSON file given
 * with `--config FILE` or FERRY_CONFIG, validated at start with errors that name the field.
 * FERRY_DATA_DIR and FERRY_LISTEN override the file. Keys are snake_case and follow Manila's
 * option names where Manila has one (docs/configuration.md lists them all).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FERRY_ERROR_DOMAIN, FerryError } from '../domain/errors.js';
import type { FerryOptions } from '../ferry/create-ferry.js';
import type { PluginOptions } from '../host/index.js';
import type { HashAlgorithm } from '../orchestrator/data-port.js';
import { DEFAULT_LISTEN, defaultPlugins } from './default-config.js';

export interface DaemonConfig {
  readonly dataDir: string;
  /** Admin API address, host:port (port 0 picks a free port). */
  readonly listen: string;
  readonly logLevel: string;
  /** The file it came from, or undefined for the embedded default. */
  readonly configFile: string | undefined;
  readonly ferry: Omit<FerryOptions, 'logger'>;
}

type Json = Record<string, unknown>;

export class ConfigError extends FerryError {
  override readonly name = 'ConfigError';
  constructor(file: string, field: string, description: string) {
    super({ code: 'INVALID_ARGUMENT', reason: 'CONFIG_INVALID', domain: FERRY_ERROR_DOMAIN, message: `${file}: ${field}: ${description}`, metadata: { file, field }, fieldViolations: [{ field, description }] });
  }
}

const pluginsDir = fileURLToPath(new URL('../../plugins/', import.meta.url));
/** Reference plugins a config may name instead of a command. */
export const BUILT_IN_PLUGINS: Readonly<Record<string, string>> = {
  localfs: join(pluginsDir, 'localfs', 'main.js'),
  block: join(pluginsDir, 'block', 'main.js'),
  dummy: join(pluginsDir, 'dummy', 'main.js'),
  memory: join(pluginsDir, 'examples', 'memory', 'main.js'),
};

const TOP_KEYS = ['listen', 'data_dir', 'node_name', 'log_level', 'store', 'backends', 'data_service', 'migration_driver_continue_update_interval', 'server_migration_driver_continue_update_interval', 'pool_refresh_interval'];
const BACKEND_KEYS = ['name', 'plugin', 'launch', 'endpoint', 'config', 'start_timeout_ms', 'call_timeout_ms', 'health_interval_ms', 'shutdown_grace_ms', 'log_level', 'share_mount_template', 'share_unmount_template'];
const DATA_SERVICE_KEYS = ['check_hash', 'migration_ignore_files', 'data_node_access_ips', 'data_node_access_admin_user', 'data_node_access_cert', 'data_node_mount_options', 'mount_tmp_location', 'threads', 'bandwidth_bytes_per_second'];

/** Reads the configuration from argv/env; the embedded default when no file is named. */
export function loadDaemonConfig(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): DaemonConfig {
  const flag = argv.indexOf('--config');
  const file = flag >= 0 ? argv[flag + 1] : env.FERRY_CONFIG;
  if (flag >= 0 && (file === undefined || file === '')) throw new ConfigError('command line', '--config', 'needs a file name');
  if (file === undefined || file === '') {
    const dataDir = env.FERRY_DATA_DIR ? resolve(cwd, env.FERRY_DATA_DIR) : join(cwd, '.ferry');
    return { dataDir, listen: env.FERRY_LISTEN || DEFAULT_LISTEN, logLevel: env.FERRY_LOG_LEVEL || 'info', configFile: undefined, ferry: { dataDir, backends: defaultPlugins(dataDir) } };
  }
  const path = resolve(cwd, file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(path, '(file)', `cannot be read as JSON: ${(error as Error).message}`);
  }
  return parseConfig(raw, path, env);
}

export function parseConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv = {}): DaemonConfig {
  const fail = (field: string, description: string): never => {
    throw new ConfigError(file, field, description);
  };
  const base = dirname(file);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  if (!isObject(raw)) fail('(root)', 'must be a JSON object');
  const top = raw as Json;
  unknownKeys(top, TOP_KEYS, '', fail);

  const dataDir = env.FERRY_DATA_DIR ? resolve(env.FERRY_DATA_DIR) : at(optionalString(top, 'data_dir', fail) ?? '.ferry');
  const listen = env.FERRY_LISTEN || (optionalString(top, 'listen', fail) ?? DEFAULT_LISTEN);
  if (!/^.+:\d{1,5}$/.test(listen)) fail('listen', `must be host:port, got "${listen}"`);
  const logLevel = optionalString(top, 'log_level', fail) ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) fail('log_level', `must be a pino level, got "${logLevel}"`);
  const nodeName = optionalString(top, 'node_name', fail) ?? 'ferry';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(nodeName)) fail('node_name', `must be letters, digits, ".", "_" or "-", got "${nodeName}"`);

  let storePath: string | undefined;
  if (top.store !== undefined) {
    if (!isObject(top.store)) fail('store', 'must be an object');
    const store = top.store as Json;
    unknownKeys(store, ['driver', 'path'], 'store.', fail);
    if (store.driver !== undefined && store.driver !== 'sqlite') fail('store.driver', `only "sqlite" is available, got ${JSON.stringify(store.driver)}`);
    const path = optionalString(store, 'path', fail, 'store.');
    storePath = path === undefined ? undefined : isAbsolute(path) ? path : join(dataDir, path);
  }

  const continueSeconds = optionalNumber(top, 'migration_driver_continue_update_interval', fail, '', 0.01);
  const serverContinueSeconds = optionalNumber(top, 'server_migration_driver_continue_update_interval', fail, '', 0.01);
  const refreshSeconds = optionalNumber(top, 'pool_refresh_interval', fail, '', 1);

  let backends: PluginOptions[] = defaultPlugins(dataDir);
  const mountTemplates: Record<string, { mount: string[]; unmount: string[] }> = {};
  if (top.backends !== undefined) {
    if (!Array.isArray(top.backends) || top.backends.length === 0) fail('backends', 'must be a non-empty array');
    backends = (top.backends as unknown[]).map((entry, i) => parseBackend(entry, `backends[${i}]`, fail, at));
    (top.backends as Json[]).forEach((entry, i) => {
      const mount = parseTemplate(entry.share_mount_template, `backends[${i}].share_mount_template`, fail);
      const unmount = parseTemplate(entry.share_unmount_template, `backends[${i}].share_unmount_template`, fail);
      if ((mount === undefined) !== (unmount === undefined)) fail(`backends[${i}].share_mount_template`, 'set both share_mount_template and share_unmount_template, or neither');
      if (mount !== undefined && unmount !== undefined) mountTemplates[entry.name as string] = { mount, unmount };
    });
    backends.forEach((backend, i) => {
      if (backends.findIndex((other) => other.name === backend.name) !== i) fail(`backends[${i}].name`, `duplicates an earlier back end "${backend.name}"`);
    });
  }

  return {
    dataDir, listen, logLevel, configFile: file,
    ferry: {
      dataDir, backends, nodeName, storePath,
      driverContinueIntervalMs: continueSeconds === undefined ? undefined : Math.round(continueSeconds * 1000),
      serverContinueIntervalMs: serverContinueSeconds === undefined ? undefined : Math.round(serverContinueSeconds * 1000),
      poolRefreshIntervalMs: refreshSeconds === undefined ? undefined : Math.round(refreshSeconds * 1000),
      dataService: { ...(top.data_service === undefined ? {} : parseDataService(top.data_service, fail, at)), mountTemplates },
    },
  };
}

function parseBackend(entry: unknown, field: string, fail: (f: string, d: string) => never, at: (p: string) => string): PluginOptions {
  if (!isObject(entry)) fail(field, 'must be an object');
  const b = entry as Json;
  unknownKeys(b, BACKEND_KEYS, `${field}.`, fail);
  const name = optionalString(b, 'name', fail, `${field}.`);
  if (name === undefined) fail(`${field}.name`, 'is required');
  const sources = ['plugin', 'launch', 'endpoint'].filter((key) => b[key] !== undefined);
  if (sources.length !== 1) fail(`${field}.plugin`, 'set exactly one of plugin (a built-in: localfs, dummy, memory), launch {command, args, env} or endpoint {address, tls}');
  let launch: PluginOptions['launch'];
  let endpoint: PluginOptions['endpoint'];
  if (b.plugin !== undefined) {
    const script = typeof b.plugin === 'string' ? BUILT_IN_PLUGINS[b.plugin] : undefined;
    if (script === undefined) fail(`${field}.plugin`, `must be one of ${Object.keys(BUILT_IN_PLUGINS).join(', ')}, got ${JSON.stringify(b.plugin)}`);
    launch = { command: process.execPath, args: [script!] };
  } else if (b.launch !== undefined) {
    if (!isObject(b.launch)) fail(`${field}.launch`, 'must be an object');
    const l = b.launch as Json;
    unknownKeys(l, ['command', 'args', 'env', 'cwd'], `${field}.launch.`, fail);
    const command = optionalString(l, 'command', fail, `${field}.launch.`);
    if (command === undefined) fail(`${field}.launch.command`, 'is required');
    if (l.args !== undefined && !(Array.isArray(l.args) && l.args.every((a) => typeof a === 'string'))) fail(`${field}.launch.args`, 'must be an array of strings');
    if (l.env !== undefined && !isStringMap(l.env)) fail(`${field}.launch.env`, 'must map names to strings');
    const cwd = optionalString(l, 'cwd', fail, `${field}.launch.`);
    launch = { command: command!.includes('/') ? at(command!) : command!, args: (l.args as string[] | undefined) ?? [], env: l.env as Record<string, string> | undefined, cwd: cwd === undefined ? undefined : at(cwd) };
  } else {
    if (!isObject(b.endpoint)) fail(`${field}.endpoint`, 'must be an object');
    const e = b.endpoint as Json;
    unknownKeys(e, ['address', 'tls'], `${field}.endpoint.`, fail);
    const address = optionalString(e, 'address', fail, `${field}.endpoint.`);
    if (address === undefined) fail(`${field}.endpoint.address`, 'is required');
    let tls: { caFile?: string; certFile?: string; keyFile?: string } | undefined;
    if (e.tls !== undefined) {
      if (!isObject(e.tls)) fail(`${field}.endpoint.tls`, 'must be an object');
      const t = e.tls as Json;
      unknownKeys(t, ['ca_file', 'cert_file', 'key_file'], `${field}.endpoint.tls.`, fail);
      const file = (key: string) => {
        const value = optionalString(t, key, fail, `${field}.endpoint.tls.`);
        return value === undefined ? undefined : at(value);
      };
      tls = { caFile: file('ca_file'), certFile: file('cert_file'), keyFile: file('key_file') };
    }
    endpoint = { address: address!, tls };
  }
  if (b.config !== undefined && !isObject(b.config)) fail(`${field}.config`, 'must be an object (the plugin\'s own configuration)');
  const ms = (key: string) => optionalNumber(b, key, fail, `${field}.`, 1);
  const logLevel = optionalString(b, 'log_level', fail, `${field}.`);
  return {
    name: name!, launch, endpoint, config: (b.config as Json | undefined) ?? {},
    startTimeoutMs: ms('start_timeout_ms'), callTimeoutMs: ms('call_timeout_ms'), healthIntervalMs: ms('health_interval_ms'), shutdownGraceMs: ms('shutdown_grace_ms'), logLevel,
  };
}

function parseDataService(value: unknown, fail: (f: string, d: string) => never, at: (p: string) => string): FerryOptions['dataService'] {
  if (!isObject(value)) fail('data_service', 'must be an object');
  const d = value as Json;
  unknownKeys(d, DATA_SERVICE_KEYS, 'data_service.', fail);
  let checkHash: HashAlgorithm | undefined;
  if (d.check_hash !== undefined) {
    // Manila's check_hash is a boolean (SHA-256 when true); ferry also takes the algorithm.
    if (d.check_hash === true) checkHash = 'sha256';
    else if (d.check_hash === false) checkHash = 'none';
    else if (d.check_hash === 'sha256' || d.check_hash === 'xxh128' || d.check_hash === 'none') checkHash = d.check_hash;
    else fail('data_service.check_hash', `must be true, false, "sha256", "xxh128" or "none", got ${JSON.stringify(d.check_hash)}`);
  }
  const strings = (key: string) => {
    const v = d[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) fail(`data_service.${key}`, 'must be an array of non-empty strings');
    return v as string[];
  };
  const ips = strings('data_node_access_ips');
  if (d.data_node_mount_options !== undefined && !isStringMap(d.data_node_mount_options)) fail('data_service.data_node_mount_options', 'must map protocols to option strings, e.g. {"nfs": "-o vers=4.2"}');
  const mountTmp = optionalString(d, 'mount_tmp_location', fail, 'data_service.');
  const threads = optionalNumber(d, 'threads', fail, 'data_service.', 1);
  if (threads !== undefined && !Number.isInteger(threads)) fail('data_service.threads', 'must be a whole number');
  return {
    checkHash,
    migrationIgnoreFiles: strings('migration_ignore_files'),
    dataNodeAccessIps: ips,
    dataNodeAccessAdminUser: optionalString(d, 'data_node_access_admin_user', fail, 'data_service.'),
    dataNodeAccessCert: optionalString(d, 'data_node_access_cert', fail, 'data_service.'),
    mountOptions: d.data_node_mount_options === undefined ? undefined : Object.fromEntries(Object.entries(d.data_node_mount_options as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v])),
    mountTmpLocation: mountTmp === undefined ? undefined : at(mountTmp),
    threads,
    bandwidthBytesPerSecond: optionalNumber(d, 'bandwidth_bytes_per_second', fail, 'data_service.', 0),
  };
}

/** A mount template as an argv array or one string; Manila's %(path)s spelling is accepted too. */
function parseTemplate(value: unknown, field: string, fail: (f: string, d: string) => never): string[] | undefined {
  if (value === undefined) return undefined;
  const words = typeof value === 'string' ? value.split(/\s+/).filter((w) => w !== '') : value;
  if (!Array.isArray(words) || words.length === 0 || !words.every((w) => typeof w === 'string')) fail(field, 'must be a command line (string) or a non-empty array of strings');
  const argv = (words as string[]).map((w) => w.replace(/%\((path|export|options)\)s/g, '{$1}'));
  if (field.endsWith('share_mount_template') && !argv.some((w) => w.includes('{path}'))) fail(field, 'must contain {path} (where the data service mounts the share)');
  return argv;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringMap(value: unknown): boolean {
  return isObject(value) && Object.values(value as Json).every((v) => typeof v === 'string');
}

function unknownKeys(object: Json, known: readonly string[], prefix: string, fail: (f: string, d: string) => never): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) fail(`${prefix}${key}`, `is not a known option (known: ${known.join(', ')})`);
  }
}

function optionalString(object: Json, key: string, fail: (f: string, d: string) => never, prefix = ''): string | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') fail(`${prefix}${key}`, `must be a string, got ${JSON.stringify(value)}`);
  return value as string;
}

function optionalNumber(object: Json, key: string, fail: (f: string, d: string) => never, prefix: string, min: number): number | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) fail(`${prefix}${key}`, `must be a number >= ${min}, got ${JSON.stringify(value)}`);
  return value as number;
}
