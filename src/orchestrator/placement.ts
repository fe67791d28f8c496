/**
 * Where a share may live: the checks a pool must pass for a share of a given type and size
 * (Manila's scheduler filters, reduced to what ferry's back ends report), and the choice of a
 * pool when the caller names none (most free capacity wins).
 */
import { parseHost } from '../domain/host.js';
import type { Pool, ShareType } from '../domain/resources.js';
import type { FerryError } from '../domain/errors.js';
import type { OrchestratorContext } from './context.js';
import { ferryError, notFound } from './errors.js';

export function typeHandlesShareServers(type: ShareType): boolean {
  return type.extraSpecs['driver_handles_share_servers'] === 'true';
}

/** The type's availability_zones extra spec as a list, or undefined when unrestricted. */
export function typeZones(type: ShareType): string[] | undefined {
  const spec = type.extraSpecs['availability_zones'];
  if (spec === undefined || spec.trim() === '') return undefined;
  return spec.split(',').map((zone) => zone.trim()).filter((zone) => zone !== '');
}

export function sizeProblem(type: ShareType, sizeGib: number): FerryError | undefined {
  const min = Number(type.extraSpecs['provisioning:min_share_size'] ?? 0);
  const max = Number(type.extraSpecs['provisioning:max_share_size'] ?? Infinity);
  if (sizeGib < min || sizeGib > max) {
    return ferryError('SHARE_SIZE_OUT_OF_RANGE', `share size ${sizeGib} GiB is outside share type ${type.name}'s range ${min}..${Number.isFinite(max) ? max : '∞'} GiB`, { shareTypeId: type.id });
  }
  return undefined;
}

/** The back-end name of a `host@backend[#pool]` this ferry serves, or NOT_FOUND (unknown) / FAILED_PRECONDITION (not ready). */
export function findReadyBackend(ctx: OrchestratorContext, host: string): string {
  const address = parseHost(host);
  if (address.host !== ctx.settings.nodeName || !ctx.drivers.backendNames().includes(address.backend)) {
    throw notFound('BACKEND_NOT_FOUND', 'back end', `${address.host}@${address.backend}`, 'backend');
  }
  const state = ctx.drivers.backend(address.backend).status().state;
  if (state !== 'ready') throw ferryError('BACKEND_DOWN', `back end ${address.host}@${address.backend} is not ready (${state}); see ListBackends`, { backend: address.backend });
  return address.backend;
}

/** The pool record for a `host@backend#pool`, or the NOT_FOUND / FAILED_PRECONDITION that says why not. */
export async function findPool(ctx: OrchestratorContext, host: string): Promise<Pool> {
  findReadyBackend(ctx, host);
  const pool = await ctx.store.getPool(host);
  if (pool === undefined) throw notFound('POOL_NOT_FOUND', 'pool', host, 'host');
  return pool;
}

/** Why `pool` cannot hold a share of this type and size (beyond zone rules), or undefined. */
export function poolProblem(pool: Pool, type: ShareType, sizeGib: number, shareProto: string): FerryError | undefined {
  const poolDhss = pool.capabilities['driver_handles_share_servers'] === 'true';
  if (poolDhss !== typeHandlesShareServers(type)) {
    return ferryError('NO_VALID_HOST', `pool ${pool.host} ${poolDhss ? 'handles' : 'does not handle'} share servers but share type ${type.name} says driver_handles_share_servers=${typeHandlesShareServers(type)}`, { host: pool.host });
  }
  const protocols = pool.capabilities['storage_protocol'];
  if (protocols !== undefined && protocols !== '' && !protocols.toUpperCase().split(/[_,\s]+/).includes(shareProto.toUpperCase())) {
    return ferryError('NO_VALID_HOST', `pool ${pool.host} serves ${protocols}, not ${shareProto}`, { host: pool.host });
  }
  if (pool.freeCapacityGib < sizeGib) {
    return ferryError('NO_VALID_HOST', `pool ${pool.host} has ${pool.freeCapacityGib} GiB free, the share needs ${sizeGib} GiB`, { host: pool.host });
  }
  return undefined;
}

export function zoneProblem(pool: Pool, type: ShareType): FerryError | undefined {
  const zones = typeZones(type);
  if (zones !== undefined && !zones.includes(pool.availabilityZone)) {
    return ferryError('AVAILABILITY_ZONE_MISMATCH', `pool ${pool.host} is in availability zone "${pool.availabilityZone}", share type ${type.name} allows ${zones.join(', ')}`, { host: pool.host });
  }
  return undefined;
}

/** Picks the ready pool with the most free capacity that passes every check. */
export async function choosePool(ctx: OrchestratorContext, type: ShareType, sizeGib: number, shareProto: string, zone: string | undefined): Promise<Pool> {
  const ready = new Set(ctx.drivers.backendNames().filter((name) => ctx.drivers.backend(name).status().state === 'ready'));
  const candidates = (await ctx.store.listPools())
    .filter((pool) => ready.has(pool.backend))
    .filter((pool) => zone === undefined || zone === '' || pool.availabilityZone === zone)
    .filter((pool) => poolProblem(pool, type, sizeGib, shareProto) === undefined && zoneProblem(pool, type) === undefined)
    .sort((a, b) => b.freeCapacityGib - a.freeCapacityGib || a.host.localeCompare(b.host));
  const best = candidates[0];
  if (best === undefined) throw ferryError('NO_VALID_HOST', `no ready pool can hold a ${sizeGib} GiB ${shareProto} share of type ${type.name}${zone ? ` in zone ${zone}` : ''}`, { shareTypeId: type.id });
  return best;
}
