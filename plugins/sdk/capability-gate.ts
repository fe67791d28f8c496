/**
 * Capability gating (csi-driver-host-path's validateControllerServiceRequest habit): an RPC is
 * served only when the driver advertises its capability and implements its method. Checked
 * once at start (advertised but not implemented: refuse to start) and per call (not advertised
 * or not implemented: UNIMPLEMENTED, CAPABILITY_NOT_SUPPORTED). Pure.
 */
import { UnimplementedError } from '../../src/domain/errors.js';
import { PluginCapability, pluginCapabilityToJSON } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import type { MethodSpec, ServiceSpec } from './service-spec.js';

/** Identity RPCs the SDK answers itself; never looked up on the driver. */
export const SDK_ANSWERED_METHODS: ReadonlySet<string> = new Set(['getPluginInfo', 'getPluginCapabilities']);

/** Identity RPCs with a default answer when the driver does not implement them. */
export const DEFAULTED_METHODS: ReadonlySet<string> = new Set(['probe']);

/** A driver as far as gating is concerned: its capabilities and whatever methods it has. */
export interface GatedDriver {
  readonly capabilities: readonly PluginCapability[];
}

/** The result of checking a driver against the contract at start. */
export interface DriverCheck {
  /** Fatal: each names a capability and the methods it requires that the driver lacks. */
  readonly errors: readonly string[];
  /** Not fatal: methods the driver implements whose capability it does not advertise (never called). */
  readonly unadvertised: readonly string[];
}

/** Whether `driver` has a callable method `key`. */
export function implementsMethod(driver: object, key: string): boolean {
  return typeof (driver as Record<string, unknown>)[key] === 'function';
}

/** The enum name of a capability, e.g. "PLUGIN_CAPABILITY_SHARES". */
export function capabilityName(capability: PluginCapability): string {
  return pluginCapabilityToJSON(capability);
}

/** Checks advertised capabilities against implemented methods; see DriverCheck. */
export function checkDriver(driver: GatedDriver, services: readonly ServiceSpec[]): DriverCheck {
  const errors: string[] = [];
  const advertised = new Set<PluginCapability>();
  for (const capability of driver.capabilities as readonly unknown[]) {
    if (typeof capability !== 'number' || !Number.isInteger(capability) || PluginCapability[capability] === undefined) {
      errors.push(`capabilities contains ${String(capability)}, which is not a PluginCapability value`);
    } else if (capability === PluginCapability.PLUGIN_CAPABILITY_UNSPECIFIED) {
      errors.push('capabilities contains PLUGIN_CAPABILITY_UNSPECIFIED, which is never advertised');
    } else {
      advertised.add(capability);
    }
  }

  const missing = new Map<PluginCapability, string[]>();
  const unadvertised: string[] = [];
  for (const method of services.flatMap((s) => s.methods)) {
    if (method.capability === null || SDK_ANSWERED_METHODS.has(method.key)) continue;
    const has = implementsMethod(driver, method.key);
    if (advertised.has(method.capability) && !has) {
      missing.set(method.capability, [...(missing.get(method.capability) ?? []), `${method.key} (${method.method})`]);
    } else if (!advertised.has(method.capability) && has) {
      unadvertised.push(`${method.key} (${method.method}) needs ${capabilityName(method.capability)}, which the driver does not advertise; it answers UNIMPLEMENTED`);
    }
  }
  for (const [capability, methods] of missing) {
    errors.push(`the driver advertises ${capabilityName(capability)} but does not implement ${methods.join(', ')}; implement them or stop advertising the capability`);
  }
  return { errors, unadvertised };
}

/**
 * Why a call to `method` must be refused, or undefined when it may be served. A refusal is the
 * UnimplementedError the call answers with.
 */
export function refusalFor(method: MethodSpec, driver: GatedDriver): UnimplementedError | undefined {
  if (SDK_ANSWERED_METHODS.has(method.key)) return undefined;
  if (method.streaming) return new UnimplementedError(`${method.method} (streaming RPCs are not supported by the ferry plugin SDK yet)`);
  if (method.capability !== null && !driver.capabilities.includes(method.capability)) {
    return new UnimplementedError(`${method.method} (capability ${capabilityName(method.capability)} not advertised)`, capabilityName(method.capability));
  }
  if (!implementsMethod(driver, method.key) && !DEFAULTED_METHODS.has(method.key)) {
    return new UnimplementedError(`${method.method} (not implemented by this plugin)`, method.capability === null ? '' : capabilityName(method.capability));
  }
  return undefined;
}
