/** Everything a volume-migration step reads, loaded fresh for each step. */
import { backendOf, backendHostOf, parseHost } from '../../domain/host.js';
import type { Volume, VolumeMigration, VolumeType } from '../../domain/volumes.js';
import type { OrchestratorContext } from '../context.js';
import { resolveVolumeType } from '../volumes/catalog.js';
import { requireVolume } from '../volumes/views.js';

export interface VolumeScope {
  readonly migration: VolumeMigration;
  /** The user's volume record. */
  readonly volume: Volume;
  /** The temporary volume (before the swap) or the old object's record (after it); undefined when none. */
  readonly temporary: Volume | undefined;
  readonly oldType: VolumeType;
  readonly newType: VolumeType;
  /** Back-end name of the migration's source (where the volume was when it started). */
  readonly sourceBackend: string;
  readonly destinationBackend: string;
  /** `host@backend` of the destination. */
  readonly destinationBackendHost: string;
  readonly destinationPool: string;
}

export async function loadVolumeScope(ctx: OrchestratorContext, migrationId: string): Promise<VolumeScope> {
  const migration = await ctx.store.getVolumeMigration(migrationId);
  if (migration === undefined) throw new Error(`volume migration ${migrationId} vanished`);
  const volume = await requireVolume(ctx.store, migration.volumeId);
  const temporary = migration.temporaryVolumeId === null ? undefined : await ctx.store.getVolume(migration.temporaryVolumeId);
  const oldType = await resolveVolumeType(ctx, migration.originalVolumeTypeId);
  const newType = migration.request.newVolumeTypeId === null ? oldType : await resolveVolumeType(ctx, migration.request.newVolumeTypeId);
  const destination = migration.request.destinationHost;
  return {
    migration, volume, temporary, oldType, newType,
    sourceBackend: backendOf(migration.sourceHost),
    destinationBackend: backendOf(destination),
    destinationBackendHost: backendHostOf(destination),
    destinationPool: parseHost(destination).pool ?? '',
  };
}
