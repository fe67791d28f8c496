/**
 * ShareServerService of the dummy: share server setup/teardown with the contract's
 * idempotency rules, and share-server migration with Manila's dummy semantics (reference 1.2,
 * 1.3), called on this, the DESTINATION, back end: compatible iff the source peer runs the
 * same plugin; share_network_id echoes the new network; migration_cancel and
 * migration_get_progress = compatible; nondisruptive = false; Complete returns share_updates
 * (export locations, pool_name = first pool) and snapshot_updates, and adopts the instances.
 */
import { AlreadyExistsError, FailedPreconditionError, MissingFieldError } from '../../src/domain/errors.js';
import type { PeerInfo, ShareInstance, ShareServer, SnapshotInstance } from '../../src/contract/gen/ferry/driver/v1/common.js';
import type { ShareServerMigrationCompleteResponse, ShareServerServiceService } from '../../src/contract/gen/ferry/driver/v1/share_server.js';
import type { ServiceHandlers } from '../sdk/driver.js';
import { DummyBackend, fakeSharePath, fakeSnapshotPath, GIB, required } from './backend.js';
import { cancelMigration, completeMigration, continueMigration, progressOf, replayStart, seedMigration } from './migration-records.js';
import type { ServerRecord } from './state.js';

interface ServerMigrationCall {
  migrationId: string;
  sourceShareServer?: ShareServer | undefined;
  destinationShareServer?: ShareServer | undefined;
  shareInstances: ShareInstance[];
  snapshotInstances: SnapshotInstance[];
  sourcePeer?: PeerInfo | undefined;
}

function requireServer(server: ShareServer | undefined, field: string): ShareServer {
  const s = required(server, field);
  required(s.shareServerId, `${field}.share_server_id`);
  return s;
}

function parseCall(request: ServerMigrationCall) {
  const migrationId = required(request.migrationId, 'migration_id');
  const source = requireServer(request.sourceShareServer, 'source_share_server');
  const destination = requireServer(request.destinationShareServer, 'destination_share_server');
  const peer = required(request.sourcePeer, 'source_peer');
  return { migrationId, source, destination, peer, fingerprint: `${source.shareServerId}>${destination.shareServerId}` };
}

export function createShareServerHandlers(backend: DummyBackend): ServiceHandlers<typeof ShareServerServiceService> {
  const { state, config } = backend;
  const kind = 'share_server';
  const incompatibility = (peer: PeerInfo | undefined): string[] =>
    backend.isSamePlugin(peer) ? [] : [`source plugin ${peer?.pluginName || '(none)'} is not ${config.name}`];

  return {
    setupShareServer(request) {
      const server = requireServer(request.shareServer, 'share_server');
      const id = server.shareServerId;
      if (request.networkInfo.length === 0) throw new MissingFieldError('network_info');
      const subnetIds = [...new Set([...server.shareNetworkSubnetIds, ...request.networkInfo.map((n) => n.shareNetworkSubnetId)])].sort();
      const existing = state.data.servers[id];
      if (existing !== undefined) {
        if (existing.shareNetworkId !== server.shareNetworkId || existing.subnetIds.join(',') !== subnetIds.join(',')) {
          throw new AlreadyExistsError(`share server ${id} is already set up on network ${existing.shareNetworkId} (${existing.subnetIds.join(', ')})`, { shareServerId: id });
        }
        return { identifier: existing.identifier, backendDetails: { ...existing.backendDetails } };
      }
      const record: ServerRecord = {
        shareServerId: id,
        shareNetworkId: server.shareNetworkId,
        subnetIds,
        identifier: `dummy-server-${id}`,
        backendDetails: { dummy_server: id, migration_destination: String(request.migrationDestination) },
      };
      state.data.servers[id] = record;
      state.save();
      return { identifier: record.identifier, backendDetails: { ...record.backendDetails } };
    },

    teardownShareServer(request) {
      const { shareServerId: id } = requireServer(request.shareServer, 'share_server');
      if (state.data.servers[id] === undefined) return {};
      const shares = state.sharesOnServer(id);
      if (shares.length > 0) {
        throw new FailedPreconditionError('RESOURCE_IN_USE', `share server ${id} still holds ${shares.length} share instance(s)`, { shareServerId: id });
      }
      delete state.data.servers[id];
      state.save();
      return {};
    },

    shareServerMigrationCheckCompatibility(request) {
      requireServer(request.shareServer, 'share_server');
      const peer = required(request.sourcePeer, 'source_peer');
      const reasons = incompatibility(peer);
      const compatible = reasons.length === 0;
      return {
        compatible,
        writable: compatible,
        nondisruptive: false,
        preserveSnapshots: compatible,
        migrationCancel: compatible,
        migrationGetProgress: compatible,
        shareNetworkId: request.newShareNetworkId,
        incompatibilityReasons: reasons,
      };
    },

    shareServerMigrationStart(request) {
      const call = parseCall(request);
      if (replayStart(state, kind, call.migrationId, call.fingerprint) !== undefined) return { backendDetails: {} };
      const reasons = incompatibility(call.peer);
      if (reasons.length > 0) throw new FailedPreconditionError('MIGRATION_INCOMPATIBLE', reasons.join('; '), { migrationId: call.migrationId });
      const totalGib = request.shareInstances.reduce((sum, si) => sum + si.sizeGib, 0);
      seedMigration(state, kind, call.migrationId, call.fingerprint, totalGib * GIB);
      return { backendDetails: {} };
    },

    shareServerMigrationContinue(request) {
      return { phase1Done: continueMigration(state, kind, required(request.migrationId, 'migration_id'), config.progressStep) };
    },

    shareServerMigrationGetProgress(request) {
      return progressOf(state, kind, required(request.migrationId, 'migration_id'));
    },

    shareServerMigrationCancel(request) {
      cancelMigration(state, kind, required(request.migrationId, 'migration_id'));
      return {};
    },

    shareServerMigrationComplete(request) {
      const call = parseCall(request);
      if (request.newNetworkInfo.length === 0) throw new MissingFieldError('new_network_info');
      return completeMigration(state, kind, call.migrationId, (): ShareServerMigrationCompleteResponse => {
        const poolName = config.pools[0]?.name ?? '';
        const shareUpdates: ShareServerMigrationCompleteResponse['shareUpdates'] = {};
        for (const si of request.shareInstances) {
          const exportLocations = [{ path: fakeSharePath(si.shareInstanceId), isAdminOnly: false, metadata: {} }];
          shareUpdates[si.shareInstanceId] = { exportLocations, poolName, providerLocation: `dummy://share/${si.shareInstanceId}`, backendDetails: {} };
          const known = state.data.shares[si.shareInstanceId];
          state.data.shares[si.shareInstanceId] = {
            shareInstanceId: si.shareInstanceId,
            shareId: si.shareId || known?.shareId || '',
            pool: poolName,
            sizeGib: si.sizeGib || known?.sizeGib || 1,
            shareProto: si.shareProto || known?.shareProto || 'NFS',
            shareServerId: call.destination.shareServerId,
            sourceSnapshotInstanceId: known?.sourceSnapshotInstanceId ?? '',
            exportLocations,
            providerLocation: `dummy://share/${si.shareInstanceId}`,
            accessRules: known?.accessRules ?? [],
            readOnly: false,
          };
        }
        const snapshotUpdates: ShareServerMigrationCompleteResponse['snapshotUpdates'] = {};
        for (const snapshot of request.snapshotInstances) {
          const id = snapshot.snapshotInstanceId;
          const providerLocation = fakeSnapshotPath(id);
          snapshotUpdates[id] = { providerLocation, exportLocations: [{ path: providerLocation, isAdminOnly: false, metadata: {} }] };
          state.data.snapshots[id] = { snapshotInstanceId: id, snapshotId: snapshot.snapshotId, shareInstanceId: snapshot.shareInstanceId, sizeGib: snapshot.sizeGib, providerLocation };
        }
        state.save();
        return { shareUpdates, snapshotUpdates, serverBackendDetails: {} };
      });
    },
  };
}
