/**
 * createPluginHost: the plugins of one ferry process. It launches (or connects to) each
 * configured plugin, supervises it, and hands out typed, deadline-bound calls that fail fast
 * while a plugin is down. See docs/plugin-handshake.md for the contract with the plugin.
 */
import { rmSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { InvalidArgumentError, NotFoundError } from '../domain/errors.js';
import type { CallOptions, DriverService, DriverServiceClient, DriverServiceName, UnaryMethod } from './driver-client.js';
import { serviceProxy } from './driver-client.js';
import { HOST_CONTRACT_VERSIONS } from './handshake.js';
import { prepareSocketRoot } from './launch.js';
import { defaultSocketRoot, normalisePluginOptions, type PluginOptions } from './plugin-options.js';
import { PluginSupervisor, type PluginStatus } from './supervise.js';

export interface PluginHostOptions {
  /** The plugins (back ends) to run; names must be unique. */
  readonly plugins: readonly PluginOptions[];
  /**
   * Directory holding one 0700 socket directory per launched plugin. Removed and recreated
   * (mode 0700) by start(), which cleans sockets a crashed previous run left; removed by close().
   * Use a path only this host uses. @default `${os.tmpdir()}/ferry-plugins-${uid}`
   */
  readonly socketRoot?: string;
  /** Logger; each plugin gets a child with `plugin` bound. @default pino at info on stdout */
  readonly logger?: Logger;
  /** Contract versions offered to plugins, most preferred first. @default ['v1'] */
  readonly contractVersions?: readonly string[];
}

/** One plugin, seen from its callers. Valid for the life of the host, across restarts. */
export interface PluginHandle {
  readonly name: string;
  status(): PluginStatus;
  /**
   * Calls a unary method of the plugin: `call(IdentityServiceService.probe, {})`. Rejects
   * right away with UNAVAILABLE (PLUGIN_UNAVAILABLE) unless the plugin is ready; with
   * DEADLINE_EXCEEDED (PLUGIN_DEADLINE_EXCEEDED) when the deadline passes, and CANCELLED when
   * `signal` aborts (both cancel the call on the plugin); otherwise with the plugin's error.
   */
  call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options?: CallOptions): Promise<Res>;
  /** The same as call(), per service: `service('identity').probe({}, { deadlineMs: 500 })`. */
  service<N extends DriverServiceName>(name: N): DriverService<N>;
  /** The raw ts-proto client of the current incarnation (for streams). No fail-fast after it is taken, no deadline or error mapping. */
  client<N extends DriverServiceName>(name: N): DriverServiceClient<N>;
}

/** Called on every change of a plugin's status (state, pid, restarts, last error). */
export type PluginStatusListener = (status: PluginStatus) => void;

export interface PluginHost {
  /**
   * Starts every plugin and waits until each is ready or failed its first start. Rejects with
   * the first plugin's FerryError if any failed; plugins with a transient failure keep
   * restarting with backoff, so call close() either way.
   */
  start(): Promise<void>;
  /** The handle of a configured plugin; throws NOT_FOUND for an unknown name. */
  plugin(name: string): PluginHandle;
  /** A status snapshot of every plugin, in configuration order. */
  plugins(): PluginStatus[];
  /** Subscribes to status changes; returns the unsubscribe function. */
  onStatus(listener: PluginStatusListener): () => void;
  /** Stops every plugin (SIGTERM, grace, SIGKILL) and removes the socket root. Idempotent. */
  close(): Promise<void>;
}

/** Creates a plugin host. Validates the options (InvalidArgumentError naming the field); starts nothing yet. */
export function createPluginHost(options: PluginHostOptions): PluginHost {
  if (typeof options !== 'object' || options === null || !Array.isArray(options.plugins)) throw new InvalidArgumentError('plugins', 'must be an array');
  const resolved = options.plugins.map((p, i) => normalisePluginOptions(p, `plugins[${i}]`));
  resolved.forEach((p, i) => {
    if (resolved.findIndex((q) => q.name === p.name) !== i) throw new InvalidArgumentError(`plugins[${i}].name`, `duplicate plugin name ${JSON.stringify(p.name)}`);
  });
  const offered = options.contractVersions ?? HOST_CONTRACT_VERSIONS;
  if (offered.length === 0) throw new InvalidArgumentError('contractVersions', 'must name at least one version');
  const socketRoot = options.socketRoot ?? defaultSocketRoot();
  const logger = options.logger ?? pino({ level: 'info' });
  const listeners = new Set<PluginStatusListener>();
  const onChange = (status: PluginStatus): void => {
    for (const listener of listeners) listener(status);
  };
  const supervisors = new Map(
    resolved.map((p) => [p.name, new PluginSupervisor(p, { socketRoot, offered, logger: logger.child({ plugin: p.name }), onChange })]),
  );
  const handles = new Map([...supervisors].map(([name, supervisor]) => [name, createHandle(name, supervisor)]));
  const launches = resolved.some((p) => p.launch !== undefined);
  let started = false;
  let closed: Promise<void> | undefined;

  return {
    async start(): Promise<void> {
      if (started || closed !== undefined) throw new Error('createPluginHost: start() may be called once, before close()');
      started = true;
      if (launches) prepareSocketRoot(socketRoot);
      const results = await Promise.allSettled([...supervisors.values()].map((s) => s.start()));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure !== undefined) throw failure.reason;
    },
    plugin(name: string): PluginHandle {
      const handle = handles.get(name);
      if (handle === undefined) throw new NotFoundError('plugin', name, '', 'plugin');
      return handle;
    },
    plugins(): PluginStatus[] {
      return [...supervisors.values()].map((s) => s.status());
    },
    onStatus(listener: PluginStatusListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close(): Promise<void> {
      closed ??= (async () => {
        await Promise.all([...supervisors.values()].map((s) => s.close()));
        if (launches && started) rmSync(socketRoot, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

function createHandle(name: string, supervisor: PluginSupervisor): PluginHandle {
  const proxies = new Map<DriverServiceName, unknown>();
  const call = <Req, Res>(method: UnaryMethod<Req, Res>, request: Req, options?: CallOptions): Promise<Res> => {
    try {
      return supervisor.client().call(method, request, options);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return {
    name,
    status: () => supervisor.status(),
    call,
    service<N extends DriverServiceName>(service: N): DriverService<N> {
      let proxy = proxies.get(service) as DriverService<N> | undefined;
      if (proxy === undefined) {
        proxy = serviceProxy(service, call);
        proxies.set(service, proxy);
      }
      return proxy;
    },
    client: <N extends DriverServiceName>(service: N) => supervisor.client().client(service),
  };
}
