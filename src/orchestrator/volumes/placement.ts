/**
 * Where a volume may live (Cinder's scheduler filters, reduced to what ferry's back ends
 * report): a ready back end that offers volumes, whose pool reports the type's
 * volume_backend_name (when the type sets one), in an allowed availability zone, with room.
 */
import type { FerryError } from '../../domain/errors.js';
import type { Pool } from '../../domain/resources.js';
import type { VolumeType } from '../../domain/volumes.js';
import type { OrchestratorContext } from '../context.js';
import { ferryError } from '../errors.js';
import { findPool } from '../placement.js';

/** The back-end name a pool answers to for volume_backend_name: its report's, else its back end's. */
export function poolBackendName(pool: Pool): string {
  return pool.capabilities['volume_backend_name'] || pool.backend;
}

function volumeTypeZones(type: VolumeType): string[] | undefined {
  const spec = type.extraSpecs['RESKEY:availability_zones'];
  if (spec === undefined || spec.trim() === '') return undefined;
  return spec.split(',').map((zone) => zone.trim()).filter((zone) => zone !== '');
}

export function offersVolumes(ctx: OrchestratorContext, backend: string): boolean {
  return ctx.drivers.backend(backend).status().identity?.capabilities.includes('VOLUMES') ?? false;
}

/** Why `pool` cannot hold a volume of this type (ignoring capacity when `sizeGib` is 0), or undefined. */
export function volumePoolProblem(ctx: OrchestratorContext, pool: Pool, type: VolumeType, sizeGib: number): FerryError | undefined {
  if (!offersVolumes(ctx, pool.backend)) {
    return ferryError('VOLUMES_NOT_SUPPORTED', `back end ${pool.backend} does not offer volumes (PLUGIN_CAPABILITY_VOLUMES)`, { host: pool.host });
  }
  const wanted = type.extraSpecs['volume_backend_name'];
  if (wanted !== undefined && wanted !== '' && wanted !== poolBackendName(pool)) {
    return ferryError('NO_VALID_HOST', `pool ${pool.host} reports volume_backend_name ${poolBackendName(pool)}, volume type ${type.name} asks for ${wanted}`, { host: pool.host });
  }
  const zones = volumeTypeZones(type);
  if (zones !== undefined && !zones.includes(pool.availabilityZone)) {
    return ferryError('AVAILABILITY_ZONE_MISMATCH', `pool ${pool.host} is in availability zone "${pool.availabilityZone}", volume type ${type.name} allows ${zones.join(', ')}`, { host: pool.host });
  }
  if (pool.freeCapacityGib < sizeGib) {
    return ferryError('NO_VALID_HOST', `pool ${pool.host} has ${pool.freeCapacityGib} GiB free, the volume needs ${sizeGib} GiB`, { host: pool.host });
  }
  return undefined;
}

/** The named pool, checked for a volume of this type and size. */
export async function requireVolumePool(ctx: OrchestratorContext, host: string, type: VolumeType, sizeGib: number): Promise<Pool> {
  const pool = await findPool(ctx, host);
  const problem = volumePoolProblem(ctx, pool, type, sizeGib);
  if (problem) throw problem;
  return pool;
}

/** The ready pool with the most free capacity that fits; `exclude` skips one pool (a migration's source). */
export async function chooseVolumePool(ctx: OrchestratorContext, type: VolumeType, sizeGib: number, zone: string | undefined, exclude?: string): Promise<Pool> {
  const ready = new Set(ctx.drivers.backendNames().filter((name) => ctx.drivers.backend(name).status().state === 'ready'));
  const candidates = (await ctx.store.listPools())
    .filter((pool) => ready.has(pool.backend) && pool.host !== exclude)
    .filter((pool) => zone === undefined || zone === '' || pool.availabilityZone === zone)
    .filter((pool) => volumePoolProblem(ctx, pool, type, sizeGib) === undefined)
    .sort((a, b) => b.freeCapacityGib - a.freeCapacityGib || a.host.localeCompare(b.host));
  const best = candidates[0];
  if (best === undefined) throw ferryError('NO_VALID_HOST', `no ready pool can hold a ${sizeGib} GiB volume of type ${type.name}${zone ? ` in zone ${zone}` : ''}`, { volumeTypeId: type.id });
  return best;
}
