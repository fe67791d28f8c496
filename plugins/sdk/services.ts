/**
 * The contract services the SDK serves, one line each, and how each RPC maps to the capability
 * that gates it (identity.proto, enum PluginCapability). Adding a service to the contract:
 * import its generated module and add one `defineService(...)` line to CONTRACT_SERVICES; the
 * Driver type, registration, gating and logging follow from it.
 */
import * as identity from '../../src/contract/gen/ferry/driver/v1/identity.js';
import { PluginCapability } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import { defineService, type MethodCapabilities } from './service-spec.js';

const { PLUGIN_CAPABILITY_SHARES: SHARES } = PluginCapability;

/** Identity is always served; the SDK answers GetPluginInfo and GetPluginCapabilities itself. */
const identityGates: MethodCapabilities<identity.IdentityServiceService> = { default: null };

/**
 * Every ferry.driver.v1 service the SDK registers. Order only matters for logs.
 * Capabilities per RPC follow the comments on PluginCapability in identity.proto.
 */
export const CONTRACT_SERVICES = [
  defineService(identity.IdentityServiceService, identity, identityGates),
] as const;

/** The generated service definitions, as a union (used to derive the Driver's handler types). */
export type ContractServiceDefinition = (typeof CONTRACT_SERVICES)[number]['definition'];

// Referenced so the capability constants above stay in use while services are being added.
void SHARES;
