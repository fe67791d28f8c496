/**
 * Volume migration for the block plugin: MigrateVolume on the SOURCE back end (a real move of
 * the image between this back end's pools, or into the pool of a peer block back end reached
 * through destination_peer.properties.root) and UpdateMigratedVolume on the DESTINATION back
 * end after ferry's generic migration (rename the temporary object to the user's volume id).
 *
 * MigrateVolume, crash-safe by a journal (`migrations/<id>.json`, also its replay record):
 *
 *   1. journal phase `moving` (names source and destination)
 *   2. destination record written with `incomingMigrationId` (invisible to the destination's
 *      RPCs, counted against its pool)
 *   3. image moved: one rename on the same file system, else a sparse copy into `.partial`,
 *      fsync, rename into place (the source image stays until step 5)
 *   4. journal phase `moved`: the commit point
 *   5. destination record made visible; source record (and in copy mode source image) removed
 *   6. journal phase `done`: from now on it only answers replays
 *
 * A process killed before step 4 is rolled BACK at start (the image is where ferry's record
 * says it is, and a replay of the same migration_id runs the move again); killed after it, it
 * is rolled FORWARD (a replay answers moved = true). The peer learns about the volume by
 * reading its own pool directory: records are one file per object, read on every call, so a
 * record the source plugin wrote there is the peer's from step 5 on (the way localfs's share
 * migration writes instance.json into its peer's tree).
 */
import { createHash } from 'node:crypto';
import { realpath, rm } from 'node:fs/promises';
import { AlreadyExistsError, FerryError, InternalError, MissingFieldError, NotFoundError, ResourceExhaustedError, UnavailableError } from '../../src/domain/errors.js';
import type { PeerInfo } from '../../src/contract/gen/ferry/driver/v1/common.js';
import type {
  MigrateVolumeRequest,
  MigrateVolumeResponse,
  UpdateMigratedVolumeRequest,
  UpdateMigratedVolumeResponse,
} from '../../src/contract/gen/ferry/driver/v1/volume.js';
import type { DeepPartial, DriverContext } from '../sdk/index.js';
import { BlockBackend, objectLock, required, type VolumeRef } from './backend.js';
import { pathExists, renameDurably } from '../sdk/durable-files.js';
import { PLUGIN_NAME } from './identity.js';
import { allocatedBytes, copySparse, fileSystemBytes, isDirectory, sameFileSystem } from './images.js';
import { checkName, partialOf, poolDir, volumeImage } from './layout.js';
import { PEER_CAPACITY_PREFIX, PEER_ROOT } from './pool-service.js';
import { RecordStore, type MigrateAnswer, type MigrationRecord, type UpdateRecord, type VolumeRecord } from './records.js';

/** Where a move goes, once the peer is known to be reachable and of this plugin. */
interface Target {
  readonly root: string;
  readonly pool: string;
  readonly store: RecordStore;
  readonly isSelf: boolean;
  /** The destination pool's configured capacity, when it has one. */
  readonly capacityGib: number | undefined;
}

const NOT_MOVED: MigrateAnswer = { moved: false };

export class MigrationService {
  constructor(private readonly backend: BlockBackend) {}

  /** SOURCE side. Idempotent by migration_id: a replay answers the same; other arguments are ALREADY_EXISTS. */
  migrateVolume(req: MigrateVolumeRequest, ctx: DriverContext): Promise<DeepPartial<MigrateVolumeResponse>> {
    const b = this.backend;
    const migrationId = checkName('migration_id', required(req.migrationId, 'migration_id'));
    const ref = b.volumeRef('volume', req.volume);
    const destinationHost = required(req.destinationHost, 'destination_host');
    const destinationPool = checkName('destination_pool', required(req.destinationPool, 'destination_pool'));
    if (req.destinationPeer === undefined) throw new MissingFieldError('destination_peer');
    const peer = req.destinationPeer;
    const fingerprint = createHash('sha256')
      .update([ref.volumeId, ref.name, ref.pool, destinationHost, destinationPool, peer.pluginName, peer.properties[PEER_ROOT] ?? ''].join('\0'))
      .digest('hex')
      .slice(0, 16);
    return b.ops.run(`migration:${migrationId}`, async () => {
      const existing = await b.store.readMigration(migrationId);
      if (existing !== undefined) {
        if (existing.fingerprint !== fingerprint) throw new AlreadyExistsError(`migration ${migrationId} was run with other arguments`, { migrationId });
        if (existing.phase === 'done') return existing.answer;
        if (existing.phase === 'moved') {
          await this.finish(existing);
          return existing.answer;
        }
        // A move a killed process left half done that start-up could not undo (peer away then).
        await this.rollBack(existing);
      }
      const answer = await this.migrate(migrationId, fingerprint, ref, destinationHost, destinationPool, peer, ctx);
      return answer;
    });
  }

  private async migrate(migrationId: string, fingerprint: string, ref: VolumeRef, destinationHost: string, destinationPool: string, peer: PeerInfo, ctx: DriverContext): Promise<MigrateAnswer> {
    const b = this.backend;
    const now = new Date().toISOString();
    const notMoved = async (why: string): Promise<MigrateAnswer> => {
      b.logger.info({ migrationId, volumeId: ref.volumeId, destinationHost, why }, 'not moved: ferry runs the generic migration');
      await b.store.writeMigration({ version: 1, migrationId, fingerprint, phase: 'done', answer: NOT_MOVED, createdAt: now, updatedAt: now });
      return NOT_MOVED;
    };
    // Another vendor's back end: its layout is not ours to write (PeerInfo: plugin_name).
    if (peer.pluginName !== PLUGIN_NAME) return notMoved(`the destination runs ${peer.pluginName || 'an unnamed plugin'}, not ${PLUGIN_NAME}`);

    return b.withLock(objectLock(ref.pool, ref.name), async () => {
      const volume = await b.requireVolume(ref);
      const target = await this.resolveTarget(peer, destinationPool);
      if (typeof target === 'string') return notMoved(target);
      const host = `${destinationHost}#${destinationPool}`;
      const destinationImage = volumeImage(target.root, target.pool, ref.name);
      const moved: MigrateAnswer = { moved: true, modelUpdate: { host, nameId: '', providerLocation: destinationImage } };
      if (target.isSelf && target.pool === ref.pool) {
        await b.store.writeMigration({ version: 1, migrationId, fingerprint, phase: 'done', answer: moved, createdAt: now, updatedAt: now });
        return moved;
      }
      if (volume.attachment !== undefined) return notMoved(`attached to data node ${volume.attachment.dataNode}`);
      // Snapshots are images beside their volume in its pool; moving them along is possible but
      // ferry never migrates a volume that has snapshots (manila-migration-behaviour 7), so the
      // plugin does not either.
      if ((await b.store.listSnapshots(ref.pool)).some((s) => s.volumeName === ref.name)) return notMoved('the volume has snapshots');
      if ((await target.store.readVolume(target.pool, ref.name)) !== undefined || (await pathExists(destinationImage))) {
        return notMoved(`an object named ${ref.name} already exists in the destination pool`);
      }
      await b.checkCapacity(target.pool, volume.sizeGib, target.capacityGib, target.store);
      const sourceImage = b.image(ref.pool, ref.name);
      const mode = (await sameFileSystem(poolDir(b.root, ref.pool), poolDir(target.root, target.pool))) ? 'rename' : 'copy';
      if (mode === 'copy') {
        const needed = await allocatedBytes(sourceImage);
        const { freeBytes } = await fileSystemBytes(poolDir(target.root, target.pool));
        if (needed > freeBytes) throw new ResourceExhaustedError(`the destination pool ${target.pool} has ${freeBytes} bytes free; the image holds ${needed}`, { pool: target.pool, freeGib: String(Math.floor(freeBytes / 1024 ** 3)) });
      }

      const journal: MigrationRecord = {
        version: 1,
        migrationId,
        fingerprint,
        phase: 'moving',
        answer: moved,
        move: { mode, name: ref.name, sourcePool: ref.pool, destinationRoot: target.root, destinationPool: target.pool },
        createdAt: now,
        updatedAt: now,
      };
      await b.store.writeMigration(journal);
      try {
        const { attachment: _none, ...detached } = volume;
        await target.store.writeVolume({ ...detached, pool: target.pool, incomingMigrationId: migrationId, createdAt: now });
        if (mode === 'rename') await renameDurably(sourceImage, destinationImage);
        else await copySparse(sourceImage, destinationImage, ctx.signal);
      } catch (error) {
        await this.rollBack(journal).catch((undo: unknown) => b.logger.error({ err: undo, migrationId }, 'could not undo the failed move; start-up retries'));
        if (error instanceof FerryError) throw error;
        throw new InternalError(`moving volume ${ref.volumeId} to ${host} failed: ${(error as Error).message}`, { reason: 'BACKEND_ERROR', metadata: { volumeId: ref.volumeId }, cause: error });
      }
      const committed: MigrationRecord = { ...journal, phase: 'moved', updatedAt: new Date().toISOString() };
      await b.store.writeMigration(committed);
      await this.finish(committed);
      b.logger.info({ migrationId, volumeId: ref.volumeId, host, mode }, 'volume moved');
      return moved;
    });
  }

  /**
   * The destination as this process reaches it, or why the driver cannot move there (a string:
   * answered with moved = false so ferry copies through its data node instead). A pool the
   * destination does not have is NOT_FOUND (POOL_NOT_FOUND).
   */
  private async resolveTarget(peer: PeerInfo, pool: string): Promise<Target | string> {
    const b = this.backend;
    const published = peer.properties[PEER_ROOT];
    if (published === undefined || published === '') return 'the destination published no root in migration_peer_info';
    let root: string;
    try {
      root = await realpath(published);
    } catch {
      return `the destination root ${published} is not reachable from here (another machine?)`;
    }
    const isSelf = root === (await realpath(b.root));
    if (isSelf) {
      b.requirePool(pool);
      return { root: b.root, pool, store: b.store, isSelf, capacityGib: b.config.capacityGib[pool] };
    }
    if (!(await isDirectory(poolDir(root, pool)))) throw new NotFoundError('pool', `${pool} of ${peer.backend || root}`, 'POOL_NOT_FOUND', 'pool');
    const capacity = Number(peer.properties[`${PEER_CAPACITY_PREFIX}${pool}`] ?? '');
    return { root, pool, store: new RecordStore(root), isSelf, capacityGib: Number.isFinite(capacity) && capacity > 0 ? capacity : undefined };
  }

  /** Steps 5 and 6 (idempotent): after the commit point every step only finishes the move. */
  private async finish(journal: MigrationRecord): Promise<void> {
    const b = this.backend;
    const move = journal.move;
    if (move !== undefined) {
      const destination = move.destinationRoot === b.root ? b.store : new RecordStore(move.destinationRoot);
      const incoming = await destination.readVolume(move.destinationPool, move.name);
      if (incoming === undefined && !(await pathExists(volumeImage(move.destinationRoot, move.destinationPool, move.name)))) {
        throw new UnavailableError('PEER_UNAVAILABLE', `the destination ${move.destinationRoot} no longer shows volume ${move.name}; is it mounted?`, { migrationId: journal.migrationId });
      }
      if (incoming?.incomingMigrationId === journal.migrationId) {
        const { incomingMigrationId: _done, ...visible } = incoming;
        await destination.writeVolume(visible);
      }
      const source = await b.store.readVolume(move.sourcePool, move.name);
      if (source !== undefined) {
        if (move.mode === 'copy') await rm(b.image(move.sourcePool, move.name), { force: true });
        await b.store.removeVolume(move.sourcePool, move.name);
      }
    }
    await b.store.writeMigration({ ...journal, phase: 'done', updatedAt: new Date().toISOString() });
  }

  /** Undoes a move before its commit point (idempotent) and forgets it, so a replay runs it afresh. */
  async rollBack(journal: MigrationRecord): Promise<void> {
    const b = this.backend;
    const move = journal.move;
    if (move !== undefined) {
      const sourceImage = b.image(move.sourcePool, move.name);
      const destinationImage = volumeImage(move.destinationRoot, move.destinationPool, move.name);
      if (move.mode === 'rename') {
        if (!(await pathExists(sourceImage)) && (await pathExists(destinationImage))) await renameDurably(destinationImage, sourceImage);
      } else {
        await rm(partialOf(destinationImage), { force: true });
        // Only a copy is removed: the source image must still be there.
        if (await pathExists(sourceImage)) await rm(destinationImage, { force: true });
      }
      const destination = move.destinationRoot === b.root ? b.store : new RecordStore(move.destinationRoot);
      const incoming = await destination.readVolume(move.destinationPool, move.name);
      if (incoming?.incomingMigrationId === journal.migrationId) await destination.removeVolume(move.destinationPool, move.name);
    }
    await b.store.removeMigration(journal.migrationId);
    b.logger.warn({ migrationId: journal.migrationId }, 'an unfinished volume move was rolled back');
  }

  /** Start-up: undo every move killed before its commit point, finish every one killed after it. */
  async reconcile(): Promise<void> {
    for (const journal of await this.backend.store.listMigrations()) {
      try {
        if (journal.phase === 'moving') await this.rollBack(journal);
        else if (journal.phase === 'moved') await this.finish(journal);
      } catch (error) {
        this.backend.logger.error({ err: error, migrationId: journal.migrationId }, 'could not reconcile a volume move; a replay of the migration retries');
      }
    }
    for (const update of await this.backend.store.listUpdates()) {
      if (update.phase !== 'renaming') continue;
      try {
        await this.finishRename(update);
      } catch (error) {
        this.backend.logger.error({ err: error, volumeId: update.volumeId }, 'could not finish a post-migration rename; a replay retries');
      }
    }
  }

  /**
   * DESTINATION side, after ferry's generic migration. Renames the temporary object
   * (`volume-<new_volume>.img`) to `volume-<volume_id>.img` and answers name_id '' (cleared)
   * when the original volume was available, the temporary one is detached and has no
   * snapshots, and that name is free in the pool; otherwise keeps the temporary name (name_id =
   * the temporary object's name), like Cinder's LVM driver. Idempotent by (volume_id,
   * new_volume.volume_id).
   */
  updateMigratedVolume(req: UpdateMigratedVolumeRequest, _ctx: DriverContext): Promise<DeepPartial<UpdateMigratedVolumeResponse>> {
    const b = this.backend;
    const ref = b.volumeRef('volume', req.volume);
    const temporary = b.volumeRef('new_volume', req.newVolume);
    const key = `update:${ref.volumeId}:${temporary.volumeId}`;
    return b.ops.run(key, () =>
      b.withLock(objectLock(temporary.pool, temporary.name), async () => {
        const existing = await b.store.readUpdate(ref.volumeId, temporary.volumeId);
        if (existing?.phase === 'done') return existing.answer;
        if (existing?.phase === 'renaming') return (await this.finishRename(existing)).answer;
        const record = await b.requireVolume(temporary);
        const pool = temporary.pool;
        const toName = ref.volumeId;
        const keep = { nameId: temporary.name, providerLocation: b.image(pool, temporary.name) };
        const base = { version: 1 as const, volumeId: ref.volumeId, newVolumeId: temporary.volumeId, pool, fromName: temporary.name, createdAt: new Date().toISOString() };
        const why = await this.renameRefusal(req.originalVolumeStatus, record, toName);
        if (why !== undefined) {
          b.logger.info({ volumeId: ref.volumeId, newVolumeId: temporary.volumeId, why }, 'temporary name kept');
          await b.store.writeUpdate({ ...base, toName: temporary.name, phase: 'done', answer: keep });
          return keep;
        }
        const update: UpdateRecord = { ...base, toName, phase: 'renaming', answer: { nameId: '', providerLocation: b.image(pool, toName) } };
        if (temporary.name === toName) {
          await b.store.writeUpdate({ ...update, phase: 'done' });
          return update.answer;
        }
        await b.store.writeUpdate(update);
        try {
          return (await b.withLock(objectLock(pool, toName), () => this.finishRename(update))).answer;
        } catch (error) {
          throw new InternalError(`renaming ${temporary.name} to ${toName} in pool ${pool} failed: ${(error as Error).message}`, { reason: 'BACKEND_ERROR', metadata: { volumeId: ref.volumeId }, cause: error });
        }
      }),
    );
  }

  private async renameRefusal(originalStatus: string, record: VolumeRecord, toName: string): Promise<string | undefined> {
    const b = this.backend;
    if (record.name === toName) return undefined;
    if (originalStatus !== 'available') return `the original volume was ${originalStatus || 'of unknown status'}, its consumer may hold the object`;
    if (record.attachment !== undefined) return `the temporary volume is attached to data node ${record.attachment.dataNode}`;
    if ((await b.store.listSnapshots(record.pool)).some((s) => s.volumeName === record.name)) return 'the temporary volume has snapshots';
    if ((await b.store.readVolume(record.pool, toName)) !== undefined || (await pathExists(b.image(record.pool, toName)))) return `${toName} is taken in pool ${record.pool}`;
    return undefined;
  }

  /** The rename's steps, each idempotent: record under the new name, image, old record, journal done. */
  private async finishRename(update: UpdateRecord): Promise<UpdateRecord> {
    const b = this.backend;
    const { pool, fromName, toName } = update;
    const from = await b.store.readVolume(pool, fromName);
    if ((await b.store.readVolume(pool, toName)) === undefined) {
      if (from === undefined) throw new InternalError(`neither ${fromName} nor ${toName} has a record in pool ${pool}`, { reason: 'BACKEND_ERROR' });
      await b.store.writeVolume({ ...from, name: toName, volumeId: update.volumeId });
    }
    if ((await pathExists(b.image(pool, fromName))) && !(await pathExists(b.image(pool, toName)))) await renameDurably(b.image(pool, fromName), b.image(pool, toName));
    if (from !== undefined) await b.store.removeVolume(pool, fromName);
    const done: UpdateRecord = { ...update, phase: 'done' };
    await b.store.writeUpdate(done);
    b.logger.info({ volumeId: update.volumeId, newVolumeId: update.newVolumeId, pool }, 'temporary volume renamed to the volume id');
    return done;
  }
}
