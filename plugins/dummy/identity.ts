/**
 * IdentityService of the dummy. GetPluginInfo and GetPluginCapabilities are answered by the
 * SDK from DUMMY_INFO and the configured capabilities; Probe reports ready (a behaviour rule's
 * `result` or `fail` makes it report anything else).
 */
import type { IdentityServiceService } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import type { DriverInfo, ServiceHandlers } from '../sdk/driver.js';
import type { DummyBackend } from './backend.js';

export const DUMMY_VENDOR_VERSION = '1.0.0';

export function dummyInfo(name: string): DriverInfo {
  return { name, vendorVersion: DUMMY_VENDOR_VERSION, manifest: { vendor: 'ferry', driver: 'dummy' } };
}

export function createIdentityHandlers(backend: DummyBackend): Pick<ServiceHandlers<typeof IdentityServiceService>, 'probe'> {
  return {
    probe() {
      // Ready as long as the state is usable; a behaviour rule's result can say otherwise.
      return { ready: backend.config.pools.length > 0, message: '' };
    },
  };
}
