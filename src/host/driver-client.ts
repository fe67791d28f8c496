/**
 * One gRPC channel to one plugin process, with typed access to every ferry.driver.v1 service
 * in src/contract/gen. Every call has a deadline, honours an AbortSignal by cancelling the gRPC
 * call (the plugin sees the cancellation), and fails with a FerryError (fromGrpcError, plus the
 * host's own PLUGIN_* reasons for deadlines and a vanished transport). Payloads are logged at
 * debug only, with secret fields redacted.
 */
import { readFileSync } from 'node:fs';
import { Channel, Client, Metadata, credentials, status as GrpcStatus, type ChannelCredentials, type ClientOptions, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import type { Logger } from 'pino';
import type { FerryError } from '../domain/errors.js';
import { IdentityServiceClient } from '../contract/gen/ferry/driver/v1/identity.js';
import { PoolServiceClient } from '../contract/gen/ferry/driver/v1/pool.js';
import { ShareServiceClient } from '../contract/gen/ferry/driver/v1/share.js';
import { ShareMigrationServiceClient } from '../contract/gen/ferry/driver/v1/share_migration.js';
import { ShareServerServiceClient } from '../contract/gen/ferry/driver/v1/share_server.js';
import { VolumeServiceClient } from '../contract/gen/ferry/driver/v1/volume.js';
import { redact } from '../contract/redact.js';
import { secretFields } from '../contract/gen/secret-fields.js';
import { fromGrpcError } from '../contract/status.js';
import { callCancelledError, pluginDeadlineError, pluginUnavailableError } from './errors.js';
import type { EndpointTlsOptions } from './plugin-options.js';

/**
 * The driver services the host can call, by short name: ts-proto's generated client
 * constructors. Adding a service to the contract is one line here.
 */
export const DRIVER_SERVICES = {
  identity: IdentityServiceClient,
  pool: PoolServiceClient,
  share: ShareServiceClient,
  shareMigration: ShareMigrationServiceClient,
  shareServer: ShareServerServiceClient,
  volume: VolumeServiceClient,
} as const;

export type DriverServiceName = keyof typeof DRIVER_SERVICES;
/** The ts-proto client type of a service, e.g. IdentityServiceClient for 'identity'. */
export type DriverServiceClient<N extends DriverServiceName> = InstanceType<(typeof DRIVER_SERVICES)[N]>;

/** A unary method definition as ts-proto emits it (e.g. `IdentityServiceService.probe`). */
export interface UnaryMethod<Req, Res> {
  readonly path: string;
  readonly requestStream: false;
  readonly responseStream: false;
  readonly requestSerialize: (value: Req) => Buffer;
  readonly responseDeserialize: (value: Buffer) => Res;
}

/** Per-call options. */
export interface CallOptions {
  /** Deadline of this call. @default the plugin's callTimeoutMs */
  readonly deadlineMs?: number;
  /** Aborting cancels the call on the plugin; the promise rejects with CANCELLED. */
  readonly signal?: AbortSignal;
}

type ServiceDefinitionOf<N extends DriverServiceName> = (typeof DRIVER_SERVICES)[N]['service'];
/** Promise-returning functions for each unary method of a service, e.g. `identity.probe({})`. */
export type DriverService<N extends DriverServiceName> = {
  readonly [M in keyof ServiceDefinitionOf<N>]: ServiceDefinitionOf<N>[M] extends UnaryMethod<infer Req, infer Res>
    ? (request: Req, options?: CallOptions) => Promise<Res>
    : never;
};

/** What the grpc.health.v1 check said. */
export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN';

export interface DriverClientOptions {
  readonly plugin: string;
  /** gRPC target: `unix:/path` or `host:port`. */
  readonly target: string;
  readonly tls?: EndpointTlsOptions;
  readonly defaultDeadlineMs: number;
  readonly logger: Logger;
}

export interface DriverClient {
  readonly target: string;
  /** Calls a unary method: `call(IdentityServiceService.probe, {}, { deadlineMs: 1000 })`. */
  call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options?: CallOptions): Promise<Res>;
  /** Promise-style typed access to one service: `service('identity').probe({})`. */
  service<N extends DriverServiceName>(name: N): DriverService<N>;
  /** The raw ts-proto client on this channel, for what call() does not cover (streams). No deadline or error mapping. */
  client<N extends DriverServiceName>(name: N): DriverServiceClient<N>;
  /** grpc.health.v1.Health/Check for service "". */
  checkHealth(options?: CallOptions): Promise<HealthStatus>;
  close(): void;
}

const REDACTED_UNKNOWN = '[payload of unknown type not logged]';

/** Opens a channel to a plugin. Connecting is lazy: the first call connects. */
export function createDriverClient(options: DriverClientOptions): DriverClient {
  const creds = channelCredentials(options.tls);
  const channel = new Channel(options.target, creds, {});
  const clientOptions: Partial<ClientOptions> = { channelOverride: channel };
  const base = new Client(options.target, creds, clientOptions);
  const typed = new Map<DriverServiceName, unknown>();
  const proxies = new Map<DriverServiceName, unknown>();
  const { plugin, logger } = options;

  function call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, callOptions: CallOptions = {}): Promise<Res> {
    const deadlineMs = callOptions.deadlineMs ?? options.defaultDeadlineMs;
    const name = method.path.replace(/^\/(?:[a-z0-9_]+\.)*/, '');
    const signal = callOptions.signal;
    if (signal?.aborted) return Promise.reject(callCancelledError(plugin, name));
    logPayload(logger, 'driver call', name, typeNameOf(method.path, 'Request'), request);
    const deadline = Date.now() + deadlineMs;
    return new Promise<Res>((resolve, reject) => {
      let aborted = false;
      const onAbort = (): void => {
        aborted = true;
        pending.cancel();
      };
      const pending = base.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new Metadata(), { deadline }, (error, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (error !== null) {
          const mapped = aborted ? callCancelledError(plugin, name) : mapCallError(plugin, name, deadlineMs, error);
          logger.debug({ method: name, code: mapped.code, reason: mapped.reason }, 'driver call failed');
          reject(mapped);
          return;
        }
        logPayload(logger, 'driver call answered', name, typeNameOf(method.path, 'Response'), response);
        resolve(response as Res);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  return {
    target: options.target,
    call,
    service<N extends DriverServiceName>(name: N): DriverService<N> {
      let proxy = proxies.get(name) as DriverService<N> | undefined;
      if (proxy === undefined) {
        proxy = serviceProxy(name, call);
        proxies.set(name, proxy);
      }
      return proxy;
    },
    client<N extends DriverServiceName>(name: N): DriverServiceClient<N> {
      let client = typed.get(name) as DriverServiceClient<N> | undefined;
      if (client === undefined) {
        client = new DRIVER_SERVICES[name](options.target, creds, clientOptions) as DriverServiceClient<N>;
        typed.set(name, client);
      }
      return client;
    },
    async checkHealth(callOptions?: CallOptions): Promise<HealthStatus> {
      const check = healthService.Check as unknown as UnaryMethod<{ service: string }, { status: string }>;
      try {
        const answer = await call(check, { service: '' }, callOptions);
        return answer.status === 'SERVING' || answer.status === 'NOT_SERVING' ? answer.status : 'UNKNOWN';
      } catch (error) {
        if ((error as FerryError).code === 'NOT_FOUND') return 'SERVICE_UNKNOWN';
        throw error;
      }
    },
    close(): void {
      for (const client of typed.values()) (client as Client).close();
      base.close();
      channel.close();
    },
  };
}

/** Promise-style functions for the unary methods of one service, each going through `call`. */
export function serviceProxy<N extends DriverServiceName>(
  name: N,
  call: <Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options?: CallOptions) => Promise<Res>,
): DriverService<N> {
  const definition = DRIVER_SERVICES[name].service as unknown as Record<string, UnaryMethod<unknown, unknown>>;
  const methods: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(definition)) {
    if (!method.requestStream && !method.responseStream) methods[key] = (request: unknown, options?: CallOptions) => call(method, request, options);
  }
  return Object.freeze(methods) as DriverService<N>;
}

/** Maps a failed call: the host's own reasons for a deadline it enforced and a transport that vanished. */
function mapCallError(plugin: string, method: string, deadlineMs: number, error: ServiceError): FerryError {
  const mapped = fromGrpcError(error);
  if (mapped.reason !== '') return mapped;
  if (error.code === GrpcStatus.DEADLINE_EXCEEDED) return pluginDeadlineError(plugin, method, deadlineMs);
  if (error.code === GrpcStatus.UNAVAILABLE) return pluginUnavailableError(plugin, `${method} failed: ${error.details}`, error);
  return mapped;
}

/** ferry.driver.v1 names one XxxRequest/XxxResponse per RPC: "/ferry.driver.v1.IdentityService/Probe" -> "ferry.driver.v1.ProbeRequest". */
function typeNameOf(path: string, suffix: 'Request' | 'Response'): string {
  const match = /^\/(.+)\.[A-Za-z0-9_]+\/([A-Za-z0-9_]+)$/.exec(path);
  return match === null ? '' : `${match[1]}.${match[2]}${suffix}`;
}

function logPayload(logger: Logger, message: string, method: string, typeName: string, payload: unknown): void {
  if (!logger.isLevelEnabled('debug')) return;
  const known = secretFields[typeName] !== undefined;
  logger.debug({ method, payload: known ? redact(typeName, payload) : REDACTED_UNKNOWN }, message);
}

function channelCredentials(tls: EndpointTlsOptions | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  const read = (file: string | undefined): Buffer | null => (file === undefined ? null : readFileSync(file));
  return credentials.createSsl(read(tls.caFile), read(tls.keyFile), read(tls.certFile));
}
