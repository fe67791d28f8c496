/**
 * Share-server migration for localfs (driverHandlesShareServers) between two localfs back ends
 * on the same machine. Every ShareServerMigration* RPC is called on this, the DESTINATION,
 * plugin; it reads the source back end's tree directly, through the root that
 * `source_peer.properties.root` (the source's ListPools migration_peer_info) names. The share
 * instances and snapshot instances keep their ids; each lands in the pool of the same name
 * here, or in this back end's first pool when there is none.
 *
 * ```
 *   Start ──► record server-migrations/<id>.json (phase copying) ──► background copy, one tree
 *     │        after another: each instance's data, then each snapshot (into data.partial,
 *     │        renamed when whole); xxh128-verified, checkpointed; the source stays writable
 *     ▼
 *   Continue ── false while copying; true once every tree is copied (phase1_done)
 *     │         a failed copy ──► INTERNAL BACKEND_ERROR naming both paths
 *     ▼
 *   Complete ── source exports frozen read-only ──► final sync of each instance (mirror:
 *     │         copies changes, deletes deletions) ──► missing snapshots copied ──► instances
 *     │         and snapshots adopted here (records with the destination server, exports per
 *     │         their carried rules) ──► result saved ──► source exports unmounted, source
 *     │         instances and snapshots removed ──► phase completed
 *     ▼
 *   TeardownShareServer of the source server, on the source plugin: it holds nothing any more.
 *
 *   Cancel (until Complete saved its result): abort the copy, remove everything written here,
 *   lift the freeze of the source exports (if Complete had begun), phase cancelled.
 * ```
 *
 * Every step persists the record before acting, so `kill -9` at any point is safe: at start
 * the plugin resumes a phase-1 copy from its checkpoints, and ferry's replay of Complete or
 * Cancel picks up where the previous call stopped (each of their steps is idempotent).
 */
import { access, constants, mkdir, realpath, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  FerryError,
  InternalError,
  InvalidArgumentError,
  MissingFieldError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
} from '../../src/domain/errors.js';
import type { PeerInfo } from '../../src/contract/gen/ferry/driver/v1/common.js';
import type {
  ShareServerMigrationCancelRequest,
  ShareServerMigrationCheckCompatibilityRequest,
  ShareServerMigrationCheckCompatibilityResponse,
  ShareServerMigrationCompleteRequest,
  ShareServerMigrationCompleteResponse,
  ShareServerMigrationContinueRequest,
  ShareServerMigrationContinueResponse,
  ShareServerMigrationGetProgressRequest,
  ShareServerMigrationGetProgressResponse,
  ShareServerMigrationStartRequest,
  ShareServerMigrationStartResponse,
} from '../../src/contract/gen/ferry/driver/v1/share_server.js';
import type { DeepPartial, DriverContext } from '../sdk/index.js';
import { BackendRoot, type LocalFsBackend } from './backend.js';
import { READ_ONLY_ENFORCEMENTS, type ReadOnlyEnforcement } from './config.js';
import { copyIntoPlace, copyRootMetadata, partialOf, placePartial } from './copier.js';
import { fileSystemBytes, GIB, usedBytes } from './disk.js';
import { PLUGIN_NAME } from './identity.js';
import { checkName, exportPath, serverMigrationsDir, shareDataDir, shareDir, snapshotDataDir, snapshotDir } from './layout.js';
import type { InstanceRecord, ServerCompleteResult, ServerMigrationRecord } from './metadata-store.js';
import { fingerprintOf, isDirectory, migrationIdOf, PhaseOneMigrations, wrongPhase, type CopyStep } from './migration-common.js';
import type { ServerLeftovers } from './share-server-service.js';

type Share = ServerMigrationRecord['shares'][number];
type Snapshot = ServerMigrationRecord['snapshots'][number];

export class ServerMigrationService extends PhaseOneMigrations<ServerMigrationRecord> implements ServerLeftovers {
  constructor(backend: LocalFsBackend) {
    super(backend, serverMigrationsDir(backend.root), 'server migration');
  }

  /** Compatible with a localfs source whose root this plugin can read, and whose server is set up there. */
  async shareServerMigrationCheckCompatibility(req: ShareServerMigrationCheckCompatibilityRequest, _ctx: DriverContext): Promise<DeepPartial<ShareServerMigrationCheckCompatibilityResponse>> {
    const sourceServerId = this.backend.checkServer('share_server', req.shareServer);
    const reasons = await this.peerProblems(req.sourcePeer);
    if (reasons.length === 0) {
      const source = this.sourceRoot(req.sourcePeer!);
      if ((await source.store.readServer(sourceServerId)) === undefined) reasons.push(`source share server ${sourceServerId} is not set up under ${source.root}/servers`);
    }
    if (reasons.length > 0) return { compatible: false, shareNetworkId: req.newShareNetworkId, incompatibilityReasons: reasons };
    // nondisruptive: false -- the export paths change to this back end's, so clients remount.
    return { compatible: true, writable: true, nondisruptive: false, preserveSnapshots: true, migrationCancel: true, migrationGetProgress: true, shareNetworkId: req.newShareNetworkId };
  }

  async shareServerMigrationStart(req: ShareServerMigrationStartRequest, ctx: DriverContext): Promise<DeepPartial<ShareServerMigrationStartResponse>> {
    const b = this.backend;
    const args = this.checkStart(req);
    const { migrationId, sourceServerId, destinationServerId } = args;
    const peerRoot = req.sourcePeer!.properties.root ?? '';
    const fingerprint = fingerprintOf([
      sourceServerId,
      destinationServerId,
      peerRoot,
      args.shares.map((s) => `${s.id}@${s.pool}`).sort().join(','),
      args.snapshots.map((s) => `${s.id}@${s.shareInstanceId}`).sort().join(','),
    ]);

    return this.ops.run(migrationId, async () => {
      const existing = await this.records.read(migrationId);
      if (existing !== undefined) {
        await this.replayStart(existing, fingerprint, 'ShareServerMigrationStart');
        return {};
      }
      await b.requireServer(destinationServerId);
      const problems = await this.peerProblems(req.sourcePeer);
      if (problems.length > 0) throw new FailedPreconditionError('MIGRATION_INCOMPATIBLE', `cannot migrate share server ${sourceServerId} here: ${problems.join('; ')}`, { migrationId });
      const source = this.sourceRoot(req.sourcePeer!);
      if ((await source.store.readServer(sourceServerId)) === undefined) throw new NotFoundError('share server', sourceServerId, 'SHARE_SERVER_NOT_FOUND', 'shareServerId');
      const { shares, snapshots } = await this.plan(args, source);
      await this.checkSpace(shares, snapshots, source);

      const now = new Date().toISOString();
      const record: ServerMigrationRecord = {
        version: 1,
        migrationId,
        fingerprint,
        phase: 'copying',
        sourceShareServerId: sourceServerId,
        destinationShareServerId: destinationServerId,
        source: { root: source.root, backend: req.sourcePeer!.backend, readOnlyEnforcement: this.peerEnforcement(req.sourcePeer!) },
        shares,
        snapshots,
        phase1Attempts: 0,
        createdAt: now,
        updatedAt: now,
      };
      await this.records.write(record); // persist, then act
      await this.startPhase1(record);
      ctx.logger.info({ migrationId, sourceServerId, destinationServerId, shares: shares.length, snapshots: snapshots.length, sourceRoot: source.root }, 'server migration phase 1 started');
      return {};
    });
  }

  async shareServerMigrationContinue(req: ShareServerMigrationContinueRequest, _ctx: DriverContext): Promise<DeepPartial<ShareServerMigrationContinueResponse>> {
    return { phase1Done: await this.continuePhase1(req.migrationId, 'ShareServerMigrationContinue') };
  }

  async shareServerMigrationGetProgress(req: ShareServerMigrationGetProgressRequest, _ctx: DriverContext): Promise<DeepPartial<ShareServerMigrationGetProgressResponse>> {
    const { record, answer } = await this.progressOf(req.migrationId, 'ShareServerMigrationGetProgress');
    return { ...answer, details: { ...answer.details, share_instances: String(record.shares.length), snapshot_instances: String(record.snapshots.length) } };
  }

  async shareServerMigrationComplete(req: ShareServerMigrationCompleteRequest, ctx: DriverContext): Promise<DeepPartial<ShareServerMigrationCompleteResponse>> {
    const migrationId = migrationIdOf(req.migrationId);
    if (req.newNetworkInfo.length === 0) throw new MissingFieldError('new_network_info');
    return this.ops.run(migrationId, async () => {
      let record = await this.records.require(migrationId);
      if (record.phase === 'completed') return completeResponse(this.backend.root, record.result!);
      if (record.phase !== 'phase1_done' && record.phase !== 'completing') throw wrongPhase(migrationId, record.phase, 'ShareServerMigrationComplete');
      const source = this.sourceOf(record);
      if (record.result === undefined) {
        await this.requirePeer(record);
        record = await this.records.update(record, { phase: 'completing' });
        try {
          const result = await this.cutOver(record, source, ctx.signal);
          record = await this.records.update(record, { result, error: undefined });
        } catch (error) {
          if (error instanceof FerryError && error.code === 'CANCELLED') throw error;
          const message = `server migration ${migrationId} cut-over from ${source.root} to ${this.backend.root} failed: ${(error as Error).message}`;
          await this.records.update(record, { error: message });
          throw new InternalError(message, { reason: 'BACKEND_ERROR', metadata: { migrationId }, cause: error });
        }
      }
      // Everything lives here now: remove the source (each step is idempotent, so a replay finishes it).
      try {
        for (const share of record.shares) {
          for (const snap of record.snapshots.filter((s) => s.shareInstanceId === share.shareInstanceId)) {
            await rm(snapshotDir(source.root, snap.sourcePool, snap.snapshotInstanceId), { recursive: true, force: true });
          }
          await source.removeInstance(share.sourcePool, share.shareInstanceId);
        }
      } catch (error) {
        throw new InternalError(`server migration ${migrationId} moved every instance but could not remove the source under ${source.root}: ${(error as Error).message}`, { reason: 'BACKEND_ERROR', metadata: { migrationId }, cause: error });
      }
      record = await this.records.update(record, { phase: 'completed' });
      await rm(this.records.workDir(migrationId), { recursive: true, force: true });
      ctx.logger.info({ migrationId, shares: record.shares.length, snapshots: record.snapshots.length }, 'server migration completed; source instances removed');
      return completeResponse(this.backend.root, record.result!);
    });
  }

  async shareServerMigrationCancel(req: ShareServerMigrationCancelRequest, ctx: DriverContext): Promise<object> {
    const migrationId = migrationIdOf(req.migrationId);
    return this.ops.run(migrationId, async () => {
      const record = await this.records.read(migrationId);
      if (record === undefined || record.phase === 'cancelled') return {}; // nothing was written before the record
      if (record.phase === 'completed' || record.result !== undefined) throw wrongPhase(migrationId, record.phase === 'completed' ? 'completed' : 'completing', 'ShareServerMigrationCancel');
      await this.abandon(record, 'server migration cancelled');
      ctx.logger.info({ migrationId }, 'server migration cancelled; everything it wrote here removed');
      return {};
    });
  }

  /** Teardown of a destination server: unfinished migrations onto it leave nothing behind. */
  async abandonMigrationsOnto(shareServerId: string): Promise<void> {
    for (const record of await this.records.list()) {
      if (record.destinationShareServerId !== shareServerId || record.phase === 'completed' || record.phase === 'cancelled') continue;
      if (record.phase === 'completing' || record.result !== undefined) {
        throw new FailedPreconditionError('RESOURCE_IN_USE', `share server ${shareServerId} is the destination of server migration ${record.migrationId}, which is completing; complete or cancel it first`, {
          shareServerId,
          migrationId: record.migrationId,
        });
      }
      await this.ops.run(record.migrationId, () => this.abandon(record, 'destination share server torn down'));
    }
  }

  // --- helpers ---

  /** Validates Start's fields (INVALID_ARGUMENT naming the field) before anything is read. */
  private checkStart(req: ShareServerMigrationStartRequest) {
    const b = this.backend;
    const migrationId = migrationIdOf(req.migrationId);
    const sourceServerId = b.checkServer('source_share_server', req.sourceShareServer);
    const destinationServerId = b.checkServer('destination_share_server', req.destinationShareServer);
    if (destinationServerId === sourceServerId) throw new InvalidArgumentError('destination_share_server.share_server_id', `is the source server ${sourceServerId}`);
    if (req.sourcePeer === undefined) throw new MissingFieldError('source_peer');
    const shares = req.shareInstances.map((si, i) => {
      const { id, pool } = b.checkInstance(`share_instances[${i}]`, si);
      if (si.shareServerId !== '' && si.shareServerId !== sourceServerId) throw new InvalidArgumentError(`share_instances[${i}].share_server_id`, `is ${si.shareServerId}, not the source server ${sourceServerId}`);
      return { id, pool };
    });
    const shareIds = new Set(shares.map((s) => s.id));
    if (shareIds.size !== shares.length) throw new InvalidArgumentError('share_instances', 'lists a share instance twice');
    const snapshots = req.snapshotInstances.map((snap, i) => {
      if (snap.snapshotInstanceId === '') throw new MissingFieldError(`snapshot_instances[${i}].snapshot_instance_id`);
      const id = checkName(`snapshot_instances[${i}].snapshot_instance_id`, snap.snapshotInstanceId);
      if (!shareIds.has(snap.shareInstanceId)) throw new InvalidArgumentError(`snapshot_instances[${i}].share_instance_id`, `${JSON.stringify(snap.shareInstanceId)} is not one of share_instances`);
      return { id, shareInstanceId: snap.shareInstanceId };
    });
    if (new Set(snapshots.map((s) => s.id)).size !== snapshots.length) throw new InvalidArgumentError('snapshot_instances', 'lists a snapshot instance twice');
    return { migrationId, sourceServerId, destinationServerId, shares, snapshots };
  }

  /**
   * Reads what the source server holds and where each piece goes here. The request must list
   * every instance of the server and every snapshot of those (what is left out would be lost
   * when the source is removed), none of which may exist here yet.
   */
  private async plan(args: ReturnType<ServerMigrationService['checkStart']>, source: BackendRoot): Promise<{ shares: Share[]; snapshots: Snapshot[] }> {
    const b = this.backend;
    const shares: Share[] = [];
    const sourceRecords = new Map<string, InstanceRecord>();
    for (const [i, s] of args.shares.entries()) {
      const record = await source.store.readInstance(s.pool, s.id);
      if (record === undefined) throw new NotFoundError('share instance', s.id, 'SHARE_INSTANCE_NOT_FOUND', 'shareInstanceId');
      if ((record.shareServerId ?? '') !== args.sourceServerId) {
        throw new InvalidArgumentError(`share_instances[${i}]`, `share instance ${s.id} lives on share server ${record.shareServerId || '(none)'} under ${source.root}, not on ${args.sourceServerId}`);
      }
      if (await this.instanceHere(s.id)) throw new AlreadyExistsError(`share instance ${s.id} already exists under ${b.root}`, { shareInstanceId: s.id });
      sourceRecords.set(s.id, record);
      shares.push({ shareInstanceId: s.id, sourcePool: s.pool, pool: b.config.pools.includes(s.pool) ? s.pool : b.config.pools[0]! });
    }
    const left = (await source.store.listAllInstances()).filter((r) => r.shareServerId === args.sourceServerId && !sourceRecords.has(r.shareInstanceId));
    if (left.length > 0) {
      throw new InvalidArgumentError('share_instances', `source share server ${args.sourceServerId} also holds ${left.map((r) => r.shareInstanceId).sort().join(', ')}; a server migration moves every instance of the server`);
    }
    const snapshots: Snapshot[] = [];
    for (const snap of args.snapshots) {
      const share = shares.find((s) => s.shareInstanceId === snap.shareInstanceId)!;
      const record = await source.store.readSnapshot(share.sourcePool, snap.id);
      if (record === undefined || record.shareInstanceId !== snap.shareInstanceId) throw new NotFoundError('snapshot instance', snap.id, 'SNAPSHOT_INSTANCE_NOT_FOUND', 'snapshotInstanceId');
      if (await this.snapshotHere(snap.id)) throw new AlreadyExistsError(`snapshot instance ${snap.id} already exists under ${b.root}`, { snapshotInstanceId: snap.id });
      snapshots.push({ snapshotInstanceId: snap.id, shareInstanceId: snap.shareInstanceId, sourcePool: share.sourcePool, pool: share.pool });
    }
    const listed = new Set(snapshots.map((s) => s.snapshotInstanceId));
    const unlisted = [...sourceRecords.values()].flatMap((r) => r.snapshotInstanceIds.filter((id) => !listed.has(id)));
    if (unlisted.length > 0) throw new InvalidArgumentError('snapshot_instances', `the server's instances also have snapshot instances ${unlisted.sort().join(', ')}; list every one`);
    return { shares, snapshots };
  }

  /** RESOURCE_EXHAUSTED when a pool's configured capacity or this file system cannot take what the source holds. */
  private async checkSpace(shares: readonly Share[], snapshots: readonly Snapshot[], source: BackendRoot): Promise<void> {
    const b = this.backend;
    const perPool = new Map<string, number>();
    for (const share of shares) {
      const record = await source.store.readInstance(share.sourcePool, share.shareInstanceId);
      perPool.set(share.pool, (perPool.get(share.pool) ?? 0) + (record?.sizeGib ?? 0));
    }
    for (const [pool, gib] of perPool) await b.checkCapacity(pool, gib);
    let needed = 0;
    for (const share of shares) needed += await usedBytes(shareDataDir(source.root, share.sourcePool, share.shareInstanceId));
    for (const snap of snapshots) needed += await usedBytes(snapshotDataDir(source.root, snap.sourcePool, snap.snapshotInstanceId));
    const { freeBytes } = await fileSystemBytes(b.root);
    if (freeBytes < needed) {
      const freeGib = (freeBytes / GIB).toFixed(2);
      throw new ResourceExhaustedError(`${b.root} has ${freeGib} GiB free; the source server's instances and snapshots need ${(needed / GIB).toFixed(2)} GiB`, { freeGib });
    }
  }

  /** Why this plugin cannot migrate from the peer (empty: it can). */
  private async peerProblems(peer: PeerInfo | undefined): Promise<string[]> {
    if (peer === undefined) return ['no source_peer given'];
    const reasons: string[] = [];
    if (peer.pluginName !== PLUGIN_NAME) reasons.push(`source plugin ${peer.pluginName || '(unnamed)'} is not ${PLUGIN_NAME}`);
    const enforcement = peer.properties.readOnlyEnforcement;
    if (enforcement !== undefined && !(READ_ONLY_ENFORCEMENTS as readonly string[]).includes(enforcement)) {
      reasons.push(`source back end ${peer.backend} publishes readOnlyEnforcement ${JSON.stringify(enforcement)}, which this plugin does not know`);
    }
    const root = peer.properties.root ?? '';
    if (root === '' || !isAbsolute(root)) {
      reasons.push(`source back end ${peer.backend} publishes no absolute "root" in migration_peer_info`);
    } else if (!(await isDirectory(root))) {
      reasons.push(`source root ${root} is not a directory on this machine`);
    } else if (!(await readable(root))) {
      reasons.push(`source root ${root} is not readable by this plugin`);
    } else if ((await realpath(root)) === (await realpath(this.backend.root))) {
      reasons.push(`source root ${root} is this back end's own root`);
    }
    return reasons;
  }

  /** How the source enforces read-only exports (its own answer; ours when it published none). */
  private peerEnforcement(peer: PeerInfo): ReadOnlyEnforcement {
    const published = peer.properties.readOnlyEnforcement;
    return (READ_ONLY_ENFORCEMENTS as readonly string[]).includes(published ?? '') ? (published as ReadOnlyEnforcement) : this.backend.config.readOnlyEnforcement;
  }

  private sourceRoot(peer: PeerInfo): BackendRoot {
    return new BackendRoot(peer.properties.root!, this.peerEnforcement(peer));
  }

  private sourceOf(record: ServerMigrationRecord): BackendRoot {
    return new BackendRoot(record.source.root, record.source.readOnlyEnforcement);
  }

  /** PEER_UNAVAILABLE when the source root disappeared (unmounted, removed). */
  protected async requirePeer(record: ServerMigrationRecord): Promise<void> {
    if (!(await isDirectory(record.source.root))) {
      throw new UnavailableError('PEER_UNAVAILABLE', `source root ${record.source.root} is not reachable`, { backend: record.source.backend });
    }
  }

  private async instanceHere(id: string): Promise<boolean> {
    for (const pool of this.backend.config.pools) if ((await this.backend.store.readInstance(pool, id)) !== undefined) return true;
    return false;
  }

  private async snapshotHere(id: string): Promise<boolean> {
    for (const pool of this.backend.config.pools) if ((await this.backend.store.readSnapshot(pool, id)) !== undefined) return true;
    return false;
  }

  /** The trees phase 1 copies: each instance's data, then each snapshot (renamed into place when whole). */
  private stepsOf(record: ServerMigrationRecord): CopyStep[] {
    const b = this.backend;
    const work = this.records.workDir(record.migrationId);
    const shareSteps = record.shares.map((share): CopyStep => {
      const source = shareDataDir(record.source.root, share.sourcePool, share.shareInstanceId);
      const destination = shareDataDir(b.root, share.pool, share.shareInstanceId);
      return { source, destination, checkpointPath: join(work, `share-${share.shareInstanceId}.checkpoint`), finish: () => copyRootMetadata(source, destination) };
    });
    const snapshotSteps = record.snapshots.map((snap): CopyStep => {
      const source = snapshotDataDir(record.source.root, snap.sourcePool, snap.snapshotInstanceId);
      const target = snapshotDataDir(b.root, snap.pool, snap.snapshotInstanceId);
      return { source, destination: partialOf(target), checkpointPath: join(work, `snapshot-${snap.snapshotInstanceId}.checkpoint`), alreadyDone: () => isDirectory(target), finish: () => placePartial(source, target) };
    });
    return [...shareSteps, ...snapshotSteps];
  }

  protected async startPhase1(initial: ServerMigrationRecord): Promise<void> {
    const b = this.backend;
    const { migrationId } = initial;
    const record = await this.records.update(initial, { phase1Attempts: initial.phase1Attempts + 1 });
    // Share directories as a create makes them (0755); the copy gives data/ the source's mode.
    for (const share of record.shares) await mkdir(shareDataDir(b.root, share.pool, share.shareInstanceId), { recursive: true, mode: 0o755 });
    this.copies.start(migrationId, this.stepsOf(record), {
      done: async (phase1) => {
        await this.records.updateIf(migrationId, 'copying', { phase: 'phase1_done', phase1 });
        b.logger.info({ migrationId, bytes: phase1.bytesCopied, filesCopied: phase1.filesCopied, filesSkipped: phase1.filesSkipped, resumed: phase1.resumed }, 'server migration phase 1 done');
      },
      failed: async (error, step) => {
        const what = step === undefined ? `from ${record.source.root}` : `from ${step.source} to ${step.destination}`;
        const message = `server migration ${migrationId} phase 1 copy ${what} failed: ${error.message}`;
        b.logger.error({ migrationId, err: error }, 'server migration phase 1 failed');
        await this.records.updateIf(migrationId, 'copying', { phase: 'failed', error: message });
      },
    });
  }

  /**
   * The cut-over, safe to run again from the top: freeze every source export, final sync,
   * snapshots, then adopt everything here. The source is untouched but for the freeze.
   */
  private async cutOver(record: ServerMigrationRecord, source: BackendRoot, signal: AbortSignal): Promise<ServerCompleteResult> {
    const b = this.backend;
    const { migrationId } = record;
    // Nothing changes from here on: clients of the source exports see EROFS.
    for (const share of record.shares) {
      const current = await source.store.readInstance(share.sourcePool, share.shareInstanceId);
      if (current === undefined) throw new Error(`source instance ${share.shareInstanceId} has no record under ${source.root}`);
      const frozen: InstanceRecord = { ...current, frozenByMigration: migrationId };
      await source.store.writeInstance(frozen);
      await source.applyExport(frozen);
    }
    for (const share of record.shares) {
      const from = shareDataDir(source.root, share.sourcePool, share.shareInstanceId);
      const to = shareDataDir(b.root, share.pool, share.shareInstanceId);
      await b.copier.copyTree({ source: from, destination: to, mirror: true, verify: 'xxh128', ignore: [] }, signal).done;
      await copyRootMetadata(from, to);
    }
    for (const snap of record.snapshots) {
      const target = snapshotDataDir(b.root, snap.pool, snap.snapshotInstanceId);
      if (await isDirectory(target)) continue;
      await rm(partialOf(target), { recursive: true, force: true });
      await copyIntoPlace(b.copier, snapshotDataDir(source.root, snap.sourcePool, snap.snapshotInstanceId), target, { verify: 'xxh128' }, signal);
    }

    const result: { shares: Record<string, { exportPath: string; pool: string }>; snapshots: Record<string, string> } = { shares: {}, snapshots: {} };
    for (const snap of record.snapshots) {
      const from = await source.store.readSnapshot(snap.sourcePool, snap.snapshotInstanceId);
      if (from === undefined) throw new Error(`source snapshot instance ${snap.snapshotInstanceId} has no record under ${source.root}`);
      await b.store.writeSnapshot(snap.pool, from);
      result.snapshots[snap.snapshotInstanceId] = snapshotDir(b.root, snap.pool, snap.snapshotInstanceId);
    }
    for (const share of record.shares) {
      const from = await source.store.readInstance(share.sourcePool, share.shareInstanceId);
      if (from === undefined) throw new Error(`source instance ${share.shareInstanceId} has no record under ${source.root}`);
      const { frozenByMigration: _frozen, migration: _migration, ...carried } = from;
      const adopted: InstanceRecord = { ...carried, pool: share.pool, shareServerId: record.destinationShareServerId };
      await b.store.writeInstance(adopted);
      await b.applyExport(adopted);
      result.shares[share.shareInstanceId] = { exportPath: exportPath(b.root, share.shareInstanceId), pool: share.pool };
    }
    return result;
  }

  /** Cancel's work: stop the copy, remove everything written here, lift the source freeze. */
  private async abandon(record: ServerMigrationRecord, reason: string): Promise<void> {
    const b = this.backend;
    const { migrationId } = record;
    await this.copies.abort(migrationId, reason);
    const source = this.sourceOf(record);
    try {
      for (const snap of record.snapshots) await rm(snapshotDir(b.root, snap.pool, snap.snapshotInstanceId), { recursive: true, force: true });
      for (const share of record.shares) await b.own.removeInstance(share.pool, share.shareInstanceId);
      for (const share of record.shares) {
        const current = await source.store.readInstance(share.sourcePool, share.shareInstanceId);
        if (current?.frozenByMigration !== migrationId) continue;
        const { frozenByMigration: _frozen, ...restored } = current;
        await source.store.writeInstance(restored);
        await source.applyExport(restored);
      }
    } catch (error) {
      throw new InternalError(`server migration ${migrationId} could not clean up: ${(error as Error).message}`, { reason: 'BACKEND_ERROR', metadata: { migrationId }, cause: error });
    }
    await this.records.update((await this.records.read(migrationId)) ?? record, { phase: 'cancelled' });
    await rm(this.records.workDir(migrationId), { recursive: true, force: true });
  }
}

/** The saved result as the contract's answer; provider_location is where the instance now lives here (as CreateShareInstance answers). */
function completeResponse(root: string, result: ServerCompleteResult): DeepPartial<ShareServerMigrationCompleteResponse> {
  const shareUpdates: DeepPartial<ShareServerMigrationCompleteResponse>['shareUpdates'] = {};
  for (const [id, share] of Object.entries(result.shares)) {
    shareUpdates[id] = {
      exportLocations: [{ path: share.exportPath, isAdminOnly: false, metadata: { preferred: 'true' } }], poolName: share.pool, providerLocation: shareDir(root, share.pool, id),
    };
  }
  const snapshotUpdates: Record<string, { providerLocation: string }> = {};
  for (const [id, location] of Object.entries(result.snapshots)) snapshotUpdates[id] = { providerLocation: location };
  return { shareUpdates, snapshotUpdates, serverBackendDetails: {} };
}

async function readable(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
