/**
 * createDriverPort: the orchestrator's DriverPort (src/orchestrator/driver-port.ts) over a
 * PluginHost. One BackendDriver per configured plugin, created on first use and kept for the
 * life of the host (a handle survives restarts, so the driver does too). See backend-driver.ts
 * for the calls, driver-methods.ts for capability gates and deadlines.
 */
import { NotFoundError } from '../domain/errors.js';
import type { BackendDriver, BackendStatus, DriverPort } from '../orchestrator/driver-port.js';
import { createBackendDriver } from './backend-driver.js';
import { toBackendStatus } from './backend-status.js';
import { resolveTimeouts, type DriverPortOptions } from './driver-methods.js';
import type { PluginHost } from './plugin-host.js';

/** Validates the options (InvalidArgumentError naming the option); calls nothing yet. */
export function createDriverPort(host: PluginHost, options: DriverPortOptions = {}): DriverPort {
  const timeouts = resolveTimeouts(options);
  const drivers = new Map<string, BackendDriver>();
  return {
    backendNames: () => host.plugins().map((s) => s.name),
    backend(name: string): BackendDriver {
      let driver = drivers.get(name);
      if (driver === undefined) {
        // Checked here rather than through host.plugin(), whose NOT_FOUND has no reason: the port promises BACKEND_NOT_FOUND.
        if (!host.plugins().some((s) => s.name === name)) throw new NotFoundError('back end', name, 'BACKEND_NOT_FOUND', 'backend');
        driver = createBackendDriver(host.plugin(name), timeouts);
        drivers.set(name, driver);
      }
      return driver;
    },
    onStatus(listener: (status: BackendStatus) => void): () => void {
      return host.onStatus((status) => listener(toBackendStatus(status)));
    },
  };
}
