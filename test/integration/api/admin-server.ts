/**
 * Serves the admin API the way the daemon does, on a real loopback socket: grpc.health.v1
 * (grpc-health-check) plus registerAdminApi over a real ferry (createFerry with real localfs
 * and dummy plugin processes, through test/helpers/ferry-harness.ts, or any TestFerry the test
 * started). Closed by `t.after`.
 * Also runs the real `buf curl` from node_modules against it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { registerAdminApi } from '../../../src/api/index.js';
import { startTestFerry, type TestFerry } from '../../helpers/ferry-harness.js';

export interface AdminServer extends TestFerry {
  /** host:port the server listens on. */
  readonly address: string;
  readonly health: HealthImplementation;
}

export async function startAdminServer(t: { after(fn: () => unknown): void }): Promise<AdminServer> {
  return serveAdminApi(t, await startTestFerry(t));
}

/** Serves the admin API over a ferry the test started itself (e.g. startMigrationFerry's dummies). */
export async function serveAdminApi<F extends TestFerry>(t: { after(fn: () => unknown): void }, testFerry: F): Promise<F & AdminServer> {
  const server = new Server();
  const health = new HealthImplementation({ '': 'SERVING' });
  health.addToServer(server);
  registerAdminApi(server, testFerry.ferry, { logger: testFerry.log.logger });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  t.after(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
  return { ...testFerry, address: `127.0.0.1:${port}`, health };
}

const buf = fileURLToPath(new URL('../../../../node_modules/.bin/buf', import.meta.url));

export interface CurlResult {
  /** buf curl's exit code: 0 on OK, otherwise derived from the gRPC code. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `buf curl --protocol grpc --http2-prior-knowledge <args> http://<address><path>` with
 * no schema but server reflection.
 */
export function bufCurl(address: string, path: string, args: readonly string[] = []): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args, `http://${address}${path}`], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ exitCode: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** The JSON buf curl prints for a successful call. */
export async function bufCurlJson<T>(address: string, method: string, body: unknown = {}): Promise<T> {
  const result = await bufCurl(address, `/${method}`, ['-d', JSON.stringify(body)]);
  if (result.exitCode !== 0) throw new Error(`buf curl ${method} failed (${result.exitCode}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** The error JSON buf curl prints on stderr for a failed call; detail values are base64. */
export interface CurlError {
  readonly code: string;
  readonly message: string;
  readonly details?: readonly { readonly type: string; readonly value: string }[];
}

export async function bufCurlError(address: string, method: string, body: unknown): Promise<CurlError> {
  const result = await bufCurl(address, `/${method}`, ['-d', JSON.stringify(body)]);
  if (result.exitCode === 0) throw new Error(`buf curl ${method} succeeded, expected an error: ${result.stdout}`);
  return JSON.parse(result.stderr) as CurlError;
}
