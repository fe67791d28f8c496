/**
 * Shared helpers for tests that run the plugin host against real fixture plugin processes:
 * fixture paths, per-test temp dirs, a pino logger whose records a test can await, and
 * awaiting a plugin status instead of sleeping.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { createPluginHost, type PluginHost, type PluginHostOptions, type PluginStatus } from '../../src/host/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Absolute path of a compiled fixture plugin, e.g. fixturePlugin('good'). */
export function fixturePlugin(name: string): string {
  return path.join(here, '..', 'fixtures', 'plugins', `${name}.js`);
}

/** Launch options that run a fixture plugin with this Node. */
export function fixtureLaunch(name: string): { command: string; args: string[] } {
  return { command: process.execPath, args: [fixturePlugin(name)] };
}

/** A fresh temp dir with a short path (unix socket paths are limited to ~107 bytes); removed by `t.after`. */
export function tempDir(t: { after(fn: () => unknown): void }, prefix = 'fy-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type LogRecord = Record<string, unknown> & { level: number; msg?: string };

/** A pino logger writing into memory; `waitFor` resolves on the first matching record, past or future. */
export interface CapturedLog {
  readonly logger: Logger;
  readonly records: LogRecord[];
  waitFor(match: (record: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
}

export function captureLog(level = 'info'): CapturedLog {
  const records: LogRecord[] = [];
  const waiters = new Set<{ match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }>();
  let partial = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      partial += chunk.toString('utf8');
      let newline: number;
      while ((newline = partial.indexOf('\n')) >= 0) {
        const record = JSON.parse(partial.slice(0, newline)) as LogRecord;
        partial = partial.slice(newline + 1);
        records.push(record);
        for (const waiter of waiters) {
          if (waiter.match(record)) {
            waiters.delete(waiter);
            waiter.resolve(record);
          }
        }
      }
      callback();
    },
  });
  const logger = pino({ level }, stream);
  return {
    logger,
    records,
    waitFor(match, timeoutMs = 10_000) {
      const seen = records.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (r: LogRecord) => (clearTimeout(timer), resolve(r)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching log record within ${timeoutMs} ms; got: ${records.map((r) => r.msg).join(' | ')}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

/** Resolves with the plugin's status once `match` holds (now or on a later change). */
export function waitForStatus(host: PluginHost, name: string, match: (status: PluginStatus) => boolean, timeoutMs = 10_000): Promise<PluginStatus> {
  const now = host.plugin(name).status();
  if (match(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`plugin ${name} did not reach the expected status within ${timeoutMs} ms; now: ${JSON.stringify(host.plugin(name).status(), ['state', 'pid', 'restarts'])}`));
    }, timeoutMs);
    const stop = host.onStatus((status) => {
      if (status.name === name && match(status)) {
        clearTimeout(timer);
        stop();
        resolve(status);
      }
    });
  });
}

/** true while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A plugin host on a private socket root with a captured logger; closed by `t.after`. */
export function newHost(
  t: { after(fn: () => unknown): void },
  plugins: PluginHostOptions['plugins'],
  options: { level?: string; socketRoot?: string } = {},
): { host: PluginHost; log: CapturedLog; socketRoot: string } {
  const log = captureLog(options.level ?? 'info');
  const socketRoot = options.socketRoot ?? path.join(tempDir(t), 'sockets');
  const host = createPluginHost({ plugins, socketRoot, logger: log.logger });
  t.after(() => host.close());
  return { host, log, socketRoot };
}
