/**
 * Launches the dummy plugin as a real child process the way the plugin host does
 * (docs/plugin-handshake.md: FERRY_PLUGIN_* environment, a private 0700 socket directory, the
 * handshake line on stdout) and calls it over its unix socket with the generated service
 * definitions. Kept independent of src/host so the dummy's tests do not move with the host.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { fromGrpcError } from '../../../src/contract/status.js';
import type { FerryError } from '../../../src/domain/errors.js';
import { pluginTestEnvironment, readHandshake } from '../../helpers/plugin-process.js';

export const DUMMY_MAIN = fileURLToPath(new URL('../../../plugins/dummy/main.js', import.meta.url));

/** A unary method of a generated grpc-js service definition, e.g. ShareServiceService.createShareInstance. */
export interface UnaryDefinition<Req, Res> {
  readonly path: string;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(value: Buffer): Res;
}

export interface CallOptions {
  /** Deadline relative to now. @default 10000 */
  readonly deadlineMs?: number;
  /** Cancels the call when it aborts. */
  readonly signal?: AbortSignal;
}

export interface StderrLine {
  readonly raw: string;
  readonly json: Record<string, unknown> | undefined;
}

export interface DummyProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  readonly address: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Calls one RPC; build the request with the generated `XxxRequest.fromPartial`. */
  call<Req, Res>(method: UnaryDefinition<Req, Res>, request: Req, options?: CallOptions): Promise<Res>;
  stderr(): readonly StderrLine[];
  /** Resolves with the first stderr line (past or future) matching `predicate`. */
  waitForStderr(predicate: (line: StderrLine) => boolean, what: string, timeoutMs?: number): Promise<StderrLine>;
  /** SIGKILL, and wait for the exit. */
  kill9(): Promise<void>;
  /** Closes the client and stops the plugin (stdin EOF, as when the host goes away); SIGKILL if still running. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Where the socket directory goes; a short path (unix socket paths are limited to ~107 bytes). */
  readonly dir: string;
  readonly config?: Record<string, unknown>;
  /** Resolve once the process exited instead of expecting a handshake (start-failure tests). */
  readonly expectExit?: boolean;
}

/** Starts the dummy and resolves once its handshake line arrived (or, with expectExit, once it exited). */
export async function launchDummy(options: LaunchOptions): Promise<DummyProcess> {
  const socketDir = mkdtempSync(join(options.dir, 's'));
  const env = pluginTestEnvironment({ socketDir, name: 'dummy1', config: options.config });
  const child = spawn(process.execPath, [DUMMY_MAIN], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: StderrLine[] = [];
  const waiters = new Set<{ predicate: (line: StderrLine) => boolean; resolve: (line: StderrLine) => void }>();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  createInterface({ input: child.stderr }).on('line', (raw) => {
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    const line = { raw, json };
    lines.push(line);
    for (const waiter of [...waiters]) if (waiter.predicate(line)) waiter.resolve(line);
  });
  const stderrText = (): string => lines.map((l) => l.raw).join('\n');

  let address = '';
  if (options.expectExit === true) {
    await exited;
    await new Promise((resolve) => setImmediate(resolve)); // let the last stderr lines arrive
  } else {
    const handshake = await readHandshake(child, exited, stderrText, 'dummy');
    address = String(handshake.address);
  }
  const client = new Client(`unix:${address}`, credentials.createInsecure());
  const running = (): boolean => child.exitCode === null && child.signalCode === null;

  return {
    child,
    pid: child.pid as number,
    address,
    exited,
    call<Req, Res>(method: UnaryDefinition<Req, Res>, request: Req, callOptions: CallOptions = {}): Promise<Res> {
      return new Promise<Res>((resolve, reject) => {
        const call = client.makeUnaryRequest(
          method.path,
          (value: Req) => method.requestSerialize(value),
          (buffer: Buffer) => method.responseDeserialize(buffer),
          request,
          new Metadata(),
          { deadline: Date.now() + (callOptions.deadlineMs ?? 10_000) },
          (error: ServiceError | null, response?: Res) => (error ? reject(error) : resolve(response as Res)),
        );
        callOptions.signal?.addEventListener('abort', () => call.cancel(), { once: true });
      });
    },
    stderr: () => lines,
    waitForStderr(predicate, what, timeoutMs = 10_000) {
      const seen = lines.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (line: StderrLine) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out waiting for stderr: ${what}; stderr:\n${stderrText()}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async kill9() {
      client.close();
      if (running()) child.kill('SIGKILL');
      await exited;
    },
    async close() {
      client.close();
      if (running()) {
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}

/** The FerryError a rejected call carries (code, reason, metadata from the status details). */
export async function ferryErrorOf(promise: Promise<unknown>): Promise<FerryError> {
  try {
    await promise;
  } catch (error) {
    return fromGrpcError(error);
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Writes a control file atomically (temp + rename), as the dummy's control-file contract asks. */
export function writeControlFile(file: string, rules: Record<string, unknown>): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(rules));
  renameSync(`${file}.tmp`, file);
}

/**
 * Resolves with the file's content once `match` holds for it (polling every 10 ms: the file is
 * written by another process, so there is no in-process event to await).
 */
export function waitForFile(file: string, match: (content: string) => boolean, timeoutMs = 10_000): Promise<string> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const content = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (content !== undefined && match(content)) resolve(content);
      else if (Date.now() - started > timeoutMs) reject(new Error(`${file} did not reach the expected content within ${timeoutMs} ms; it holds ${JSON.stringify(content)}`));
      else setTimeout(check, 10);
    };
    check();
  });
}
