/**
 * The steps of a share-server migration, one per phase (transitions.ts). Each is idempotent:
 * it reads what the store says was done and does the rest, so a restarted daemon runs the
 * recorded phase's step again. Every driver call goes to the DESTINATION back end, except the
 * read-only cast/revert (the instances' own back end) and the source server's teardown.
 */
import type { Logger } from 'pino';
import { backendOf, parseHost } from '../../domain/host.js';
import type { ShareServer } from '../../domain/resources.js';
import type { TaskState } from '../../domain/statuses.js';
import { castRulesToReadOnly, revertReadOnly } from '../access.js';
import { getShareNetwork, subnetForZone } from '../catalog.js';
import type { OrchestratorContext } from '../context.js';
import { toDriverInstance, toDriverServer, toDriverSnapshot } from '../driver-models.js';
import { ferryError } from '../errors.js';
import { describe, isTransient, pause, retryTransient } from '../share-migration/step.js';
import { askCompatibility } from './compatibility.js';
import { destinationDriver, requireDestination, serverMigrationCall, type ServerMigrationScope } from './scope.js';
import type { ServerMigrationEventType } from './transitions.js';

export interface ServerStepRuntime {
  /** Aborted when an operator's action supersedes the running phase, or when ferry closes. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export interface ServerStepResult {
  readonly event: ServerMigrationEventType;
  /** Recorded as the migration's error (message and reason). */
  readonly error?: unknown;
  /** cancel_failed: the task_state to return to. */
  readonly resumeAt?: TaskState;
}

export type ServerStep = (ctx: OrchestratorContext, scope: ServerMigrationScope, runtime: ServerStepRuntime) => Promise<ServerStepResult>;

/** Deadline of the cut-over call: a final sync of every share may take long. */
const COMPLETE_TIMEOUT_MS = 3_600_000;

/**
 * Manila 5.1 steps 3-8: compatibility, the destination server record (set up on the back end
 * unless the driver reuses the source's allocations, nondisruptive), read-only cast.
 */
export const prepare: ServerStep = async (ctx, scope, runtime) => {
  const { migration, source } = scope;
  try {
    const answer = await askCompatibility(ctx, source, scope.shares, migration.request, migration.networkChange);
    const first = answer.blockers[0];
    if (first !== undefined || answer.capabilities === null) {
      const message = answer.blockers.map((blocker) => blocker.message).join('; ');
      return { event: 'refused', error: ferryError(first?.reason === 'SHARE_SERVERS_NOT_SUPPORTED' ? 'SHARE_SERVERS_NOT_SUPPORTED' : 'SHARE_SERVER_MIGRATION_INCOMPATIBLE', message, { shareServerId: source.id }) };
    }
    const capabilities = answer.capabilities;
    // The id is recorded before the record is written, so a crash in between is recognisable.
    const recorded = await ctx.store.updateServerMigration(migration.id, {
      capabilities, destinationShareServerId: migration.destinationShareServerId ?? ctx.newId(), updatedAt: ctx.now(),
    });
    let destination = await ensureDestinationRecord(ctx, scope, recorded.destinationShareServerId!, capabilities.shareNetworkId);
    if (!capabilities.nondisruptive && destination.identifier === '') {
      const setup = await destinationDriver(ctx, scope).setupShareServer(
        { server: toDriverServer(destination), metadata: { migration_destination: 'true', request_host: migration.request.destinationHost, source_share_server_id: source.id } },
        { signal: runtime.signal },
      );
      destination = await ctx.store.updateShareServer(destination.id, { identifier: setup.identifier, backendDetails: setup.backendDetails, networkAllocations: setup.networkAllocations, updatedAt: ctx.now() });
    }
    await ctx.store.updateShareServer(destination.id, { status: 'server_migrating_to', taskState: 'migration_in_progress', updatedAt: ctx.now() });
    if (!capabilities.writable) {
      for (const { instance } of scope.shares) await castRulesToReadOnly(ctx, instance.id, runtime.signal);
    }
    return { event: 'prepared' };
  } catch (error) {
    return { event: 'refused', error };
  }
};

async function ensureDestinationRecord(ctx: OrchestratorContext, scope: ServerMigrationScope, id: string, shareNetworkId: string): Promise<ShareServer> {
  const existing = await ctx.store.getShareServer(id);
  if (existing !== undefined) return existing;
  const network = await getShareNetwork(ctx, shareNetworkId);
  const zone = (await ctx.store.listPools({ backend: scope.destinationBackend }))[0]?.availabilityZone ?? '';
  const subnet = subnetForZone(network, zone);
  if (subnet === undefined) throw ferryError('NO_SUBNET_IN_ZONE', `share network ${network.id} has no subnet usable in availability zone "${zone}"`, { shareNetworkId: network.id });
  const at = ctx.now();
  const record: ShareServer = {
    id, host: scope.migration.request.destinationHost, status: 'creating', taskState: 'migration_in_progress', shareNetworkId: network.id, shareNetworkSubnetIds: [subnet.id],
    availabilityZone: zone, identifier: '', backendDetails: {}, networkAllocations: [], sourceShareServerId: scope.source.id, isAutoDeletable: false, createdAt: at, updatedAt: at,
  };
  await ctx.store.insertShareServer(record);
  return record;
}

/** 5.1 step 9: the driver starts phase 1; its backend details join the destination's. */
export const startDriver: ServerStep = async (ctx, scope, runtime) => {
  try {
    const destination = requireDestination(scope);
    const call = await serverMigrationCall(ctx, scope);
    const started = await retryTransient(ctx.settings.serverContinueIntervalMs, runtime, 'ShareServerMigrationStart',
      () => destinationDriver(ctx, scope).shareServerMigrationStart(call, { signal: runtime.signal }));
    if (Object.keys(started.backendDetails).length > 0) {
      await ctx.store.updateShareServer(destination.id, { backendDetails: { ...destination.backendDetails, ...started.backendDetails }, updatedAt: ctx.now() });
    }
    return { event: 'driver_started' };
  } catch (error) {
    return { event: 'driver_start_failed', error };
  }
};

/** 5.2: ShareServerMigrationContinue every serverContinueIntervalMs until phase 1 is done. */
export const pollDriver: ServerStep = async (ctx, scope, runtime) => {
  const call = await serverMigrationCall(ctx, scope);
  const driver = destinationDriver(ctx, scope);
  for (;;) {
    await pause(ctx.settings.serverContinueIntervalMs, runtime.signal);
    if (runtime.signal.aborted) return { event: 'driver_failed', error: new Error('superseded') };
    try {
      if (await driver.shareServerMigrationContinue(call, { signal: runtime.signal })) return { event: 'phase1_done' };
    } catch (error) {
      if (runtime.signal.aborted) return { event: 'driver_failed', error };
      // ferry waits out a restarting plugin instead of failing the migration (Manila fails it).
      if (isTransient(error)) {
        runtime.log.warn({ err: error }, 'share server migration continue: back end unavailable, polling on');
        continue;
      }
      return { event: 'driver_failed', error };
    }
  }
};

/** 5.4: the driver stops phase 1 and removes what it wrote; the roll-back does the rest. */
export const cancelDriver: ServerStep = async (ctx, scope, runtime) => {
  try {
    await destinationDriver(ctx, scope).shareServerMigrationCancel(await serverMigrationCall(ctx, scope), { signal: runtime.signal });
    return { event: 'cancelled' };
  } catch (error) {
    // The destination's task_state did not move with the cancel: it says where to return.
    return { event: 'cancel_failed', error, resumeAt: scope.destination?.taskState ?? 'migration_driver_in_progress' };
  }
};

/**
 * 5.3: the driver's cut-over, then every share instance and snapshot instance re-homed to the
 * destination, read-only reverted, the source inactive and torn down, the destination active.
 */
export const completeDriver: ServerStep = async (ctx, scope, runtime) => {
  const { source, migration } = scope;
  try {
    const destination = requireDestination(scope);
    const reused = destination.identifier === '';
    const call = await serverMigrationCall(ctx, scope);
    const result = await retryTransient(ctx.settings.serverContinueIntervalMs, runtime, 'ShareServerMigrationComplete', () =>
      destinationDriver(ctx, scope).shareServerMigrationComplete({ ...call, networkServer: toDriverServer(reused && destination.networkAllocations.length === 0 ? source : destination) }, { signal: runtime.signal, timeoutMs: COMPLETE_TIMEOUT_MS }));
    const destinationBackendHost = migration.request.destinationHost;
    await ctx.store.transaction(async (tx) => {
      const at = ctx.now();
      await tx.updateShareServer(destination.id, {
        ...(reused ? {
          identifier: source.identifier,
          backendDetails: Object.keys(result.serverBackendDetails).length > 0 ? result.serverBackendDetails : source.backendDetails,
          networkAllocations: destination.networkAllocations.length > 0 ? destination.networkAllocations : source.networkAllocations,
        } : {}),
        updatedAt: at,
      });
      for (const { instance } of scope.shares) {
        const update = result.shareUpdates[instance.id];
        const pool = update?.poolName || parseHost(instance.host).pool || '';
        await tx.updateShareInstance(instance.id, {
          shareServerId: destination.id, host: `${destinationBackendHost}#${pool}`, shareNetworkId: destination.shareNetworkId, availabilityZone: destination.availabilityZone,
          ...(update && update.exportLocations.length > 0 ? { exportLocations: update.exportLocations } : {}),
          ...(update?.providerLocation ? { providerLocation: update.providerLocation } : {}),
          ...(update && Object.keys(update.backendDetails).length > 0 ? { backendDetails: update.backendDetails } : {}), updatedAt: at,
        });
      }
      for (const { instance } of scope.shares.flatMap((entry) => entry.snapshots)) {
        const update = result.snapshotUpdates[instance.id];
        if (update === undefined) continue;
        await tx.updateSnapshotInstance(instance.id, {
          providerLocation: update.providerLocation || instance.providerLocation,
          ...(update.exportLocations.length > 0 ? { exportLocations: update.exportLocations } : {}), updatedAt: at,
        });
      }
    });
    // The instances are the destination's now: the revert goes to its back end.
    for (const { instance } of scope.shares) await revertReadOnly(ctx, instance.id, runtime.signal);
  } catch (error) {
    await markCompleteFailed(ctx, scope);
    return { event: 'complete_failed', error };
  }
  await retireSource(ctx, scope, runtime);
  await ctx.store.transaction(async (tx) => {
    const at = ctx.now();
    for (const { instance, snapshots } of scope.shares) {
      await tx.updateShareInstance(instance.id, { status: 'available', updatedAt: at });
      for (const snapshot of snapshots) await tx.updateSnapshotInstance(snapshot.instance.id, { status: 'available', updatedAt: at });
    }
    await tx.updateShareServer(requireDestination(scope).id, { status: 'active', updatedAt: at });
  });
  return { event: 'completed' };
};

/** 5.3 failure: nobody can tell what the back ends hold now, so everything is error for an operator. */
async function markCompleteFailed(ctx: OrchestratorContext, scope: ServerMigrationScope): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const at = ctx.now();
    for (const { instance, snapshots } of scope.shares) {
      if (await tx.getShareInstance(instance.id)) await tx.updateShareInstance(instance.id, { status: 'error', updatedAt: at });
      for (const snapshot of snapshots) if (await tx.getSnapshotInstance(snapshot.instance.id)) await tx.updateSnapshotInstance(snapshot.instance.id, { status: 'error', updatedAt: at });
    }
    await tx.updateShareServer(scope.source.id, { status: 'error', updatedAt: at });
    if (scope.destination && (await tx.getShareServer(scope.destination.id))) await tx.updateShareServer(scope.destination.id, { status: 'error', updatedAt: at });
  });
}

/**
 * 5.3 step 9: the source goes inactive; unless the destination reused it, the source driver
 * deletes its copies of the migrated instances and snapshots (share_server.proto) and tears the
 * server down; then its record is deleted. A teardown that fails leaves the source inactive with the
 * error logged: the shares already live on the destination, so the migration still succeeded.
 */
async function retireSource(ctx: OrchestratorContext, scope: ServerMigrationScope, runtime: ServerStepRuntime): Promise<void> {
  const { source } = scope;
  await ctx.store.updateShareServer(source.id, { status: 'inactive', updatedAt: ctx.now() });
  const reused = scope.destination?.identifier === '' || (scope.migration.capabilities?.nondisruptive ?? false);
  try {
    if (!reused) {
      // The source's copies are the source driver's to remove (unknown ids answer OK), then its server.
      const sourceDriver = ctx.drivers.backend(backendOf(source.host));
      const server = toDriverServer(source);
      for (const entry of scope.shares) {
        const instance = toDriverInstance(entry.instance, entry.share, entry.type);
        for (const snapshot of entry.snapshots) {
          await sourceDriver.deleteSnapshotInstance({ snapshot: toDriverSnapshot(snapshot.instance, snapshot.snapshot), instance, server }, { signal: runtime.signal });
        }
        await sourceDriver.deleteShareInstance({ instance, server }, { signal: runtime.signal });
      }
      await sourceDriver.teardownShareServer({ server }, { signal: runtime.signal });
    }
    await ctx.store.deleteShareServer(source.id);
  } catch (error) {
    runtime.log.warn({ err: error, shareServerId: source.id }, 'the migrated-away source share server could not be torn down; it stays inactive: tear it down by hand');
    await ctx.store.updateServerMigration(scope.migration.id, { error: `source share server ${source.id} could not be torn down: ${describe(error).message}`, updatedAt: ctx.now() });
  }
}

/**
 * Undoes phase 1 (5.1 failure, 5.2 failure, 5.4): shares and snapshots available again,
 * read-only reverted, the destination torn down. ferry tears the destination down after any
 * failure (Manila leaves a failed poll's destination in error on the back end) and deletes its
 * record when that worked; a cancelled destination's record stays inactive, as Manila's. A
 * destination that cannot be torn down stays in error, still pointing at its source.
 */
export const rollback: ServerStep = async (ctx, scope, runtime) => {
  const { migration } = scope;
  const cancelled = migration.outcome === 'cancelled';
  const problems: string[] = [];
  for (const { instance } of scope.shares) {
    await revertReadOnly(ctx, instance.id, runtime.signal).catch((error: unknown) => problems.push(`read-only revert of ${instance.id}: ${describe(error).message}`));
  }
  await ctx.store.transaction(async (tx) => {
    const at = ctx.now();
    for (const { instance, snapshots } of scope.shares) {
      if (instance.status === 'server_migrating') await tx.updateShareInstance(instance.id, { status: 'available', updatedAt: at });
      for (const snapshot of snapshots) {
        if (snapshot.instance.status === 'server_migrating') await tx.updateSnapshotInstance(snapshot.instance.id, { status: 'available', updatedAt: at });
      }
    }
  });
  const destination = scope.destination;
  if (destination !== undefined) {
    const taskState: TaskState = cancelled ? 'migration_cancelled' : 'migration_error';
    await ctx.store.updateShareServer(destination.id, { status: cancelled ? 'inactive' : 'error', taskState, updatedAt: ctx.now() });
    try {
      if (destination.identifier !== '') await destinationDriver(ctx, scope).teardownShareServer({ server: toDriverServer(destination) }, { signal: runtime.signal });
      if (!cancelled) await ctx.store.deleteShareServer(destination.id);
    } catch (error) {
      problems.push(`teardown of destination share server ${destination.id}: ${describe(error).message}`);
      await ctx.store.updateShareServer(destination.id, { status: 'error', updatedAt: ctx.now() });
    }
  }
  await ctx.store.updateShareServer(scope.source.id, { status: 'active', updatedAt: ctx.now() });
  if (problems.length > 0) {
    runtime.log.warn({ problems }, 'share server migration roll-back left work for an operator');
    const note = `roll-back incomplete: ${problems.join('; ')}`;
    await ctx.store.updateServerMigration(migration.id, { error: migration.error ? `${migration.error}; ${note}` : note, updatedAt: ctx.now() });
  }
  return { event: 'rolled_back' };
};
