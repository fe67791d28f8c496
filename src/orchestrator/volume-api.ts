/**
 * The volume half of the Ferry interface (Cinder's volumes, volume types, migrate and retype):
 * the operations and the shapes they take and answer. ferry-api.ts composes it into Ferry.
 */
import type { StringMap } from '../domain/resources.js';
import type {
  Volume, VolumeGroup, VolumeMigration, VolumeMigrationEvent, VolumeMigrationStatus, VolumeSnapshot, VolumeStatus,
  VolumeType,
} from '../domain/volumes.js';
import type { WatchOptions } from './ferry-api.js';

/** A volume with its type's name and its latest migration (active or finished). */
export interface VolumeView extends Volume {
  readonly volumeTypeName: string;
  readonly migration: VolumeMigration | null;
}

export interface CreateVolumeRequest {
  readonly name?: string;
  readonly description?: string;
  readonly sizeGib: number;
  /** Volume type id or name; the default type when absent. */
  readonly volumeType?: string;
  readonly availabilityZone?: string;
  /** Place the volume on this `host@backend#pool` instead of letting the scheduler choose. */
  readonly host?: string;
  readonly groupId?: string;
}

export interface VolumeFilterRequest {
  readonly status?: VolumeStatus;
  /** Exact `host@backend#pool` or a `host@backend` prefix. */
  readonly host?: string;
  readonly groupId?: string;
}

export interface AttachVolumeRequest {
  readonly volumeId: string;
  /** The consumer: an instance id, or '' with attachedHost set. */
  readonly instanceUuid?: string;
  readonly attachedHost?: string;
  readonly mountpoint?: string;
}

export interface MigrateVolumeRequest {
  readonly volumeId: string;
  /** `host@backend#pool`. */
  readonly host: string;
  readonly forceHostCopy?: boolean;
  readonly lockVolume?: boolean;
}

export interface RetypeVolumeRequest {
  readonly volumeId: string;
  /** Volume type id or name. */
  readonly newType: string;
  /** Default 'never' (Cinder). */
  readonly migrationPolicy?: 'never' | 'on-demand';
}

export interface VolumeMigrationStartResult {
  readonly migrationId: string;
  readonly volume: VolumeView;
}

/** A volume migration's state, with live host-copy progress while it copies. */
export interface VolumeMigrationProgress {
  readonly volumeId: string;
  readonly migrationId: string;
  readonly kind: 'migrate' | 'retype';
  readonly phase: VolumeMigration['phase'];
  readonly migrationStatus: VolumeMigrationStatus | null;
  readonly volumeStatus: VolumeStatus;
  readonly method: VolumeMigration['method'];
  readonly transferMode: VolumeMigration['transferMode'];
  readonly temporaryVolumeId: string;
  /** 0..100; exactly 100 only when the migration succeeded. */
  readonly totalProgress: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly throughputBytesPerSecond: number;
  readonly etaSeconds: number | null;
  readonly active: boolean;
  readonly outcome: VolumeMigration['outcome'];
  readonly fallbackReason: string;
  readonly error: string;
  readonly errorReason: string;
}

export interface CreateVolumeTypeRequest {
  readonly name: string;
  readonly description?: string;
  readonly extraSpecs?: StringMap;
  readonly qosSpecs?: StringMap;
  readonly isPublic?: boolean;
}

export interface FerryVolumes {
  // volumes
  createVolume(request: CreateVolumeRequest): Promise<VolumeView>;
  getVolume(volumeId: string): Promise<VolumeView>;
  listVolumes(filter?: VolumeFilterRequest): Promise<VolumeView[]>;
  deleteVolume(volumeId: string): Promise<void>;
  /** Records a consumer's attachment: status in-use. */
  attachVolume(request: AttachVolumeRequest): Promise<VolumeView>;
  /** Removes one attachment (the only one when attachmentId is absent); available when none is left. */
  detachVolume(volumeId: string, attachmentId?: string): Promise<VolumeView>;
  /** Cinder's os-reset_status: status and/or migration_status ('' clears migration_status). */
  resetVolumeStatus(volumeId: string, reset: { status?: VolumeStatus; migrationStatus?: VolumeMigrationStatus | '' }): Promise<VolumeView>;

  createVolumeSnapshot(request: { volumeId: string; name?: string }): Promise<VolumeSnapshot>;
  deleteVolumeSnapshot(snapshotId: string): Promise<void>;
  listVolumeSnapshots(filter?: { volumeId?: string }): Promise<VolumeSnapshot[]>;

  createVolumeGroup(request: { name: string; description?: string }): Promise<VolumeGroup>;
  listVolumeGroups(): Promise<VolumeGroup[]>;
  deleteVolumeGroup(groupId: string): Promise<void>;

  // volume types (Catalog)
  createVolumeType(request: CreateVolumeTypeRequest): Promise<VolumeType>;
  listVolumeTypes(): Promise<VolumeType[]>;
  deleteVolumeType(idOrName: string): Promise<void>;

  // migrate and retype (Cinder's os-migrate_volume and os-retype)
  /** Validated and accepted at once (migration_status starting); the migration runs in the background. */
  migrateVolume(request: MigrateVolumeRequest): Promise<VolumeMigrationStartResult>;
  /** Accepted at once (status retyping); in place or by migration, in the background. */
  retypeVolume(request: RetypeVolumeRequest): Promise<VolumeMigrationStartResult>;
  /** The volume's latest migration or retype. */
  getVolumeMigration(volumeId: string): Promise<VolumeMigrationProgress>;
  /** Progress until the migration ends. */
  watchVolumeMigration(volumeId: string, options?: WatchOptions): AsyncIterable<VolumeMigrationProgress>;
  volumeMigrationHistory(migrationId: string): Promise<VolumeMigrationEvent[]>;
  /** Stops a migration without lock_volume before its completing step: temporary volume deleted, migration_status error. */
  abortVolumeMigration(volumeId: string): Promise<VolumeView>;
}
