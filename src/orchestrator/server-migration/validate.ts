/**
 * The checks of a share server's MigrationCheck and MigrationStart (manila-migration-behaviour
 * 4.6), in Manila's order. Malformed input (unknown ids, missing or bad fields) is thrown at
 * once; a state that blocks the migration is thrown by start and collected by check, so one
 * check lists every problem.
 */
import { FerryError } from '../../domain/errors.js';
import { backendHostOf, backendOf, hostProblem } from '../../domain/host.js';
import type { ServerMigrationRequest, ShareNetwork, ShareServer } from '../../domain/resources.js';
import { isBusy } from '../../domain/statuses.js';
import { getShareNetwork, subnetForZone } from '../catalog.js';
import type { OrchestratorContext } from '../context.js';
import { ferryError, invalidField, notFound } from '../errors.js';
import type { ServerMigrationBlocker, ServerMigrationStartRequest } from '../ferry-api.js';
import { findReadyBackend, typeZones } from '../placement.js';
import { loadServerShares, type ServerShare } from './scope.js';

export interface ServerStartEvaluation {
  readonly server: ShareServer;
  readonly shares: readonly ServerShare[];
  readonly request: ServerMigrationRequest;
  readonly targetNetwork: ShareNetwork;
  /** The zone of the destination back end's pools ('' when it reported none). */
  readonly destinationZone: string;
  readonly networkChange: boolean;
  readonly blockers: readonly ServerMigrationBlocker[];
}

const FLAGS = ['writable', 'nondisruptive', 'preserve_snapshots'] as const;

function flagOf(request: ServerMigrationStartRequest, name: (typeof FLAGS)[number]): boolean | undefined {
  switch (name) {
    case 'writable': return request.writable;
    case 'nondisruptive': return request.nondisruptive;
    case 'preserve_snapshots': return request.preserveSnapshots;
  }
}

export async function requireShareServer(ctx: OrchestratorContext, shareServerId: string): Promise<ShareServer> {
  if (!shareServerId) throw invalidField('share_server_id', 'is required', 'MISSING_FIELD');
  const server = await ctx.store.getShareServer(shareServerId);
  if (server === undefined) throw notFound('SHARE_SERVER_NOT_FOUND', 'share server', shareServerId, 'shareServerId');
  return server;
}

/** Subnets pairwise equal by Neutron ids (Manila 4.6 j). */
function sameSubnets(a: ShareNetwork, aIds: readonly string[], b: ShareNetwork, bIds: readonly string[]): boolean {
  const key = (network: ShareNetwork, ids: readonly string[]) => ids
    .map((id) => network.subnets.find((subnet) => subnet.id === id))
    .map((subnet) => `${subnet?.neutronNetId ?? '?'}/${subnet?.neutronSubnetId ?? '?'}`).sort().join(',');
  return aIds.length === bIds.length && key(a, aIds) === key(b, bIds);
}

/** Runs 4.6 steps 1-7. `collect` = MigrationCheck: blocking states are gathered, not thrown. */
export async function evaluateServerStart(ctx: OrchestratorContext, request: ServerMigrationStartRequest, collect: boolean): Promise<ServerStartEvaluation> {
  const blockers: ServerMigrationBlocker[] = [];
  const block = (error: FerryError) => {
    if (!collect) throw error;
    blockers.push({ reason: error.reason, message: error.message });
  };

  const server = await requireShareServer(ctx, request.shareServerId); // 1
  // 2 (empty body) is the API's; 3 (encryption_key_ref): ferry's servers carry no key reference.
  if (!request.host) throw invalidField('host', 'is required (host@backend)', 'MISSING_FIELD'); // 4
  const missing = FLAGS.filter((name) => flagOf(request, name) === undefined);
  if (missing.length > 0) {
    throw new FerryError({
      code: 'INVALID_ARGUMENT', reason: 'MISSING_FIELD', domain: 'ferry.dev', metadata: { fields: missing.join(',') },
      message: `must specify all mandatory parameters: ${missing.join(', ')}`,
      fieldViolations: missing.map((field) => ({ field, description: 'is required (true or false)' })),
    });
  }
  const problem = hostProblem(request.host, false);
  if (problem !== undefined) throw invalidField('host', problem);
  if (request.host.includes('#')) throw invalidField('host', 'The destination host can not contain pool information.', 'HOST_HAS_POOL', { host: request.host }); // 5

  // 6: the target network, new or current, must be active.
  const currentNetwork = await getShareNetwork(ctx, server.shareNetworkId);
  const targetNetwork = request.newShareNetworkId ? await getShareNetwork(ctx, request.newShareNetworkId) : currentNetwork;
  if (targetNetwork.status !== 'active') {
    block(ferryError('SHARE_NETWORK_NOT_ACTIVE', `share network ${targetNetwork.id} is ${targetNetwork.status}, not active`, { shareNetworkId: targetNetwork.id }));
  }

  // 7a-d
  const shares = await loadServerShares(ctx.store, server.id);
  if (shares.length === 0) block(ferryError('SHARE_SERVER_HAS_NO_SHARES', `Share server ${server.id} does not have shares.`, { shareServerId: server.id }));
  if (server.status !== 'active') {
    block(ferryError('INVALID_SHARE_SERVER_STATUS', `share server ${server.id} status must be active, but current status is: ${server.status}`, { shareServerId: server.id, status: server.status }));
  }
  // 7e
  const newNetworkGiven = Boolean(request.newShareNetworkId) && request.newShareNetworkId !== server.shareNetworkId;
  if (backendHostOf(server.host) === request.host && !newNetworkGiven) {
    block(ferryError('SHARE_SERVER_MIGRATION_NO_CHANGE', 'There is no difference between source and destination backends and between source and destination share networks. Share server migration will not proceed.', { shareServerId: server.id }));
  }
  // 7f
  const pointing = await ctx.store.listShareServers({ sourceShareServerId: server.id, status: 'server_migrating_to' });
  if (pointing.length > 0) {
    block(ferryError('SHARE_SERVER_DESTINATION_EXISTS', `There is at least one destination share server (${pointing.map((s) => s.id).join(', ')}) pointing to this source share server. Clean up your environment before starting a new migration.`, { shareServerId: server.id }));
  }
  // 7g: unknown back end is NOT_FOUND (thrown), one that is not ready blocks.
  let destinationZone = '';
  try {
    findReadyBackend(ctx, request.host);
  } catch (error) {
    if (!(error instanceof FerryError) || error.code === 'NOT_FOUND') throw error;
    block(error);
  }
  const pools = await ctx.store.listPools({ backend: backendOf(request.host) });
  destinationZone = pools[0]?.availabilityZone ?? '';
  // 7h: QUIRK(Manila): a substring test on the raw spec ("nova" matched "nova2"); ferry compares zone names.
  for (const type of new Map(shares.flatMap((entry) => (entry.type ? [[entry.type.id, entry.type] as const] : []))).values()) {
    const zones = typeZones(type);
    if (zones !== undefined && !zones.includes(destinationZone)) {
      block(ferryError('AVAILABILITY_ZONE_MISMATCH', `share type ${type.name} allows availability zones ${zones.join(', ')}; the destination is in "${destinationZone}"`, { shareTypeId: type.id }));
    }
  }
  // 7i
  const targetSubnet = subnetForZone(targetNetwork, destinationZone);
  if (targetSubnet === undefined) {
    block(ferryError('NO_SUBNET_IN_ZONE', `The share network ${targetNetwork.id} does not have a subnet that spans the destination host availability zone ("${destinationZone}").`, { shareNetworkId: targetNetwork.id }));
  }
  // 7j
  const networkChange = newNetworkGiven && (targetSubnet === undefined || !sameSubnets(currentNetwork, server.shareNetworkSubnetIds, targetNetwork, [targetSubnet.id]));
  // 7k: each share as it is now.
  for (const { instance, share, snapshots } of shares) {
    if (instance.status !== 'available') {
      block(ferryError('INVALID_SHARE_STATUS', `share ${share.id} (instance ${instance.id}) status must be available, but current status is: ${instance.status}`, { shareId: share.id, status: instance.status }));
    }
    // Manila's share.has_replicas, as for a share migration: more than one instance with a replica_state (a primary's own 'active' is no replica).
    const replicas = (await ctx.store.listShareInstances({ shareId: share.id })).filter((i) => i.replicaState !== null);
    if (replicas.length > 1) block(ferryError('SHARE_HAS_REPLICAS', `share ${share.id} has replicas; share servers with replicated shares cannot migrate`, { shareId: share.id }));
    for (const { instance: snapshot } of snapshots) {
      if (snapshot.status !== 'available') {
        block(ferryError('INVALID_SNAPSHOT_STATUS', `snapshot ${snapshot.snapshotId} of share ${share.id} must be available, but its status is: ${snapshot.status}`, { shareId: share.id, snapshotId: snapshot.snapshotId, status: snapshot.status }));
      }
    }
    if (instance.accessRulesStatus === 'error') block(ferryError('ACCESS_RULES_ERROR', `share ${share.id}'s access rules are in error; fix or revoke them before migrating`, { shareId: share.id }));
    if (isBusy(share.taskState)) block(ferryError('SHARE_BUSY', `share ${share.id} is busy with an active task: ${share.taskState}`, { shareId: share.id, taskState: share.taskState ?? '' }));
  }
  const migrationRequest: ServerMigrationRequest = {
    destinationHost: request.host, writable: request.writable === true, nondisruptive: request.nondisruptive === true,
    preserveSnapshots: request.preserveSnapshots === true, shareNetworkId: targetNetwork.id, newShareNetworkGiven: Boolean(request.newShareNetworkId),
  };
  return { server, shares, request: migrationRequest, targetNetwork, destinationZone, networkChange, blockers };
}

/** Start only: nondisruptive cannot survive a change of subnets (4.6 migration_start). */
export function nondisruptiveNetworkProblem(evaluation: ServerStartEvaluation): FerryError | undefined {
  if (!evaluation.request.nondisruptive || !evaluation.networkChange) return undefined;
  return invalidField('nondisruptive', 'Nondisruptive migration would only be feasible when the current and new share networks carry the same \'neutron_net_id\' and \'neutron_subnet_id\', or when no network changes are occurring.', 'NONDISRUPTIVE_NETWORK_CHANGE');
}
