/**
 * serve(): turns a Driver into a running plugin process, following docs/plugin-handshake.md
 * (plugin side) step by step: environment and cookie, contract version, socket, gRPC server with
 * health + IdentityService + every contract service, the handshake line, then lifetime.
 */
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { CancelledError, InternalError } from '../../src/domain/errors.js';
import type { GetPluginCapabilitiesResponse, GetPluginInfoResponse, ProbeResponse } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import { installStdoutGuard, writeHandshakeLine } from './stdout-guard.js';
import { PluginEnvironmentError, readPluginEnvironment, type PluginEnvironment } from './environment.js';
import { chooseContractVersion, renderHandshakeLine, SUPPORTED_CONTRACT_VERSIONS } from './handshake.js';
import { createPluginLogger } from './logger.js';
import { CONTRACT_SERVICES } from './services.js';
import { checkDriver, refusalFor } from './capability-gate.js';
import { createCallHandler, type Resolution } from './call-handler.js';
import { watchLifetime, type StopReason } from './lifetime.js';
import type { Driver, DriverContext } from './driver.js';
import type { MethodSpec } from './service-spec.js';

/** Options of serve(); every field is optional. */
export interface ServeOptions {
  /**
   * How long running calls may take to finish after SIGTERM before they are aborted and the
   * server is forced down. FERRY_PLUGIN_SHUTDOWN_GRACE_MS, when the host sets it, wins: the
   * host knows when it will SIGKILL.
   * @default 4000
   */
  readonly shutdownGraceMs?: number;
  /**
   * How often (ms) to check whether the parent process changed (the host died without closing stdin).
   * @default 1000
   */
  readonly parentPollMs?: number;
  /**
   * The environment to read FERRY_PLUGIN_* from.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The socket file name inside FERRY_PLUGIN_SOCKET_DIR.
   * @default "plugin.sock"
   */
  readonly socketName?: string;
}

/** A driver, or a function building one from the launch environment (e.g. from `env.config`). */
export type DriverSource = Driver | ((env: PluginEnvironment, logger: Logger) => Driver | Promise<Driver>);

/** The running plugin, as serve() resolves it. */
export interface ServingPlugin {
  readonly address: string;
  readonly contractVersion: string;
  readonly logger: Logger;
  /** Stops the plugin like SIGTERM does and exits the process with code 0. */
  stop(): Promise<void>;
}

const DEFAULT_GRACE_MS = 4000;
const DEFAULT_PARENT_POLL_MS = 1000;
/** sun_path is 108 bytes on Linux (104 on macOS), including the terminating NUL. */
const MAX_SOCKET_PATH = 103;

/**
 * Serves a ferry driver plugin over a unix socket and never returns control of the process:
 * it exits 0 after a graceful stop and 1 when it cannot start.
 *
 * 1. Refuses to run by hand: without FERRY_PLUGIN_MAGIC_COOKIE it prints why to stderr and exits 1.
 * 2. Picks the contract version: the first FERRY_PLUGIN_CONTRACT_VERSIONS entry it speaks, else
 *    its own (the host then refuses the plugin with a clear message).
 * 3. Builds the driver (if given a factory) and checks advertised capabilities against its
 *    methods: advertising a capability without implementing its RPCs is a start error.
 * 4. Serves grpc.health.v1 (SERVING once ready, NOT_SERVING while stopping), IdentityService
 *    (from `driver.info`, `driver.capabilities` and `driver.probe`) and every ferry.driver.v1
 *    service; unadvertised or unimplemented RPCs answer UNIMPLEMENTED (CAPABILITY_NOT_SUPPORTED).
 * 5. Writes the one handshake line to stdout. Everything else (console.log included) goes to stderr.
 * 6. Stops on SIGTERM/SIGINT, stdin EOF or a changed parent: NOT_SERVING, no new calls, running
 *    calls get the grace period, then their signals abort and the server is forced down;
 *    driver.close() runs, the socket is removed and the process exits 0.
 *
 * Handlers receive a DriverContext whose `signal` aborts on client cancel or deadline. Throw
 * FerryErrors (NotFoundError, InvalidArgumentError, ...): they reach ferry with code, reason and
 * metadata; anything else becomes INTERNAL "internal error" and is logged with its stack.
 *
 * @example
 * ```ts
 * import { serve, PluginCapability, type Driver, type DriverContext, type ProbeRequest } from 'ferry/plugin-sdk';
 *
 * class HelloDriver implements Driver {
 *   readonly info = { name: 'example.hello', vendorVersion: '0.1.0', manifest: { vendor: 'Example' } };
 *   readonly capabilities = [];                       // add PluginCapability.* with their RPCs
 *   constructor(private readonly endpoint: string) {}
 *   async probe(_req: ProbeRequest, ctx: DriverContext) {
 *     const res = await fetch(this.endpoint, { signal: ctx.signal });
 *     return res.ok ? { ready: true } : { ready: false, message: `back end answered ${res.status}` };
 *   }
 *   async close() {
 *     // release connections
 *   }
 * }
 *
 * await serve((env) => new HelloDriver(String(env.config.endpoint ?? 'http://127.0.0.1:8080/health')));
 * ```
 */
export async function serve(source: DriverSource, options: ServeOptions = {}): Promise<ServingPlugin> {
  installStdoutGuard();

  let env: PluginEnvironment;
  try {
    env = readPluginEnvironment(options.env ?? process.env);
  } catch (error) {
    return failStart(error instanceof PluginEnvironmentError ? error.message : String(error));
  }

  const logger = createPluginLogger({ plugin: env.name, level: env.logLevel });
  const { version: contractVersion, matched } = chooseContractVersion(env.contractVersions);
  if (!matched) {
    logger.error({ offered: env.contractVersions, supported: SUPPORTED_CONTRACT_VERSIONS }, 'the host offers no contract version this plugin speaks; answering with our own so the host refuses us');
  }

  let driver: Driver;
  try {
    driver = typeof source === 'function' ? await source(env, logger) : source;
    validateInfo(driver);
    const check = checkDriver(driver, CONTRACT_SERVICES);
    for (const warning of check.unadvertised) logger.warn(warning);
    if (check.errors.length > 0) throw new Error(check.errors.join('; '));
  } catch (error) {
    logger.fatal({ err: error }, 'plugin cannot start');
    return failStart(`ferry plugin cannot start: ${(error as Error).message ?? String(error)}`);
  }

  const socketPath = join(env.socketDir, options.socketName ?? 'plugin.sock');
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    return failStart(`ferry plugin cannot start: socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter FERRY_PLUGIN_SOCKET_DIR`);
  }

  const inFlight = new Set<AbortController>();
  const handlers = buildHandlerTable(driver, contractVersion);
  const resolve = (method: MethodSpec): Resolution => {
    const refusal = refusalFor(method, driver);
    if (refusal !== undefined) return { refusal };
    const handler = handlers.get(method.key);
    return handler === undefined ? { refusal: new InternalError(`no handler for ${method.method}`) } : { handler };
  };

  const server = new Server();
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  for (const service of CONTRACT_SERVICES) {
    const implementation: UntypedServiceImplementation = {};
    for (const method of service.methods) implementation[method.key] = createCallHandler(method, { logger, inFlight, resolve });
    server.addService(service.definition, implementation);
  }
  const setHealth = (status: 'SERVING' | 'NOT_SERVING'): void => {
    health.setStatus('', status);
    for (const service of CONTRACT_SERVICES) health.setStatus(service.name, status);
  };

  try {
    rmSync(socketPath, { force: true });
    await new Promise<void>((done, fail) => {
      server.bindAsync(`unix:${socketPath}`, ServerCredentials.createInsecure(), (error) => (error ? fail(error) : done()));
    });
  } catch (error) {
    logger.fatal({ err: error, socketPath }, 'cannot listen');
    return failStart(`ferry plugin cannot start: cannot listen on ${socketPath}: ${(error as Error).message}`);
  }
  setHealth('SERVING');

  const graceMs = env.shutdownGraceMs ?? options.shutdownGraceMs ?? DEFAULT_GRACE_MS;
  let stopping: Promise<void> | undefined;
  let forceNow: (() => void) | undefined;
  let stopWatching: () => void = () => undefined;

  const stop = (reason: StopReason | 'stop()', force = false): Promise<void> => {
    if (force) forceNow?.();
    if (stopping !== undefined) return stopping;
    logger.info({ reason, graceMs, running: inFlight.size }, 'plugin stopping');
    setHealth('NOT_SERVING');
    stopping = (async () => {
      await new Promise<void>((done) => {
        const forceTimer = setTimeout(() => forceNow?.(), graceMs);
        forceNow = () => {
          forceNow = undefined;
          clearTimeout(forceTimer);
          if (inFlight.size > 0) logger.warn({ running: inFlight.size }, 'shutdown grace over; aborting running calls');
          for (const controller of inFlight) controller.abort(new CancelledError('the plugin is shutting down', 'CANCELLED', 'CANCELLED'));
          server.forceShutdown();
          done();
        };
        server.tryShutdown(() => {
          clearTimeout(forceTimer);
          forceNow = undefined;
          done();
        });
      });
      try {
        await driver.close?.();
      } catch (error) {
        logger.error({ err: error }, 'driver close failed');
      }
      try {
        unlinkSync(socketPath);
      } catch {
        // Already gone (grpc-js may remove it), or the host removed the directory.
      }
      stopWatching();
      logger.info({ reason }, 'plugin stopped');
      process.exit(0);
    })();
    return stopping;
  };

  stopWatching = watchLifetime({
    onStop: (reason, force) => void stop(reason, force),
    parentPollMs: options.parentPollMs ?? DEFAULT_PARENT_POLL_MS,
    watchStdin: true,
  });

  await writeHandshakeLine(renderHandshakeLine({ contractVersion, address: socketPath, pid: process.pid }));
  logger.info({ contractVersion, address: socketPath, capabilities: driver.capabilities.length }, 'plugin serving');

  return { address: socketPath, contractVersion, logger, stop: () => stop('stop()') };
}

/** The handlers the SDK calls, by method key: the driver's own, plus the identity answers. */
function buildHandlerTable(driver: Driver, contractVersion: string): Map<string, (request: unknown, ctx: DriverContext) => unknown> {
  const table = new Map<string, (request: unknown, ctx: DriverContext) => unknown>();
  for (const method of CONTRACT_SERVICES.flatMap((s) => s.methods)) {
    const own = (driver as unknown as Record<string, unknown>)[method.key];
    if (typeof own === 'function') table.set(method.key, (request, ctx) => (own as (r: unknown, c: DriverContext) => unknown).call(driver, request, ctx));
  }
  const info: GetPluginInfoResponse = {
    name: driver.info.name,
    vendorVersion: driver.info.vendorVersion,
    contractVersion,
    manifest: { ...(driver.info.manifest ?? {}) },
  };
  const capabilities: GetPluginCapabilitiesResponse = { capabilities: [...new Set(driver.capabilities)] };
  table.set('getPluginInfo', () => info);
  table.set('getPluginCapabilities', () => capabilities);
  if (!table.has('probe')) table.set('probe', (): ProbeResponse => ({ ready: true, message: '' }));
  return table;
}

function validateInfo(driver: Driver): void {
  if (typeof driver !== 'object' || driver === null) throw new Error('serve() needs a driver object (or a function returning one)');
  if (typeof driver.info?.name !== 'string' || driver.info.name === '') throw new Error('driver.info.name is required, e.g. "ferry.localfs"');
  if (typeof driver.info.vendorVersion !== 'string' || driver.info.vendorVersion === '') throw new Error('driver.info.vendorVersion is required, e.g. "1.0.0"');
  if (!Array.isArray(driver.capabilities)) throw new Error('driver.capabilities must be an array of PluginCapability values');
}

/** Prints why the plugin cannot start to stderr and exits 1. */
function failStart(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
