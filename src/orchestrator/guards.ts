/** The checks most share actions start with, each raising the catalogue's reason. */
import type { Share, ShareInstance } from '../domain/resources.js';
import { isBusy, TRANSITIONAL_STATUSES, type ShareStatus } from '../domain/statuses.js';
import { ferryError } from './errors.js';

export function assertNotBusy(share: Share, action: string): void {
  if (isBusy(share.taskState)) {
    throw ferryError('SHARE_BUSY', `share ${share.id} is busy with an active task (${share.taskState}); ${action} is refused until it ends (wait, or cancel the migration)`, { shareId: share.id, taskState: share.taskState ?? '' });
  }
}

export function assertStatus(share: Share, primary: ShareInstance | undefined, allowed: readonly ShareStatus[], action: string): ShareInstance {
  if (primary === undefined || !allowed.includes(primary.status)) {
    throw ferryError('INVALID_SHARE_STATUS', `share ${share.id} must be ${allowed.join(' or ')} for ${action}, but its status is ${primary?.status ?? 'unknown'}`, { shareId: share.id, status: primary?.status ?? '' });
  }
  return primary;
}

/** Access changes need every instance placed and settled (Manila refuses them in transitional statuses). */
export function assertAccessChangeable(share: Share, instances: readonly ShareInstance[]): void {
  for (const instance of instances) {
    if (instance.host === '' || TRANSITIONAL_STATUSES.has(instance.status) || instance.status === 'error') {
      // Busy only while an action runs; an instance in error (or unplaced) needs repair, not patience.
      const reason = TRANSITIONAL_STATUSES.has(instance.status) ? 'SHARE_BUSY' : 'INVALID_SHARE_STATUS';
      throw ferryError(reason, `access rules of share ${share.id} cannot change while instance ${instance.id} is ${instance.status}`, { shareId: share.id, shareInstanceId: instance.id, status: instance.status });
    }
  }
}
