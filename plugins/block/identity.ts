/**
 * Identity of the block plugin: its name, build, capabilities and readiness. The SDK answers
 * GetPluginInfo and GetPluginCapabilities from these constants; Probe is ours.
 */
import { access, constants } from 'node:fs/promises';
import { PluginCapability, type DeepPartial, type DriverContext, type ProbeRequest, type ProbeResponse } from '../sdk/index.js';
import type { BlockBackend } from './backend.js';

export const PLUGIN_NAME = 'ferry.block';
export const PLUGIN_VERSION = '0.1.0';

export const PLUGIN_INFO = {
  name: PLUGIN_NAME,
  vendorVersion: PLUGIN_VERSION,
  manifest: { vendor: 'ferry', backend: 'sparse image files', reference: 'true' },
} as const;

/** Volumes only: the SDK's capability gate answers every share RPC UNIMPLEMENTED. */
export const PLUGIN_CAPABILITIES: readonly PluginCapability[] = [
  PluginCapability.PLUGIN_CAPABILITY_VOLUMES,
  PluginCapability.PLUGIN_CAPABILITY_VOLUME_DRIVER_MIGRATION,
  PluginCapability.PLUGIN_CAPABILITY_VOLUME_RETYPE,
  PluginCapability.PLUGIN_CAPABILITY_VOLUME_SNAPSHOTS,
];

export class IdentityService {
  constructor(private readonly backend: BlockBackend) {}

  /** Ready when the root is a readable, writable directory. */
  async probe(_req: ProbeRequest, _ctx: DriverContext): Promise<DeepPartial<ProbeResponse>> {
    try {
      await access(this.backend.root, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (error) {
      return { ready: false, message: `root ${this.backend.root} is not usable: ${(error as Error).message}` };
    }
    return { ready: true, message: '' };
  }
}
