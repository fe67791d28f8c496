/**
 * Volume snapshots for the block plugin: a snapshot is a sparse copy of its volume's image
 * (`snapshot-<id>.img` in the volume's pool; a reflink where the file system offers one), made
 * into a `.partial` file and renamed into place, so a snapshot image only exists complete. It is
 * point-in-time for the image as the data node left it: ferry snapshots volumes that are not
 * being written through this plugin (an attached volume is copied as it is at that moment).
 */
import { rm } from 'node:fs/promises';
import { AlreadyExistsError, MissingFieldError, ResourceExhaustedError } from '../../src/domain/errors.js';
import type {
  CreateVolumeSnapshotRequest,
  CreateVolumeSnapshotResponse,
  DeleteVolumeSnapshotRequest,
  DeleteVolumeSnapshotResponse,
  VolumeSnapshot,
} from '../../src/contract/gen/ferry/driver/v1/volume.js';
import type { DeepPartial, DriverContext } from '../sdk/index.js';
import { BlockBackend, objectLock } from './backend.js';
import { allocatedBytes, copySparse, fileSystemBytes } from './images.js';
import { checkName, partialOf, snapshotImage } from './layout.js';
import type { SnapshotRecord } from './records.js';

export class SnapshotService {
  constructor(private readonly backend: BlockBackend) {}

  /** Idempotent by snapshot_id; the same id for another volume is ALREADY_EXISTS. */
  createVolumeSnapshot(req: CreateVolumeSnapshotRequest, ctx: DriverContext): Promise<DeepPartial<CreateVolumeSnapshotResponse>> {
    const b = this.backend;
    const snapshotId = snapshotIdOf(req.snapshot);
    const ref = b.volumeRef('volume', req.volume);
    return b.ops.run(`snapshot:${snapshotId}`, () =>
      b.withLock(objectLock(ref.pool, ref.name), async () => {
        const volume = await b.requireVolume(ref);
        const image = snapshotImage(b.root, ref.pool, snapshotId);
        const existing = await b.store.readSnapshot(ref.pool, snapshotId);
        if (existing !== undefined && existing.volumeName !== ref.name) {
          throw new AlreadyExistsError(`snapshot ${snapshotId} already exists of volume ${existing.volumeId}`, { snapshotId });
        }
        if (existing?.state === 'ready') return { providerLocation: image };
        // Not thin-provisioned against the pool's capacity, but the bytes must fit on the disk.
        const needed = await allocatedBytes(b.image(ref.pool, ref.name));
        const { freeBytes } = await fileSystemBytes(b.root);
        if (needed > freeBytes) throw new ResourceExhaustedError(`pool ${ref.pool} has ${freeBytes} bytes free; the snapshot needs ${needed}`, { pool: ref.pool, freeGib: String(Math.floor(freeBytes / 1024 ** 3)) });
        const record: SnapshotRecord = { version: 1, snapshotId, volumeName: ref.name, volumeId: ref.volumeId, pool: ref.pool, sizeGib: volume.sizeGib, state: 'creating', createdAt: new Date().toISOString() };
        await b.store.writeSnapshot(record);
        await copySparse(b.image(ref.pool, ref.name), image, ctx.signal);
        await b.store.writeSnapshot({ ...record, state: 'ready' });
        b.logger.info({ snapshotId, volumeId: ref.volumeId, pool: ref.pool }, 'volume snapshot created');
        return { providerLocation: image };
      }),
    );
  }

  /** Unknown snapshots are OK. Marks the record deleting, removes the image, then the record. */
  deleteVolumeSnapshot(req: DeleteVolumeSnapshotRequest, _ctx: DriverContext): Promise<DeepPartial<DeleteVolumeSnapshotResponse>> {
    const b = this.backend;
    const snapshotId = snapshotIdOf(req.snapshot);
    const ref = b.volumeRef('volume', req.volume);
    if (!b.config.pools.includes(ref.pool)) return Promise.resolve({});
    return b.ops.run(`snapshot:${snapshotId}`, () =>
      b.withLock(objectLock(ref.pool, ref.name), async () => {
        const record = await b.store.readSnapshot(ref.pool, snapshotId);
        if (record === undefined) return {};
        await this.removeSnapshot(record);
        b.logger.info({ snapshotId, pool: ref.pool }, 'volume snapshot deleted');
        return {};
      }),
    );
  }

  async removeSnapshot(record: SnapshotRecord): Promise<void> {
    const b = this.backend;
    if (record.state !== 'deleting') await b.store.writeSnapshot({ ...record, state: 'deleting' });
    const image = snapshotImage(b.root, record.pool, record.snapshotId);
    await rm(partialOf(image), { force: true });
    await rm(image, { force: true });
    await b.store.removeSnapshot(record.pool, record.snapshotId);
  }
}

function snapshotIdOf(snapshot: VolumeSnapshot | undefined): string {
  if (snapshot === undefined) throw new MissingFieldError('snapshot');
  if (snapshot.snapshotId === '') throw new MissingFieldError('snapshot.snapshot_id');
  return checkName('snapshot.snapshot_id', snapshot.snapshotId);
}
