/**
 * The plugin's own state on disk: one JSON file per share instance, snapshot instance and
 * migration (migration-common.ts reads and writes those), each written atomically (temp file + fsync + rename + fsync of the directory), so
 * a crash or `kill -9` leaves either the old or the new version, never a torn file.
 *
 * Not-found behaviour: every read returns undefined for a missing file; deletes of missing
 * files succeed. Nothing here knows gRPC: handlers map undefined to the contract's NOT_FOUND.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import type { ReadOnlyEnforcement } from './config.js';
import { instanceFile, poolsDir, serverDir, serverFile, sharesDir, snapshotFile } from './layout.js';

/** One access rule as recorded (the contract's AccessRule without the secret key). */
export interface RecordedRule {
  readonly id: string;
  readonly type: string;
  readonly to: string;
  readonly level: string;
}

/** `<root>/pools/<pool>/shares/<id>/instance.json`. */
export interface InstanceRecord {
  readonly version: 1;
  readonly shareInstanceId: string;
  readonly shareId: string;
  readonly pool: string;
  readonly sizeGib: number;
  readonly shareProto: string;
  /** The snapshot instance the share was created from ("" = empty share); part of CreateShareInstance's idempotency. */
  readonly sourceSnapshotInstanceId: string;
  /** The full rule list of the last UpdateAccess. */
  readonly accessRules: readonly RecordedRule[];
  readonly castRulesToReadonly: boolean;
  /** Snapshot instance ids of this instance (their records are snapshot.json files). */
  readonly snapshotInstanceIds: readonly string[];
  /**
   * Set on an instance another localfs plugin wrote into this tree during a driver-assisted
   * migration: `copying` until the source's MigrationComplete, `completed` after it, `adopted`
   * once this plugin's MigrationUpdateModel took it over.
   */
  readonly migration?: { readonly migrationId: string; readonly state: 'copying' | 'completed' | 'adopted' };
  /** Set while a migration's cut-over keeps the export read-only regardless of the rules. */
  readonly frozenByMigration?: string;
  /** The share server the instance lives on (driverHandlesShareServers only). */
  readonly shareServerId?: string;
  readonly createdAt: string;
}

/** `<root>/servers/<id>/server.json`: a share server set up on this back end. */
export interface ServerRecord {
  readonly version: 1;
  readonly shareServerId: string;
  readonly shareNetworkId: string;
  /** Sorted; with shareNetworkId the identity SetupShareServer's replays are compared by. */
  readonly shareNetworkSubnetIds: readonly string[];
  /** The addresses ferry allocated for it (a directory serves no network: recorded only). */
  readonly ipAddresses: readonly string[];
  readonly identifier: string;
  readonly backendDetails: Readonly<Record<string, string>>;
  /** Set up as the destination of a server migration from this server ("" otherwise). */
  readonly sourceShareServerId: string;
  readonly createdAt: string;
}

/** `<root>/pools/<pool>/snapshots/<id>/snapshot.json`. */
export interface SnapshotRecord {
  readonly version: 1;
  readonly snapshotInstanceId: string;
  readonly snapshotId: string;
  readonly shareInstanceId: string;
  readonly sizeGib: number;
  readonly createdAt: string;
}

export const MIGRATION_PHASES = ['copying', 'failed', 'phase1_done', 'completing', 'completed', 'cancelled'] as const;
/** Source-side phase of a driver-assisted migration; completed and cancelled are final. */
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

/** What a finished phase-1 copy did (all its steps together). */
export interface CopySummary {
  readonly bytesCopied: number;
  readonly bytesTotal: number;
  readonly filesCopied: number;
  readonly filesSkipped: number;
  /** Some step continued from a checkpoint (or was already done) rather than starting afresh. */
  readonly resumed: boolean;
}

/** What MigrationComplete returned, kept so a replay answers the same. */
export interface CompleteResult {
  readonly exportPath: string;
  /** destination snapshot instance id -> its provider location */
  readonly snapshotLocations: Readonly<Record<string, string>>;
}

/** `<root>/migrations/<id>.json`, written by the SOURCE plugin before it acts. */
export interface MigrationRecord {
  readonly version: 1;
  readonly migrationId: string;
  /** Identifies MigrationStart's arguments; a replay with others is ALREADY_EXISTS. */
  readonly fingerprint: string;
  readonly phase: MigrationPhase;
  readonly source: { readonly shareInstanceId: string; readonly pool: string };
  readonly destination: { readonly shareInstanceId: string; readonly pool: string; readonly root: string; readonly backend: string };
  /** source snapshot instance id -> destination snapshot instance id */
  readonly snapshotMappings: Readonly<Record<string, string>>;
  /** Why phase 1 or the cut-over failed (set with phase failed, or during completing). */
  readonly error?: string;
  /** Phase 1's copy result, once done. */
  readonly phase1?: CopySummary;
  /** How many times phase 1 was (re)started; > 1 after a resume from the checkpoint. */
  readonly phase1Attempts: number;
  /** Set once the cut-over copied everything: from here on Complete only removes the source. */
  readonly result?: CompleteResult;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What ShareServerMigrationComplete returned, kept so a replay answers the same. */
export interface ServerCompleteResult {
  /** share instance id -> its export path and pool on this back end */
  readonly shares: Readonly<Record<string, { readonly exportPath: string; readonly pool: string }>>;
  /** snapshot instance id -> its provider location on this back end */
  readonly snapshots: Readonly<Record<string, string>>;
}

/**
 * `<root>/server-migrations/<id>.json`, written by the DESTINATION plugin before it acts. The
 * instance and snapshot ids are the same on both back ends; only their pools may differ.
 */
export interface ServerMigrationRecord {
  readonly version: 1;
  readonly migrationId: string;
  /** Identifies ShareServerMigrationStart's arguments; a replay with others is ALREADY_EXISTS. */
  readonly fingerprint: string;
  readonly phase: MigrationPhase;
  readonly sourceShareServerId: string;
  readonly destinationShareServerId: string;
  /** The source back end, reached through its root (source_peer's migration_peer_info). */
  readonly source: { readonly root: string; readonly backend: string; readonly readOnlyEnforcement: ReadOnlyEnforcement };
  /** Every share instance of the source server: its pool there and here. */
  readonly shares: readonly { readonly shareInstanceId: string; readonly sourcePool: string; readonly pool: string }[];
  /** Every snapshot instance of those, in its share's pools. */
  readonly snapshots: readonly { readonly snapshotInstanceId: string; readonly shareInstanceId: string; readonly sourcePool: string; readonly pool: string }[];
  /** Why phase 1 or the cut-over failed (set with phase failed, or during completing). */
  readonly error?: string;
  readonly phase1?: CopySummary;
  readonly phase1Attempts: number;
  /** Set once the cut-over copied and adopted everything: from here on Complete only removes the source. */
  readonly result?: ServerCompleteResult;
  readonly createdAt: string;
  readonly updatedAt: string;
}

// Shared with the block plugin: the SDK's durable file primitives.
export { readJson, writeJsonAtomic } from '../sdk/durable-files.js';
import { readJson, writeJsonAtomic } from '../sdk/durable-files.js';

/** The records of one back-end root (this plugin's, or a migration peer's). */
export class MetadataStore {
  constructor(readonly root: string) {}

  readInstance(pool: string, id: string): Promise<InstanceRecord | undefined> {
    return readJson<InstanceRecord>(instanceFile(this.root, pool, id));
  }

  writeInstance(record: InstanceRecord): Promise<void> {
    return writeJsonAtomic(instanceFile(this.root, record.pool, record.shareInstanceId), record);
  }

  /** Every instance record of a pool (directories without instance.json are half-made and skipped). */
  async listInstances(pool: string): Promise<InstanceRecord[]> {
    let names: string[];
    try {
      names = await readdir(sharesDir(this.root, pool));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records = await Promise.all(names.map((name) => this.readInstance(pool, name)));
    return records.filter((r): r is InstanceRecord => r !== undefined);
  }

  /** Every instance record of every pool directory under the root (a peer's pools are not configured here). */
  async listAllInstances(): Promise<InstanceRecord[]> {
    const pools = await readdir(poolsDir(this.root)).catch(() => [] as string[]);
    return (await Promise.all(pools.map((pool) => this.listInstances(pool)))).flat();
  }

  readServer(id: string): Promise<ServerRecord | undefined> {
    return readJson<ServerRecord>(serverFile(this.root, id));
  }

  async writeServer(record: ServerRecord): Promise<void> {
    await mkdir(serverDir(this.root, record.shareServerId), { recursive: true, mode: 0o700 });
    await writeJsonAtomic(serverFile(this.root, record.shareServerId), record);
  }

  /** Removes the record first, so a crash half-way leaves no server (a directory without server.json is none). */
  async removeServer(id: string): Promise<void> {
    await rm(serverFile(this.root, id), { force: true });
    await rm(serverDir(this.root, id), { recursive: true, force: true });
  }

  readSnapshot(pool: string, id: string): Promise<SnapshotRecord | undefined> {
    return readJson<SnapshotRecord>(snapshotFile(this.root, pool, id));
  }

  writeSnapshot(pool: string, record: SnapshotRecord): Promise<void> {
    return writeJsonAtomic(snapshotFile(this.root, pool, record.snapshotInstanceId), record);
  }
}
