/**
 * The launch environment the host sets (docs/plugin-handshake.md, "Environment the host
 * sets"), parsed into one typed object. Pure: it reads the object it is given, never
 * process.env itself, so it is tested without processes.
 */

/** The cookie value the host always sets; a UX guard against running a plugin by hand, not security. */
export const MAGIC_COOKIE_KEY = 'FERRY_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'ferry-driver-plugin-7c1e';

/** What a plugin prints to stderr (then exits 1) when it was started without the cookie. */
export const RUN_BY_HAND_MESSAGE = 'This program is a ferry driver plugin. It is started by ferry, not by hand.';

/** The launch environment, as the plugin sees it. */
export interface PluginEnvironment {
  /** Contract versions the host speaks, most preferred first (FERRY_PLUGIN_CONTRACT_VERSIONS). */
  readonly contractVersions: readonly string[];
  /** The host-owned directory (mode 0700) the plugin creates its socket in (FERRY_PLUGIN_SOCKET_DIR). */
  readonly socketDir: string;
  /** The back-end instance this process serves, for logs (FERRY_PLUGIN_NAME); "" when unset. */
  readonly name: string;
  /** The plugin's own configuration (FERRY_PLUGIN_CONFIG), `{}` when none. */
  readonly config: Readonly<Record<string, unknown>>;
  /** pino level name (FERRY_PLUGIN_LOG_LEVEL), "info" by default. */
  readonly logLevel: string;
  /** Shutdown grace in ms from FERRY_PLUGIN_SHUTDOWN_GRACE_MS, or undefined when the host did not set it. */
  readonly shutdownGraceMs: number | undefined;
}

/** Why the environment cannot be used; `runByHand` means the cookie is missing or wrong. */
export class PluginEnvironmentError extends Error {
  override readonly name = 'PluginEnvironmentError';
  constructor(
    message: string,
    readonly runByHand = false,
  ) {
    super(message);
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Reads the FERRY_PLUGIN_* variables. Throws PluginEnvironmentError naming the variable when
 * one is missing or malformed, and with `runByHand` set when the magic cookie is absent.
 */
export function readPluginEnvironment(env: Readonly<Record<string, string | undefined>>): PluginEnvironment {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) throw new PluginEnvironmentError(RUN_BY_HAND_MESSAGE, true);

  const contractVersions = (env.FERRY_PLUGIN_CONTRACT_VERSIONS ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (contractVersions.length === 0) {
    throw new PluginEnvironmentError('FERRY_PLUGIN_CONTRACT_VERSIONS is empty: the host must offer at least one contract version, e.g. "v1"');
  }

  const socketDir = env.FERRY_PLUGIN_SOCKET_DIR ?? '';
  if (socketDir === '') throw new PluginEnvironmentError('FERRY_PLUGIN_SOCKET_DIR is not set: the host must name the directory for the plugin socket');

  let config: Record<string, unknown> = {};
  const rawConfig = env.FERRY_PLUGIN_CONFIG ?? '';
  if (rawConfig.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawConfig);
    } catch (error) {
      throw new PluginEnvironmentError(`FERRY_PLUGIN_CONFIG is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new PluginEnvironmentError('FERRY_PLUGIN_CONFIG must be one JSON object, e.g. {}');
    }
    config = parsed as Record<string, unknown>;
  }

  const logLevel = (env.FERRY_PLUGIN_LOG_LEVEL ?? '').trim() || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new PluginEnvironmentError(`FERRY_PLUGIN_LOG_LEVEL "${logLevel}" is not a pino level; use one of ${LOG_LEVELS.join(', ')}`);
  }

  let shutdownGraceMs: number | undefined;
  const rawGrace = (env.FERRY_PLUGIN_SHUTDOWN_GRACE_MS ?? '').trim();
  if (rawGrace !== '') {
    shutdownGraceMs = Number(rawGrace);
    if (!Number.isInteger(shutdownGraceMs) || shutdownGraceMs < 0) {
      throw new PluginEnvironmentError(`FERRY_PLUGIN_SHUTDOWN_GRACE_MS must be a non-negative integer of milliseconds, got "${rawGrace}"`);
    }
  }

  return { contractVersions, socketDir, name: env.FERRY_PLUGIN_NAME ?? '', config, logLevel, shutdownGraceMs };
}
