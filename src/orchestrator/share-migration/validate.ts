/**
 * MigrationStart's validations in Manila's order (manila-migration-behaviour 4.1), shared with
 * MigrationCheck. Malformed input and unknown ids are errors in both; a state that blocks the
 * migration is thrown by start and collected by check, which then goes on to look at both paths.
 */
import { FerryError } from '../../domain/errors.js';
import { hostProblem } from '../../domain/host.js';
import { primaryInstance } from '../../domain/primary-instance.js';
import type { MigrationRequest, Pool, Share, ShareInstance, ShareType, Snapshot } from '../../domain/resources.js';
import { isBusy } from '../../domain/statuses.js';
import { getShareNetwork, resolveShareType } from '../catalog.js';
import type { OrchestratorContext } from '../context.js';
import { ferryError, invalidField } from '../errors.js';
import type { MigrationBlocker, MigrationStartRequest } from '../ferry-api.js';
import { findPool, poolProblem, sizeProblem, typeHandlesShareServers, zoneProblem } from '../placement.js';
import { requireShare } from '../views.js';

export interface StartEvaluation {
  readonly share: Share;
  readonly source: ShareInstance;
  readonly snapshots: readonly Snapshot[];
  /** Undefined only for MigrationCheck, when the destination back end is down and never reported its pools. */
  readonly pool: Pool | undefined;
  readonly newType: ShareType;
  readonly request: MigrationRequest;
  /** Same host, type and network: nothing to move. */
  readonly noop: boolean;
  readonly blockers: readonly MigrationBlocker[];
}

const FLAGS = ['writable', 'preserve_metadata', 'preserve_snapshots', 'nondisruptive'] as const;

function flag(request: MigrationStartRequest, name: (typeof FLAGS)[number]): boolean | undefined {
  switch (name) {
    case 'writable': return request.writable;
    case 'preserve_metadata': return request.preserveMetadata;
    case 'preserve_snapshots': return request.preserveSnapshots;
    case 'nondisruptive': return request.nondisruptive;
  }
}

/** Runs 4.1 steps 1-17. `collect` = MigrationCheck: blocking states are gathered, not thrown. */
export async function evaluateStart(ctx: OrchestratorContext, request: MigrationStartRequest, collect: boolean): Promise<StartEvaluation> {
  const blockers: MigrationBlocker[] = [];
  const block = (error: FerryError, blocks: MigrationBlocker['blocks'] = 'migration') => {
    if (!collect) throw error;
    blockers.push({ reason: error.reason, message: error.message, blocks });
  };

  if (!request.shareId) throw invalidField('share_id', 'is required', 'MISSING_FIELD');
  const share = await requireShare(ctx.store, request.shareId); // 1
  // 2 (recycle bin): ferry deletes shares outright, so there is no soft-deleted share.
  if (!request.host) throw invalidField('host', 'is required (host@backend#pool)', 'MISSING_FIELD'); // 3
  const problem = hostProblem(request.host, true);
  if (problem !== undefined) throw invalidField('host', problem);
  const missing = FLAGS.filter((name) => flag(request, name) === undefined);
  if (missing.length > 0) {
    throw new FerryError({
      code: 'INVALID_ARGUMENT', reason: 'MISSING_FIELD', domain: 'ferry.dev', metadata: { fields: missing.join(',') },
      message: `must specify all mandatory parameters: ${missing.join(', ')}`,
      fieldViolations: missing.map((field) => ({ field, description: 'is required (true or false)' })),
    });
  }

  const instances = await ctx.store.listShareInstances({ shareId: share.id });
  const source = primaryInstance(instances);
  if (source === undefined) throw ferryError('INVALID_SHARE_STATUS', `share ${share.id} has no instance`, { shareId: share.id });

  // 4: the target network must be active.
  const newNetwork = request.newShareNetworkId ? await getShareNetwork(ctx, request.newShareNetworkId) : undefined;
  const checkedNetwork = newNetwork ?? (share.shareNetworkId ? await getShareNetwork(ctx, share.shareNetworkId) : undefined);
  if (checkedNetwork !== undefined && checkedNetwork.status !== 'active') {
    block(ferryError('SHARE_NETWORK_NOT_ACTIVE', `share network ${checkedNetwork.id} is ${checkedNetwork.status}, not active`, { shareNetworkId: checkedNetwork.id }));
  }
  // 5
  const newType = request.newShareTypeId ? await resolveShareType(ctx, request.newShareTypeId) : await resolveShareType(ctx, share.shareTypeId);
  // 6
  const force = request.forceHostAssistedMigration === true;
  if (force && FLAGS.some((name) => flag(request, name) === true)) {
    throw invalidField('force_host_assisted_migration', 'Invalid parameter combination. Cannot set parameters "nondisruptive", "writable", "preserve_snapshots" or "preserve_metadata" to True when enabling the "force_host_assisted_migration" option.', 'INVALID_PARAMETER_COMBINATION');
  }
  // 7
  if (instances.filter((instance) => instance.replicaState !== null).length > 1) {
    block(ferryError('SHARE_HAS_REPLICAS', `share ${share.id} has replicas. Remove the replicas before attempting to migrate the share.`, { shareId: share.id }));
  }
  // 8 (share groups): ferry has none.
  // 9, 10, 11
  if (source.status !== 'available') {
    block(ferryError('INVALID_SHARE_STATUS', `share instance ${source.id} status must be available, but current status is: ${source.status}`, { shareId: share.id, status: source.status }));
  }
  if (source.accessRulesStatus === 'error') block(ferryError('ACCESS_RULES_ERROR', `share ${share.id}'s access rules are in error; fix or revoke them before migrating`, { shareId: share.id }));
  if (isBusy(share.taskState)) block(ferryError('SHARE_BUSY', `share ${share.id} is busy with an active task: ${share.taskState}`, { shareId: share.id, taskState: share.taskState ?? '' }));
  // 12
  const snapshots = await ctx.store.listSnapshots(share.id);
  if (force && snapshots.length > 0) block(ferryError('SHARE_HAS_SNAPSHOTS', `share ${share.id} must not have snapshots when using host-assisted migration`, { shareId: share.id }));
  // 13: destination back end known (404) and up; ferry also needs the pool in its last report.
  let pool: Pool | undefined;
  try {
    pool = await findPool(ctx, request.host);
  } catch (error) {
    if (!(error instanceof FerryError) || error.code === 'NOT_FOUND') throw error;
    block(error);
    // MigrationCheck goes on from the last report; a back end down since ferry started has none,
    // and then the check lists BACKEND_DOWN (as start answers) without the pool's own checks,
    // instead of failing with POOL_NOT_FOUND for a pool that may well exist.
    pool = await ctx.store.getPool(request.host);
  }
  // 14, 15
  const sizeError = sizeProblem(newType, share.sizeGib);
  if (sizeError) block(sizeError);
  const dhss = typeHandlesShareServers(newType);
  if (dhss && !request.newShareNetworkId && !share.shareNetworkId) {
    throw invalidField('new_share_network_id', `New share network must be provided when share type of given share ${share.id} has extra_spec 'driver_handles_share_servers' as True.`, 'SHARE_NETWORK_REQUIRED');
  }
  if (!dhss && request.newShareNetworkId) {
    throw invalidField('new_share_network_id', `New share network must not be provided when share type of given share ${share.id} has extra_spec 'driver_handles_share_servers' as False.`, 'SHARE_NETWORK_NOT_ALLOWED');
  }
  const targetNetworkId = dhss ? (request.newShareNetworkId || share.shareNetworkId) : null;
  const migrationRequest: MigrationRequest = {
    destinationHost: request.host, writable: request.writable === true, preserveMetadata: request.preserveMetadata === true,
    preserveSnapshots: request.preserveSnapshots === true, nondisruptive: request.nondisruptive === true, forceHostAssistedMigration: force,
    newShareTypeId: newType.id, newShareNetworkId: targetNetworkId,
  };
  // 16
  const noop = targetNetworkId === source.shareNetworkId && newType.id === source.shareTypeId && request.host === source.host;
  if (!noop && pool !== undefined) {
    // 17, then what Manila's scheduler would refuse after the 202.
    const zoneError = zoneProblem(pool, newType);
    if (zoneError) block(zoneError);
    const placeError = poolProblem(pool, newType, share.sizeGib, share.shareProto);
    if (placeError) block(placeError);
  }
  return { share, source, snapshots, pool, newType, request: migrationRequest, noop, blockers };
}
