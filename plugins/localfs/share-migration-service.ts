/**
 * ShareMigrationService for localfs: driver-assisted migration between two localfs back ends
 * on the same machine. This plugin is the SOURCE; the destination is another localfs process
 * whose root it learns from `destination_peer.properties.root` and writes into directly.
 *
 * ```
 *   Start ──► record migrations/<id>.json (phase copying) ──► destination instance dir + instance.json
 *     │        in the PEER's tree ──► background copy source data -> destination data
 *     │        (xxh128-verified, checkpointed; the source export stays writable)
 *     ▼
 *   Continue ── false while copying; true once the copy finished (phase1_done)
 *     │         a failed copy ──► INTERNAL BACKEND_ERROR naming the path
 *     ▼
 *   Complete ── source export remounted read-only ──► final sync (mirror: copies changes,
 *     │         deletes deletions) ──► snapshots copied to the destination ids ──► result saved
 *     │         ──► source export, snapshots, data and metadata removed ──► phase completed
 *     ▼
 *   MigrationUpdateModel on the DESTINATION plugin: adopts the instance (export per its rules)
 *
 *   Cancel (any time before Complete saved its result): abort the copy, remove what was written
 *   into the peer's tree, restore the source export, phase cancelled.
 * ```
 *
 * Every step persists the record before acting, so a `kill -9` at any point is safe: at start
 * the plugin resumes a phase-1 copy from its checkpoint, and ferry's replay of Complete or
 * Cancel picks up where the previous call stopped. Finished records are kept (7 days), so
 * replays answer as the contract says.
 */
import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  FerryError,
  InternalError,
  MissingFieldError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
} from '../../src/domain/errors.js';
import type { PeerInfo, ShareInstance } from '../../src/contract/gen/ferry/driver/v1/common.js';
import type {
  MigrationCancelRequest,
  MigrationCheckCompatibilityRequest,
  MigrationCheckCompatibilityResponse,
  MigrationCompleteRequest,
  MigrationCompleteResponse,
  MigrationContinueRequest,
  MigrationContinueResponse,
  MigrationGetProgressRequest,
  MigrationGetProgressResponse,
  MigrationStartRequest,
  MigrationUpdateModelRequest,
  MigrationUpdateModelResponse,
} from '../../src/contract/gen/ferry/driver/v1/share_migration.js';
import type { DeepPartial, DriverContext } from '../sdk/index.js';
import type { LocalFsBackend } from './backend.js';
import { copyIntoPlace, copyRootMetadata } from './copier.js';
import { fileSystemBytes, GIB, usedBytes } from './disk.js';
import { PLUGIN_NAME } from './identity.js';
import { checkName, exportPath, migrationsDir, poolDir, shareDataDir, shareDir, snapshotDataDir, snapshotDir } from './layout.js';
import { MetadataStore, type CompleteResult, type InstanceRecord, type MigrationRecord } from './metadata-store.js';
import { fingerprintOf, isDirectory, migrationIdOf, PhaseOneMigrations, wrongPhase } from './migration-common.js';
import type { ShareService } from './share-service.js';

/** The request fields every migration RPC (but UpdateModel) carries. */
interface MigrationArgs {
  readonly migrationId: string;
  readonly sourceShareInstance: ShareInstance | undefined;
  readonly destinationShareInstance: ShareInstance | undefined;
  readonly destinationPeer: PeerInfo | undefined;
  readonly snapshotMappings: { [key: string]: { snapshotInstanceId: string } };
}

export class ShareMigrationService extends PhaseOneMigrations<MigrationRecord> {
  constructor(
    backend: LocalFsBackend,
    private readonly shares: ShareService,
  ) {
    super(backend, migrationsDir(backend.root), 'migration');
  }

  async migrationCheckCompatibility(req: MigrationCheckCompatibilityRequest, _ctx: DriverContext): Promise<DeepPartial<MigrationCheckCompatibilityResponse>> {
    await this.backend.requireInstance('source_share_instance', req.sourceShareInstance);
    const destination = this.backend.checkInstance('destination_share_instance', req.destinationShareInstance);
    const reasons = await this.incompatibilities(destination.pool, req.destinationPeer, req.sourceShareServer !== undefined || req.destinationShareServer !== undefined);
    if (reasons.length > 0) return { compatible: false, incompatibilityReasons: reasons };
    // nondisruptive: false -- clients must remount: the export path changes to the peer's.
    return { compatible: true, writable: true, preserveMetadata: true, preserveSnapshots: true, nondisruptive: false };
  }

  async migrationStart(req: MigrationStartRequest, ctx: DriverContext): Promise<object> {
    const b = this.backend;
    const { migrationId, source, destination, peerRoot } = this.checkArgs(req);
    for (const snap of req.sourceSnapshotInstances) {
      const id = checkName('source_snapshot_instances[].snapshot_instance_id', snap.snapshotInstanceId);
      const mapped = req.snapshotMappings[id]?.snapshotInstanceId ?? '';
      if (mapped === '') throw new MissingFieldError(`snapshot_mappings[${id}]`);
      checkName(`snapshot_mappings[${id}].snapshot_instance_id`, mapped);
    }
    const mappings: Record<string, string> = {};
    for (const snap of req.sourceSnapshotInstances) mappings[snap.snapshotInstanceId] = req.snapshotMappings[snap.snapshotInstanceId]!.snapshotInstanceId;
    const fingerprint = fingerprintOf([source.id, source.pool, destination.id, destination.pool, peerRoot, JSON.stringify(Object.entries(mappings).sort())]);

    return this.ops.run(migrationId, async () => {
      const existing = await this.records.read(migrationId);
      if (existing !== undefined) {
        await this.replayStart(existing, fingerprint, 'MigrationStart');
        return {};
      }
      const sourceRecord = await b.requireInstance('source_share_instance', req.sourceShareInstance);
      for (const snapId of Object.keys(mappings)) {
        if ((await this.shares.findSnapshot(snapId)) === undefined) throw new NotFoundError('snapshot instance', snapId, 'SNAPSHOT_INSTANCE_NOT_FOUND', 'snapshotInstanceId');
      }
      const reasons = await this.incompatibilities(destination.pool, req.destinationPeer, req.sourceShareServer !== undefined || req.destinationShareServer !== undefined);
      if (reasons.length > 0) throw new FailedPreconditionError('MIGRATION_INCOMPATIBLE', `cannot migrate ${source.id} to ${req.destinationPeer?.backend ?? 'the destination'}: ${reasons.join('; ')}`, { migrationId });
      await this.checkPeerSpace(sourceRecord, peerRoot, destination.pool, Object.keys(mappings));

      const now = new Date().toISOString();
      const record: MigrationRecord = {
        version: 1,
        migrationId,
        fingerprint,
        phase: 'copying',
        source: { shareInstanceId: source.id, pool: source.pool },
        destination: { shareInstanceId: destination.id, pool: destination.pool, root: peerRoot, backend: req.destinationPeer?.backend ?? '' },
        snapshotMappings: mappings,
        phase1Attempts: 0,
        createdAt: now,
        updatedAt: now,
      };
      await this.records.write(record); // persist, then act
      await mkdir(this.records.workDir(migrationId), { recursive: true, mode: 0o700 });
      await this.createDestination(record, sourceRecord, req.destinationShareInstance!);
      await this.startPhase1(record);
      ctx.logger.info({ migrationId, source: source.id, destination: destination.id, peerRoot }, 'migration phase 1 started');
      return {};
    });
  }

  async migrationContinue(req: MigrationContinueRequest, _ctx: DriverContext): Promise<DeepPartial<MigrationContinueResponse>> {
    return { phase1Done: await this.continuePhase1(req.migrationId, 'MigrationContinue') };
  }

  async migrationGetProgress(req: MigrationGetProgressRequest, _ctx: DriverContext): Promise<DeepPartial<MigrationGetProgressResponse>> {
    return (await this.progressOf(req.migrationId, 'MigrationGetProgress')).answer;
  }

  async migrationComplete(req: MigrationCompleteRequest, ctx: DriverContext): Promise<DeepPartial<MigrationCompleteResponse>> {
    const b = this.backend;
    const migrationId = migrationIdOf(req.migrationId);
    return this.ops.run(migrationId, async () => {
      let record = await this.records.require(migrationId);
      if (record.phase === 'completed') return completeResponse(record.result!);
      if (record.phase !== 'phase1_done' && record.phase !== 'completing') throw wrongPhase(migrationId, record.phase, 'MigrationComplete');
      const { source, destination } = record;
      const sourceData = shareDataDir(b.root, source.pool, source.shareInstanceId);
      const destinationData = shareDataDir(destination.root, destination.pool, destination.shareInstanceId);

      if (record.result === undefined) {
        await this.requirePeer(record);
        record = await this.records.update(record, { phase: 'completing' });
        try {
          const sourceRecord = await b.store.readInstance(source.pool, source.shareInstanceId);
          if (sourceRecord === undefined) throw new Error(`source instance ${source.shareInstanceId} has no record under ${b.root}`);
          // Nothing changes from here on: clients of the source export see EROFS.
          const frozen = await b.updateInstance(source.pool, source.shareInstanceId, (r) => ({ ...r, frozenByMigration: migrationId }));
          await b.applyExport(frozen!);
          await b.copier.copyTree({ source: sourceData, destination: destinationData, mirror: true, verify: 'xxh128', ignore: [] }, ctx.signal).done;
          await copyRootMetadata(sourceData, destinationData);
          const snapshotLocations: Record<string, string> = {};
          for (const [sourceSnap, destinationSnap] of Object.entries(record.snapshotMappings)) {
            snapshotLocations[destinationSnap] = await this.copySnapshot(record, sourceSnap, destinationSnap, ctx.signal);
          }
          const peer = new MetadataStore(destination.root);
          const destinationRecord = await peer.readInstance(destination.pool, destination.shareInstanceId);
          if (destinationRecord === undefined) throw new Error(`destination instance.json under ${shareDir(destination.root, destination.pool, destination.shareInstanceId)} is missing`);
          await peer.writeInstance({ ...destinationRecord, snapshotInstanceIds: Object.values(record.snapshotMappings), migration: { migrationId, state: 'completed' } });
          const result: CompleteResult = { exportPath: exportPath(destination.root, destination.shareInstanceId), snapshotLocations };
          record = await this.records.update(record, { result, error: undefined });
        } catch (error) {
          if (error instanceof FerryError && error.code === 'CANCELLED') throw error;
          const message = `migration ${migrationId} cut-over from ${sourceData} to ${destinationData} failed: ${(error as Error).message}`;
          await this.records.update(record, { error: message });
          throw new InternalError(message, { reason: 'BACKEND_ERROR', metadata: { migrationId }, cause: error });
        }
      }

      // The destination holds everything: remove the source (each step is idempotent).
      const sourceRecord = await b.store.readInstance(source.pool, source.shareInstanceId);
      const sourceSnaps = new Set([...Object.keys(record.snapshotMappings), ...(sourceRecord?.snapshotInstanceIds ?? [])]);
      for (const snapId of sourceSnaps) await rm(snapshotDir(b.root, source.pool, snapId), { recursive: true, force: true });
      await this.shares.removeInstance(source.pool, source.shareInstanceId);
      record = await this.records.update(record, { phase: 'completed' });
      await rm(this.records.workDir(migrationId), { recursive: true, force: true });
      ctx.logger.info({ migrationId, destination: record.result!.exportPath }, 'migration completed; source removed');
      return completeResponse(record.result!);
    });
  }

  async migrationCancel(req: MigrationCancelRequest, ctx: DriverContext): Promise<object> {
    const b = this.backend;
    const migrationId = migrationIdOf(req.migrationId);
    return this.ops.run(migrationId, async () => {
      const record = await this.records.read(migrationId);
      if (record === undefined) {
        // Unknown id: remove whatever of the destination instance an earlier attempt left.
        const destination = req.destinationShareInstance;
        const peerRoot = req.destinationPeer?.properties.root ?? '';
        if (destination !== undefined && destination.shareInstanceId !== '' && destination.pool !== '' && isAbsolute(peerRoot)) {
          const id = checkName('destination_share_instance.share_instance_id', destination.shareInstanceId);
          const pool = checkName('destination_share_instance.pool', destination.pool);
          await removeUnadoptedInstance(peerRoot, pool, id, undefined);
        }
        return {};
      }
      if (record.phase === 'cancelled') return {};
      if (record.phase === 'completed' || record.result !== undefined) throw wrongPhase(migrationId, record.phase === 'completed' ? 'completed' : 'completing', 'MigrationCancel');
      await this.copies.abort(migrationId, 'migration cancelled');
      const { source, destination } = record;
      try {
        for (const destinationSnap of Object.values(record.snapshotMappings)) await rm(snapshotDir(destination.root, destination.pool, destinationSnap), { recursive: true, force: true });
        await removeUnadoptedInstance(destination.root, destination.pool, destination.shareInstanceId, migrationId);
        const restored = await b.updateInstance(source.pool, source.shareInstanceId, (r) => withoutFreeze(r));
        if (restored !== undefined) await b.applyExport(restored);
      } catch (error) {
        throw new InternalError(`migration ${migrationId} cancel could not clean up: ${(error as Error).message}`, { reason: 'BACKEND_ERROR', metadata: { migrationId }, cause: error });
      }
      await this.records.update(record, { phase: 'cancelled' });
      await rm(this.records.workDir(migrationId), { recursive: true, force: true });
      ctx.logger.info({ migrationId }, 'migration cancelled; destination leftovers removed');
      return {};
    });
  }

  /**
   * DESTINATION side: adopt the instance a peer wrote into our tree (or one we created for a
   * host-assisted migration): mark it ours, set up its export per its rules, return its model.
   */
  async migrationUpdateModel(req: MigrationUpdateModelRequest, _ctx: DriverContext): Promise<DeepPartial<MigrationUpdateModelResponse>> {
    const b = this.backend;
    const migrationId = migrationIdOf(req.migrationId);
    const { id, pool } = b.checkInstance('destination_share_instance', req.destinationShareInstance);
    return this.ops.run(`update-model:${migrationId}`, async () => {
      const record = await b.requireInstance('destination_share_instance', req.destinationShareInstance);
      if (record.migration?.state === 'copying') {
        throw new InternalError(`share instance ${id} is still being copied by migration ${record.migration.migrationId}; its source has not completed`, { reason: 'BACKEND_ERROR', metadata: { shareInstanceId: id, migrationId } });
      }
      let adopted: InstanceRecord = record;
      try {
        if (record.migration !== undefined && record.migration.state !== 'adopted') {
          adopted = (await b.updateInstance(pool, id, (r) => ({ ...r, migration: { migrationId: r.migration!.migrationId, state: 'adopted' } })))!;
        }
        await b.applyExport(adopted);
      } catch (error) {
        throw new InternalError(`adopting share instance ${id} failed: ${(error as Error).message}`, { reason: 'BACKEND_ERROR', metadata: { shareInstanceId: id }, cause: error });
      }
      const snapshotUpdates: Record<string, { providerLocation: string }> = {};
      for (const snap of req.destinationSnapshotInstances) {
        const found = await this.shares.findSnapshot(checkName('destination_snapshot_instances[].snapshot_instance_id', snap.snapshotInstanceId));
        if (found !== undefined) snapshotUpdates[snap.snapshotInstanceId] = { providerLocation: snapshotDir(b.root, found.pool, snap.snapshotInstanceId) };
      }
      return { exportLocations: b.exportLocations(id), providerLocation: shareDir(b.root, pool, id), backendDetails: { pool }, snapshotUpdates };
    });
  }

  // --- helpers ---

  private checkArgs(req: MigrationArgs): { migrationId: string; source: { id: string; pool: string }; destination: { id: string; pool: string }; peerRoot: string } {
    const migrationId = migrationIdOf(req.migrationId);
    const source = this.backend.checkInstance('source_share_instance', req.sourceShareInstance);
    const destination = this.backend.checkInstance('destination_share_instance', req.destinationShareInstance);
    if (req.destinationPeer === undefined) throw new MissingFieldError('destination_peer');
    return { migrationId, source, destination, peerRoot: req.destinationPeer.properties.root ?? '' };
  }

  /** Why the pair cannot be migrated by this plugin (empty: compatible). */
  private async incompatibilities(destinationPool: string, peer: PeerInfo | undefined, shareServers: boolean): Promise<string[]> {
    const reasons: string[] = [];
    if (peer === undefined) return ['no destination_peer given'];
    if (peer.pluginName !== PLUGIN_NAME) reasons.push(`destination plugin ${peer.pluginName || '(unnamed)'} is not ${PLUGIN_NAME}`);
    if (shareServers) reasons.push('localfs does not handle share servers (driver_handles_share_servers = false)');
    const root = peer.properties.root ?? '';
    if (root === '' || !isAbsolute(root)) {
      reasons.push(`destination back end ${peer.backend} publishes no absolute "root" in migration_peer_info`);
    } else if (!(await isDirectory(root))) {
      reasons.push(`destination root ${root} is not a directory on this machine`);
    } else if (!(await isDirectory(poolDir(root, destinationPool)))) {
      reasons.push(`destination pool ${destinationPool} does not exist under ${root}/pools`);
    }
    return reasons;
  }

  /** RESOURCE_EXHAUSTED when the peer's file system cannot hold the source's data and snapshots. */
  private async checkPeerSpace(source: InstanceRecord, peerRoot: string, destinationPool: string, snapshotIds: readonly string[]): Promise<void> {
    let needed = await usedBytes(shareDataDir(this.backend.root, source.pool, source.shareInstanceId));
    for (const snapId of snapshotIds) needed += await usedBytes(snapshotDataDir(this.backend.root, source.pool, snapId));
    const { freeBytes } = await fileSystemBytes(peerRoot);
    if (freeBytes < needed) {
      const freeGib = (freeBytes / GIB).toFixed(2);
      throw new ResourceExhaustedError(`destination pool ${destinationPool} under ${peerRoot} has ${freeGib} GiB free; the source needs ${(needed / GIB).toFixed(2)} GiB`, { pool: destinationPool, freeGib });
    }
  }

  /** PEER_UNAVAILABLE when the peer's root disappeared (unmounted, removed). */
  protected async requirePeer(record: MigrationRecord): Promise<void> {
    if (!(await isDirectory(record.destination.root))) {
      throw new UnavailableError('PEER_UNAVAILABLE', `destination root ${record.destination.root} is not reachable`, { backend: record.destination.backend });
    }
  }

  /** Creates the destination instance directory and its instance.json in the peer's tree. */
  private async createDestination(record: MigrationRecord, source: InstanceRecord, model: ShareInstance): Promise<void> {
    const { root, pool, shareInstanceId } = record.destination;
    const peer = new MetadataStore(root);
    const existing = await peer.readInstance(pool, shareInstanceId);
    if (existing !== undefined && existing.migration?.migrationId !== record.migrationId) {
      throw new AlreadyExistsError(`destination share instance ${shareInstanceId} already exists under ${root}`, { shareInstanceId });
    }
    await mkdir(shareDataDir(root, pool, shareInstanceId), { recursive: true, mode: 0o755 });
    if (existing !== undefined) return;
    await peer.writeInstance({
      version: 1,
      shareInstanceId,
      shareId: model.shareId || source.shareId,
      pool,
      sizeGib: model.sizeGib || source.sizeGib,
      shareProto: model.shareProto || source.shareProto,
      sourceSnapshotInstanceId: '',
      accessRules: [],
      castRulesToReadonly: false,
      snapshotInstanceIds: [],
      migration: { migrationId: record.migrationId, state: 'copying' },
      createdAt: new Date().toISOString(),
    });
  }

  protected async startPhase1(initial: MigrationRecord): Promise<void> {
    const b = this.backend;
    const { migrationId, source, destination } = initial;
    await this.records.update(initial, { phase1Attempts: initial.phase1Attempts + 1 });
    const sourceData = shareDataDir(b.root, source.pool, source.shareInstanceId);
    const destinationData = shareDataDir(destination.root, destination.pool, destination.shareInstanceId);
    const step = { source: sourceData, destination: destinationData, checkpointPath: join(this.records.workDir(migrationId), 'phase1.checkpoint'), finish: () => copyRootMetadata(sourceData, destinationData) };
    this.copies.start(migrationId, [step], {
      done: async (phase1) => {
        await this.records.updateIf(migrationId, 'copying', { phase: 'phase1_done', phase1 });
        b.logger.info({ migrationId, bytes: phase1.bytesCopied, filesCopied: phase1.filesCopied, filesSkipped: phase1.filesSkipped, resumed: phase1.resumed }, 'migration phase 1 done');
      },
      failed: async (error) => {
        const message = `migration ${migrationId} phase 1 copy from ${sourceData} to ${destinationData} failed: ${error.message}`;
        b.logger.error({ migrationId, err: error }, 'migration phase 1 failed');
        await this.records.updateIf(migrationId, 'copying', { phase: 'failed', error: message });
      },
    });
  }

  /** Copies one source snapshot to its destination id in the peer's tree (skipped when already there). */
  private async copySnapshot(record: MigrationRecord, sourceSnap: string, destinationSnap: string, signal: AbortSignal): Promise<string> {
    const b = this.backend;
    const { root, pool, shareInstanceId } = record.destination;
    const peer = new MetadataStore(root);
    const target = snapshotDir(root, pool, destinationSnap);
    if ((await peer.readSnapshot(pool, destinationSnap)) !== undefined) return target;
    const found = await this.shares.findSnapshot(sourceSnap);
    if (found === undefined) throw new Error(`source snapshot instance ${sourceSnap} is gone from ${b.root}`);
    await rm(target, { recursive: true, force: true });
    await copyIntoPlace(b.copier, snapshotDataDir(b.root, found.pool, sourceSnap), snapshotDataDir(root, pool, destinationSnap), { verify: 'xxh128' }, signal);
    await peer.writeSnapshot(pool, { version: 1, snapshotInstanceId: destinationSnap, snapshotId: found.record.snapshotId, shareInstanceId, sizeGib: found.record.sizeGib, createdAt: found.record.createdAt });
    return target;
  }
}

function completeResponse(result: CompleteResult): DeepPartial<MigrationCompleteResponse> {
  const snapshotUpdates: Record<string, { providerLocation: string }> = {};
  for (const [id, location] of Object.entries(result.snapshotLocations)) snapshotUpdates[id] = { providerLocation: location };
  return { exportLocations: [{ path: result.exportPath, isAdminOnly: false, metadata: { preferred: 'true' } }], snapshotUpdates };
}

function withoutFreeze(record: InstanceRecord): InstanceRecord {
  const { frozenByMigration: _frozen, ...rest } = record;
  return rest;
}

/** Removes a destination instance from a peer's tree unless its plugin already adopted it (or it belongs to another migration). */
async function removeUnadoptedInstance(root: string, pool: string, id: string, migrationId: string | undefined): Promise<void> {
  const record = await new MetadataStore(root).readInstance(pool, id);
  if (record !== undefined) {
    if (record.migration === undefined || record.migration.state === 'adopted') return;
    if (migrationId !== undefined && record.migration.migrationId !== migrationId) return;
  }
  await rm(shareDir(root, pool, id), { recursive: true, force: true });
}
