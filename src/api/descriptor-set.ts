/**
 * Where the admin API's descriptor set lives and how to read it. proto/ferry-admin.binpb is
 * written by `npm run gen` (proto/generate.mjs) and committed; `npm run lint` fails when it is
 * stale, so what reflection serves always matches the compiled handlers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Services the admin descriptor set describes and registerAdminApi serves. */
export const ADMIN_SERVICE_NAMES = ['ferry.admin.v1.Shares', 'ferry.admin.v1.ShareServers', 'ferry.admin.v1.Volumes', 'ferry.admin.v1.Catalog'] as const;
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

/**
 * The path of proto/ferry-admin.binpb. This module runs from dist/src/api/ (compiled) or, under
 * a TypeScript loader, from src/api/; the file is at the repository root's proto/ either way.
 */
export function adminDescriptorSetPath(): string {
  const candidates = ['../../../proto/ferry-admin.binpb', '../../proto/ferry-admin.binpb'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((path) => existsSync(path)) ?? (candidates[0] as string);
}

/** Reads the committed descriptor set (a google.protobuf.FileDescriptorSet). */
export function readAdminDescriptorSet(): Uint8Array {
  return readFileSync(adminDescriptorSetPath());
}
