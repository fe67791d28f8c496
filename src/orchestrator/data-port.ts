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

export interface DataPort {
  /** Mounts (when needed), copies, unmounts. Starts at once; progress() works immediately. */
  copyShare(job: ShareCopyJob, signal: AbortSignal): RunningShareCopy;
  /** Unmounts and removes whatever mount points a job left behind (after a crash). Idempotent. */
  release(job: ShareCopyJob): Promise<void>;
  close(): Promise<void>;
}
