/**
 * Identity of the localfs plugin: its name, build, capabilities and readiness. The SDK answers
 * GetPluginInfo and GetPluginCapabilities from these constants; Probe is ours.
 */
import { access, constants } from 'node:fs/promises';
import { PluginCapability, type DeepPartial, type DriverContext, type ProbeRequest, type ProbeResponse } from '../sdk/index.js';
import type { LocalFsBackend } from './backend.js';
import type { LocalFsConfig } from './config.js';

export const PLUGIN_NAME = 'ferry.localfs';
export const PLUGIN_VERSION = '0.1.0';

export const PLUGIN_INFO = {
  name: PLUGIN_NAME,
  vendorVersion: PLUGIN_VERSION,
  manifest: { vendor: 'ferry', backend: 'local directory', reference: 'true' },
} as const;

const SHARE_CAPABILITIES: readonly PluginCapability[] = [
  PluginCapability.PLUGIN_CAPABILITY_SHARES,
  PluginCapability.PLUGIN_CAPABILITY_SHARE_SNAPSHOTS,
  PluginCapability.PLUGIN_CAPABILITY_SHARE_RESIZE,
  PluginCapability.PLUGIN_CAPABILITY_SHARE_HOST_ASSISTED_MIGRATION,
  PluginCapability.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION,
];

const SHARE_SERVER_CAPABILITIES: readonly PluginCapability[] = [PluginCapability.PLUGIN_CAPABILITY_SHARE_SERVERS, PluginCapability.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION];

/**
 * What the plugin advertises. Share servers only with driverHandlesShareServers: otherwise the
 * SDK's capability gate answers every ShareServerService RPC UNIMPLEMENTED.
 */
export function pluginCapabilities(config: Pick<LocalFsConfig, 'driverHandlesShareServers'>): readonly PluginCapability[] {
  return config.driverHandlesShareServers ? [...SHARE_CAPABILITIES, ...SHARE_SERVER_CAPABILITIES] : SHARE_CAPABILITIES;
}

/** The Probe message when read-only casting is not enforced (plugin not root, or configured so). */
export const NO_ENFORCEMENT_MESSAGE =
  'readOnlyEnforcement is "none": access rules are recorded but not enforced, and a read-only cast does NOT block writes (run the plugin as root for bind-mount enforcement)';

export class IdentityService {
  constructor(private readonly backend: LocalFsBackend) {}

  /** Ready when the root is a readable, writable directory; says so when RO casting is not enforced. */
  async probe(_req: ProbeRequest, _ctx: DriverContext): Promise<DeepPartial<ProbeResponse>> {
    try {
      await access(this.backend.root, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (error) {
      return { ready: false, message: `root ${this.backend.root} is not usable: ${(error as Error).message}` };
    }
    if (this.backend.config.readOnlyEnforcement === 'none') return { ready: true, message: NO_ENFORCEMENT_MESSAGE };
    return { ready: true, message: '' };
  }
}
