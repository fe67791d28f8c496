/**
 * The driver-assisted steps (manila-migration-behaviour 2.2, 2.6, 2.7, 2.10). Each can run
 * again after a crash: it finds what an earlier run already did and carries on from there.
 */
import type { ShareInstance, SnapshotInstance } from '../../domain/resources.js';
import { applyShareRulesTo, castRulesToReadOnly } from '../access.js';
import type { OrchestratorContext } from '../context.js';
import { toDriverInstance, toDriverServer, toPeerInfo } from '../driver-models.js';
import { ferryError } from '../errors.js';
import { provideShareServer } from '../share-servers.js';
import { finishShareAttributes } from './finish.js';
import { destinationBackendHost, destinationDriver, driverSnapshots, loadScope, migrationPair, requireDestination, requireSource, sourceDriver, type MigrationScope } from './scope.js';
import { describe, fallbackRefusal, isTransient, pause, retryTransient, withoutFallback, type StepResult, type StepRuntime, type PathInput } from './step.js';

/** Creates (once) the destination instance's record, as Manila does before asking the driver. */
export async function ensureDestinationRecord(ctx: OrchestratorContext, scope: MigrationScope, status: 'migrating_to' | 'creating'): Promise<ShareInstance> {
  if (scope.destination !== undefined) return scope.destination;
  const source = requireSource(scope);
  const pool = await ctx.store.getPool(scope.migration.request.destinationHost);
  const at = ctx.now();
  const destination: ShareInstance = {
    id: ctx.newId(), shareId: scope.share.id, status, host: scope.migration.request.destinationHost, shareTypeId: scope.migration.request.newShareTypeId,
    shareNetworkId: scope.migration.request.newShareNetworkId, shareServerId: null, availabilityZone: pool?.availabilityZone ?? source.availabilityZone,
    castRulesToReadonly: false, accessRulesStatus: 'active', progress: '0%', replicaState: null, exportLocations: [], providerLocation: '', backendDetails: {},
    createdAt: at, updatedAt: at,
  };
  // One transaction: the migration names its destination exactly when the record exists.
  await ctx.store.transaction(async (tx) => {
    await tx.insertShareInstance(destination);
    await tx.updateMigration(scope.migration.id, { destinationInstanceId: destination.id, updatedAt: at });
  });
  return destination;
}

/** DHSS: nondisruptive reuses the source's server, otherwise one on the destination back end (2.2 step 3). */
async function ensureDestinationServer(ctx: OrchestratorContext, scope: MigrationScope, destination: ShareInstance): Promise<void> {
  const networkId = scope.migration.request.newShareNetworkId;
  if (networkId === null || destination.shareServerId !== null) return;
  let serverId: string;
  if (scope.migration.request.nondisruptive && scope.source?.shareServerId) {
    serverId = scope.source.shareServerId;
  } else {
    const network = await ctx.store.getShareNetwork(networkId);
    if (network === undefined) throw ferryError('SHARE_NETWORK_NOT_FOUND', `share network ${networkId} not found`, { shareNetworkId: networkId });
    const server = await provideShareServer(ctx, destinationBackendHost(scope), scope.destinationBackend, network, destination.availabilityZone, {
      migration_destination: 'true', request_host: destinationBackendHost(scope),
    });
    serverId = server.id;
  }
  await ctx.store.updateShareInstance(destination.id, { shareServerId: serverId, updatedAt: ctx.now() });
}

/** Manila 1.1's validation of the compatibility answer against the request. */
export function compatibilityProblem(scope: PathInput, answer: { compatible: boolean; writable: boolean; preserveMetadata: boolean; nondisruptive: boolean; preserveSnapshots: boolean; incompatibilityReasons: readonly string[] }): string | undefined {
  const request = scope.migration.request;
  const host = request.destinationHost;
  if (!answer.compatible) return `destination host ${host} is not compatible with share ${scope.share.id}'s source back end for driver-assisted migration${answer.incompatibilityReasons.length ? `: ${answer.incompatibilityReasons.join('; ')}` : ''}`;
  if (request.nondisruptive && !answer.nondisruptive) return 'the driver cannot migrate nondisruptively, which was requested';
  if (request.preserveMetadata && !answer.preserveMetadata) return 'the driver cannot preserve file metadata, which was requested';
  if (request.writable && !answer.writable) return 'the driver cannot keep the share writable, which was requested';
  if (request.preserveSnapshots && !answer.preserveSnapshots) return 'the driver cannot preserve snapshots, which was requested';
  if (!answer.preserveSnapshots && scope.snapshots.length > 0) return `the driver does not support preserving snapshots, so driver-assisted migration cannot proceed while share ${scope.share.id} has snapshots`;
  return undefined;
}

export async function prepareDriver(ctx: OrchestratorContext, initial: MigrationScope, runtime: StepRuntime): Promise<StepResult> {
  try {
    const destination = await ensureDestinationRecord(ctx, initial, 'migrating_to');
    await ensureDestinationServer(ctx, initial, destination);
    const scope = await loadScope(ctx, initial.migration.id);
    const source = requireSource(scope);
    const dest = requireDestination(scope);
    const peer = await ctx.store.getBackend(scope.destinationBackend);
    const answer = await sourceDriver(ctx, scope).migrationCheckCompatibility(
      {
        source: toDriverInstance(source, scope.share, scope.sourceType),
        destination: toDriverInstance(dest, scope.share, scope.destinationType),
        destinationPeer: toPeerInfo(peer, scope.destinationBackend),
        sourceServer: scope.sourceServer && toDriverServer(scope.sourceServer),
        destinationServer: scope.destinationServer && toDriverServer(scope.destinationServer),
      },
      { signal: runtime.signal },
    );
    await ctx.store.updateMigration(scope.migration.id, {
      capabilities: { compatible: answer.compatible, writable: answer.writable, preserveMetadata: answer.preserveMetadata, nondisruptive: answer.nondisruptive, preserveSnapshots: answer.preserveSnapshots, reasons: answer.incompatibilityReasons },
      updatedAt: ctx.now(),
    });
    const problem = compatibilityProblem(scope, answer);
    if (problem !== undefined) return refused(scope, problem, ferryError('NO_VALID_HOST', problem, { host: scope.migration.request.destinationHost }));
    if (answer.preserveSnapshots) await mapSnapshots(ctx, scope, dest);
    if (!answer.writable) await castRulesToReadOnly(ctx, source.id, runtime.signal);
    return { event: { type: 'driver_prepared' } };
  } catch (error) {
    return refused(initial, describe(error).message, error);
  }
}

function refused(scope: MigrationScope, why: string, error: unknown): StepResult {
  return attemptFailed(scope, 'driver_refused', why, error);
}

/** Falls back when Manila's gate allows; otherwise the recorded error also says why it did not. */
function attemptFailed(scope: MigrationScope, type: 'driver_refused' | 'driver_start_failed', why: string, error: unknown): StepResult {
  const refusal = fallbackRefusal(scope);
  return { event: { type, fallbackAllowed: refusal === undefined }, error: refusal === undefined ? error : withoutFallback(error, refusal), fallbackReason: why };
}

/** Destination snapshot records (migrating_to, 0%) for every source snapshot; sources become migrating (2.2 step 5). */
async function mapSnapshots(ctx: OrchestratorContext, scope: MigrationScope, destination: ShareInstance): Promise<void> {
  const unavailable = scope.sourceSnapshotInstances.find((instance) => instance.status !== 'available' && instance.status !== 'migrating');
  if (unavailable) throw ferryError('INVALID_SHARE_STATUS', `snapshot ${unavailable.snapshotId} is ${unavailable.status}; every snapshot must be available to migrate`, { snapshotId: unavailable.snapshotId });
  await ctx.store.transaction(async (tx) => {
    const existing = await tx.listSnapshotInstances({ shareInstanceId: destination.id });
    const at = ctx.now();
    for (const source of scope.sourceSnapshotInstances) {
      if (!existing.some((instance) => instance.snapshotId === source.snapshotId)) {
        const target: SnapshotInstance = { id: ctx.newId(), snapshotId: source.snapshotId, shareInstanceId: destination.id, status: 'migrating_to', progress: '0%', providerLocation: '', exportLocations: [], createdAt: at, updatedAt: at };
        await tx.insertSnapshotInstance(target);
      }
      await tx.updateSnapshotInstance(source.id, { status: 'migrating', updatedAt: at });
    }
  });
}

export async function startDriver(ctx: OrchestratorContext, scope: MigrationScope, runtime: StepRuntime): Promise<StepResult> {
  try {
    await sourceDriver(ctx, scope).migrationStart(await migrationPair(ctx, scope), { signal: runtime.signal });
    return { event: { type: 'driver_started' } };
  } catch (error) {
    return attemptFailed(scope, 'driver_start_failed', `driver MigrationStart failed: ${describe(error).message}`, error);
  }
}

/** Polls MigrationContinue every driverContinueIntervalMs until phase 1 is done (2.6). */
export async function pollDriver(ctx: OrchestratorContext, scope: MigrationScope, runtime: StepRuntime): Promise<StepResult> {
  const pair = await migrationPair(ctx, scope);
  const driver = sourceDriver(ctx, scope);
  for (;;) {
    await pause(ctx.settings.driverContinueIntervalMs, runtime.signal);
    if (runtime.signal.aborted) return { event: { type: 'driver_failed' }, error: new Error('superseded') };
    try {
      if (await driver.migrationContinue(pair, { signal: runtime.signal })) return { event: { type: 'phase1_done' } };
    } catch (error) {
      if (runtime.signal.aborted) return { event: { type: 'driver_failed' }, error };
      // ferry waits out a restarting plugin instead of failing the migration (Manila fails it).
      if (isTransient(error)) {
        runtime.log.warn({ err: error }, 'migration continue: back end unavailable, polling on');
        continue;
      }
      return { event: { type: 'driver_failed' }, error };
    }
  }
}

export async function cancelDriver(ctx: OrchestratorContext, scope: MigrationScope, runtime: StepRuntime): Promise<StepResult> {
  try {
    await sourceDriver(ctx, scope).migrationCancel(await migrationPair(ctx, scope), { signal: runtime.signal });
    return { event: { type: 'cancelled' } };
  } catch (error) {
    return { event: { type: 'cancel_failed' }, error };
  }
}

/** Driver-assisted completion (2.7): cut-over by the driver, then the records follow. */
export async function completeDriver(ctx: OrchestratorContext, scope: MigrationScope, runtime: StepRuntime): Promise<StepResult> {
  const destination = requireDestination(scope);
  try {
    if (scope.source !== undefined) {
      const pair = await migrationPair(ctx, scope);
      const result = await retryTransient(ctx.settings.driverContinueIntervalMs, runtime, 'MigrationComplete', () => sourceDriver(ctx, scope).migrationComplete(pair, { signal: runtime.signal, timeoutMs: 3_600_000 }));
      await ctx.store.transaction(async (tx) => {
        const at = ctx.now();
        if (result.exportLocations.length > 0) await tx.updateShareInstance(destination.id, { exportLocations: result.exportLocations, updatedAt: at });
        for (const target of await tx.listSnapshotInstances({ shareInstanceId: destination.id })) {
          const update = result.snapshotUpdates[target.id];
          await tx.updateSnapshotInstance(target.id, {
            status: 'available', progress: '100%', providerLocation: update?.providerLocation || target.providerLocation,
            exportLocations: scope.destinationType?.extraSpecs['mount_snapshot_support'] === 'true' ? (update?.exportLocations ?? []) : target.exportLocations, updatedAt: at,
          });
        }
      });
      // The destination plugin adopts the instance its peer created before any other call
      // about it (share_migration.proto, MigrationUpdateModel): only then may UpdateAccess
      // apply the share's rules there. (Rules first failed with NOT_FOUND on a destination
      // back end that learns of the instance only through MigrationUpdateModel.)
      const after = await loadScope(ctx, scope.migration.id);
      await retryTransient(ctx.settings.driverContinueIntervalMs, runtime, 'MigrationUpdateModel', () => adoptModel(ctx, after, 'driver_assisted', runtime));
      await applyShareRulesTo(ctx, scope.share.id, destination.id, runtime.signal);
      await ctx.store.transaction(async (tx) => {
        const at = ctx.now();
        await tx.updateShareInstance(destination.id, { status: 'available', progress: '100%', updatedAt: at });
        // The driver already deleted the source data; only the record goes (2.8).
        await tx.deleteShareInstance(scope.migration.sourceInstanceId);
      });
    }
    await finishShareAttributes(ctx, scope);
    return { event: { type: 'completed' } };
  } catch (error) {
    await ctx.store.transaction(async (tx) => {
      const at = ctx.now();
      for (const instanceId of [scope.migration.sourceInstanceId, destination.id]) {
        if (!(await tx.getShareInstance(instanceId))) continue;
        await tx.updateShareInstance(instanceId, { status: 'error', updatedAt: at });
        for (const snapshot of await tx.listSnapshotInstances({ shareInstanceId: instanceId })) {
          if (snapshot.status === 'migrating' || snapshot.status === 'migrating_to') await tx.updateSnapshotInstance(snapshot.id, { status: 'error', updatedAt: at });
        }
      }
    });
    return { event: { type: 'complete_failed' }, error };
  }
}

/** MigrationUpdateModel on the destination driver; its answer refines the destination's records. */
export async function adoptModel(ctx: OrchestratorContext, scope: MigrationScope, method: 'driver_assisted' | 'host_assisted', runtime: StepRuntime): Promise<void> {
  const source = requireSource(scope);
  const destination = requireDestination(scope);
  const sourcePeer = toPeerInfo(await ctx.store.getBackend(scope.sourceBackend), scope.sourceBackend);
  const update = await destinationDriver(ctx, scope).migrationUpdateModel(
    {
      migrationId: scope.migration.id, method, source: toDriverInstance(source, scope.share, scope.sourceType),
      destination: toDriverInstance(destination, scope.share, scope.destinationType), destinationSnapshots: driverSnapshots(scope, scope.destinationSnapshotInstances),
      destinationServer: scope.destinationServer && toDriverServer(scope.destinationServer), sourcePeer,
    },
    { signal: runtime.signal },
  );
  if (update.unchanged) return;
  await ctx.store.transaction(async (tx) => {
    const at = ctx.now();
    await tx.updateShareInstance(destination.id, {
      exportLocations: update.exportLocations.length > 0 ? update.exportLocations : destination.exportLocations,
      providerLocation: update.providerLocation || destination.providerLocation,
      backendDetails: Object.keys(update.backendDetails).length > 0 ? update.backendDetails : destination.backendDetails,
      updatedAt: at,
    });
    for (const [id, snapshotUpdate] of Object.entries(update.snapshotUpdates)) {
      if (await tx.getSnapshotInstance(id)) await tx.updateSnapshotInstance(id, { providerLocation: snapshotUpdate.providerLocation, exportLocations: snapshotUpdate.exportLocations, updatedAt: at });
    }
  });
}
