/**
 * DataPort: ferry's data service as the orchestrator sees it. It reaches both instances
 * (directly through a driver's local_path, or by mounting them with the driver's argv
 * templates), copies the tree with the copy engine and releases the mounts. Implemented by
 * src/data/share-copy.ts.
 */
import type { ExportLocation } from '../domain/resources.js';
import type { ConnectionInfo } from './driver-port.js';
import type { CopyDetails } from './ferry-api.js';

export interface ShareEndpoint {
  readonly shareInstanceId: string;
  readonly shareProto: string;
  readonly exportLocations: readonly ExportLocation[];
  readonly connection: ConnectionInfo;
}

export type HashAlgorithm = 'sha256' | 'xxh128' | 'none';

export interface ShareCopyJob {
  readonly migrationId: string;
  readonly source: ShareEndpoint;
  readonly destination: ShareEndpoint;
  /** Bare names skipped at any depth (migration_ignore_files). */
  readonly ignore: readonly string[];
  readonly verify: HashAlgorithm;
  /** Where the engine records finished files; the same path resumes an interrupted copy. */
  readonly checkpointPath: string;
}

export interface ShareCopyProgress extends CopyDetails {
  /** 0..100, exactly 100 only when the copy is done. */
  readonly totalProgress: number;
}

export interface ShareCopyResult {
  readonly filesCopied: number;
  readonly filesSkipped: number;
  readonly bytesCopied: number;
  readonly notes: readonly string[];
}

export interface RunningShareCopy {
  /** Cheap and synchronous. */
  progress(): ShareCopyProgress;
  /** Rejects with a FerryError; reason CANCELLED after the signal aborted it. */
  readonly done: Promise<ShareCopyResult>;
}

/**
 * Where the data node finds an attached volume (the driver's AttachVolume answer). Exactly one
 * of devicePath and filePath is set; it decides the transfer mode (block or file).
 */
export interface VolumeEndpoint {
  readonly volumeId: string;
  /** A block device, e.g. /dev/sdc: copied dd-like, byte range by byte range. */
  readonly devicePath: string;
  /** A raw image file: copied extent by extent (holes found with SEEK_DATA/SEEK_HOLE). */
  readonly filePath: string;
  /** The target reads unwritten ranges as zeros, so zero blocks need not be written. */
  readonly sparseSupported: boolean;
}

export interface VolumeCopyJob {
  readonly migrationId: string;
  readonly source: VolumeEndpoint;
  readonly destination: VolumeEndpoint;
  /** The volume's size; the copy covers exactly these bytes. */
  readonly sizeBytes: number;
  readonly verify: HashAlgorithm;
  /** Where the engine records finished ranges; the same path resumes an interrupted copy. */
  readonly checkpointPath: string;
}

export interface VolumeCopyProgress {
  /** 0..100, exactly 100 only when the copy is done. */
  readonly totalProgress: number;
  /** Bytes of the volume dealt with (written, or skipped as a hole or zeros). */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly throughputBytesPerSecond: number;
  /** null while unknown. */
  readonly etaSeconds: number | null;
}

export interface VolumeCopyResult {
  readonly transferMode: 'block' | 'file';
  readonly bytesTotal: number;
  /** Bytes actually written to the destination. */
  readonly bytesWritten: number;
  /** Bytes left as holes (not written) because they were holes or zeros on the source. */
  readonly bytesSkipped: number;
  /** The source's digest in hex when verifying (the destination read back matched it), else ''. */
  readonly digest: string;
}

export interface RunningVolumeCopy {
  /** Cheap and synchronous. */
  progress(): VolumeCopyProgress;
  /** Rejects with a FerryError; reason CANCELLED after the signal aborted it. */
  readonly done: Promise<VolumeCopyResult>;
}

export interface DataPort {
  /** Mounts (when needed), copies, unmounts. Starts at once; progress() works immediately. */
  copyShare(job: ShareCopyJob, signal: AbortSignal): RunningShareCopy;
  /**
   * Copies an attached volume's bytes to another attached volume (Cinder's copy_volume_data)
   * in the copy pool, leaving zero ranges unwritten when the destination is sparse. Starts at
   * once; progress() works immediately.
   */
  copyVolume(job: VolumeCopyJob, signal: AbortSignal): RunningVolumeCopy;
  /**
   * Unmounts and removes whatever mount points a copy of these share instances left behind (a
   * copy killed with its process), from what the data service recorded when it mounted: no
   * driver is asked, so it works while a back end is down. Idempotent; failures are logged.
   */
  releaseMounts(migrationId: string, shareInstanceIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
