/**
 * ferry as a library. `createFerry(options)` starts the back ends' plugins, opens the store and
 * returns every operation the admin API serves; see docs/library.md.
 */
export { createFerry, DEFAULT_DATA_SERVICE, type FerryInstance, type FerryOptions, type DataServiceOptions } from './ferry/create-ferry.js';
export type * from './orchestrator/ferry-api.js';
export type * from './orchestrator/volume-api.js';
export type * from './domain/resources.js';
export type * from './domain/statuses.js';
export type * from './domain/volumes.js';
export { FerryError } from './domain/errors.js';
export { FERRY_REASONS, type FerryReason } from './domain/reasons.js';
export type { PluginOptions } from './host/index.js';
