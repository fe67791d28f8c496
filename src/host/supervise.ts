/**
 * The supervisor of one plugin: its state machine, health loop and restarts.
 *
 *               start()                 ready checks pass
 *   (stopped) ----------> starting ---------------------------> ready
 *                            |  \ permanent error                 |  exit / N failed health checks
 *                            |   `-----------------> failed       v
 *                            |  transient error              restarting --(backoff)--> (new incarnation)
 *                            `-----------------------------------^    \ maxRestarts used up -> failed
 *   close() from any state: -> stopped (SIGTERM, grace, SIGKILL; socket dir removed)
 *
 * An incarnation is one process (or one connection, for an endpoint) plus its channel. Calls are
 * only let through while the state is `ready`; otherwise they fail fast with PLUGIN_UNAVAILABLE.
 * Permanent errors (CONTRACT_VERSION_MISMATCH, PLUGIN_PROTOCOL_ERROR) are not retried.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { FerryError } from '../domain/errors.js';
import { createDriverClient, type DriverClient } from './driver-client.js';
import { pluginUnavailableError } from './errors.js';
import { grpcTarget } from './handshake.js';
import { describeExit, launchPlugin, preparePluginSocketDir, stopProcess, type LaunchedProcess } from './launch.js';
import type { ResolvedPluginOptions } from './plugin-options.js';
import { waitUntilReady, type PluginIdentity } from './readiness.js';

export const PLUGIN_STATES = ['starting', 'ready', 'restarting', 'stopped', 'failed'] as const;
/** starting: first start under way; ready: calls go through; restarting: down, a restart is scheduled or under way; stopped: closed; failed: given up. */
export type PluginState = (typeof PLUGIN_STATES)[number];

/** A snapshot of one plugin, as ListBackends shows it. */
export interface PluginStatus {
  readonly name: string;
  readonly state: PluginState;
  /** `launch`: a child process of the host; `endpoint`: an already running plugin. */
  readonly mode: 'launch' | 'endpoint';
  /** pid of the current process (launch mode, while one runs). */
  readonly pid: number | undefined;
  /** gRPC target of the current incarnation, e.g. `unix:/run/ferry/p-localfs1/plugin.sock`. */
  readonly target: string | undefined;
  /** Restarts begun since the host started. */
  readonly restarts: number;
  readonly lastError: FerryError | undefined;
  /** GetPluginInfo and GetPluginCapabilities of the last ready incarnation. */
  readonly identity: PluginIdentity | undefined;
}

export interface SupervisorContext {
  readonly socketRoot: string;
  readonly offered: readonly string[];
  readonly logger: Logger;
  readonly onChange: (status: PluginStatus) => void;
}

interface Incarnation {
  readonly client: DriverClient;
  readonly process: LaunchedProcess | undefined;
}

/** A health check may take this long even when checks are more frequent, so a busy host does not restart healthy plugins. */
const HEALTH_CHECK_MIN_DEADLINE_MS = 1000;
const PERMANENT_REASONS = new Set(['CONTRACT_VERSION_MISMATCH', 'PLUGIN_PROTOCOL_ERROR']);

export class PluginSupervisor {
  private state: PluginState = 'stopped';
  private current: Incarnation | undefined;
  private spawned: ChildProcess | undefined;
  private attemptRunning: Promise<void> | undefined;
  private restarts = 0;
  private consecutiveFailures = 0;
  private readyAt = 0;
  private lastError: FerryError | undefined;
  private identity: PluginIdentity | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly closing = new AbortController();
  private closed: Promise<void> | undefined;
  private readonly teardowns = new Set<Promise<void>>();

  constructor(
    readonly options: ResolvedPluginOptions,
    private readonly context: SupervisorContext,
  ) {}

  status(): PluginStatus {
    const child = this.current?.process?.child ?? this.spawned;
    return {
      name: this.options.name,
      state: this.state,
      mode: this.options.launch !== undefined ? 'launch' : 'endpoint',
      pid: child?.exitCode === null && child.signalCode === null ? child.pid : undefined,
      target: this.current?.client.target,
      restarts: this.restarts,
      lastError: this.lastError,
      identity: this.identity,
    };
  }

  /** The channel of the ready incarnation; throws PLUGIN_UNAVAILABLE (fail fast) in any other state. */
  client(): DriverClient {
    if (this.state === 'ready' && this.current !== undefined) return this.current.client;
    const why = this.lastError !== undefined ? `it is ${this.state} (last error: ${this.lastError.message})` : `it is ${this.state}`;
    throw pluginUnavailableError(this.options.name, why);
  }

  /** First start. Resolves when ready; on a transient error rejects and keeps restarting in the background. */
  async start(): Promise<void> {
    if (this.state !== 'stopped' || this.closed !== undefined) throw new Error(`plugin ${this.options.name} was already started`);
    this.setState('starting');
    try {
      await this.runAttempt();
    } catch (error) {
      this.afterFailedAttempt(error);
      throw this.lastError ?? error;
    }
  }

  /** Stops the plugin for good: SIGTERM, grace, SIGKILL; removes its socket dir. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async shutdown(): Promise<void> {
    this.closing.abort();
    clearTimeout(this.healthTimer);
    clearTimeout(this.restartTimer);
    await this.attemptRunning?.catch(() => undefined);
    await Promise.all(this.teardowns);
    const incarnation = this.current;
    this.current = undefined;
    this.setState('stopped');
    if (incarnation !== undefined) await this.teardown(incarnation, this.options.shutdownGraceMs);
    this.context.logger.info('plugin stopped');
  }

  private runAttempt(): Promise<void> {
    const attempt = this.attempt();
    this.attemptRunning = attempt;
    return attempt.finally(() => {
      if (this.attemptRunning === attempt) this.attemptRunning = undefined;
    });
  }

  /** One incarnation: launch (or connect), wait until ready, start the health loop. */
  private async attempt(): Promise<void> {
    const { options, context } = this;
    const signal = this.closing.signal;
    const deadline = Date.now() + options.startTimeoutMs;
    let process: LaunchedProcess | undefined;
    let client: DriverClient | undefined;
    let socketDir: string | undefined;
    try {
      if (options.launch !== undefined) {
        socketDir = preparePluginSocketDir(context.socketRoot, options.name);
        process = await launchPlugin(options, { socketDir, offered: context.offered, logger: context.logger, deadline, signal,
          onSpawn: (spawned) => {
            this.spawned = spawned;
            this.emit();
          },
          onStrayStdout: (e) => this.strayStdout(e),
        });
        context.logger.info({ pid: process.handshake.pid, address: process.handshake.address, contractVersion: process.handshake.contractVersion }, 'plugin handshake received');
      }
      const target = process !== undefined ? grpcTarget(process.handshake) : options.endpoint!.address;
      client = createDriverClient({ plugin: options.name, target, tls: options.endpoint?.tls, defaultDeadlineMs: options.callTimeoutMs, logger: context.logger });
      this.identity = await waitUntilReady(client, {
        plugin: options.name,
        deadline,
        startTimeoutMs: options.startTimeoutMs,
        contractVersion: process?.handshake.contractVersion,
        offered: context.offered,
        signal,
      });
      if (signal.aborted) throw pluginUnavailableError(options.name, 'the host is closing');
    } catch (error) {
      this.spawned = undefined;
      if (client !== undefined || process !== undefined) await this.teardown({ client: client ?? noClient, process }, 0);
      if (socketDir !== undefined) rmSync(socketDir, { recursive: true, force: true });
      throw error;
    }
    const incarnation: Incarnation = { client, process };
    this.spawned = undefined;
    this.current = incarnation;
    this.readyAt = Date.now();
    if (process !== undefined) {
      void process.exited.then((exit) => {
        if (this.current === incarnation && !signal.aborted) this.fail(incarnation, pluginUnavailableError(options.name, `exited unexpectedly (${describeExit(exit)})`));
      });
    }
    context.logger.info({ pid: process?.child.pid, target: client.target, plugin_name: this.identity.info.name, vendorVersion: this.identity.info.vendorVersion, restarts: this.restarts }, 'plugin ready');
    this.setState('ready');
    this.scheduleHealthCheck(incarnation, 0);
  }

  private scheduleHealthCheck(incarnation: Incarnation, failures: number): void {
    const { healthIntervalMs, healthFailureThreshold, name } = this.options;
    this.healthTimer = setTimeout(() => {
      incarnation.client
        .checkHealth({ deadlineMs: Math.max(healthIntervalMs, HEALTH_CHECK_MIN_DEADLINE_MS), signal: this.closing.signal })
        .then((status) => (status === 'SERVING' ? undefined : `health status ${status}`))
        .catch((error: unknown) => (error as Error).message)
        .then((problem) => {
          if (this.current !== incarnation || this.closing.signal.aborted) return;
          if (problem === undefined) return this.scheduleHealthCheck(incarnation, 0);
          const count = failures + 1;
          this.context.logger.warn({ failures: count, threshold: healthFailureThreshold, problem }, 'plugin health check failed');
          if (count < healthFailureThreshold) return this.scheduleHealthCheck(incarnation, count);
          this.fail(incarnation, pluginUnavailableError(name, `stopped answering health checks (${count} in a row; last: ${problem})`));
        });
    }, healthIntervalMs);
  }

  /** The current incarnation died or stopped answering: tear it down and schedule a restart. */
  private fail(incarnation: Incarnation, error: FerryError): void {
    if (this.current !== incarnation) return;
    this.current = undefined;
    clearTimeout(this.healthTimer);
    if (Date.now() - this.readyAt >= this.options.restart.maxBackoffMs) this.consecutiveFailures = 0;
    this.lastError = error;
    this.context.logger.error({ err: error }, 'plugin down');
    this.setState('restarting');
    const teardown = this.teardown(incarnation, 0).then(() => this.scheduleRestart());
    this.teardowns.add(teardown);
    void teardown.finally(() => this.teardowns.delete(teardown));
  }

  private afterFailedAttempt(error: unknown): void {
    this.lastError = error instanceof FerryError ? error : FerryError.from(error);
    if (this.closing.signal.aborted) return;
    if (PERMANENT_REASONS.has(this.lastError.reason)) {
      this.context.logger.error({ err: this.lastError }, 'plugin failed; not restarting: the plugin build must be fixed');
      this.setState('failed');
      return;
    }
    this.context.logger.error({ err: this.lastError }, 'plugin start failed');
    this.setState('restarting');
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.closing.signal.aborted) return;
    const { initialBackoffMs, maxBackoffMs, maxRestarts } = this.options.restart;
    if (this.consecutiveFailures >= maxRestarts) {
      this.context.logger.error({ restarts: this.restarts, maxRestarts }, 'plugin failed; restart limit reached');
      this.setState('failed');
      return;
    }
    const backoffMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(this.consecutiveFailures, 30));
    this.consecutiveFailures += 1;
    this.context.logger.warn({ backoffMs, attempt: this.consecutiveFailures }, 'plugin restart scheduled');
    this.restartTimer = setTimeout(() => {
      if (this.closing.signal.aborted) return;
      this.restarts += 1;
      this.emit();
      this.runAttempt().catch((error: unknown) => this.afterFailedAttempt(error));
    }, backoffMs);
  }

  /** Closes the channel, stops the process (grace 0 = SIGKILL right away) and removes its socket dir. */
  private async teardown(incarnation: Incarnation, graceMs: number): Promise<void> {
    incarnation.client.close();
    const process = incarnation.process;
    if (process === undefined) return;
    if (graceMs === 0) {
      if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGKILL');
      await process.exited;
    } else {
      await stopProcess(process.child, process.exited, graceMs);
    }
    rmSync(process.socketDir, { recursive: true, force: true });
  }

  private strayStdout(error: FerryError): void {
    this.lastError = error;
    this.context.logger.error({ err: error }, 'plugin broke the contract: output on stdout');
    this.emit();
  }

  private setState(state: PluginState): void {
    this.state = state;
    this.emit();
  }

  private emit(): void {
    this.context.onChange(this.status());
  }
}

const noClient: DriverClient = {
  target: '',
  call: () => Promise.reject(new Error('no client')),
  service: () => {
    throw new Error('no client');
  },
  client: () => {
    throw new Error('no client');
  },
  checkHealth: () => Promise.reject(new Error('no client')),
  close: () => undefined,
};
