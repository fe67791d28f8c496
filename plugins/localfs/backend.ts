/**
 * What every service file shares: the configuration, the on-disk records, the export manager
 * and the copier, plus the few helpers several RPCs need (find an instance, apply its export
 * state, check pool capacity). No gRPC here beyond the FerryErrors the contract names.
 */
import { mkdir, rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { FailedPreconditionError, InvalidArgumentError, MissingFieldError, NotFoundError, ResourceExhaustedError } from '../../src/domain/errors.js';
import type { ExportLocation, ShareInstance, ShareServer } from '../../src/contract/gen/ferry/driver/v1/common.js';
import { createKeyedQueue } from '../sdk/index.js';
import type { LocalFsConfig, ReadOnlyEnforcement } from './config.js';
import type { TreeCopier } from './copier.js';
import { ExportManager, exportStateFor } from './exports.js';
import { checkName, exportPath, exportsDir, migrationsDir, serverMigrationsDir, serversDir, shareDataDir, shareDir, sharesDir, snapshotsDir } from './layout.js';
import { MetadataStore, type InstanceRecord, type ServerRecord } from './metadata-store.js';

/** Share protocols a local directory can stand in for. */
export const SERVED_PROTOCOLS = ['NFS', 'CIFS'] as const;

/**
 * One back end's root as this plugin reaches it: its own, or a migration peer's (same layout,
 * see layout.ts). A peer's exports are handled with the peer's own enforcement, so a frozen or
 * removed export is left the way the peer's plugin expects it.
 */
export class BackendRoot {
  readonly store: MetadataStore;
  readonly exports: ExportManager;

  constructor(
    readonly root: string,
    enforcement: ReadOnlyEnforcement,
  ) {
    this.store = new MetadataStore(root);
    this.exports = new ExportManager(enforcement);
  }

  /** Makes the instance's export match its recorded rules (or read-only while a migration freezes it). */
  async applyExport(record: InstanceRecord): Promise<void> {
    const state = record.frozenByMigration ? 'ro' : exportStateFor(record.accessRules, record.castRulesToReadonly);
    await this.exports.apply(exportPath(this.root, record.shareInstanceId), shareDataDir(this.root, record.pool, record.shareInstanceId), state);
  }

  /** Removes an instance's export, data and metadata, in that order: nothing is deleted through a mount. */
  async removeInstance(pool: string, id: string): Promise<void> {
    await this.exports.remove(exportPath(this.root, id), shareDataDir(this.root, pool, id));
    await rm(shareDataDir(this.root, pool, id), { recursive: true, force: true });
    await rm(shareDir(this.root, pool, id), { recursive: true, force: true });
  }

  exportLocations(id: string): ExportLocation[] {
    return [{ path: exportPath(this.root, id), isAdminOnly: false, metadata: { preferred: 'true' } }];
  }
}

export class LocalFsBackend {
  /** This back end's own root. */
  readonly own: BackendRoot;
  readonly store: MetadataStore;
  readonly exports: ExportManager;

  constructor(
    readonly config: LocalFsConfig,
    readonly copier: TreeCopier,
    readonly logger: Logger,
  ) {
    this.own = new BackendRoot(config.root, config.readOnlyEnforcement);
    this.store = this.own.store;
    this.exports = this.own.exports;
  }

  get root(): string {
    return this.config.root;
  }

  /** Creates the root's layout (idempotent). */
  async prepare(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o755 });
    await mkdir(exportsDir(this.root), { recursive: true });
    await mkdir(migrationsDir(this.root), { recursive: true, mode: 0o700 });
    for (const pool of this.config.pools) {
      await mkdir(sharesDir(this.root, pool), { recursive: true });
      await mkdir(snapshotsDir(this.root, pool), { recursive: true });
    }
    if (this.config.driverHandlesShareServers) {
      await mkdir(serversDir(this.root), { recursive: true, mode: 0o700 });
      await mkdir(serverMigrationsDir(this.root), { recursive: true, mode: 0o700 });
    }
  }

  /** Validates a request's ShareServer and returns its id (INVALID_ARGUMENT naming the field). */
  checkServer(field: string, server: ShareServer | undefined): string {
    if (server === undefined) throw new MissingFieldError(field);
    if (server.shareServerId === '') throw new MissingFieldError(`${field}.share_server_id`);
    return checkName(`${field}.share_server_id`, server.shareServerId);
  }

  /** The server's record; NOT_FOUND (SHARE_SERVER_NOT_FOUND) when it is not set up here. */
  async requireServer(id: string): Promise<ServerRecord> {
    const record = await this.store.readServer(id);
    if (record === undefined) throw new NotFoundError('share server', id, 'SHARE_SERVER_NOT_FOUND', 'shareServerId');
    return record;
  }

  /** Instance records on the server (adopted ones included: they are ours). */
  async instancesOnServer(id: string): Promise<InstanceRecord[]> {
    return (await this.store.listAllInstances()).filter((r) => r.shareServerId === id);
  }

  /** Validates a request's ShareInstance id and pool (INVALID_ARGUMENT naming the field). */
  checkInstance(field: string, instance: ShareInstance | undefined): { id: string; pool: string } {
    if (instance === undefined) throw new MissingFieldError(field);
    if (instance.shareInstanceId === '') throw new MissingFieldError(`${field}.share_instance_id`);
    if (instance.pool === '') throw new MissingFieldError(`${field}.pool`);
    return { id: checkName(`${field}.share_instance_id`, instance.shareInstanceId), pool: checkName(`${field}.pool`, instance.pool) };
  }

  /** The instance's record; NOT_FOUND (SHARE_INSTANCE_NOT_FOUND) when this back end has none. */
  async requireInstance(field: string, instance: ShareInstance | undefined): Promise<InstanceRecord> {
    const { id, pool } = this.checkInstance(field, instance);
    const record = this.config.pools.includes(pool) ? await this.store.readInstance(pool, id) : undefined;
    if (record === undefined) throw new NotFoundError('share instance', id, 'SHARE_INSTANCE_NOT_FOUND', 'shareInstanceId');
    return record;
  }

  /** Makes the instance's export match its recorded rules (or read-only while a migration freezes it). */
  applyExport(record: InstanceRecord): Promise<void> {
    return this.own.applyExport(record);
  }

  exportLocations(id: string): ExportLocation[] {
    return this.own.exportLocations(id);
  }

  /** RESOURCE_EXHAUSTED (INSUFFICIENT_CAPACITY) when growing the pool's allocation by `addGib` exceeds its configured capacity. */
  async checkCapacity(pool: string, addGib: number): Promise<void> {
    const capacity = this.config.capacityGib[pool];
    if (capacity === undefined) return; // thin: the file system's free space is the only limit
    const allocated = (await this.store.listInstances(pool)).reduce((sum, r) => sum + r.sizeGib, 0);
    if (allocated + addGib > capacity) {
      const freeGib = Math.max(0, capacity - allocated);
      throw new ResourceExhaustedError(`pool ${pool} has ${freeGib} GiB free of ${capacity} GiB; ${addGib} GiB requested`, { pool, freeGib: String(freeGib) });
    }
  }

  /** NOT_FOUND (POOL_NOT_FOUND) unless the pool is configured. */
  requirePool(pool: string): void {
    if (!this.config.pools.includes(pool)) throw new NotFoundError('pool', pool, 'POOL_NOT_FOUND', 'pool');
  }

  /**
   * Read-modify-write of an instance record, serialised per instance (snapshot and access
   * calls have different idempotency keys but write the same file). Returns the new record, or
   * undefined when the instance has no record.
   */
  updateInstance(pool: string, id: string, mutate: (record: InstanceRecord) => InstanceRecord): Promise<InstanceRecord | undefined> {
    return this.withLock(id, async () => {
      const record = await this.store.readInstance(pool, id);
      if (record === undefined) return undefined;
      const updated = mutate(record);
      await this.store.writeInstance(updated);
      return updated;
    });
  }

  /** Runs `fn` after every earlier `withLock` of the same key settled (a queue, not a refusal). */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.queue.withLock(key, fn);
  }

  private readonly queue = createKeyedQueue();

  /** INVALID_FIELD unless the protocol is served. */
  checkProtocol(field: string, proto: string): void {
    if (!(SERVED_PROTOCOLS as readonly string[]).includes(proto)) throw new InvalidArgumentError(field, `protocol ${JSON.stringify(proto)} is not served by localfs (served: ${SERVED_PROTOCOLS.join(', ')})`);
  }
}

/**
 * The lock key of a share server: its setup and teardown and the commit of an instance onto it
 * run one at a time, so a teardown never misses an instance being created.
 */
export const serverLock = (id: string): string => `share-server:${id}`;

/** FAILED_PRECONDITION (RESOURCE_IN_USE) for an instance that still has snapshots. */
export function instanceInUse(record: InstanceRecord): FailedPreconditionError {
  return new FailedPreconditionError('RESOURCE_IN_USE', `share instance ${record.shareInstanceId} still has snapshot instances ${record.snapshotInstanceIds.join(', ')}; delete them first`, {
    shareInstanceId: record.shareInstanceId,
  });
}
