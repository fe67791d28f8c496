/**
 * registerAdminApi: puts ferry's admin API on a grpc-js server: ferry.admin.v1.Shares,
 * ShareServers, Volumes and Catalog, and server reflection (v1 and v1alpha) describing them, the health
 * service and reflection itself. The caller owns the server (binding, health, shutdown): the
 * daemon adds grpc.health.v1 with grpc-health-check, then calls this.
 */
import type { Server } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CatalogService } from '../contract/gen/ferry/admin/v1/catalog.js';
import { ShareServersService } from '../contract/gen/ferry/admin/v1/share_servers.js';
import { SharesService } from '../contract/gen/ferry/admin/v1/shares.js';
import { VolumesService } from '../contract/gen/ferry/admin/v1/volumes.js';
import type { Ferry } from '../orchestrator/ferry-api.js';
import { createCatalogHandlers } from './catalog-handlers.js';
import { ADMIN_SERVICE_NAMES, HEALTH_SERVICE_NAME, readAdminDescriptorSet } from './descriptor-set.js';
import { addReflectionService } from './reflection.js';
import { createShareServersHandlers } from './share-servers-handlers.js';
import { createSharesHandlers } from './shares-handlers.js';
import { createVolumesHandlers } from './volumes-handlers.js';

export interface AdminApiOptions {
  /** Gets one debug line per call and one warn line per failed call (code, reason). */
  readonly logger: Logger;
  /**
   * Other services on the same server that reflection should list (they must be in the
   * descriptor set). Default: grpc.health.v1.Health, which the daemon always serves.
   */
  readonly otherServices?: readonly string[];
  /** The FileDescriptorSet reflection serves. Default: the committed proto/ferry-admin.binpb. */
  readonly descriptorSet?: Uint8Array;
}

/**
 * Adds the admin services and reflection to `server`. Call before `server.bindAsync`'s
 * callback starts serving. Throws DescriptorSetError when the descriptor set lacks a service
 * it would list (a stale or wrong build).
 */
export function registerAdminApi(server: Server, ferry: Ferry, options: AdminApiOptions): void {
  const logger = options.logger.child({ component: 'admin-api' });
  server.addService(SharesService, createSharesHandlers(ferry, logger));
  server.addService(ShareServersService, createShareServersHandlers(ferry, logger));
  server.addService(VolumesService, createVolumesHandlers(ferry, logger));
  server.addService(CatalogService, createCatalogHandlers(ferry, logger));
  addReflectionService(server, {
    descriptorSet: options.descriptorSet ?? readAdminDescriptorSet(),
    services: [...ADMIN_SERVICE_NAMES, ...(options.otherServices ?? [HEALTH_SERVICE_NAME])],
    logger,
  });
}
