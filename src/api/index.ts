/**
 * The admin API: registerAdminApi for the daemon (or any embedding server), and the
 * reflection service on its own for servers that carry other services.
 */
export { registerAdminApi, type AdminApiOptions } from './server.js';
export { addReflectionService, REFLECTION_SERVICE_NAMES, type ReflectionOptions } from './reflection.js';
export { ADMIN_SERVICE_NAMES, HEALTH_SERVICE_NAME, adminDescriptorSetPath, readAdminDescriptorSet } from './descriptor-set.js';
export { DescriptorSetError } from './descriptor-index.js';
