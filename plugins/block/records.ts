/**
 * The plugin's own state on disk: one JSON record per volume, snapshot, migration and
 * post-migration rename, each written atomically (durable.ts). A record is the commit point of
 * its object: an image without a `ready` record is not a volume yet (or any more), and start-up
 * reconciliation (driver.ts) finishes or undoes whatever a killed process left half done.
 *
 * Not-found behaviour: every read returns undefined for a missing file; removals of missing
 * files succeed. Nothing here knows gRPC: handlers map undefined to the contract's NOT_FOUND.
 */
import { readdir } from 'node:fs/promises';
import { migrationFile, migrationsDir, poolDir, snapshotRecordFile, updateFile, updatesDir, volumeRecordFile } from './layout.js';
import { readJson, removeDurably, writeJsonAtomic } from '../sdk/durable-files.js';

/**
 * Lifecycle of a volume or snapshot record: `creating` (the image may be half made; removed at
 * start), `ready`, `deleting` (the image is being removed; the removal is finished at start).
 */
export type ObjectState = 'creating' | 'ready' | 'deleting';

/** The data node a volume is attached to for a host copy. */
export interface Attachment {
  readonly dataNode: string;
  readonly readOnly: boolean;
}

/** `<root>/pools/<pool>/volume-<name>.json`. */
export interface VolumeRecord {
  readonly version: 1;
  /** The back-end object's name: the name_id, or the volume_id when name_id was empty. */
  readonly name: string;
  /** The volume_id of the request that created (or last renamed) the object; informational. */
  readonly volumeId: string;
  readonly pool: string;
  readonly sizeGib: number;
  readonly state: ObjectState;
  /** Absent: detached. */
  readonly attachment?: Attachment;
  /**
   * Set while a MigrateVolume (run by the plugin of the SOURCE back end, maybe another
   * process) moves the image in: the volume does not exist here until the source clears it,
   * but its size already counts against the pool.
   */
  readonly incomingMigrationId?: string;
  readonly createdAt: string;
}

/** `<root>/pools/<pool>/snapshot-<id>.json`. */
export interface SnapshotRecord {
  readonly version: 1;
  readonly snapshotId: string;
  /** The volume object (its name in the same pool) the snapshot was taken of. */
  readonly volumeName: string;
  readonly volumeId: string;
  readonly pool: string;
  readonly sizeGib: number;
  readonly state: ObjectState;
  readonly createdAt: string;
}

/** What MigrateVolume answered; a replay answers the same. */
export interface MigrateAnswer {
  readonly moved: boolean;
  readonly modelUpdate?: { readonly host: string; readonly nameId: string; readonly providerLocation: string };
}

/**
 * `<root>/migrations/<migrationId>.json` on the SOURCE back end. Phases: `moving` (journal
 * written, image on its way: undone at start), `moved` (the commit point: the image is complete
 * at the destination; the rest is finished at start), `done` (only answers replays).
 */
export interface MigrationRecord {
  readonly version: 1;
  readonly migrationId: string;
  /** Identifies the request's arguments; a replay with others is ALREADY_EXISTS. */
  readonly fingerprint: string;
  readonly phase: 'moving' | 'moved' | 'done';
  readonly answer: MigrateAnswer;
  /** Absent for a moved = false answer, which touched nothing. */
  readonly move?: {
    /** `rename`: same file system, one atomic rename. `copy`: sparse copy, then the source is removed. */
    readonly mode: 'rename' | 'copy';
    readonly name: string;
    readonly sourcePool: string;
    /** The destination back end's root (this root for a pool change). */
    readonly destinationRoot: string;
    readonly destinationPool: string;
  };
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** `<root>/updates/<volumeId>--<newVolumeId>.json` on the DESTINATION back end. */
export interface UpdateRecord {
  readonly version: 1;
  readonly volumeId: string;
  readonly newVolumeId: string;
  /** `renaming`: the temporary object is being renamed (finished at start). `done`: replays only. */
  readonly phase: 'renaming' | 'done';
  readonly pool: string;
  /** The temporary object's name and the name it takes (the user's volume_id); equal when nothing is renamed. */
  readonly fromName: string;
  readonly toName: string;
  readonly answer: { readonly nameId: string; readonly providerLocation: string };
  readonly createdAt: string;
}

/** The records of one back-end root (this plugin's, or a migration peer's). */
export class RecordStore {
  constructor(readonly root: string) {}

  readVolume(pool: string, name: string): Promise<VolumeRecord | undefined> {
    return readJson<VolumeRecord>(volumeRecordFile(this.root, pool, name));
  }

  writeVolume(record: VolumeRecord): Promise<void> {
    return writeJsonAtomic(volumeRecordFile(this.root, record.pool, record.name), record);
  }

  removeVolume(pool: string, name: string): Promise<void> {
    return removeDurably(volumeRecordFile(this.root, pool, name));
  }

  /** Every volume record of a pool, incoming ones included. */
  listVolumes(pool: string): Promise<VolumeRecord[]> {
    return this.listPool(pool, 'volume-', (name) => this.readVolume(pool, name));
  }

  readSnapshot(pool: string, id: string): Promise<SnapshotRecord | undefined> {
    return readJson<SnapshotRecord>(snapshotRecordFile(this.root, pool, id));
  }

  writeSnapshot(record: SnapshotRecord): Promise<void> {
    return writeJsonAtomic(snapshotRecordFile(this.root, record.pool, record.snapshotId), record);
  }

  removeSnapshot(pool: string, id: string): Promise<void> {
    return removeDurably(snapshotRecordFile(this.root, pool, id));
  }

  listSnapshots(pool: string): Promise<SnapshotRecord[]> {
    return this.listPool(pool, 'snapshot-', (id) => this.readSnapshot(pool, id));
  }

  readMigration(id: string): Promise<MigrationRecord | undefined> {
    return readJson<MigrationRecord>(migrationFile(this.root, id));
  }

  writeMigration(record: MigrationRecord): Promise<void> {
    return writeJsonAtomic(migrationFile(this.root, record.migrationId), record);
  }

  removeMigration(id: string): Promise<void> {
    return removeDurably(migrationFile(this.root, id));
  }

  async listMigrations(): Promise<MigrationRecord[]> {
    return this.listJson(migrationsDir(this.root), (id) => this.readMigration(id));
  }

  readUpdate(volumeId: string, newVolumeId: string): Promise<UpdateRecord | undefined> {
    return readJson<UpdateRecord>(updateFile(this.root, volumeId, newVolumeId));
  }

  writeUpdate(record: UpdateRecord): Promise<void> {
    return writeJsonAtomic(updateFile(this.root, record.volumeId, record.newVolumeId), record);
  }

  async listUpdates(): Promise<UpdateRecord[]> {
    const records = await this.listJson(updatesDir(this.root), (key) => readJson<UpdateRecord>(`${updatesDir(this.root)}/${key}.json`));
    return records;
  }

  private async listPool<T>(pool: string, prefix: string, read: (key: string) => Promise<T | undefined>): Promise<T[]> {
    const names = await readdir(poolDir(this.root, pool)).catch(() => [] as string[]);
    const keys = names.filter((n) => n.startsWith(prefix) && n.endsWith('.json')).map((n) => n.slice(prefix.length, -'.json'.length));
    return (await Promise.all(keys.map(read))).filter((r): r is Awaited<T> & T => r !== undefined);
  }

  private async listJson<T>(dir: string, read: (key: string) => Promise<T | undefined>): Promise<T[]> {
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    return (await Promise.all(names.map((n) => read(n.slice(0, -'.json'.length))))).filter((r): r is Awaited<T> & T => r !== undefined);
  }
}
