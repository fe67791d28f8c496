/**
 * ShareMigrationService of the dummy: Manila's dummy driver migration (reference 1.3), made
 * correct. Compatible iff the destination peer runs the same plugin; progress advances by
 * `progressStep` per MigrationContinue; MigrationComplete moves the instance (and its mapped
 * snapshots) to the destination id and, with dataRoot, moves its directory too: within this
 * back end by rename, to another dummy back end into the dataRoot it published. A destination
 * on another dummy back end adopts the instance in MigrationUpdateModel.
 */
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { FailedPreconditionError, NotFoundError } from '../../src/domain/errors.js';
import type { PeerInfo, ShareInstance, SnapshotInstance } from '../../src/contract/gen/ferry/driver/v1/common.js';
import type { MigrationCompleteResponse, ShareMigrationServiceService } from '../../src/contract/gen/ferry/driver/v1/share_migration.js';
import type { ServiceHandlers } from '../sdk/driver.js';
import { DummyBackend, fakeSharePath, fakeSnapshotPath, GIB, PEER_DATA_ROOT, required, toExportLocations } from './backend.js';
import { cancelMigration, completeMigration, continueMigration, progressOf, replayStart, seedMigration } from './migration-records.js';
import { requireInstance } from './share.js';
import type { ExportLocationRecord, ShareRecord } from './state.js';

/** The fields every call of one migration id carries. */
interface MigrationCall {
  migrationId: string;
  sourceShareInstance?: ShareInstance | undefined;
  destinationShareInstance?: ShareInstance | undefined;
  destinationPeer?: PeerInfo | undefined;
  snapshotMappings: { [key: string]: SnapshotInstance };
}

function parseCall(request: MigrationCall) {
  const migrationId = required(request.migrationId, 'migration_id');
  const source = requireInstance(request.sourceShareInstance, 'source_share_instance');
  const destination = requireInstance(request.destinationShareInstance, 'destination_share_instance');
  const peer = required(request.destinationPeer, 'destination_peer');
  return { migrationId, source, destination, peer, fingerprint: `${source.shareInstanceId}>${destination.shareInstanceId}` };
}

function incompatibility(backend: DummyBackend, peer: PeerInfo | undefined): string[] {
  return backend.isSamePlugin(peer) ? [] : [`destination plugin ${peer?.pluginName || '(none)'} is not ${backend.config.name}`];
}

export function createShareMigrationHandlers(backend: DummyBackend): ServiceHandlers<typeof ShareMigrationServiceService> {
  const { state, config } = backend;
  const kind = 'share';

  /** The cut-over: moves data and records, returns Manila's migration_complete answer. */
  const cutOver = (call: ReturnType<typeof parseCall>, mappings: MigrationCall['snapshotMappings']): MigrationCompleteResponse => {
    const { source, destination, peer } = call;
    const srcId = source.shareInstanceId;
    const destId = destination.shareInstanceId;
    const share = backend.requireShare(srcId);
    const self = backend.isSelf(peer);
    const destRoot = self ? config.dataRoot : peer.properties[PEER_DATA_ROOT];
    const srcDir = backend.shareDir(srcId);
    const destDir = backend.shareDir(destId, destRoot);
    if (srcDir !== undefined && destDir !== undefined && existsSync(srcDir)) {
      if (self) renameSync(srcDir, destDir);
      else {
        mkdirSync(destRoot as string, { recursive: true });
        cpSync(srcDir, destDir, { recursive: true, preserveTimestamps: true });
        rmSync(srcDir, { recursive: true, force: true });
      }
    } else if (srcDir !== undefined) rmSync(srcDir, { recursive: true, force: true });

    const exportLocations: ExportLocationRecord[] = [{ path: fakeSharePath(destId), isAdminOnly: false, metadata: {} }];
    if (destDir !== undefined) exportLocations.push({ path: destDir, isAdminOnly: true, metadata: { local: 'true' } });
    const snapshotUpdates: MigrationCompleteResponse['snapshotUpdates'] = {};
    for (const [sourceSnapshotId, destSnapshot] of Object.entries(mappings)) {
      const destSnapshotId = destSnapshot.snapshotInstanceId;
      snapshotUpdates[destSnapshotId] = { providerLocation: fakeSnapshotPath(destSnapshotId), exportLocations: [] };
      const sourceSnapshot = state.data.snapshots[sourceSnapshotId];
      delete state.data.snapshots[sourceSnapshotId];
      if (self) {
        state.data.snapshots[destSnapshotId] = {
          snapshotInstanceId: destSnapshotId,
          snapshotId: destSnapshot.snapshotId || sourceSnapshot?.snapshotId || '',
          shareInstanceId: destId,
          sizeGib: destSnapshot.sizeGib || sourceSnapshot?.sizeGib || share.sizeGib,
          providerLocation: fakeSnapshotPath(destSnapshotId),
        };
      }
    }
    delete state.data.shares[srcId];
    if (self) {
      const moved: ShareRecord = {
        ...share,
        shareInstanceId: destId,
        shareId: destination.shareId || share.shareId,
        pool: backend.pool(destination.pool) === undefined ? share.pool : destination.pool,
        sizeGib: destination.sizeGib || share.sizeGib,
        shareServerId: destination.shareServerId,
        exportLocations,
        providerLocation: destDir ?? `dummy://share/${destId}`,
        accessRules: [],
        readOnly: false,
      };
      state.data.shares[destId] = moved;
    }
    state.save();
    return { exportLocations: toExportLocations(exportLocations), snapshotUpdates };
  };

  return {
    migrationCheckCompatibility(request) {
      const source = requireInstance(request.sourceShareInstance, 'source_share_instance');
      requireInstance(request.destinationShareInstance, 'destination_share_instance');
      const peer = required(request.destinationPeer, 'destination_peer');
      backend.requireShare(source.shareInstanceId);
      const reasons = incompatibility(backend, peer);
      const compatible = reasons.length === 0;
      return { compatible, writable: compatible, preserveMetadata: compatible, nondisruptive: false, preserveSnapshots: compatible, incompatibilityReasons: reasons };
    },

    migrationStart(request) {
      const call = parseCall(request);
      if (replayStart(state, kind, call.migrationId, call.fingerprint) !== undefined) return {};
      const share = backend.requireShare(call.source.shareInstanceId);
      const reasons = incompatibility(backend, call.peer);
      if (reasons.length > 0) throw new FailedPreconditionError('MIGRATION_INCOMPATIBLE', reasons.join('; '), { migrationId: call.migrationId });
      for (const snapshot of request.sourceSnapshotInstances) {
        if (state.data.snapshots[snapshot.snapshotInstanceId] === undefined) {
          throw new NotFoundError('snapshot instance', snapshot.snapshotInstanceId, 'SNAPSHOT_INSTANCE_NOT_FOUND', 'snapshotInstanceId');
        }
      }
      if (backend.isSelf(call.peer)) backend.ensureCapacity(backend.requirePool(call.destination.pool), call.destination.sizeGib || share.sizeGib);
      seedMigration(state, kind, call.migrationId, call.fingerprint, share.sizeGib * GIB);
      return {};
    },

    migrationContinue(request) {
      const migrationId = required(request.migrationId, 'migration_id');
      return { phase1Done: continueMigration(state, kind, migrationId, config.progressStep) };
    },

    migrationGetProgress(request) {
      return progressOf(state, kind, required(request.migrationId, 'migration_id'));
    },

    migrationComplete(request) {
      const call = parseCall(request);
      return completeMigration(state, kind, call.migrationId, () => cutOver(call, request.snapshotMappings));
    },

    migrationCancel(request) {
      cancelMigration(state, kind, required(request.migrationId, 'migration_id'));
      return {};
    },

    migrationUpdateModel(request) {
      const migrationId = required(request.migrationId, 'migration_id');
      const destination = requireInstance(request.destinationShareInstance, 'destination_share_instance');
      const replayKey = `migrationUpdateModel:${migrationId}`;
      const known = state.data.replays[replayKey];
      if (known !== undefined) return known.response as object;

      const destId = destination.shareInstanceId;
      let share = state.data.shares[destId];
      if (share === undefined) {
        // Adopt what a peer dummy moved here (driver-assisted to another back end).
        if (backend.pool(destination.pool) === undefined) {
          throw new NotFoundError('share instance', destId, 'SHARE_INSTANCE_NOT_FOUND', 'shareInstanceId');
        }
        const dir = backend.shareDir(destId);
        if (dir !== undefined) mkdirSync(dir, { recursive: true });
        share = {
          shareInstanceId: destId,
          shareId: destination.shareId,
          pool: destination.pool,
          sizeGib: destination.sizeGib,
          shareProto: destination.shareProto,
          shareServerId: destination.shareServerId,
          sourceSnapshotInstanceId: '',
          exportLocations: backend.exportLocationsFor(destId),
          providerLocation: dir ?? `dummy://share/${destId}`,
          accessRules: [],
          readOnly: false,
        };
        state.data.shares[destId] = share;
      }
      const snapshotUpdates: Record<string, { providerLocation: string }> = {};
      for (const snapshot of request.destinationSnapshotInstances) {
        const id = snapshot.snapshotInstanceId;
        state.data.snapshots[id] ??= { snapshotInstanceId: id, snapshotId: snapshot.snapshotId, shareInstanceId: destId, sizeGib: snapshot.sizeGib || share.sizeGib, providerLocation: fakeSnapshotPath(id) };
        snapshotUpdates[id] = { providerLocation: state.data.snapshots[id].providerLocation };
      }
      const response = {
        exportLocations: toExportLocations(share.exportLocations),
        providerLocation: share.providerLocation,
        backendDetails: { pool: share.pool },
        snapshotUpdates,
      };
      state.data.replays[replayKey] = { fingerprint: destId, response };
      state.save();
      return response;
    },
  };
}

