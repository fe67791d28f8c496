/**
 * Starting and stopping a plugin process (docs/plugin-handshake.md): the host-private socket
 * directories, the FERRY_PLUGIN_* environment, the handshake line read from stdout within the
 * start timeout, and the SIGTERM -> grace -> SIGKILL stop. The child's stdin is a pipe the
 * host never writes to: when the host dies it closes, and the plugin exits (no orphans).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, statSync, chmodSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Logger } from 'pino';
import { InvalidArgumentError, type FerryError } from '../domain/errors.js';
import { pluginProtocolError, pluginUnavailableError } from './errors.js';
import { MAGIC_COOKIE, parseHandshake, type Handshake } from './handshake.js';
import type { ResolvedPluginOptions } from './plugin-options.js';
import { forwardPluginLog, type StderrTail } from './plugin-log.js';

/** How a plugin process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A plugin process that completed its handshake. */
export interface LaunchedProcess {
  readonly child: ChildProcess;
  readonly handshake: Handshake;
  readonly socketDir: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  readonly stderr: StderrTail;
}

export interface LaunchContext {
  readonly socketDir: string;
  readonly offered: readonly string[];
  readonly logger: Logger;
  /** Absolute time (Date.now()) by which the handshake must have arrived. */
  readonly deadline: number;
  /** Aborting (the host closes) kills the process and rejects. */
  readonly signal: AbortSignal;
  /** Called once the process is spawned, before its handshake (status shows the pid while starting). */
  readonly onSpawn?: (child: ChildProcess) => void;
  /** Called for each stdout line after the handshake: a contract violation. */
  readonly onStrayStdout: (error: FerryError) => void;
}

/**
 * Removes whatever a previous run left under `root` (stale sockets) and recreates it with mode
 * 0700. Refuses a root that is not a directory owned by this user, so a typo cannot delete
 * someone else's files.
 */
export function prepareSocketRoot(root: string): void {
  let stat;
  try {
    stat = statSync(root);
  } catch {
    stat = undefined;
  }
  if (stat !== undefined) {
    if (!stat.isDirectory()) throw new InvalidArgumentError('socketRoot', `${root} exists and is not a directory`);
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) throw new InvalidArgumentError('socketRoot', `${root} is owned by uid ${stat.uid}, not by this user`);
    rmSync(root, { recursive: true, force: true });
  }
  mkdirSync(root, { recursive: true, mode: 0o700 });
  chmodSync(root, 0o700);
}

/** Creates (fresh, mode 0700) the directory one plugin process creates its socket in. */
export function preparePluginSocketDir(root: string, plugin: string): string {
  const dir = path.join(root, `p-${plugin}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** The environment of a plugin process: the host's own minus FERRY_*, the configured extras, then the FERRY_PLUGIN_* contract. */
export function pluginEnvironment(options: ResolvedPluginOptions, socketDir: string, offered: readonly string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('FERRY_')) env[key] = value;
  Object.assign(env, options.launch?.env ?? {});
  env.FERRY_PLUGIN_MAGIC_COOKIE = MAGIC_COOKIE;
  env.FERRY_PLUGIN_CONTRACT_VERSIONS = offered.join(',');
  env.FERRY_PLUGIN_SOCKET_DIR = socketDir;
  env.FERRY_PLUGIN_NAME = options.name;
  env.FERRY_PLUGIN_CONFIG = JSON.stringify(options.config);
  env.FERRY_PLUGIN_LOG_LEVEL = options.logLevel;
  // The plugin's own grace is shorter than ours so it can finish and exit before SIGKILL.
  env.FERRY_PLUGIN_SHUTDOWN_GRACE_MS = String(Math.floor(options.shutdownGraceMs * 0.8));
  return env;
}

/**
 * Spawns the plugin and waits for its handshake line. Rejects with a FerryError when the
 * process cannot start, exits first, writes a bad line, picks an unspoken contract version, or
 * stays silent past the deadline; the process is killed in every such case.
 */
export function launchPlugin(options: ResolvedPluginOptions, context: LaunchContext): Promise<LaunchedProcess> {
  const launch = options.launch;
  if (launch === undefined) throw new Error('launchPlugin needs launch options');
  const name = options.name;
  const child = spawn(launch.command, launch.args, {
    cwd: launch.cwd,
    env: pluginEnvironment(options, context.socketDir, context.offered),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => undefined);
  context.onSpawn?.(child);
  // 'exit' normally; only 'close' when the spawn itself failed (e.g. ENOENT).
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
  });
  const stderr = forwardPluginLog(child.stderr!, context.logger);

  return new Promise<LaunchedProcess>((resolve, reject) => {
    let handshake: Handshake | undefined;
    const failStart = (error: FerryError): void => {
      if (handshake !== undefined) return;
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onAbort);
      handshake = { contractVersion: '', network: 'unix', address: '', pid: 0 };
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      // Settle only once the process is gone: a failed start leaves no orphan behind.
      void exited.then(() => reject(error));
    };
    const timer = setTimeout(() => {
      failStart(pluginUnavailableError(name, `no handshake line on stdout within the start timeout (${options.startTimeoutMs} ms)`));
    }, Math.max(0, context.deadline - Date.now()));

    const onAbort = (): void => failStart(pluginUnavailableError(name, 'the host is closing'));
    if (context.signal.aborted) onAbort();
    else context.signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => failStart(pluginUnavailableError(name, `cannot start ${launch.command}: ${err.message}`, err)));
    // 'close' comes after stdio drained, so the message can quote the plugin's last words.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      failStart(pluginUnavailableError(name, `exited (${describeExit({ code, signal })}) before its handshake${lastWords(stderr)}`));
    });

    const lines = readline.createInterface({ input: child.stdout!, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (handshake !== undefined) {
        context.onStrayStdout(pluginProtocolError(name, `wrote to stdout after the handshake (stdout is reserved; log to stderr): ${JSON.stringify(line.slice(0, 200))}`));
        return;
      }
      const result = parseHandshake(line, { plugin: name, offered: context.offered, socketDir: context.socketDir });
      if (!result.ok) {
        failStart(result.error);
        return;
      }
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onAbort);
      handshake = result.handshake;
      resolve({ child, handshake, socketDir: context.socketDir, exited, stderr });
    });
  });
}

/**
 * Stops a plugin process: SIGTERM, up to `graceMs` for it to exit, then SIGKILL. Resolves once
 * it has exited. Safe to call on a process that already exited.
 */
export async function stopProcess(child: ChildProcess, exited: Promise<ProcessExit>, graceMs: number): Promise<ProcessExit> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const first = await Promise.race([exited, graceOver]);
  clearTimeout(timer);
  if (first === 'timeout') child.kill('SIGKILL');
  return exited;
}

/** "code 1", "signal SIGKILL". */
export function describeExit(exit: ProcessExit): string {
  return exit.signal !== null ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
}

function lastWords(stderr: StderrTail): string {
  const lines = stderr.lines().slice(-3);
  return lines.length === 0 ? '' : `; last stderr: ${lines.join(' | ').slice(0, 500)}`;
}
