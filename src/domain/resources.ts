/**
 * ferry's resource model: plain, serialisable records. The store persists them, the
 * orchestrator changes them, the admin API shows them. Times are ISO-8601 strings (UTC).
 * Field names follow Manila's, in lowerCamel.
 */
import type { MigrationPhase, ServerMigrationPhase } from './migration-phases.js';
import type {
  AccessLevel, AccessRuleState, AccessRulesStatus, AccessType, ShareNetworkStatus, ShareServerStatus, ShareStatus,
  SnapshotStatus, TaskState,
} from './statuses.js';

export type StringMap = Readonly<Record<string, string>>;

/** One configured plugin instance (`host@backend`), as last seen by the orchestrator. */
export interface Backend {
  /** The back end's name, the `backend` of `host@backend`. */
  readonly name: string;
  /** `host@backend`. */
  readonly host: string;
  readonly pluginName: string;
  readonly vendorVersion: string;
  /** Capability names the plugin advertised (e.g. SHARE_DRIVER_MIGRATION). */
  readonly capabilities: readonly string[];
  readonly driverHandlesShareServers: boolean;
  /** Opaque properties a same-vendor peer needs for driver-assisted migration (secret). */
  readonly migrationPeerInfo: StringMap;
  readonly updatedAt: string;
}

/** A pool of a back end, from its driver's ListPools report. */
export interface Pool {
  /** `host@backend#pool`. */
  readonly host: string;
  readonly backend: string;
  readonly name: string;
  readonly totalCapacityGib: number;
  readonly freeCapacityGib: number;
  readonly allocatedCapacityGib: number;
  readonly capabilities: StringMap;
  readonly availabilityZone: string;
  readonly updatedAt: string;
}

export interface ShareType {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /**
   * Extra specs; ferry reads driver_handles_share_servers (required, "true"/"false"),
   * snapshot_support, create_share_from_snapshot_support, revert_to_snapshot_support,
   * mount_snapshot_support, availability_zones (comma list), provisioning:min_share_size and
   * provisioning:max_share_size.
   */
  readonly extraSpecs: StringMap;
  readonly isPublic: boolean;
  readonly createdAt: string;
}

export interface ShareNetworkSubnet {
  readonly id: string;
  readonly shareNetworkId: string;
  /** null: the default subnet, usable in any availability zone without a subnet of its own. */
  readonly availabilityZone: string | null;
  readonly neutronNetId: string;
  readonly neutronSubnetId: string;
  readonly createdAt: string;
}

export interface ShareNetwork {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly status: ShareNetworkStatus;
  readonly subnets: readonly ShareNetworkSubnet[];
  readonly createdAt: string;
}

export interface ExportLocation {
  readonly path: string;
  readonly isAdminOnly: boolean;
  readonly metadata: StringMap;
}

/** The user-facing share. status, host and friends are its primary instance's (see primaryInstance). */
export interface Share {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly shareProto: string;
  readonly sizeGib: number;
  readonly shareTypeId: string;
  readonly shareNetworkId: string | null;
  readonly availabilityZone: string;
  readonly taskState: TaskState | null;
  readonly metadata: StringMap;
  /** Derived from the share type when created or migrated (Manila copies them onto the share). */
  readonly snapshotSupport: boolean;
  readonly createShareFromSnapshotSupport: boolean;
  readonly revertToSnapshotSupport: boolean;
  readonly mountSnapshotSupport: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A physical copy of a share on one pool. */
export interface ShareInstance {
  readonly id: string;
  readonly shareId: string;
  readonly status: ShareStatus;
  /** `host@backend#pool`; empty only while a record is being created. */
  readonly host: string;
  readonly shareTypeId: string;
  readonly shareNetworkId: string | null;
  readonly shareServerId: string | null;
  readonly availabilityZone: string;
  readonly castRulesToReadonly: boolean;
  readonly accessRulesStatus: AccessRulesStatus;
  /** Manila's progress string, '0%'..'100%'. */
  readonly progress: string;
  readonly replicaState: string | null;
  readonly exportLocations: readonly ExportLocation[];
  readonly providerLocation: string;
  readonly backendDetails: StringMap;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A share-level access rule; each instance maps it with a state of its own. */
export interface AccessRule {
  readonly id: string;
  readonly shareId: string;
  readonly accessType: AccessType;
  readonly accessTo: string;
  readonly accessLevel: AccessLevel;
  /** Set by the driver for cert/cephx-like rules; secret. */
  readonly accessKey: string;
  /** Rules the data service adds for itself during a host-assisted copy. */
  readonly forDataService: boolean;
  readonly createdAt: string;
}

export interface AccessRuleMapping {
  readonly accessRuleId: string;
  readonly shareInstanceId: string;
  readonly state: AccessRuleState;
  /** The driver's message for a rule in error. */
  readonly message: string;
  readonly updatedAt: string;
}

export interface Snapshot {
  readonly id: string;
  readonly shareId: string;
  readonly name: string;
  readonly description: string;
  readonly sizeGib: number;
  readonly createdAt: string;
}

export interface SnapshotInstance {
  readonly id: string;
  readonly snapshotId: string;
  readonly shareInstanceId: string;
  readonly status: SnapshotStatus;
  readonly progress: string;
  readonly providerLocation: string;
  readonly exportLocations: readonly ExportLocation[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NetworkAllocation {
  readonly id: string;
  readonly shareNetworkSubnetId: string;
  readonly ipAddress: string;
  readonly ipVersion: number;
  readonly cidr: string;
  readonly gateway: string;
  readonly mtu: number;
  readonly networkType: string;
  readonly segmentationId: number;
  readonly macAddress: string;
  readonly label: string;
}

export interface ShareServer {
  readonly id: string;
  /** `host@backend` (share servers have no pool). */
  readonly host: string;
  readonly status: ShareServerStatus;
  readonly taskState: TaskState | null;
  readonly shareNetworkId: string;
  readonly shareNetworkSubnetIds: readonly string[];
  readonly availabilityZone: string;
  /** The back end's id of the server; empty when the record was not set up on the back end. */
  readonly identifier: string;
  readonly backendDetails: StringMap;
  readonly networkAllocations: readonly NetworkAllocation[];
  /** On a migration destination: the server it migrates from. */
  readonly sourceShareServerId: string | null;
  readonly isAutoDeletable: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** How a migration ended. */
export type MigrationOutcome = 'success' | 'error' | 'cancelled';

/** Which path moves the data. */
export type MigrationMethod = 'driver_assisted' | 'host_assisted';

/** What the operator asked for in MigrationStart. */
export interface MigrationRequest {
  readonly destinationHost: string;
  readonly writable: boolean;
  readonly preserveMetadata: boolean;
  readonly preserveSnapshots: boolean;
  readonly nondisruptive: boolean;
  readonly forceHostAssistedMigration: boolean;
  /** Resolved at start: the given type, else the share's current type. */
  readonly newShareTypeId: string;
  /** Resolved at start: the given network, the current one for DHSS types, or null. */
  readonly newShareNetworkId: string | null;
}

/** The capabilities a driver's compatibility check answered. */
export interface MigrationCapabilities {
  readonly compatible: boolean;
  readonly writable: boolean;
  readonly preserveMetadata: boolean;
  readonly nondisruptive: boolean;
  readonly preserveSnapshots: boolean;
  readonly reasons: readonly string[];
}

/**
 * ferry's record of one share migration (Manila keeps none: its state is spread over the
 * share's task_state and instance statuses). It carries what a restarted daemon needs to drive
 * the migration on: the pair, the request, the chosen path and the step in flight.
 */
export interface ShareMigration {
  readonly id: string;
  readonly shareId: string;
  readonly sourceInstanceId: string;
  /** Chosen before the destination record is written, so a crash in between is explainable. */
  readonly destinationInstanceId: string | null;
  readonly request: MigrationRequest;
  readonly method: MigrationMethod | null;
  readonly capabilities: MigrationCapabilities | null;
  /** The share's task_state as this migration last set it. */
  readonly taskState: TaskState;
  /**
   * ferry's finer position inside the task_state: the step to run (or re-run after a restart).
   * src/orchestrator/share-migration/transitions.ts lists every phase and its task_state.
   */
  readonly phase: MigrationPhase;
  /** How the migration ends once its current clean-up finishes; null while it is still going. */
  readonly outcome: MigrationOutcome | null;
  /** An operator's pending request the runner has not finished: 'complete' or 'cancel'. */
  readonly pendingAction: 'complete' | 'cancel' | null;
  /** False once the migration reached a resting state it will not leave on its own. */
  readonly active: boolean;
  /** Why the driver-assisted attempt was not used, and why the migration failed. */
  readonly fallbackReason: string;
  readonly error: string;
  readonly errorReason: string;
  /** Host-assisted copy: where the copy engine keeps its checkpoint. */
  readonly checkpointPath: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}

/** One entry of a migration's history: each task_state it passed, in order. */
export interface MigrationEvent {
  readonly migrationId: string;
  readonly sequence: number;
  readonly taskState: TaskState;
  readonly message: string;
  readonly at: string;
}

/** What the operator asked for in a share server's MigrationStart (Manila 4.6). */
export interface ServerMigrationRequest {
  /** `host@backend`: share servers have no pool. */
  readonly destinationHost: string;
  readonly writable: boolean;
  readonly nondisruptive: boolean;
  readonly preserveSnapshots: boolean;
  /** The network the destination serves: the given new network, else the server's own. */
  readonly shareNetworkId: string;
  /** Whether a new network was given (the operator's request echoes it). */
  readonly newShareNetworkGiven: boolean;
}

/** The destination driver's answer to a server-migration compatibility check. */
export interface ServerMigrationCapabilities {
  readonly compatible: boolean;
  readonly writable: boolean;
  readonly nondisruptive: boolean;
  readonly preserveSnapshots: boolean;
  readonly migrationCancel: boolean;
  readonly migrationGetProgress: boolean;
  readonly shareNetworkId: string;
  readonly reasons: readonly string[];
}

/**
 * ferry's record of one share-server migration. Manila keeps its state on the two servers
 * only; ferry also keeps this record, so a restarted daemon knows the step in flight and an
 * operator can read the progress of a migration whose source server was deleted.
 */
export interface ShareServerMigration {
  readonly id: string;
  /** Not a foreign key: the source is deleted after a successful migration, the record stays. */
  readonly sourceShareServerId: string;
  /** Chosen before the destination record is written. */
  readonly destinationShareServerId: string | null;
  readonly request: ServerMigrationRequest;
  readonly capabilities: ServerMigrationCapabilities | null;
  /** The target network's subnets differ from the source's (Manila 4.6 j). */
  readonly networkChange: boolean;
  /** The source server's task_state as this migration last set it. */
  readonly taskState: TaskState;
  /** The step to run (src/orchestrator/server-migration/transitions.ts). */
  readonly phase: ServerMigrationPhase;
  readonly outcome: MigrationOutcome | null;
  readonly active: boolean;
  readonly error: string;
  readonly errorReason: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}
