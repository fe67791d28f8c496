/**
 * One back end's BackendDriver: each method refuses what the plugin does not advertise,
 * converts the domain request (driver-models.ts), calls the plugin through its PluginHandle
 * with a deadline and the caller's AbortSignal, and converts the answer (driver-answers.ts).
 *
 * Errors are FerryErrors only. The handle already maps a failed call: the driver's own
 * code/reason/metadata (fromGrpcError), PLUGIN_UNAVAILABLE while the plugin is not ready or its
 * transport vanished, PLUGIN_DEADLINE_EXCEEDED, CANCELLED. What this file adds:
 * CAPABILITY_NOT_SUPPORTED before any call, PLUGIN_PROTOCOL_ERROR for an answer that breaks
 * the contract, and INTERNAL for anything else (a bug here), with the original as `cause`.
 */
import { FERRY_ERROR_DOMAIN, FerryError } from '../domain/errors.js';
import { PoolServiceService } from '../contract/gen/ferry/driver/v1/pool.js';
import { ShareServiceService } from '../contract/gen/ferry/driver/v1/share.js';
import { ShareMigrationServiceService } from '../contract/gen/ferry/driver/v1/share_migration.js';
import { ShareServerServiceService } from '../contract/gen/ferry/driver/v1/share_server.js';
import type { BackendDriver, DriverCallOptions } from '../orchestrator/driver-port.js';
import {
  fromAccessUpdates,
  fromCompatibility,
  fromConnectionInfo,
  fromContractExportLocations,
  fromListPools,
  fromMigrationComplete,
  fromModelUpdate,
  fromProgress,
  fromServerCompatibility,
  fromServerMigrationComplete,
  unchangedModel,
} from './driver-answers.js';
import type { UnaryMethod } from './driver-client.js';
import { checkTimeout, capabilityNames, METHOD_SPECS, type BackendDriverMethod } from './driver-methods.js';
import {
  toContractAccessRule,
  toContractMigrationMethod,
  toContractPeerInfo,
  toContractShareInstance,
  toContractShareServer,
  toContractSnapshotInstance,
  toMigrationRequest,
  toNetworkInfo,
  toServerCompatibilityRequest,
  toServerMigrationCall,
  toSetupShareServerRequest,
} from './driver-models.js';
import { toBackendStatus } from './backend-status.js';
import { callCancelledError, pluginProtocolError } from './errors.js';
import { createVolumeMethods } from './volume-calls.js';
import type { PluginHandle } from './plugin-host.js';

const S = ShareServiceService;
const M = ShareMigrationServiceService;
const SS = ShareServerServiceService;

export function createBackendDriver(handle: PluginHandle, timeouts: Readonly<Record<BackendDriverMethod, number>>): BackendDriver {
  const plugin = handle.name;

  /** One call: gate, build, call, convert; every failure leaves as a FerryError. */
  async function call<Req, Res, Out>(method: BackendDriverMethod, rpc: UnaryMethod<Req, Res>, build: () => Req, convert: (answer: Res) => Out, options: DriverCallOptions = {}): Promise<Out> {
    const rpcName = rpc.path.replace(/^\/(?:[a-z0-9_]+\.)*/, '');
    try {
      // A caller that gave up is told so first: refusing for a capability would be news it no longer wants.
      if (options.signal?.aborted) throw callCancelledError(plugin, rpcName);
      if (options.timeoutMs !== undefined) checkTimeout('timeoutMs', options.timeoutMs);
      refuseUnadvertised(handle, method, rpcName);
      const answer = await handle.call(rpc, build(), { deadlineMs: options.timeoutMs ?? timeouts[method], signal: options.signal });
      return convert(answer);
    } catch (error) {
      throw FerryError.from(error);
    }
  }

  return {
    name: plugin,
    status: () => toBackendStatus(handle.status()),

    listPools: (options) => call('listPools', PoolServiceService.listPools, () => ({}), fromListPools, options),

    createShareInstance: (request, options) =>
      call(
        'createShareInstance',
        S.createShareInstance,
        () => ({
          shareInstance: toContractShareInstance(request.instance),
          sourceSnapshotInstance: request.sourceSnapshot === undefined ? undefined : toContractSnapshotInstance(request.sourceSnapshot),
          shareServer: toContractShareServer(request.server),
        }),
        (answer) => ({ exportLocations: fromContractExportLocations(answer.exportLocations), providerLocation: answer.providerLocation, backendDetails: { ...answer.backendDetails } }),
        options,
      ),

    deleteShareInstance: (request, options) =>
      call('deleteShareInstance', S.deleteShareInstance, () => ({ shareInstance: toContractShareInstance(request.instance), shareServer: toContractShareServer(request.server) }), () => undefined, options),

    extendShareInstance: (request, options) =>
      call(
        'extendShareInstance',
        S.extendShareInstance,
        () => ({ shareInstance: toContractShareInstance(request.instance), newSizeGib: request.newSizeGib, shareServer: toContractShareServer(request.server) }),
        () => undefined,
        options,
      ),

    shrinkShareInstance: (request, options) =>
      call(
        'shrinkShareInstance',
        S.shrinkShareInstance,
        () => ({ shareInstance: toContractShareInstance(request.instance), newSizeGib: request.newSizeGib, shareServer: toContractShareServer(request.server) }),
        () => undefined,
        options,
      ),

    createSnapshotInstance: (request, options) =>
      call(
        'createSnapshotInstance',
        S.createSnapshotInstance,
        () => ({ snapshotInstance: toContractSnapshotInstance(request.snapshot), shareInstance: toContractShareInstance(request.instance), shareServer: toContractShareServer(request.server) }),
        // share.proto: size_gib "0: the share instance's size_gib".
        (answer) => ({ providerLocation: answer.providerLocation, exportLocations: fromContractExportLocations(answer.exportLocations), sizeGib: answer.sizeGib || request.instance.sizeGib }),
        options,
      ),

    deleteSnapshotInstance: (request, options) =>
      call(
        'deleteSnapshotInstance',
        S.deleteSnapshotInstance,
        () => ({ snapshotInstance: toContractSnapshotInstance(request.snapshot), shareInstance: toContractShareInstance(request.instance), shareServer: toContractShareServer(request.server) }),
        () => undefined,
        options,
      ),

    updateAccess: (request, options) =>
      call(
        'updateAccess',
        S.updateAccess,
        // Recovery mode (the port's contract): the full list, no hints, so the plugin applies exactly these rules.
        () => ({
          shareInstance: toContractShareInstance(request.instance),
          accessRules: request.rules.map(toContractAccessRule),
          addRules: [],
          deleteRules: [],
          updateRules: [],
          castRulesToReadonly: request.castRulesToReadonly,
          shareServer: toContractShareServer(request.server),
        }),
        (answer) => fromAccessUpdates(request.rules, answer),
        options,
      ),

    getConnectionInfo: (request, options) =>
      call(
        'getConnectionInfo',
        S.getConnectionInfo,
        () => ({ shareInstance: toContractShareInstance(request.instance), shareServer: toContractShareServer(request.server) }),
        (answer) => {
          if (answer.connectionInfo === undefined) throw pluginProtocolError(plugin, 'GetConnectionInfo answered without connection_info, which is REQUIRED');
          return fromConnectionInfo(answer.connectionInfo);
        },
        options,
      ),

    getExportLocations: (request, options) =>
      call(
        'getExportLocations',
        S.getExportLocations,
        () => ({ shareInstance: toContractShareInstance(request.instance), shareServer: toContractShareServer(request.server) }),
        (answer) => fromContractExportLocations(answer.exportLocations),
        options,
      ),

    migrationCheckCompatibility: (request, options) =>
      call(
        'migrationCheckCompatibility',
        M.migrationCheckCompatibility,
        () => ({
          sourceShareInstance: toContractShareInstance(request.source),
          destinationShareInstance: toContractShareInstance(request.destination),
          destinationPeer: toContractPeerInfo(request.destinationPeer),
          sourceShareServer: toContractShareServer(request.sourceServer),
          destinationShareServer: toContractShareServer(request.destinationServer),
        }),
        fromCompatibility,
        options,
      ),

    migrationStart: (pair, options) => call('migrationStart', M.migrationStart, () => toMigrationRequest(pair), () => undefined, options),
    migrationContinue: (pair, options) => call('migrationContinue', M.migrationContinue, () => toMigrationRequest(pair), (answer) => answer.phase1Done, options),
    migrationComplete: (pair, options) => call('migrationComplete', M.migrationComplete, () => toMigrationRequest(pair), fromMigrationComplete, options),
    migrationCancel: (pair, options) => call('migrationCancel', M.migrationCancel, () => toMigrationRequest(pair), () => undefined, options),
    migrationGetProgress: (pair, options) => call('migrationGetProgress', M.migrationGetProgress, () => toMigrationRequest(pair), fromProgress, options),

    async migrationUpdateModel(request, options) {
      try {
        return await call(
          'migrationUpdateModel',
          M.migrationUpdateModel,
          () => ({
            migrationId: request.migrationId,
            method: toContractMigrationMethod(request.method),
            sourceShareInstance: toContractShareInstance(request.source),
            destinationShareInstance: toContractShareInstance(request.destination),
            destinationSnapshotInstances: request.destinationSnapshots.map(toContractSnapshotInstance),
            destinationShareServer: toContractShareServer(request.destinationServer),
            sourcePeer: toContractPeerInfo(request.sourcePeer),
          }),
          fromModelUpdate,
          options,
        );
      } catch (error) {
        // share_migration.proto: "Plugin does not implement it | UNIMPLEMENTED | keeps the model it has". Any
        // UNIMPLEMENTED counts, with or without the SDK's CAPABILITY_NOT_SUPPORTED reason: a plugin that does not
        // register ShareMigrationService at all gets grpc-js's bare UNIMPLEMENTED.
        if (error instanceof FerryError && error.code === 'UNIMPLEMENTED') return unchangedModel();
        throw error;
      }
    },

    setupShareServer: (request, options) =>
      call(
        'setupShareServer',
        ShareServerServiceService.setupShareServer,
        () => toSetupShareServerRequest(request.server, request.metadata),
        // share_server.proto: identifier "Empty: ferry uses share_server_id". The contract does not send
        // allocations back: ferry allocated them, so the server's own are the answer.
        (answer) => ({
          identifier: answer.identifier || request.server.shareServerId,
          backendDetails: { ...answer.backendDetails },
          networkAllocations: [...request.server.networkAllocations],
        }),
        options,
      ),

    teardownShareServer: (request, options) =>
      call(
        'teardownShareServer',
        ShareServerServiceService.teardownShareServer,
        // The port has no security services for the server; the contract's list is optional.
        () => ({ shareServer: toContractShareServer(request.server), securityServices: [] }),
        () => undefined,
        options,
      ),

    shareServerMigrationCheckCompatibility: (request, options) =>
      call('shareServerMigrationCheckCompatibility', SS.shareServerMigrationCheckCompatibility, () => toServerCompatibilityRequest(request), fromServerCompatibility, options),
    shareServerMigrationStart: (request, options) =>
      call('shareServerMigrationStart', SS.shareServerMigrationStart, () => toServerMigrationCall(request), (answer) => ({ backendDetails: { ...answer.backendDetails } }), options),
    shareServerMigrationContinue: (request, options) =>
      call('shareServerMigrationContinue', SS.shareServerMigrationContinue, () => toServerMigrationCall(request), (answer) => answer.phase1Done, options),
    shareServerMigrationGetProgress: (request, options) =>
      call('shareServerMigrationGetProgress', SS.shareServerMigrationGetProgress, () => toServerMigrationCall(request), fromProgress, options),
    shareServerMigrationCancel: (request, options) =>
      call('shareServerMigrationCancel', SS.shareServerMigrationCancel, () => toServerMigrationCall(request), () => undefined, options),
    shareServerMigrationComplete: (request, options) =>
      call(
        'shareServerMigrationComplete',
        SS.shareServerMigrationComplete,
        () => ({ ...toServerMigrationCall(request), newNetworkInfo: toNetworkInfo(request.networkServer) }),
        fromServerMigrationComplete,
        options,
      ),

    ...createVolumeMethods(plugin, call),
  };
}

/**
 * identity.proto: "ferry never calls an RPC whose capability is not advertised". Unknown
 * identity means the plugin was never ready; the handle then fails the call fast with
 * PLUGIN_UNAVAILABLE, which is the more useful answer.
 */
function refuseUnadvertised(handle: PluginHandle, method: BackendDriverMethod, rpcName: string): void {
  const identity = handle.status().identity;
  const { anyOf } = METHOD_SPECS[method];
  if (identity === undefined || anyOf.length === 0 || anyOf.some((c) => identity.capabilities.includes(c))) return;
  const needed = capabilityNames(anyOf);
  throw new FerryError({
    code: 'UNIMPLEMENTED',
    reason: 'CAPABILITY_NOT_SUPPORTED',
    message: `back end ${handle.name} (plugin ${identity.info.name}) does not advertise ${needed.join(' or ')}, which ${rpcName} needs; ferry did not call it`,
    metadata: { plugin: handle.name, method: rpcName, capability: needed.join(',') },
    domain: FERRY_ERROR_DOMAIN,
  });
}
