/**
 * Manila's "primary instance" (manila-migration-behaviour 2.0): the instance whose status,
 * host and server a share shows. During a migration that is the source (migrating); after
 * completion the destination (available).
 */
import type { ShareInstance } from './resources.js';
import { TRANSITIONAL_STATUSES, type ShareStatus } from './statuses.js';

const PREFERRED: readonly ShareStatus[] = ['migrating', 'server_migrating', 'available', 'error'];

function rank(status: ShareStatus): number {
  const preferred = PREFERRED.indexOf(status);
  if (preferred >= 0) return preferred;
  return TRANSITIONAL_STATUSES.has(status) ? PREFERRED.length + 1 : PREFERRED.length;
}

/** The primary instance, or undefined for a share without instances. Ties keep the oldest. */
export function primaryInstance<T extends Pick<ShareInstance, 'status' | 'createdAt'>>(instances: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const instance of instances) {
    if (best === undefined || rank(instance.status) < rank(best.status) || (rank(instance.status) === rank(best.status) && instance.createdAt < best.createdAt)) {
      best = instance;
    }
  }
  return best;
}
