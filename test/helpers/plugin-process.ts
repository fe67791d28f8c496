/**
 * For tests that drive one plugin process directly (kill -9 and relaunch the exact process,
 * read its stdout): the FERRY_PLUGIN_* environment the host would give it, and the handshake
 * line it answers with. Tests that only need a supervised plugin use createPluginHost instead.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { fromGrpcError } from '../../src/contract/status.js';
import { MAGIC_COOKIE } from '../../src/host/index.js';

/** The environment of a plugin launched by hand in a test: ours minus FERRY_* and node:test's own, plus the plugin contract. */
export function pluginTestEnvironment(options: { socketDir: string; name: string; config?: unknown; logLevel?: string }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('FERRY_') && !key.startsWith('NODE_TEST')) env[key] = value;
  }
  return {
    ...env,
    FERRY_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE,
    FERRY_PLUGIN_CONTRACT_VERSIONS: 'v1',
    FERRY_PLUGIN_SOCKET_DIR: options.socketDir,
    FERRY_PLUGIN_NAME: options.name,
    FERRY_PLUGIN_CONFIG: JSON.stringify(options.config ?? {}),
    FERRY_PLUGIN_LOG_LEVEL: options.logLevel ?? 'info',
  };
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Resolves with the parsed handshake line (the first stdout line); rejects when the process
 * exits first or `timeoutMs` passes, quoting `stderr()` so the failure explains itself.
 */
export function readHandshake(child: ChildProcessWithoutNullStreams, exited: Promise<ProcessExit>, stderr: () => string, label: string, timeoutMs = 10_000): Promise<{ address: string; pid: number }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`${label} sent no handshake within ${timeoutMs} ms; stderr:\n${stderr()}`))), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline >= 0) settle(() => resolve(JSON.parse(out.slice(0, newline)) as { address: string; pid: number }));
    });
    void exited.then(({ code, signal }) => settle(() => reject(new Error(`${label} exited (${code ?? signal}) before its handshake; stderr:\n${stderr()}`))));
  });
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;
type UnaryFn<Req, Res> = (request: Req, metadata: Metadata, options: { deadline: Date }, callback: Callback<Res>) => unknown;
type RequestOf<M> = M extends { requestSerialize(value: infer Req): Buffer } ? Req : never;
type ResponseOf<M> = M extends { responseDeserialize(value: Buffer): infer Res } ? Res : never;

/** Promise-returning calls of one generated service: `await plugin.volume.createVolume(req)`, FerryErrors out. */
export type Calls<S> = { readonly [K in keyof S]: (request: RequestOf<S[K]>, deadlineMs?: number) => Promise<ResponseOf<S[K]>> };

export function promiseCalls<S>(client: Client, defaultDeadlineMs: number): Calls<S> {
  return new Proxy({} as Calls<S>, {
    get(_target, name: string) {
      return (request: unknown, deadlineMs = defaultDeadlineMs) =>
        new Promise((resolve, reject) => {
          const fn = (client as unknown as Record<string, UnaryFn<unknown, unknown>>)[name];
          if (typeof fn !== 'function') return reject(new Error(`no method ${name}`));
          fn.call(client, request, new Metadata(), { deadline: new Date(Date.now() + deadlineMs) }, (error, response) => (error ? reject(fromGrpcError(error)) : resolve(response)));
        });
    },
  });
}

export interface SpawnedPlugin {
  readonly pid: number;
  /** The gRPC target of the plugin's socket (`unix:<path>`). */
  readonly target: string;
  readonly address: string;
  readonly exited: Promise<ProcessExit>;
  stderr(): string;
  /** Sends `signal` unless it already exited, waits for the exit, then removes its socket directory. */
  end(signal: NodeJS.Signals): Promise<void>;
}

/** Spawns `main` with the host's environment in a private socket dir under `dir`, and waits for its handshake. */
export async function spawnPlugin(options: { main: string; dir: string; name: string; config: unknown; label: string; startTimeoutMs?: number }): Promise<SpawnedPlugin> {
  mkdirSync(options.dir, { recursive: true });
  const socketDir = mkdtempSync(join(options.dir, 's'));
  const env = pluginTestEnvironment({ socketDir, name: options.name, config: options.config });
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [options.main], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<ProcessExit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const handshake = await readHandshake(child, exited, () => stderr, options.label, options.startTimeoutMs);
  return {
    pid: handshake.pid,
    address: handshake.address,
    target: `unix:${handshake.address}`,
    exited,
    stderr: () => stderr,
    async end(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
