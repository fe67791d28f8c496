/** Loading volumes for the API: the record plus its type's name and latest migration. */
import type { Volume, VolumeMigration, VolumeSnapshot } from '../../domain/volumes.js';
import { parseHost } from '../../domain/host.js';
import type { OrchestratorContext } from '../context.js';
import type { DriverVolume, DriverVolumeSnapshot } from '../driver-port.js';
import { notFound } from '../errors.js';
import type { StoreTx } from '../store-port.js';
import type { VolumeView } from '../volume-api.js';

export async function requireVolume(store: StoreTx, volumeId: string): Promise<Volume> {
  const volume = await store.getVolume(volumeId);
  if (volume === undefined) throw notFound('VOLUME_NOT_FOUND', 'volume', volumeId, 'volumeId');
  return volume;
}

/** The newest migration of a volume (active first), or null. */
export async function latestVolumeMigration(store: StoreTx, volumeId: string): Promise<VolumeMigration | null> {
  const migrations = await store.listVolumeMigrations({ volumeId });
  return migrations.find((m) => m.active) ?? migrations[migrations.length - 1] ?? null;
}

export async function volumeView(store: StoreTx, volume: Volume): Promise<VolumeView> {
  const type = await store.getVolumeType(volume.volumeTypeId);
  return { ...volume, volumeTypeName: type?.name ?? '', migration: await latestVolumeMigration(store, volume.id) };
}

export async function loadVolumeView(ctx: OrchestratorContext, volumeId: string): Promise<VolumeView> {
  return volumeView(ctx.store, await requireVolume(ctx.store, volumeId));
}

/** The contract's view of a volume: what its back end needs to find and act on the object. */
export async function toDriverVolume(store: StoreTx, volume: Volume): Promise<DriverVolume> {
  const type = await store.getVolumeType(volume.volumeTypeId);
  return {
    volumeId: volume.id,
    nameId: volume.nameId ?? '',
    sizeGib: volume.sizeGib,
    pool: volume.host === '' ? '' : (parseHost(volume.host).pool ?? ''),
    host: volume.host,
    providerLocation: volume.providerLocation,
    volumeTypeExtraSpecs: type?.extraSpecs ?? {},
    status: volume.status,
  };
}

export function toDriverVolumeSnapshot(snapshot: VolumeSnapshot): DriverVolumeSnapshot {
  return { snapshotId: snapshot.id, volumeId: snapshot.volumeId, sizeGib: snapshot.sizeGib, providerLocation: snapshot.providerLocation };
}

/** A GiB in bytes: volume sizes are whole GiB. */
export const GIB = 1024 ** 3;

export function volumeBytes(volume: Volume): number {
  return volume.sizeGib * GIB;
}
