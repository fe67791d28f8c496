/**
 * The operations ferry offers, in domain terms: the library surface `createFerry()` returns
 * and the admin gRPC API serves one to one (src/api translates). Everything an operator can do
 * through `buf curl` a team embedding ferry can do by calling these methods.
 *
 * Every method rejects only with FerryError (src/domain/errors.ts): NOT_FOUND for unknown ids,
 * INVALID_ARGUMENT (with field violations) for malformed input, FAILED_PRECONDITION for a wrong
 * state, each with a machine-readable reason (see docs/errors.md).
 */
import type {
  AccessRule, Backend, ExportLocation, MigrationEvent, MigrationMethod, Pool, Share, ShareInstance, ShareMigration,
  ShareNetwork, ShareServer, ShareServerMigration, ShareType, Snapshot, SnapshotInstance, StringMap,
} from '../domain/resources.js';
import type { AccessLevel, AccessRuleState, AccessRulesStatus, AccessType, ShareServerStatus, ShareStatus, TaskState } from '../domain/statuses.js';
import type { BackendStatus } from './driver-port.js';
import type { FerryVolumes } from './volume-api.js';

/** A share with its derived (primary-instance) fields and its instances. */
export interface ShareView extends Share {
  readonly status: ShareStatus;
  readonly host: string;
  readonly shareServerId: string | null;
  readonly accessRulesStatus: AccessRulesStatus;
  readonly exportLocations: readonly ExportLocation[];
  readonly instances: readonly ShareInstance[];
  /** The latest migration of this share, if any (active or finished). */
  readonly migration: ShareMigration | null;
}

export interface CreateShareRequest {
  readonly name?: string;
  readonly description?: string;
  /** NFS, CIFS, ... */
  readonly shareProto: string;
  readonly sizeGib: number;
  /** Share type id or name; the default type when absent. */
  readonly shareType?: string;
  readonly shareNetworkId?: string;
  readonly availabilityZone?: string;
  /** Place the share on this `host@backend#pool` instead of letting the scheduler choose. */
  readonly host?: string;
  readonly metadata?: StringMap;
}

export interface AccessRuleView extends AccessRule {
  /** The rule's state on the share's primary instance. */
  readonly state: AccessRuleState;
  /** Per-instance states (during a migration both instances map the rule). */
  readonly instanceStates: Readonly<Record<string, AccessRuleState>>;
}

export interface GrantAccessRequest {
  readonly shareId: string;
  readonly accessType: AccessType;
  readonly accessTo: string;
  readonly accessLevel: AccessLevel;
}

export interface SnapshotView extends Snapshot {
  readonly status: SnapshotInstance['status'];
  readonly instances: readonly SnapshotInstance[];
}

export interface MigrationStartRequest {
  readonly shareId: string;
  /** `host@backend#pool`. */
  readonly host: string;
  /** The four flags are required (undefined is INVALID_ARGUMENT), as in Manila. */
  readonly writable: boolean | undefined;
  readonly preserveMetadata: boolean | undefined;
  readonly preserveSnapshots: boolean | undefined;
  readonly nondisruptive: boolean | undefined;
  readonly forceHostAssistedMigration?: boolean;
  readonly newShareTypeId?: string;
  readonly newShareNetworkId?: string;
}

export interface MigrationStartResult {
  /** True when source and destination are the same: task_state is migration_success at once. */
  readonly noop: boolean;
  /** The new migration's id (empty for a no-op). */
  readonly migrationId: string;
  readonly share: ShareView;
}

/** One reason that blocks a migration or one of its paths. */
export interface MigrationBlocker {
  /** Machine-readable (the reason MigrationStart would fail with, or why a path is closed). */
  readonly reason: string;
  readonly message: string;
  /** Which path it closes: both, or only the driver- or host-assisted one. */
  readonly blocks: 'migration' | 'driver_assisted' | 'host_assisted';
}

export interface MigrationCheckResult {
  /** Whether MigrationStart with the same request would be accepted now. */
  readonly accepted: boolean;
  readonly noop: boolean;
  /** The path that would run; null when none can. */
  readonly path: MigrationMethod | null;
  readonly blockers: readonly MigrationBlocker[];
  /** The driver's compatibility answer, when it was asked. */
  readonly driverCompatibility: {
    readonly compatible: boolean;
    readonly writable: boolean;
    readonly preserveMetadata: boolean;
    readonly nondisruptive: boolean;
    readonly preserveSnapshots: boolean;
  } | null;
}

/** Live details of a host-assisted copy. */
export interface CopyDetails {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly currentFiles: readonly string[];
  readonly throughputBytesPerSecond: number;
  /** null while unknown. */
  readonly etaSeconds: number | null;
}

export interface MigrationProgress {
  readonly shareId: string;
  readonly migrationId: string;
  readonly taskState: TaskState | null;
  /** 0..100; exactly 100 only when the phase is done. */
  readonly totalProgress: number;
  readonly method: MigrationMethod | null;
  /** Host-assisted copy details, while copying. */
  readonly copy: CopyDetails | null;
  /** Whatever else the driver reported (driver-assisted), or {}. */
  readonly details: StringMap;
  /** Why the migration failed or fell back, when it did. */
  readonly error: string;
  readonly errorReason: string;
  readonly fallbackReason: string;
}

export interface CreateShareTypeRequest {
  readonly name: string;
  readonly description?: string;
  readonly extraSpecs: StringMap;
  readonly isPublic?: boolean;
}

export interface CreateShareNetworkRequest {
  readonly name?: string;
  readonly description?: string;
  readonly subnets: readonly { readonly availabilityZone: string | null; readonly neutronNetId: string; readonly neutronSubnetId: string }[];
}

export interface BackendView extends Backend {
  readonly status: BackendStatus;
}

export interface WatchOptions {
  /** Ends the stream; the iterator returns. */
  readonly signal?: AbortSignal;
  /** How often live progress is re-read between task_state changes (default 1000 ms). */
  readonly intervalMs?: number;
}

/** A share server with the shares it serves and its latest migration (as source or destination). */
export interface ShareServerView extends ShareServer {
  /** Ids of the shares whose instances live on this server. */
  readonly shareIds: readonly string[];
  readonly shareInstanceIds: readonly string[];
  readonly migration: ShareServerMigration | null;
}

export interface ShareServerFilterRequest {
  readonly host?: string;
  readonly status?: ShareServerStatus;
  readonly sourceShareServerId?: string;
}

/** MigrationCheck and MigrationStart of a share server (Manila 4.6). */
export interface ServerMigrationStartRequest {
  readonly shareServerId: string;
  /** `host@backend`, without a pool. */
  readonly host: string;
  /** The three flags are required (undefined is INVALID_ARGUMENT), as in Manila. */
  readonly writable: boolean | undefined;
  readonly nondisruptive: boolean | undefined;
  readonly preserveSnapshots: boolean | undefined;
  readonly newShareNetworkId?: string;
}

/** One reason a server migration cannot run, from ferry's checks or the destination driver. */
export interface ServerMigrationBlocker {
  readonly reason: string;
  readonly message: string;
}

export interface ServerMigrationCheckResult {
  readonly compatible: boolean;
  /** The request, echoed (Manila's requested_capabilities). */
  readonly requested: {
    readonly host: string;
    readonly writable: boolean;
    readonly nondisruptive: boolean;
    readonly preserveSnapshots: boolean;
    /** The given new network, or null. */
    readonly shareNetworkId: string | null;
  };
  /** What the destination supports (Manila's supported_capabilities); all false when it was not asked. */
  readonly supported: {
    readonly writable: boolean;
    readonly nondisruptive: boolean;
    readonly preserveSnapshots: boolean;
    readonly shareNetworkId: string;
    readonly migrationCancel: boolean;
    readonly migrationGetProgress: boolean;
  };
  /** Why compatible is false: every failed check, so nobody has to read logs. Empty when compatible. */
  readonly blockers: readonly ServerMigrationBlocker[];
}

export interface ServerMigrationStartResult {
  readonly migrationId: string;
  readonly server: ShareServerView;
}

export interface ServerMigrationProgress {
  readonly shareServerId: string;
  readonly migrationId: string;
  /** 0..100; exactly 100 only when phase 1 is done. */
  readonly totalProgress: number;
  /** The DESTINATION server's task_state, as Manila answers (null when there is none yet). */
  readonly taskState: TaskState | null;
  /** The source server's task_state. */
  readonly sourceTaskState: TaskState | null;
  /** Empty while no destination exists. */
  readonly destinationShareServerId: string;
  /** What the driver reported besides the percentage. */
  readonly details: StringMap;
  readonly error: string;
  readonly errorReason: string;
}

export interface Ferry extends FerryVolumes {
  // shares
  createShare(request: CreateShareRequest): Promise<ShareView>;
  getShare(shareId: string): Promise<ShareView>;
  listShares(filter?: { status?: ShareStatus; host?: string }): Promise<ShareView[]>;
  deleteShare(shareId: string): Promise<void>;
  extendShare(shareId: string, newSizeGib: number): Promise<ShareView>;
  shrinkShare(shareId: string, newSizeGib: number): Promise<ShareView>;
  grantAccess(request: GrantAccessRequest): Promise<AccessRuleView>;
  revokeAccess(shareId: string, accessRuleId: string): Promise<void>;
  listAccessRules(shareId: string): Promise<AccessRuleView[]>;
  createSnapshot(request: { shareId: string; name?: string; description?: string }): Promise<SnapshotView>;
  deleteSnapshot(snapshotId: string): Promise<void>;
  listSnapshots(filter?: { shareId?: string }): Promise<SnapshotView[]>;
  resetStatus(shareId: string, status: ShareStatus): Promise<ShareView>;
  resetTaskState(shareId: string, taskState: TaskState | null): Promise<ShareView>;

  // share migration
  migrationCheck(request: MigrationStartRequest): Promise<MigrationCheckResult>;
  migrationStart(request: MigrationStartRequest): Promise<MigrationStartResult>;
  migrationComplete(shareId: string): Promise<ShareView>;
  migrationCancel(shareId: string): Promise<ShareView>;
  migrationGetProgress(shareId: string): Promise<MigrationProgress>;
  /** The task_state history of a migration (every state it passed, in order). */
  migrationHistory(migrationId: string): Promise<MigrationEvent[]>;
  /** Progress events until the migration rests (a state that changes only on operator action). */
  watchMigration(shareId: string, options?: WatchOptions): AsyncIterable<MigrationProgress>;

  // catalog
  listBackends(): Promise<BackendView[]>;
  listPools(filter?: { backend?: string }): Promise<Pool[]>;
  createShareType(request: CreateShareTypeRequest): Promise<ShareType>;
  listShareTypes(): Promise<ShareType[]>;
  deleteShareType(idOrName: string): Promise<void>;
  createShareNetwork(request: CreateShareNetworkRequest): Promise<ShareNetwork>;
  listShareNetworks(): Promise<ShareNetwork[]>;
  deleteShareNetwork(id: string): Promise<void>;
  listShareServers(filter?: ShareServerFilterRequest): Promise<ShareServerView[]>;
  getShareServer(shareServerId: string): Promise<ShareServerView>;
  resetShareServerStatus(shareServerId: string, status: ShareServerStatus): Promise<ShareServerView>;
  resetShareServerTaskState(shareServerId: string, taskState: TaskState | null): Promise<ShareServerView>;

  // share server migration (Manila 4.6, 5): every share and snapshot of the server moves
  serverMigrationCheck(request: ServerMigrationStartRequest): Promise<ServerMigrationCheckResult>;
  serverMigrationStart(request: ServerMigrationStartRequest): Promise<ServerMigrationStartResult>;
  /** Accepted in migration_driver_phase1_done; the cut-over runs in the background (watch it). */
  serverMigrationComplete(shareServerId: string): Promise<{ destinationShareServerId: string; server: ShareServerView }>;
  serverMigrationCancel(shareServerId: string): Promise<ShareServerView>;
  /** Also answers for a deleted source server whose migration succeeded (total_progress 100). */
  serverMigrationGetProgress(shareServerId: string): Promise<ServerMigrationProgress>;
  serverMigrationHistory(migrationId: string): Promise<MigrationEvent[]>;
  /** Progress events until the migration rests. */
  watchServerMigration(shareServerId: string, options?: WatchOptions): AsyncIterable<ServerMigrationProgress>;

  /** Every task_state change of every migration, as it is committed. Returns an unsubscribe. */
  onMigrationEvent(listener: (event: MigrationEvent & { shareId: string }) => void): () => void;
  /** Stops pollers and copies (they resume from the store on the next start), plugins and the store. */
  close(): Promise<void>;
}
