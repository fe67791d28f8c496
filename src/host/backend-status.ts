/**
 * A plugin's PluginStatus as the orchestrator's BackendStatus. Pure. The states have the same
 * names on both sides today; the exhaustive switch makes a new host state break the build
 * instead of leaking an unknown string into the orchestrator.
 */
import type { BackendState, BackendStatus } from '../orchestrator/driver-port.js';
import { capabilityNames } from './driver-methods.js';
import type { PluginState, PluginStatus } from './supervise.js';

export function toBackendState(state: PluginState): BackendState {
  switch (state) {
    case 'starting':
      return 'starting';
    case 'ready':
      return 'ready';
    case 'restarting':
      return 'restarting';
    case 'failed':
      return 'failed';
    case 'stopped':
      return 'stopped';
    default: {
      const unknown: never = state;
      throw new Error(`unknown plugin state ${String(unknown)}`);
    }
  }
}

export function toBackendStatus(status: PluginStatus): BackendStatus {
  const identity = status.identity;
  return {
    name: status.name,
    state: toBackendState(status.state),
    identity:
      identity === undefined
        ? undefined
        : { pluginName: identity.info.name, vendorVersion: identity.info.vendorVersion, capabilities: capabilityNames(identity.capabilities) },
    pid: status.pid,
    restarts: status.restarts,
    lastError: status.lastError?.message ?? '',
  };
}
