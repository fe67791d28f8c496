/**
 * VolumeService for the block plugin: volumes as sparse raw images, their attachment to
 * ferry's data node for host copies, and retype. Every handler validates its fields first
 * (naming them), takes its idempotency key (an overlapping call with the same key answers
 * ABORTED), then changes records and images under the object's lock, record first, so a
 * `kill -9` at any point leaves something start-up reconciliation understands (driver.ts).
 */
import { rm } from 'node:fs/promises';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError } from '../../src/domain/errors.js';
import type {
  AttachVolumeRequest,
  AttachVolumeResponse,
  CreateVolumeRequest,
  CreateVolumeResponse,
  DeleteVolumeRequest,
  DeleteVolumeResponse,
  DetachVolumeRequest,
  DetachVolumeResponse,
  RetypeVolumeRequest,
  RetypeVolumeResponse,
  VolumeTypeDiff,
} from '../../src/contract/gen/ferry/driver/v1/volume.js';
import type { DeepPartial, DriverContext } from '../sdk/index.js';
import { BlockBackend, objectLock, required, type VolumeRef } from './backend.js';
import { createSparseImage } from './images.js';
import type { VolumeRecord } from './records.js';

/**
 * Extra specs whose change means "another back end" (Cinder's _can_use_driver_migration):
 * retype cannot do it in place.
 */
export const BACKEND_SPECS: readonly string[] = ['volume_backend_name', 'RESKEY:availability_zones'];

/** Whether a retype diff changes anything but what an in-place retype of an image can honour. */
export function diffMovesBackend(diff: VolumeTypeDiff | undefined): boolean {
  const changes = diff?.extraSpecs ?? {};
  return BACKEND_SPECS.some((key) => changes[key] !== undefined && changes[key].oldValue !== changes[key].newValue);
}

export class VolumeService {
  constructor(private readonly backend: BlockBackend) {}

  /** Idempotent by volume_id: a replay answers the same; other size or pool is ALREADY_EXISTS. */
  createVolume(req: CreateVolumeRequest, _ctx: DriverContext): Promise<DeepPartial<CreateVolumeResponse>> {
    const b = this.backend;
    const ref = b.volumeRef('volume', req.volume);
    const sizeGib = req.volume!.sizeGib;
    if (!Number.isSafeInteger(sizeGib) || sizeGib < 1) throw new InvalidArgumentError('volume.size_gib', `must be an integer >= 1, got ${sizeGib}`);
    b.requirePool(ref.pool);
    return b.ops.run(objectLock(ref.pool, ref.name), () =>
      b.withLock(objectLock(ref.pool, ref.name), async () => {
        const existing = await b.store.readVolume(ref.pool, ref.name);
        if (existing?.incomingMigrationId !== undefined) {
          throw new AlreadyExistsError(`volume ${ref.name} is being moved into pool ${ref.pool} by migration ${existing.incomingMigrationId}`, { volumeId: ref.volumeId });
        }
        if (existing?.state === 'ready') {
          if (existing.sizeGib !== sizeGib) throw new AlreadyExistsError(`volume ${ref.name} already exists with ${existing.sizeGib} GiB in pool ${ref.pool}; ${sizeGib} GiB requested`, { volumeId: ref.volumeId });
          return { providerLocation: b.image(ref.pool, ref.name) };
        }
        for (const pool of b.config.pools.filter((p) => p !== ref.pool)) {
          const other = await b.store.readVolume(pool, ref.name);
          if (other?.state === 'ready') throw new AlreadyExistsError(`volume ${ref.name} already exists in pool ${pool}; pool ${ref.pool} requested`, { volumeId: ref.volumeId });
        }
        // A 'creating' or 'deleting' record is a call a killed process left half done: start over.
        await b.checkCapacity(ref.pool, existing === undefined ? sizeGib : sizeGib - existing.sizeGib);
        const record: VolumeRecord = { version: 1, name: ref.name, volumeId: ref.volumeId, pool: ref.pool, sizeGib, state: 'creating', createdAt: new Date().toISOString() };
        await b.store.writeVolume(record);
        await createSparseImage(b.image(ref.pool, ref.name), sizeGib);
        await b.store.writeVolume({ ...record, state: 'ready' });
        b.logger.info({ volumeId: ref.volumeId, name: ref.name, pool: ref.pool, sizeGib }, 'volume created');
        return { providerLocation: b.image(ref.pool, ref.name) };
      }),
    );
  }

  /**
   * Unknown volumes are OK. Refused (FAILED_PRECONDITION, RESOURCE_IN_USE) while attached to a
   * data node or while it has snapshots (their images are copies of it, Cinder refuses too).
   */
  deleteVolume(req: DeleteVolumeRequest, _ctx: DriverContext): Promise<DeepPartial<DeleteVolumeResponse>> {
    const b = this.backend;
    const ref = b.volumeRef('volume', req.volume);
    if (!b.config.pools.includes(ref.pool)) return Promise.resolve({});
    return b.ops.run(objectLock(ref.pool, ref.name), () =>
      b.withLock(objectLock(ref.pool, ref.name), async () => {
        const record = await b.store.readVolume(ref.pool, ref.name);
        // An incoming record belongs to a peer's migration still in flight: not ours to delete.
        if (record === undefined || record.incomingMigrationId !== undefined) return {};
        if (record.attachment !== undefined) throw attachedError(ref, record.attachment.dataNode);
        const snapshots = (await b.store.listSnapshots(ref.pool)).filter((s) => s.volumeName === ref.name);
        if (snapshots.length > 0) {
          throw new FailedPreconditionError('RESOURCE_IN_USE', `volume ${ref.volumeId} still has snapshots ${snapshots.map((s) => s.snapshotId).join(', ')}; delete them first`, { volumeId: ref.volumeId });
        }
        await this.removeVolume(record);
        b.logger.info({ volumeId: ref.volumeId, name: ref.name, pool: ref.pool }, 'volume deleted');
        return {};
      }),
    );
  }

  /** Marks the record deleting, removes the image, then the record (finished at start after a crash). */
  async removeVolume(record: VolumeRecord): Promise<void> {
    const b = this.backend;
    if (record.state !== 'deleting') await b.store.writeVolume({ ...record, state: 'deleting' });
    await rm(b.image(record.pool, record.name), { force: true });
    await b.store.removeVolume(record.pool, record.name);
  }

  /**
   * Exposes the image to ferry's data node: `file_path` is the image itself and holes read as
   * zeros (sparse_supported). Idempotent by (volume, data_node); another data node is
   * RESOURCE_IN_USE. read_only is recorded (the latest attach on the same node wins); a file
   * cannot refuse root's writes, so it is the data node's promise, not an enforcement.
   */
  attachVolume(req: AttachVolumeRequest, _ctx: DriverContext): Promise<DeepPartial<AttachVolumeResponse>> {
    const b = this.backend;
    const ref = b.volumeRef('volume', req.volume);
    const dataNode = required(req.dataNode, 'data_node');
    return b.ops.run(objectLock(ref.pool, ref.name), () =>
      b.withLock(objectLock(ref.pool, ref.name), async () => {
        const record = await b.requireVolume(ref);
        const attached = record.attachment;
        if (attached !== undefined && attached.dataNode !== dataNode) throw attachedError(ref, attached.dataNode);
        if (attached?.readOnly !== req.readOnly) await b.store.writeVolume({ ...record, attachment: { dataNode, readOnly: req.readOnly } });
        return { filePath: b.image(ref.pool, ref.name), sparseSupported: true };
      }),
    );
  }

  /** Idempotent: a volume not attached to that node, or unknown, is OK. */
  detachVolume(req: DetachVolumeRequest, _ctx: DriverContext): Promise<DeepPartial<DetachVolumeResponse>> {
    const b = this.backend;
    const ref = b.volumeRef('volume', req.volume);
    const dataNode = required(req.dataNode, 'data_node');
    return b.ops.run(objectLock(ref.pool, ref.name), () =>
      b.withLock(objectLock(ref.pool, ref.name), async () => {
        const record = await b.findVolume(ref);
        if (record?.attachment?.dataNode !== dataNode) return {};
        const { attachment: _detached, ...rest } = record;
        await b.store.writeVolume(rest);
        return {};
      }),
    );
  }

  /**
   * In place (retyped = true, nothing to change on an image) unless the diff changes
   * volume_backend_name or RESKEY:availability_zones, or the scheduler picked another pool:
   * then retyped = false and ferry migrates (on-demand) or refuses (never). Changes nothing, so
   * a replay answers the same.
   */
  async retypeVolume(req: RetypeVolumeRequest, _ctx: DriverContext): Promise<DeepPartial<RetypeVolumeResponse>> {
    const b = this.backend;
    const ref = b.volumeRef('volume', req.volume);
    required(req.newVolumeTypeId, 'new_volume_type_id');
    await b.requireVolume(ref);
    const hashAt = req.host.indexOf('#');
    const otherPool = hashAt >= 0 && req.host.slice(hashAt + 1) !== ref.pool;
    const retyped = !otherPool && !diffMovesBackend(req.diff);
    b.logger.info({ volumeId: ref.volumeId, newVolumeTypeId: req.newVolumeTypeId, retyped }, 'retype');
    return { retyped };
  }
}

function attachedError(ref: VolumeRef, dataNode: string): FailedPreconditionError {
  return new FailedPreconditionError('RESOURCE_IN_USE', `volume ${ref.volumeId} is attached to data node ${dataNode}; detach it first`, { volumeId: ref.volumeId, dataNode });
}
