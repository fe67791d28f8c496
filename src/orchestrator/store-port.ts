/**
 * StorePort: the durable store as the orchestrator sees it. The SQLite implementation lives in
 * src/store/sqlite; a PostgreSQL one can implement the same interface later.
 *
 * Contract for every implementation:
 * - `transaction(fn)` runs fn atomically: everything it writes commits together or not at all.
 *   Transactions are serialised; fn must do no I/O but the store's (persist, then act).
 * - `get*` returns undefined for an unknown id; `update*` of an unknown id throws
 *   NotFoundError (domain errors); `delete*` of an unknown id is a no-op (idempotent).
 * - `insert*` of an existing id throws AlreadyExistsError.
 * - Records come back as fresh plain objects; mutating them changes nothing stored.
 * - Lists are ordered by createdAt, then id (stable for tests and pagination).
 */
import type {
  AccessRule, AccessRuleMapping, Backend, MigrationEvent, Pool, Share, ShareInstance, ShareMigration, ShareNetwork,
  ShareServer, ShareServerMigration, ShareType, Snapshot, SnapshotInstance,
} from '../domain/resources.js';
import type { ShareServerStatus, ShareStatus } from '../domain/statuses.js';
import type {
  Volume, VolumeGroup, VolumeMigration, VolumeMigrationEvent, VolumeSnapshot, VolumeStatus, VolumeType,
} from '../domain/volumes.js';

type Patch<T> = Partial<Omit<T, 'id' | 'createdAt'>>;

export interface ShareFilter {
  readonly shareTypeId?: string;
  readonly shareNetworkId?: string;
}

export interface ShareInstanceFilter {
  readonly shareId?: string;
  readonly status?: ShareStatus;
  /** Exact `host@backend#pool`, or a `host@backend` prefix. */
  readonly host?: string;
  readonly shareServerId?: string;
}

export interface SnapshotInstanceFilter {
  readonly snapshotId?: string;
  readonly shareInstanceId?: string;
}

export interface ShareServerFilter {
  readonly host?: string;
  readonly status?: ShareServerStatus;
  readonly sourceShareServerId?: string;
  readonly shareNetworkId?: string;
}

export interface ServerMigrationFilter {
  readonly sourceShareServerId?: string;
  readonly destinationShareServerId?: string;
  readonly active?: boolean;
}

export interface MigrationFilter {
  readonly shareId?: string;
  readonly active?: boolean;
}

export interface VolumeFilter {
  /** Exact `host@backend#pool`, or a `host@backend` prefix. */
  readonly host?: string;
  readonly status?: VolumeStatus;
  readonly volumeTypeId?: string;
  readonly groupId?: string;
}

export interface VolumeMigrationFilter {
  readonly volumeId?: string;
  readonly active?: boolean;
}

/** Everything readable and writable; the same methods inside and outside a transaction. */
export interface StoreTx {
  // back ends and pools: replaced wholesale from each refresh of a driver's report
  getBackend(name: string): Promise<Backend | undefined>;
  listBackends(): Promise<Backend[]>;
  upsertBackend(backend: Backend): Promise<void>;
  /** Replaces every pool of `backend` with `pools`. */
  replacePools(backend: string, pools: readonly Pool[]): Promise<void>;
  getPool(host: string): Promise<Pool | undefined>;
  listPools(filter?: { backend?: string }): Promise<Pool[]>;

  insertShareType(type: ShareType): Promise<void>;
  getShareType(id: string): Promise<ShareType | undefined>;
  getShareTypeByName(name: string): Promise<ShareType | undefined>;
  listShareTypes(): Promise<ShareType[]>;
  deleteShareType(id: string): Promise<void>;

  /** Inserts the network with its subnets. */
  insertShareNetwork(network: ShareNetwork): Promise<void>;
  getShareNetwork(id: string): Promise<ShareNetwork | undefined>;
  listShareNetworks(): Promise<ShareNetwork[]>;
  updateShareNetwork(id: string, patch: Patch<Omit<ShareNetwork, 'subnets'>>): Promise<ShareNetwork>;
  /** Deletes the network and its subnets. */
  deleteShareNetwork(id: string): Promise<void>;

  insertShare(share: Share): Promise<void>;
  getShare(id: string): Promise<Share | undefined>;
  listShares(filter?: ShareFilter): Promise<Share[]>;
  updateShare(id: string, patch: Patch<Share>): Promise<Share>;
  /** Deletes the share and everything that hangs off it (instances, rules, snapshots, migrations). */
  deleteShare(id: string): Promise<void>;

  insertShareInstance(instance: ShareInstance): Promise<void>;
  getShareInstance(id: string): Promise<ShareInstance | undefined>;
  listShareInstances(filter?: ShareInstanceFilter): Promise<ShareInstance[]>;
  updateShareInstance(id: string, patch: Patch<ShareInstance>): Promise<ShareInstance>;
  /** Deletes the instance, its access-rule mappings and its snapshot instances (Manila 2.8). */
  deleteShareInstance(id: string): Promise<void>;

  insertAccessRule(rule: AccessRule): Promise<void>;
  getAccessRule(id: string): Promise<AccessRule | undefined>;
  listAccessRules(shareId: string): Promise<AccessRule[]>;
  updateAccessRule(id: string, patch: Patch<AccessRule>): Promise<AccessRule>;
  /** Deletes the rule and all its mappings. */
  deleteAccessRule(id: string): Promise<void>;
  listAccessMappings(shareInstanceId: string): Promise<AccessRuleMapping[]>;
  /** Inserts or replaces the mapping of (accessRuleId, shareInstanceId). */
  putAccessMapping(mapping: AccessRuleMapping): Promise<void>;
  deleteAccessMapping(accessRuleId: string, shareInstanceId: string): Promise<void>;

  insertSnapshot(snapshot: Snapshot): Promise<void>;
  getSnapshot(id: string): Promise<Snapshot | undefined>;
  listSnapshots(shareId: string): Promise<Snapshot[]>;
  /** Deletes the snapshot and its instances. */
  deleteSnapshot(id: string): Promise<void>;
  insertSnapshotInstance(instance: SnapshotInstance): Promise<void>;
  getSnapshotInstance(id: string): Promise<SnapshotInstance | undefined>;
  listSnapshotInstances(filter?: SnapshotInstanceFilter): Promise<SnapshotInstance[]>;
  updateSnapshotInstance(id: string, patch: Patch<SnapshotInstance>): Promise<SnapshotInstance>;
  deleteSnapshotInstance(id: string): Promise<void>;

  insertShareServer(server: ShareServer): Promise<void>;
  getShareServer(id: string): Promise<ShareServer | undefined>;
  listShareServers(filter?: ShareServerFilter): Promise<ShareServer[]>;
  updateShareServer(id: string, patch: Patch<ShareServer>): Promise<ShareServer>;
  deleteShareServer(id: string): Promise<void>;

  insertMigration(migration: ShareMigration): Promise<void>;
  getMigration(id: string): Promise<ShareMigration | undefined>;
  listMigrations(filter?: MigrationFilter): Promise<ShareMigration[]>;
  updateMigration(id: string, patch: Patch<ShareMigration>): Promise<ShareMigration>;
  /** Appends to a migration's history; sequence is assigned by the store (1, 2, ...). */
  appendMigrationEvent(event: Omit<MigrationEvent, 'sequence'>): Promise<MigrationEvent>;
  listMigrationEvents(migrationId: string): Promise<MigrationEvent[]>;

  insertServerMigration(migration: ShareServerMigration): Promise<void>;
  getServerMigration(id: string): Promise<ShareServerMigration | undefined>;
  listServerMigrations(filter?: ServerMigrationFilter): Promise<ShareServerMigration[]>;
  updateServerMigration(id: string, patch: Patch<ShareServerMigration>): Promise<ShareServerMigration>;
  appendServerMigrationEvent(event: Omit<MigrationEvent, 'sequence'>): Promise<MigrationEvent>;
  listServerMigrationEvents(migrationId: string): Promise<MigrationEvent[]>;

  insertVolumeType(type: VolumeType): Promise<void>;
  getVolumeType(id: string): Promise<VolumeType | undefined>;
  getVolumeTypeByName(name: string): Promise<VolumeType | undefined>;
  listVolumeTypes(): Promise<VolumeType[]>;
  updateVolumeType(id: string, patch: Patch<VolumeType>): Promise<VolumeType>;
  deleteVolumeType(id: string): Promise<void>;

  insertVolumeGroup(group: VolumeGroup): Promise<void>;
  getVolumeGroup(id: string): Promise<VolumeGroup | undefined>;
  listVolumeGroups(): Promise<VolumeGroup[]>;
  deleteVolumeGroup(id: string): Promise<void>;

  /** Attachments are stored with the volume (replaced wholesale by updateVolume). */
  insertVolume(volume: Volume): Promise<void>;
  getVolume(id: string): Promise<Volume | undefined>;
  listVolumes(filter?: VolumeFilter): Promise<Volume[]>;
  updateVolume(id: string, patch: Patch<Volume>): Promise<Volume>;
  /** Deletes the volume and its migrations (with their history); snapshots must be gone first. */
  deleteVolume(id: string): Promise<void>;

  insertVolumeSnapshot(snapshot: VolumeSnapshot): Promise<void>;
  getVolumeSnapshot(id: string): Promise<VolumeSnapshot | undefined>;
  listVolumeSnapshots(filter?: { volumeId?: string }): Promise<VolumeSnapshot[]>;
  updateVolumeSnapshot(id: string, patch: Patch<VolumeSnapshot>): Promise<VolumeSnapshot>;
  deleteVolumeSnapshot(id: string): Promise<void>;

  insertVolumeMigration(migration: VolumeMigration): Promise<void>;
  getVolumeMigration(id: string): Promise<VolumeMigration | undefined>;
  listVolumeMigrations(filter?: VolumeMigrationFilter): Promise<VolumeMigration[]>;
  updateVolumeMigration(id: string, patch: Patch<VolumeMigration>): Promise<VolumeMigration>;
  /** Appends to a volume migration's history; sequence is assigned by the store (1, 2, ...). */
  appendVolumeMigrationEvent(event: Omit<VolumeMigrationEvent, 'sequence'>): Promise<VolumeMigrationEvent>;
  listVolumeMigrationEvents(migrationId: string): Promise<VolumeMigrationEvent[]>;
}

export interface StorePort extends StoreTx {
  /** Runs fn in one serialised transaction; a throw rolls everything back and rethrows. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** The schema version the store is at (the number of the last applied schema migration). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
