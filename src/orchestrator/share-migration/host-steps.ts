/**
 * The host-assisted steps (manila-migration-behaviour 2.4, 3.1-3.2, 2.7): the destination is
 * created by its own driver, the data service copies, and completion deletes the source through
 * its driver. A copy interrupted by a crash resumes from its checkpoint (Manila marks it
 * data_copying_error).
 */
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { applyShareRulesTo, castRulesToReadOnly } from '../access.js';
import type { OrchestratorContext } from '../context.js';
import type { ShareCopyJob } from '../data-port.js';
import { toDriverInstance, toDriverServer } from '../driver-models.js';
import { ferryError } from '../errors.js';
import { deleteInstanceThroughDriver } from '../shares.js';
import { provideShareServer } from '../share-servers.js';
import { grantDataServiceAccess, revokeDataServiceAccess, dataServiceIdentities } from './data-access.js';
import { adoptModel, ensureDestinationRecord } from './driver-steps.js';
import { finishShareAttributes } from './finish.js';
import { destinationBackendHost, destinationDriver, loadScope, requireDestination, requireSource, sourceDriver, type MigrationScope } from './scope.js';
import { describe, type StepResult, type StepRuntime } from './step.js';

export function checkpointPathOf(ctx: OrchestratorContext, migrationId: string): string {
  return join(ctx.settings.workDir, 'migrations', migrationId, 'copy.checkpoint');
}

/** 2.4 steps 1-3: read-only source, destination instance created through its driver. */
export async function prepareHost(ctx: OrchestratorContext, initial: MigrationScope, runtime: StepRuntime): Promise<StepResult> {
  try {
    const source = requireSource(initial);
    await castRulesToReadOnly(ctx, source.id, runtime.signal);
    let destination = await ensureDestinationRecord(ctx, initial, 'creating');
    const networkId = initial.migration.request.newShareNetworkId;
    if (networkId !== null && destination.shareServerId === null) {
      const network = await ctx.store.getShareNetwork(networkId);
      if (network === undefined) throw ferryError('SHARE_NETWORK_NOT_FOUND', `share network ${networkId} not found`, { shareNetworkId: networkId });
      const server = await provideShareServer(ctx, destinationBackendHost(initial), initial.destinationBackend, network, destination.availabilityZone, { request_host: destinationBackendHost(initial) });
      destination = await ctx.store.updateShareInstance(destination.id, { shareServerId: server.id });
    }
    const scope = await loadScope(ctx, initial.migration.id);
    if (destination.status === 'creating') {
      // CreateShareInstance is idempotent on the instance id, so a re-run after a crash is safe.
      const created = await destinationDriver(ctx, scope).createShareInstance(
        { instance: toDriverInstance(destination, scope.share, scope.destinationType), server: scope.destinationServer && toDriverServer(scope.destinationServer) },
        { signal: runtime.signal, timeoutMs: 300_000 },
      );
      await ctx.store.updateShareInstance(destination.id, {
        status: 'migrating_to', exportLocations: created.exportLocations, providerLocation: created.providerLocation, backendDetails: created.backendDetails, updatedAt: ctx.now(),
      });
    }
    return { event: { type: 'host_prepared' } };
  } catch (error) {
    return { event: { type: 'host_failed' }, error };
  }
}

export async function copyJobOf(ctx: OrchestratorContext, scope: MigrationScope, signal?: AbortSignal): Promise<ShareCopyJob> {
  const source = requireSource(scope);
  const destination = requireDestination(scope);
  const connection = async (side: 'source' | 'destination') => {
    const instance = side === 'source' ? source : destination;
    const driver = side === 'source' ? sourceDriver(ctx, scope) : destinationDriver(ctx, scope);
    const server = side === 'source' ? scope.sourceServer : scope.destinationServer;
    const type = side === 'source' ? scope.sourceType : scope.destinationType;
    const info = await driver.getConnectionInfo({ instance: toDriverInstance(instance, scope.share, type), server: server && toDriverServer(server) }, { signal });
    // An operator's mount template for the back end wins over what its driver suggests.
    const template = ctx.settings.dataService.mountTemplates?.[side === 'source' ? scope.sourceBackend : scope.destinationBackend];
    return template === undefined ? info : { ...info, localPath: '', mountArgv: template.mount, unmountArgv: template.unmount };
  };
  const [sourceConnection, destinationConnection] = [await connection('source'), await connection('destination')];
  return {
    migrationId: scope.migration.id,
    source: { shareInstanceId: source.id, shareProto: scope.share.shareProto, exportLocations: source.exportLocations, connection: sourceConnection },
    destination: { shareInstanceId: destination.id, shareProto: scope.share.shareProto, exportLocations: destination.exportLocations, connection: destinationConnection },
    ignore: ctx.settings.dataService.migrationIgnoreFiles,
    verify: ctx.settings.dataService.checkHash,
    checkpointPath: checkpointPathOf(ctx, scope.migration.id),
  };
}

/** 3.2: access, reach both instances, copy (resuming from the checkpoint), release. */
export async function copyData(ctx: OrchestratorContext, scope: MigrationScope, runtime: StepRuntime): Promise<StepResult> {
  const source = requireSource(scope);
  const destination = requireDestination(scope);
  try {
    const job = await copyJobOf(ctx, scope, runtime.signal);
    if (scope.migration.taskState !== 'data_copying_completing') {
      const identities = dataServiceIdentities(ctx, job.source.connection, job.destination.connection);
      await grantDataServiceAccess(ctx, scope.share.id, [source.id, destination.id], identities, runtime.signal);
      if (scope.migration.taskState === 'data_copying_starting' && !(await runtime.advance({ type: 'copy_started' }))) return superseded();
      const copy = ctx.data.copyShare(job, runtime.signal);
      runtime.setCopy(copy);
      try {
        const result = await copy.done;
        runtime.log.info({ filesCopied: result.filesCopied, filesSkipped: result.filesSkipped, bytesCopied: result.bytesCopied }, 'share data copied');
      } finally {
        runtime.setCopy(undefined);
      }
      if (!(await runtime.advance({ type: 'copy_finished' }))) return superseded();
    }
    const warnings = await revokeDataServiceAccess(ctx, scope.share.id, [source.id, destination.id]);
    for (const warning of warnings) runtime.log.warn({ warning }, 'data service access clean-up');
    return { event: { type: 'copy_released' } };
  } catch (error) {
    if (runtime.signal.aborted) return superseded();
    runtime.log.warn({ err: error }, 'data copy failed');
    return { event: { type: 'copy_failed' }, error };
  }
}

function superseded(): StepResult {
  // The phase was changed under the step (a cancel); the runner drops this result.
  return { event: { type: 'copy_failed' }, error: new Error('superseded') };
}

/** 2.7 host-assisted: rules on the destination, switch-over, source deleted through its driver. */
export async function completeHost(ctx: OrchestratorContext, scope: MigrationScope, runtime: StepRuntime): Promise<StepResult> {
  const destination = requireDestination(scope);
  // The cut-over below (destination available, source inactive, then the source deleted) is the
  // point of no return. A re-run after a crash past it must not fail into host_rollback, which
  // deletes the destination while the source's data may already be gone (kill -9 during the
  // source's deletion). The rules were applied before the cut-over: go on from there.
  const cutOver = destination.status === 'available';
  if (!cutOver) {
    try {
      await applyShareRulesTo(ctx, scope.share.id, destination.id, runtime.signal);
    } catch (error) {
      return { event: { type: 'host_failed' }, error };
    }
  }
  await ctx.store.transaction(async (tx) => {
    const at = ctx.now();
    await tx.updateShareInstance(destination.id, { status: 'available', progress: '100%', updatedAt: at });
    if (await tx.getShareInstance(scope.migration.sourceInstanceId)) await tx.updateShareInstance(scope.migration.sourceInstanceId, { status: 'inactive', updatedAt: at });
  });
  const refreshed = await loadScope(ctx, scope.migration.id);
  if (refreshed.source !== undefined) {
    try {
      await adoptModel(ctx, refreshed, 'host_assisted', runtime);
    } catch (error) {
      // The data is on the destination and verified; a refused model update is worth a warning, not a rollback.
      runtime.log.warn({ err: error }, 'destination model update failed; keeping the model');
    }
    try {
      await deleteInstanceThroughDriver(ctx, refreshed.share, refreshed.source, runtime.signal);
    } catch (error) {
      await finishShareAttributes(ctx, refreshed);
      await forgetCheckpoint(ctx, scope.migration.id);
      return { event: { type: 'source_delete_failed' }, error: ferryError('INVALID_SHARE_STATUS', `the share now lives on ${destination.host}, but its source instance ${refreshed.source.id} could not be deleted (${describe(error).message}); delete it when its back end is healthy`, { shareInstanceId: refreshed.source.id }, [], error) };
    }
  }
  await finishShareAttributes(ctx, refreshed);
  await forgetCheckpoint(ctx, scope.migration.id);
  return { event: { type: 'completed' } };
}

/** The copy's checkpoint is of no use once the share lives on the destination (rollbackHost removes it too). */
async function forgetCheckpoint(ctx: OrchestratorContext, migrationId: string): Promise<void> {
  await rm(dirname(checkpointPathOf(ctx, migrationId)), { recursive: true, force: true });
}
