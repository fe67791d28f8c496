/**
 * Block volumes (Cinder's model, manila-migration-behaviour section 7): volume types, volumes,
 * their attachments, snapshots and groups, and ferry's record of one volume migration or
 * retype. Plain, serialisable records like resources.ts; statuses are spelled as Cinder spells
 * them.
 */
import type { MigrationOutcome, StringMap } from './resources.js';

export const VOLUME_STATUSES = [
  'creating', // the driver is creating the volume
  'available', // detached and usable
  'in-use', // has at least one attachment
  'maintenance', // locked by a migration with lock_volume (Cinder): users cannot act on it
  'retyping', // a retype is running
  'deleting',
  'error',
  'error_deleting',
] as const;
export type VolumeStatus = (typeof VOLUME_STATUSES)[number];

/** Statuses a migration or retype starts from (Cinder's os-migrate_volume and os-retype). */
export const MIGRATABLE_VOLUME_STATUSES: readonly VolumeStatus[] = ['available', 'in-use'];

/** Cinder's migration_status values, besides `target:<source volume id>` on a temporary volume. */
export const VOLUME_MIGRATION_STATUSES = [
  'starting', // accepted by the API (or a retype that needs a migration)
  'migrating', // the source back end (or the data node) works: driver migrate or host copy
  'completing', // update_migrated_volume and the record swap
  'success',
  'error',
  'deleting', // the old back-end object could not be deleted after a successful migration
] as const;
export type VolumeMigrationStatus = (typeof VOLUME_MIGRATION_STATUSES)[number] | `target:${string}`;

/** migration_status values that let a new migration, a retype or a delete start (Cinder). */
export const RESTING_VOLUME_MIGRATION_STATUSES: ReadonlySet<VolumeMigrationStatus | null> = new Set<VolumeMigrationStatus | null>([
  null, 'success', 'error', 'deleting',
]);

export const VOLUME_SNAPSHOT_STATUSES = ['creating', 'available', 'deleting', 'error', 'error_deleting'] as const;
export type VolumeSnapshotStatus = (typeof VOLUME_SNAPSHOT_STATUSES)[number];

export interface VolumeType {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /**
   * Extra specs sent to drivers verbatim. ferry reads volume_backend_name (the back ends a
   * volume of this type may live on) and RESKEY:availability_zones (comma list).
   */
  readonly extraSpecs: StringMap;
  /** QoS specs; a change in them closes the driver-assisted path of a retype (Cinder). */
  readonly qosSpecs: StringMap;
  readonly isPublic: boolean;
  readonly createdAt: string;
}

/**
 * An attachment marks a volume in-use by a consumer (an instance or a host). ferry has no
 * compute service: an attachment is the consumer's claim, recorded so statuses and the
 * migration rules behave as in Cinder. The data node's own attachments for a host copy are
 * driver calls (AttachVolume), not records here.
 */
export interface VolumeAttachment {
  readonly id: string;
  readonly instanceUuid: string;
  readonly attachedHost: string;
  readonly mountpoint: string;
  readonly attachedAt: string;
}

export interface Volume {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly sizeGib: number;
  readonly volumeTypeId: string;
  readonly status: VolumeStatus;
  /** null: never migrated. */
  readonly migrationStatus: VolumeMigrationStatus | null;
  /** The status before a migration or retype changed it; restored when it ends. */
  readonly previousStatus: VolumeStatus | null;
  /** `host@backend#pool`; empty only while a record is being created. */
  readonly host: string;
  readonly availabilityZone: string;
  /** Cinder's _name_id: the id the back-end object is named after when not this id. */
  readonly nameId: string | null;
  readonly providerLocation: string;
  readonly groupId: string | null;
  readonly attachments: readonly VolumeAttachment[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface VolumeSnapshot {
  readonly id: string;
  readonly volumeId: string;
  readonly name: string;
  readonly sizeGib: number;
  readonly status: VolumeSnapshotStatus;
  readonly providerLocation: string;
  readonly createdAt: string;
}

/** A generic volume group (Cinder's group, default implementation: records only). */
export interface VolumeGroup {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
}

/** What the operator asked for: a migration (MigrateVolume) or a retype (RetypeVolume). */
export interface VolumeMigrationRequest {
  readonly kind: 'migrate' | 'retype';
  /**
   * `host@backend#pool`. For a retype: the pool the scheduler picked (the volume's own for an
   * in-place retype).
   */
  readonly destinationHost: string;
  readonly forceHostCopy: boolean;
  readonly lockVolume: boolean;
  /** Retype only: the new type; null for a migration. */
  readonly newVolumeTypeId: string | null;
  /** Retype only: 'never' (default) or 'on-demand'; null for a migration. */
  readonly migrationPolicy: 'never' | 'on-demand' | null;
}

/** How the data moved (or is moving). */
export type VolumeMigrationMethod = 'driver_assisted' | 'host_copy' | 'retype_in_place';

/** Cinder's two host-copy transfer modes: a block device (dd-like) or an image file. */
export type VolumeTransferMode = 'block' | 'file';

/**
 * ferry's record of one volume migration or retype. Cinder keeps none (its state is the
 * volume's migration_status plus the temporary volume); ferry keeps this record so a restarted
 * daemon knows the step in flight and an operator can read progress and history.
 */
export interface VolumeMigration {
  readonly id: string;
  readonly volumeId: string;
  readonly request: VolumeMigrationRequest;
  /** `host@backend#pool` the volume was on when the migration started. */
  readonly sourceHost: string;
  /** The volume's status when accepted ('available' or 'in-use'); restored at the end. */
  readonly originalStatus: VolumeStatus;
  /** The volume type before a retype (restored on failure). */
  readonly originalVolumeTypeId: string;
  readonly method: VolumeMigrationMethod | null;
  readonly transferMode: VolumeTransferMode | null;
  /** The generic migration's temporary destination volume (migration_status target:<volumeId>). */
  readonly temporaryVolumeId: string | null;
  /** The step to run (src/orchestrator/volume-migration/transitions.ts). */
  readonly phase: VolumeMigrationPhase;
  readonly outcome: MigrationOutcome | null;
  /** An operator's abort the runner has not acted on yet. */
  readonly abortRequested: boolean;
  readonly active: boolean;
  readonly bytesCopied: number;
  readonly bytesTotal: number;
  /** Why the driver-assisted attempt was not used. */
  readonly fallbackReason: string;
  readonly error: string;
  readonly errorReason: string;
  /** Where the host copy keeps its checkpoint. */
  readonly checkpointPath: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | null;
}

/** One entry of a volume migration's history: each phase it entered, in order. */
export interface VolumeMigrationEvent {
  readonly migrationId: string;
  readonly sequence: number;
  readonly phase: VolumeMigrationPhase;
  /** The volume's migration_status after the move (null for an in-place retype). */
  readonly migrationStatus: VolumeMigrationStatus | null;
  readonly message: string;
  readonly at: string;
}

/**
 * The phases of ferry's volume-migration machine; the transition table is
 * src/orchestrator/volume-migration/transitions.ts.
 */
export const VOLUME_MIGRATION_PHASES = [
  'accepted', // validated and recorded (migration_status starting, or status retyping)
  'retype_in_place', // RetypeVolume on the volume's own back end
  'driver_migrate', // MigrateVolume on the source back end (migrating)
  'create_target', // the temporary volume on the destination (target:<id>)
  'host_copy', // attach both on the data node, copy, detach
  'complete', // UpdateMigratedVolume and the record swap (completing)
  'delete_old', // DeleteVolume of the old back-end object on the source
  'rollback', // delete the temporary volume, restore status (and type)
  'finished', // resting: outcome says how it ended
] as const;
export type VolumeMigrationPhase = (typeof VOLUME_MIGRATION_PHASES)[number];
