/**
 * Readiness of a freshly started (or connected) plugin, steps 2-3 of docs/plugin-handshake.md:
 * poll grpc.health.v1 until SERVING, then IdentityService.GetPluginInfo (its contract version
 * must be the handshake's), GetPluginCapabilities, and Probe until the back end is ready. All
 * within one deadline: the plugin's start timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FerryError } from '../domain/errors.js';
import type { GetPluginInfoResponse, PluginCapability } from '../contract/gen/ferry/driver/v1/identity.js';
import type { DriverClient } from './driver-client.js';
import { contractVersionMismatchError, pluginProtocolError, pluginUnavailableError } from './errors.js';

/** What a ready plugin told about itself. */
export interface PluginIdentity {
  readonly info: GetPluginInfoResponse;
  readonly capabilities: readonly PluginCapability[];
}

export interface ReadinessContext {
  readonly plugin: string;
  /** Absolute time (Date.now()) by which the plugin must be ready. */
  readonly deadline: number;
  readonly startTimeoutMs: number;
  /** The contract version of the handshake; for an endpoint, undefined (any offered version is accepted). */
  readonly contractVersion: string | undefined;
  readonly offered: readonly string[];
  readonly signal: AbortSignal;
}

const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 500;

/** Resolves with the plugin's identity once it is ready; rejects with a FerryError otherwise. */
export async function waitUntilReady(client: DriverClient, context: ReadinessContext): Promise<PluginIdentity> {
  const { plugin } = context;
  const remaining = (): number => Math.max(1, context.deadline - Date.now());
  const timedOut = (what: string, last: string): FerryError =>
    pluginUnavailableError(plugin, `${what} within the start timeout (${context.startTimeoutMs} ms)${last ? `; last answer: ${last}` : ''}`);

  let last = '';
  for (let wait = FIRST_POLL_MS; ; wait = Math.min(wait * 2, MAX_POLL_MS)) {
    try {
      const status = await client.checkHealth({ deadlineMs: Math.min(remaining(), 1000), signal: context.signal });
      if (status === 'SERVING') break;
      last = status;
    } catch (error) {
      last = (error as Error).message;
    }
    await pause(wait, context, () => timedOut('not SERVING on grpc.health.v1', last));
  }

  const identity = client.service('identity');
  const options = (): { deadlineMs: number; signal: AbortSignal } => ({ deadlineMs: remaining(), signal: context.signal });
  const info = await identity.getPluginInfo({}, options());
  for (const field of ['name', 'vendorVersion', 'contractVersion'] as const) {
    if (info[field] === '') throw pluginProtocolError(plugin, `GetPluginInfo returned an empty ${field}, which is REQUIRED`);
  }
  if (context.contractVersion !== undefined && info.contractVersion !== context.contractVersion) {
    throw pluginProtocolError(plugin, `GetPluginInfo says contract version ${JSON.stringify(info.contractVersion)}, but its handshake chose ${JSON.stringify(context.contractVersion)}`);
  }
  if (!context.offered.includes(info.contractVersion)) throw contractVersionMismatchError(plugin, context.offered, info.contractVersion);
  const { capabilities } = await identity.getPluginCapabilities({}, options());

  for (let wait = FIRST_POLL_MS; ; wait = Math.min(wait * 2, MAX_POLL_MS)) {
    const probe = await identity.probe({}, options());
    if (probe.ready) break;
    last = probe.message || 'ready=false';
    await pause(wait, context, () => timedOut('back end not ready (Probe)', last));
  }
  return { info, capabilities: [...new Set(capabilities)] };
}

async function pause(ms: number, context: ReadinessContext, onTimeout: () => FerryError): Promise<void> {
  if (Date.now() + ms >= context.deadline) {
    await sleep(Math.max(0, context.deadline - Date.now()), undefined, { signal: context.signal }).catch(() => undefined);
    throw context.signal.aborted ? pluginUnavailableError(context.plugin, 'the host is closing') : onTimeout();
  }
  await sleep(ms, undefined, { signal: context.signal }).catch(() => {
    throw pluginUnavailableError(context.plugin, 'the host is closing');
  });
}
