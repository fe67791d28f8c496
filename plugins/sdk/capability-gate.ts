/**
 * Capability gating (csi-driver-host-path's validateControllerServiceRequest habit): an RPC is
 * served only when the driver advertises one of its capabilities and implements its method.
 * Checked once at start (advertised but a required method missing: refuse to start) and per
 * call (not advertised or not implemented: UNIMPLEMENTED, CAPABILITY_NOT_SUPPORTED). Pure.
 */
import { UnimplementedError } from '../../src/domain/errors.js';
import { PluginCapability, pluginCapabilityToJSON } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import type { MethodSpec, ServiceSpec } from './service-spec.js';

/** Identity RPCs the SDK answers itself; never looked up on the driver. */
export const SDK_ANSWERED_METHODS: ReadonlySet<string> = new Set(['getPluginInfo', 'getPluginCapabilities']);

/** RPCs with an SDK default answer when the driver does not implement them. */
export const DEFAULTED_METHODS: ReadonlySet<string> = new Set(['probe']);

/** A driver as far as gating is concerned: its capabilities and whatever methods it has. */
export interface GatedDriver {
  readonly capabilities: readonly PluginCapability[];
}

/** The result of checking a driver against the contract at start. */
export interface DriverCheck {
  /** Fatal: each names a capability and the methods it requires that the driver lacks. */
  readonly errors: readonly string[];
  /** Not fatal: methods the driver implements but whose capability it does not advertise (they answer UNIMPLEMENTED). */
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

function gateNames(method: MethodSpec): string {
  return method.gate.anyOf.map(capabilityName).join(' or ');
}

function isAdvertised(method: MethodSpec, advertised: ReadonlySet<PluginCapability>): boolean {
  return method.gate.anyOf.length === 0 || method.gate.anyOf.some((c) => advertised.has(c));
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
    if (SDK_ANSWERED_METHODS.has(method.key) || method.gate.anyOf.length === 0) continue;
    const has = implementsMethod(driver, method.key);
    if (!has && method.gate.required) {
      for (const capability of method.gate.anyOf.filter((c) => advertised.has(c))) {
        missing.set(capability, [...(missing.get(capability) ?? []), `${method.key} (${method.method})`]);
      }
    } else if (has && !isAdvertised(method, advertised)) {
      unadvertised.push(`${method.key} (${method.method}) needs ${gateNames(method)}, which the driver does not advertise; it answers UNIMPLEMENTED`);
    }
  }
  for (const [capability, methods] of missing) {
    errors.push(`the driver advertises ${capabilityName(capability)} but does not implement ${methods.join(', ')}; implement them or stop advertising the capability`);
  }
  return { errors, unadvertised };
}

/**
 * Why a call to `method` must be refused, or undefined when it may be served. A refusal is the
 * UnimplementedError (CAPABILITY_NOT_SUPPORTED) the call answers with.
 */
export function refusalFor(method: MethodSpec, driver: GatedDriver): UnimplementedError | undefined {
  if (SDK_ANSWERED_METHODS.has(method.key)) return undefined;
  if (method.streaming) return new UnimplementedError(`${method.method} (streaming RPCs are not supported by the ferry plugin SDK yet)`);
  if (!isAdvertised(method, new Set(driver.capabilities))) {
    return new UnimplementedError(`${method.method} (capability ${gateNames(method)} not advertised)`, gateNames(method));
  }
  if (!implementsMethod(driver, method.key) && !DEFAULTED_METHODS.has(method.key)) {
    return new UnimplementedError(`${method.method} (not implemented by this plugin)`, gateNames(method));
  }
  return undefined;
}
