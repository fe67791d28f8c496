/**
 * Forwards a plugin's stderr into the host's pino log. A line that is a pino JSON object is
 * re-logged at its own level with its own fields; any other line is logged at info as `msg`.
 * The logger passed in already has `plugin` bound; a plugin cannot overwrite that binding.
 */
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';

const PINO_LEVELS: Readonly<Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const LEVEL_NAMES = new Set(Object.values(PINO_LEVELS));
/** Fields pino adds itself, or the host binds: not copied from the plugin's line. */
const DROPPED = new Set(['level', 'time', 'msg', 'plugin', 'hostname', 'v']);
const KEPT_LINES = 20;

/** The tail of what a plugin wrote to stderr, for error messages when it dies early. */
export interface StderrTail {
  lines(): readonly string[];
}

/** Starts forwarding `stderr` to `logger`; returns the last lines seen. */
export function forwardPluginLog(stderr: Readable, logger: Logger): StderrTail {
  const tail: string[] = [];
  const reader = readline.createInterface({ input: stderr, crlfDelay: Infinity });
  reader.on('line', (line) => {
    if (line.trim() === '') return;
    tail.push(line);
    if (tail.length > KEPT_LINES) tail.shift();
    logPluginLine(line, logger);
  });
  return { lines: () => [...tail] };
}

/** Logs one stderr line of a plugin. Exported for unit tests. */
export function logPluginLine(line: string, logger: Logger): void {
  const record = parseRecord(line);
  if (record === undefined) {
    logger.info({ stream: 'stderr' }, line);
    return;
  }
  const level = levelOf(record.level);
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === 'pid') fields.pluginPid = value;
    else if (!DROPPED.has(key)) fields[key] = value;
  }
  const msg = typeof record.msg === 'string' ? record.msg : '';
  logger[level](fields, msg);
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function levelOf(level: unknown): 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' {
  if (typeof level === 'number') return PINO_LEVELS[level] ?? (level >= 60 ? 'fatal' : 'info');
  if (typeof level === 'string' && LEVEL_NAMES.has(level as 'info')) return level as 'info';
  return 'info';
}
