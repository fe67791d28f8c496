/**
 * What every service file shares: the configuration, the records, the per-object locks, and
 * the few helpers several RPCs need (check a request's Volume, find its record, check pool
 * capacity). No gRPC here beyond the FerryErrors the contract names.
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { MissingFieldError, NotFoundError, ResourceExhaustedError } from '../../src/domain/errors.js';
import type { Volume } from '../../src/contract/gen/ferry/driver/v1/common.js';
import { createKeyedOperations, createKeyedQueue, type KeyedOperations } from '../sdk/index.js';
import type { BlockConfig } from './config.js';
import { checkName, migrationsDir, poolDir, updatesDir, volumeImage } from './layout.js';
import { RecordStore, type VolumeRecord } from './records.js';

/** A request's Volume reduced to what locates the back-end object. */
export interface VolumeRef {
  readonly volumeId: string;
  /** The object's name: name_id when set, else volume_id (common.proto Volume.name_id). */
  readonly name: string;
  readonly pool: string;
}

export class BlockBackend {
  readonly store: RecordStore;
  /** One mutating RPC per idempotency key at a time; an overlapping one answers ABORTED. */
  readonly ops: KeyedOperations = createKeyedOperations();

  constructor(
    readonly config: BlockConfig,
    readonly logger: Logger,
  ) {
    this.store = new RecordStore(config.root);
  }

  get root(): string {
    return this.config.root;
  }

  /** Creates the root's layout (idempotent). */
  async prepare(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o755 });
    await mkdir(migrationsDir(this.root), { recursive: true, mode: 0o700 });
    await mkdir(updatesDir(this.root), { recursive: true, mode: 0o700 });
    for (const pool of this.config.pools) await mkdir(poolDir(this.root, pool), { recursive: true, mode: 0o755 });
  }

  /**
   * Validates a request's Volume (INVALID_ARGUMENT naming the field) and says which object it
   * names: name_id when set, else volume_id. After a generic migration ferry deletes the OLD
   * object with volume_id = the temporary id and name_id = the old object's name, so the name,
   * never the volume_id alone, finds the object.
   */
  volumeRef(field: string, volume: Volume | undefined): VolumeRef {
    if (volume === undefined) throw new MissingFieldError(field);
    if (volume.volumeId === '') throw new MissingFieldError(`${field}.volume_id`);
    if (volume.pool === '') throw new MissingFieldError(`${field}.pool`);
    const volumeId = checkName(`${field}.volume_id`, volume.volumeId);
    const name = volume.nameId === '' ? volumeId : checkName(`${field}.name_id`, volume.nameId);
    return { volumeId, name, pool: checkName(`${field}.pool`, volume.pool) };
  }

  /** The volume's ready record here, or undefined (unknown pool, no record, half made, incoming). */
  async findVolume(ref: VolumeRef): Promise<VolumeRecord | undefined> {
    if (!this.config.pools.includes(ref.pool)) return undefined;
    const record = await this.store.readVolume(ref.pool, ref.name);
    return record?.state === 'ready' && record.incomingMigrationId === undefined ? record : undefined;
  }

  /** The volume's record; NOT_FOUND (VOLUME_NOT_FOUND) when this back end has no such volume. */
  async requireVolume(ref: VolumeRef): Promise<VolumeRecord> {
    const record = await this.findVolume(ref);
    if (record === undefined) throw new NotFoundError('volume', ref.name === ref.volumeId ? ref.volumeId : `${ref.volumeId} (object ${ref.name})`, 'VOLUME_NOT_FOUND', 'volumeId');
    return record;
  }

  /** NOT_FOUND (POOL_NOT_FOUND) unless the pool is configured. */
  requirePool(pool: string): void {
    if (!this.config.pools.includes(pool)) throw new NotFoundError('pool', pool, 'POOL_NOT_FOUND', 'pool');
  }

  /** GiB provisioned in a pool of `store`: the sizes of its volume records (incoming ones included). */
  async allocatedGib(pool: string, store: RecordStore = this.store): Promise<number> {
    return (await store.listVolumes(pool)).filter((r) => r.state !== 'deleting').reduce((sum, r) => sum + r.sizeGib, 0);
  }

  /**
   * RESOURCE_EXHAUSTED (INSUFFICIENT_CAPACITY) when `addGib` more do not fit in the pool's
   * configured capacity. Pools without one are thin on the file system: only the bytes really
   * written count, and copies check those (see migration-service.ts).
   */
  async checkCapacity(pool: string, addGib: number, capacityGib = this.config.capacityGib[pool], store: RecordStore = this.store): Promise<void> {
    if (capacityGib === undefined) return;
    const allocated = await this.allocatedGib(pool, store);
    if (allocated + addGib > capacityGib) {
      const freeGib = Math.max(0, capacityGib - allocated);
      throw new ResourceExhaustedError(`pool ${pool} has ${freeGib} GiB free of ${capacityGib} GiB; ${addGib} GiB requested`, { pool, freeGib: String(freeGib) });
    }
  }

  /** The image path of a volume object in this back end. */
  image(pool: string, name: string): string {
    return volumeImage(this.root, pool, name);
  }

  /** Runs `fn` after every earlier `withLock` of the same key settled (a queue, not a refusal). */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.withLock(key, fn);
  }

  private readonly queue = createKeyedQueue();
}

/** The lock key of a volume object: every change to its record or image runs under it. */
export const objectLock = (pool: string, name: string): string => `volume:${pool}/${name}`;

/** `value` when non-empty, else MissingFieldError naming `field`. */
export function required(value: string, field: string): string {
  if (value === '') throw new MissingFieldError(field);
  return value;
}
