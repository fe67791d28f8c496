/**
 * The plugin host: launches, checks, supervises and calls ferry driver plugins.
 * Everything else in src/host is internal.
 */
export { createPluginHost } from './plugin-host.js';
export type { PluginHost, PluginHostOptions, PluginHandle, PluginStatusListener } from './plugin-host.js';
export type { PluginOptions, LaunchOptions, EndpointOptions, EndpointTlsOptions, RestartOptions } from './plugin-options.js';
export { PLUGIN_STATES } from './supervise.js';
export type { PluginState, PluginStatus } from './supervise.js';
export type { PluginIdentity } from './readiness.js';
export { DRIVER_SERVICES } from './driver-client.js';
export type { CallOptions, DriverService, DriverServiceClient, DriverServiceName, UnaryMethod } from './driver-client.js';
export { HOST_CONTRACT_VERSIONS, MAGIC_COOKIE } from './handshake.js';
export { createDriverPort } from './driver-port.js';
export { BACKEND_DRIVER_METHODS, LONG_CALL_TIMEOUT_MS, QUICK_CALL_TIMEOUT_MS } from './driver-methods.js';
export type { BackendDriverMethod, DriverPortOptions } from './driver-methods.js';
