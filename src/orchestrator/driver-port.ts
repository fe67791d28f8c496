/**
 * DriverPort: the back ends' drivers as the orchestrator sees them, in domain terms. The
 * adapter in src/host/driver-port.ts translates to and from the wire contract
 * (proto/ferry/driver/v1) and calls the plugin processes. The orchestrator never sees
 * generated proto types.
 *
 * Errors: every method rejects only with FerryError (src/domain/errors.ts). A driver's own
 * error keeps its code, reason and metadata (domain driver.ferry.dev); a back end that is
 * down rejects with UNAVAILABLE reason PLUGIN_UNAVAILABLE; a capability the plugin does not
 * advertise rejects with UNIMPLEMENTED reason CAPABILITY_NOT_SUPPORTED before any call.
 * The orchestrator decides fallback or failure from code + reason, never from message text.
 */
import type { ExportLocation, NetworkAllocation, StringMap } from '../domain/resources.js';

export interface DriverCallOptions {
  /** Aborts the call (gRPC cancellation reaches the plugin's DriverContext.signal). */
  readonly signal?: AbortSignal;
  /** Deadline for this call; the adapter applies a per-method default when absent. */
  readonly timeoutMs?: number;
}

/** A share instance as a driver sees it (contract ShareInstance). */
export interface DriverShareInstance {
  readonly shareInstanceId: string;
  readonly shareId: string;
  /** The pool part of host. */
  readonly pool: string;
  /** `host@backend#pool`. */
  readonly host: string;
  readonly sizeGib: number;
  readonly shareProto: string;
  readonly exportLocations: readonly ExportLocation[];
  readonly shareTypeExtraSpecs: StringMap;
  readonly shareServerId: string;
  readonly providerLocation: string;
  readonly backendDetails: StringMap;
  readonly availabilityZone: string;
}

export interface DriverSnapshotInstance {
  readonly snapshotInstanceId: string;
  readonly snapshotId: string;
  readonly shareInstanceId: string;
  readonly sizeGib: number;
  readonly providerLocation: string;
  readonly exportLocations: readonly ExportLocation[];
}

export interface DriverShareServer {
  readonly shareServerId: string;
  readonly host: string;
  readonly shareNetworkId: string;
  readonly shareNetworkSubnetIds: readonly string[];
  readonly availabilityZone: string;
  readonly networkAllocations: readonly NetworkAllocation[];
  readonly backendDetails: StringMap;
  readonly identifier: string;
}

export interface DriverAccessRule {
  readonly accessRuleId: string;
  readonly accessType: string;
  readonly accessTo: string;
  readonly accessLevel: string;
  readonly accessKey: string;
}

export interface AccessRuleResult {
  readonly state: 'active' | 'error';
  readonly accessKey: string;
  readonly message: string;
}

/** How a data node reaches an instance's data (contract ConnectionInfo). */
export interface ConnectionInfo {
  /** argv with {path}, {export} and {options} placeholders; empty when localPath is set. */
  readonly mountArgv: readonly string[];
  readonly unmountArgv: readonly string[];
  /** access type -> protocols the data node may use (Manila's access_mapping). */
  readonly accessMapping: Readonly<Record<string, readonly string[]>>;
  /** A directory this machine reaches directly; when set no mount is needed. */
  readonly localPath: string;
  readonly mountEnvironment: StringMap;
}

export interface PeerInfo {
  readonly backend: string;
  readonly pluginName: string;
  readonly vendorVersion: string;
  readonly properties: StringMap;
}

export interface PoolReport {
  readonly name: string;
  readonly totalCapacityGib: number;
  readonly freeCapacityGib: number;
  readonly allocatedCapacityGib: number;
  readonly capabilities: StringMap;
  readonly availabilityZone: string;
}

export interface BackendIdentity {
  readonly pluginName: string;
  readonly vendorVersion: string;
  readonly capabilities: readonly string[];
}

export type BackendState = 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';

export interface BackendStatus {
  readonly name: string;
  readonly state: BackendState;
  /** Known once the plugin answered its identity calls. */
  readonly identity: BackendIdentity | undefined;
  readonly pid: number | undefined;
  readonly restarts: number;
  readonly lastError: string;
}

/** The arguments every share-migration call of one migration carries (same models each time). */
export interface MigrationPair {
  readonly migrationId: string;
  readonly source: DriverShareInstance;
  readonly destination: DriverShareInstance;
  readonly destinationPeer: PeerInfo;
  readonly sourceSnapshots: readonly DriverSnapshotInstance[];
  /** source snapshot instance id -> destination snapshot instance. */
  readonly snapshotMappings: Readonly<Record<string, DriverSnapshotInstance>>;
  readonly sourceServer?: DriverShareServer;
  readonly destinationServer?: DriverShareServer;
}

export interface CompatibilityAnswer {
  readonly compatible: boolean;
  readonly writable: boolean;
  readonly preserveMetadata: boolean;
  readonly nondisruptive: boolean;
  readonly preserveSnapshots: boolean;
  readonly incompatibilityReasons: readonly string[];
}

export interface DriverProgress {
  readonly totalProgress: number;
  readonly copiedBytes: number;
  readonly totalBytes: number;
  readonly details: StringMap;
}

export interface SnapshotModelUpdate {
  readonly providerLocation: string;
  readonly exportLocations: readonly ExportLocation[];
}

export interface MigrationCompleteResult {
  /** Replaces the destination's export locations when non-empty. */
  readonly exportLocations: readonly ExportLocation[];
  /** Keyed by destination snapshot instance id. */
  readonly snapshotUpdates: Readonly<Record<string, SnapshotModelUpdate>>;
}

export interface ModelUpdate {
  readonly exportLocations: readonly ExportLocation[];
  readonly providerLocation: string;
  readonly backendDetails: StringMap;
  readonly snapshotUpdates: Readonly<Record<string, SnapshotModelUpdate>>;
  /** True when the plugin answered UNIMPLEMENTED: keep the model as it is. */
  readonly unchanged: boolean;
}

/** One share instance of a migrating server, as its entry of Manila's shares_req_spec. */
export interface ServerShareSpec {
  readonly instance: DriverShareInstance;
  readonly shareTypeId: string;
  readonly shareTypeName: string;
  readonly shareProperties: StringMap;
}

export interface ServerCompatibilityRequest {
  readonly server: DriverShareServer;
  /** `host@backend` of the destination (the back end asked). */
  readonly destinationHost: string;
  readonly oldShareNetworkId: string;
  readonly newShareNetworkId: string;
  readonly sharesSizeGib: number;
  readonly snapshotsSizeGib: number;
  readonly shares: readonly ServerShareSpec[];
  readonly sourcePeer: PeerInfo;
}

export interface ServerCompatibilityAnswer {
  readonly compatible: boolean;
  readonly writable: boolean;
  readonly nondisruptive: boolean;
  readonly preserveSnapshots: boolean;
  readonly migrationCancel: boolean;
  readonly migrationGetProgress: boolean;
  /** Empty: the requested new network. */
  readonly shareNetworkId: string;
  readonly incompatibilityReasons: readonly string[];
}

/** The arguments every server-migration call of one migration carries, on the DESTINATION back end. */
export interface ServerMigrationCall {
  readonly migrationId: string;
  readonly sourceServer: DriverShareServer;
  readonly destinationServer: DriverShareServer;
  readonly shareInstances: readonly DriverShareInstance[];
  readonly snapshotInstances: readonly DriverSnapshotInstance[];
  readonly sourcePeer: PeerInfo;
}

/** Where one share instance lives after a server migration; empty fields keep the instance's value. */
export interface ServerShareUpdate {
  readonly exportLocations: readonly ExportLocation[];
  readonly poolName: string;
  readonly providerLocation: string;
  readonly backendDetails: StringMap;
}

export interface ServerMigrationCompleteResult {
  /** Keyed by share instance id; an instance without an entry keeps its locations and pool. */
  readonly shareUpdates: Readonly<Record<string, ServerShareUpdate>>;
  /** Keyed by snapshot instance id. */
  readonly snapshotUpdates: Readonly<Record<string, SnapshotModelUpdate>>;
  /** Only read when the destination was reused (it has no identifier). */
  readonly serverBackendDetails: StringMap;
}

/** A volume as a driver sees it (contract Volume). */
export interface DriverVolume {
  readonly volumeId: string;
  /** '' when the back-end object is named after volumeId. */
  readonly nameId: string;
  readonly sizeGib: number;
  /** The pool part of host. */
  readonly pool: string;
  /** `host@backend#pool`. */
  readonly host: string;
  readonly providerLocation: string;
  readonly volumeTypeExtraSpecs: StringMap;
  readonly status: string;
}

export interface DriverVolumeSnapshot {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly sizeGib: number;
  readonly providerLocation: string;
}

/** Where a volume attached to the data node is found; exactly one path is set. */
export interface VolumeAttachInfo {
  readonly devicePath: string;
  readonly filePath: string;
  readonly sparseSupported: boolean;
}

/** A driver's changes to a volume record; '' keeps ferry's value. */
export interface VolumeModelUpdate {
  readonly host: string;
  readonly nameId: string;
  readonly providerLocation: string;
}

export interface SpecChange {
  /** undefined: the key was absent. */
  readonly oldValue?: string;
  /** undefined: the key is absent. */
  readonly newValue?: string;
}

/** Cinder's retype diff. */
export interface VolumeTypeDiff {
  readonly extraSpecs: Readonly<Record<string, SpecChange>>;
  readonly qosSpecs: Readonly<Record<string, SpecChange>>;
  readonly encryption: Readonly<Record<string, SpecChange>>;
}

/** One back end's driver. */
export interface BackendDriver {
  readonly name: string;
  status(): BackendStatus;

  listPools(options?: DriverCallOptions): Promise<{ pools: PoolReport[]; migrationPeerInfo: StringMap }>;

  createShareInstance(
    request: { instance: DriverShareInstance; server?: DriverShareServer; sourceSnapshot?: DriverSnapshotInstance },
    options?: DriverCallOptions,
  ): Promise<{ exportLocations: ExportLocation[]; providerLocation: string; backendDetails: StringMap }>;
  /** Idempotent: deleting an instance the back end does not have succeeds. */
  deleteShareInstance(request: { instance: DriverShareInstance; server?: DriverShareServer }, options?: DriverCallOptions): Promise<void>;
  extendShareInstance(request: { instance: DriverShareInstance; newSizeGib: number; server?: DriverShareServer }, options?: DriverCallOptions): Promise<void>;
  shrinkShareInstance(request: { instance: DriverShareInstance; newSizeGib: number; server?: DriverShareServer }, options?: DriverCallOptions): Promise<void>;
  createSnapshotInstance(
    request: { snapshot: DriverSnapshotInstance; instance: DriverShareInstance; server?: DriverShareServer },
    options?: DriverCallOptions,
  ): Promise<{ providerLocation: string; exportLocations: ExportLocation[]; sizeGib: number }>;
  deleteSnapshotInstance(request: { snapshot: DriverSnapshotInstance; instance: DriverShareInstance; server?: DriverShareServer }, options?: DriverCallOptions): Promise<void>;
  /** Sends the full rule list (recovery mode: add/delete/update lists stay empty). */
  updateAccess(
    request: { instance: DriverShareInstance; rules: readonly DriverAccessRule[]; castRulesToReadonly: boolean; server?: DriverShareServer },
    options?: DriverCallOptions,
  ): Promise<Record<string, AccessRuleResult>>;
  getConnectionInfo(request: { instance: DriverShareInstance; server?: DriverShareServer }, options?: DriverCallOptions): Promise<ConnectionInfo>;
  getExportLocations(request: { instance: DriverShareInstance; server?: DriverShareServer }, options?: DriverCallOptions): Promise<ExportLocation[]>;

  migrationCheckCompatibility(
    request: { source: DriverShareInstance; destination: DriverShareInstance; destinationPeer: PeerInfo; sourceServer?: DriverShareServer; destinationServer?: DriverShareServer },
    options?: DriverCallOptions,
  ): Promise<CompatibilityAnswer>;
  migrationStart(pair: MigrationPair, options?: DriverCallOptions): Promise<void>;
  /** True when phase 1 is done. */
  migrationContinue(pair: MigrationPair, options?: DriverCallOptions): Promise<boolean>;
  migrationComplete(pair: MigrationPair, options?: DriverCallOptions): Promise<MigrationCompleteResult>;
  migrationCancel(pair: MigrationPair, options?: DriverCallOptions): Promise<void>;
  migrationGetProgress(pair: MigrationPair, options?: DriverCallOptions): Promise<DriverProgress>;
  /** Called on the DESTINATION back end after either path. */
  migrationUpdateModel(
    request: {
      migrationId: string;
      method: 'driver_assisted' | 'host_assisted';
      source: DriverShareInstance;
      destination: DriverShareInstance;
      destinationSnapshots: readonly DriverSnapshotInstance[];
      destinationServer?: DriverShareServer;
      sourcePeer: PeerInfo;
    },
    options?: DriverCallOptions,
  ): Promise<ModelUpdate>;

  setupShareServer(
    request: { server: DriverShareServer; metadata: StringMap },
    options?: DriverCallOptions,
  ): Promise<{ identifier: string; backendDetails: StringMap; networkAllocations: NetworkAllocation[] }>;
  teardownShareServer(request: { server: DriverShareServer }, options?: DriverCallOptions): Promise<void>;

  // Share-server migration: every call goes to the DESTINATION back end (share_server.proto).
  shareServerMigrationCheckCompatibility(request: ServerCompatibilityRequest, options?: DriverCallOptions): Promise<ServerCompatibilityAnswer>;
  /** Returns backend details merged into the destination server's. */
  shareServerMigrationStart(call: ServerMigrationCall, options?: DriverCallOptions): Promise<{ backendDetails: StringMap }>;
  /** True when phase 1 is done. */
  shareServerMigrationContinue(call: ServerMigrationCall, options?: DriverCallOptions): Promise<boolean>;
  shareServerMigrationGetProgress(call: ServerMigrationCall, options?: DriverCallOptions): Promise<DriverProgress>;
  shareServerMigrationCancel(call: ServerMigrationCall, options?: DriverCallOptions): Promise<void>;
  /** `networkServer`: the server whose subnets and allocations make new_network_info. */
  shareServerMigrationComplete(call: ServerMigrationCall & { readonly networkServer: DriverShareServer }, options?: DriverCallOptions): Promise<ServerMigrationCompleteResult>;

  // Volumes (volume.proto).
  createVolume(request: { volume: DriverVolume }, options?: DriverCallOptions): Promise<{ providerLocation: string }>;
  /** Idempotent: deleting a volume the back end does not have succeeds. */
  deleteVolume(request: { volume: DriverVolume }, options?: DriverCallOptions): Promise<void>;
  attachVolume(request: { volume: DriverVolume; dataNode: string; readOnly: boolean }, options?: DriverCallOptions): Promise<VolumeAttachInfo>;
  detachVolume(request: { volume: DriverVolume; dataNode: string }, options?: DriverCallOptions): Promise<void>;
  /** On the SOURCE back end. moved = false: nothing was done, run the generic migration. */
  migrateVolume(
    request: {
      migrationId: string;
      volume: DriverVolume;
      /** `host@backend`. */
      destinationHost: string;
      destinationPool: string;
      destinationPeer: PeerInfo;
      newVolumeTypeExtraSpecs: StringMap;
    },
    options?: DriverCallOptions,
  ): Promise<{ moved: boolean; modelUpdate: VolumeModelUpdate | null }>;
  /**
   * On the DESTINATION back end after a host copy. null when the plugin does not implement it
   * (UNIMPLEMENTED): ferry applies Cinder's defaults.
   */
  updateMigratedVolume(
    request: { volume: DriverVolume; newVolume: DriverVolume; originalVolumeStatus: string },
    options?: DriverCallOptions,
  ): Promise<{ nameId: string; providerLocation: string } | null>;
  retypeVolume(
    request: { volume: DriverVolume; newVolumeTypeId: string; newVolumeTypeExtraSpecs: StringMap; diff: VolumeTypeDiff; host: string },
    options?: DriverCallOptions,
  ): Promise<{ retyped: boolean; modelUpdate: VolumeModelUpdate | null }>;
  createVolumeSnapshot(request: { snapshot: DriverVolumeSnapshot; volume: DriverVolume }, options?: DriverCallOptions): Promise<{ providerLocation: string }>;
  /** Idempotent. */
  deleteVolumeSnapshot(request: { snapshot: DriverVolumeSnapshot; volume: DriverVolume }, options?: DriverCallOptions): Promise<void>;
}

export interface DriverPort {
  /** The configured back-end names, in configuration order. */
  backendNames(): readonly string[];
  /** Throws NotFoundError (reason BACKEND_NOT_FOUND) for an unknown name. */
  backend(name: string): BackendDriver;
  /** Called on every back-end state change; returns an unsubscribe function. */
  onStatus(listener: (status: BackendStatus) => void): () => void;
}
