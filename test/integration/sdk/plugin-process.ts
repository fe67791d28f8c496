/**
 * Launches an SDK plugin as a real child process the way the host does (FERRY_PLUGIN_* env,
 * piped stdio, a private 0700 socket directory) without depending on src/host. Each launch owns
 * its temp directory and removes it in close().
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { credentials, makeGenericClientConstructor, Metadata, type CallOptions, type Client, type ClientUnaryCall, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

export const ECHO_PLUGIN = fileURLToPath(new URL('../../fixtures/sdk/echo-plugin.js', import.meta.url));

export interface LaunchOptions {
  readonly script?: string;
  /** FERRY_PLUGIN_CONTRACT_VERSIONS; default "v1". */
  readonly offered?: string;
  /** Extra or overriding env; a value of undefined removes the variable. */
  readonly env?: Record<string, string | undefined>;
  readonly config?: Record<string, unknown>;
}

export interface StderrLine {
  readonly raw: string;
  readonly json: Record<string, unknown> | undefined;
}

export interface PluginProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly dir: string;
  readonly socketDir: string;
  readonly reportFile: string;
  /** Everything the plugin wrote to stdout so far. */
  stdout(): string;
  /** Every stderr line so far. */
  stderr(): readonly StderrLine[];
  /** The first stdout line, parsed. */
  readonly handshake: Promise<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first stderr line (past or future) matching `predicate`. */
  waitForStderr(predicate: (line: StderrLine) => boolean, what: string, timeoutMs?: number): Promise<StderrLine>;
  /** Kills the process if still running and removes the temp directory. */
  close(): Promise<void>;
}

export function launchPlugin(options: LaunchOptions = {}): PluginProcess {
  // Short base path: unix socket paths are limited to ~107 bytes.
  const dir = mkdtempSync(join('/tmp', 'fsdk-'));
  const socketDir = mkdtempSync(join(dir, 's'));
  const reportFile = join(dir, 'report.jsonl');
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('FERRY_') && !key.startsWith('NODE_TEST')) env[key] = value;
  Object.assign(env, {
    FERRY_PLUGIN_MAGIC_COOKIE: 'ferry-driver-plugin-7c1e',
    FERRY_PLUGIN_CONTRACT_VERSIONS: options.offered ?? 'v1',
    FERRY_PLUGIN_SOCKET_DIR: socketDir,
    FERRY_PLUGIN_NAME: 'echo1',
    FERRY_PLUGIN_CONFIG: JSON.stringify({ reportFile, ...options.config }),
    FERRY_PLUGIN_LOG_LEVEL: 'debug',
    ...options.env,
  });
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];

  const child = spawn(process.execPath, [options.script ?? ECHO_PLUGIN], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const lines: StderrLine[] = [];
  const waiters: { predicate: (line: StderrLine) => boolean; resolve: (line: StderrLine) => void }[] = [];

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const handshake = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(out.slice(0, newline)) as Record<string, unknown>);
    });
    void exited.then(({ code, signal }) => reject(new Error(`plugin exited (${code ?? signal}) before the handshake; stderr:\n${lines.map((l) => l.raw).join('\n')}`)));
  });
  handshake.catch(() => undefined);

  createInterface({ input: child.stderr }).on('line', (raw) => {
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    const line = { raw, json };
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });

  return {
    child,
    dir,
    socketDir,
    reportFile,
    stdout: () => out,
    stderr: () => lines,
    handshake,
    exited,
    waitForStderr(predicate, what, timeoutMs = 10_000) {
      const seen = lines.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for stderr: ${what}; stderr:\n${lines.map((l) => l.raw).join('\n')}`)), timeoutMs);
        waiters.push({ predicate, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      });
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A client of any generated service definition over the plugin's unix socket. */
export function connect<C extends Client>(ctor: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => C, address: string): C {
  return new ctor(`unix:${address}`, credentials.createInsecure());
}

interface HealthClient extends Client {
  check(request: { service: string }, callback: (error: Error | null, response: { status: string }) => void): void;
}

/** grpc.health.v1.Health/Check for `service` ("" for the whole plugin). */
export async function healthStatus(address: string, service = ''): Promise<string> {
  const Health = makeGenericClientConstructor(healthService as unknown as ServiceDefinition, 'Health') as unknown as new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => HealthClient;
  const client = new Health(`unix:${address}`, credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) => client.check({ service }, (error, response) => (error ? reject(error) : resolve(response.status))));
  } finally {
    client.close();
  }
}

/** A generated client's unary method (the metadata + options + callback overload). */
type UnaryMethod<Req, Res> = (request: Req, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Res) => void) => ClientUnaryCall;

/**
 * Calls a unary method as a promise and also hands back the call, so a test can cancel it.
 * Pass the method bound to its client: `unary(client.probe.bind(client), {})`.
 */
export function unary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options: Partial<CallOptions> = {}): { response: Promise<Res>; call: ClientUnaryCall } {
  let call!: ClientUnaryCall;
  const response = new Promise<Res>((resolve, reject) => {
    call = method(request, new Metadata(), options, (error, value) => (error ? reject(error) : resolve(value)));
  });
  return { response, call };
}
