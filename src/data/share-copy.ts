/**
 * The data service: ferry's DataPort. Reaches both share instances (share-mount.ts), runs the
 * copy engine between them and always releases the mounts, success or not.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { DataPort, RunningShareCopy, ShareCopyJob, ShareCopyProgress, ShareCopyResult } from '../orchestrator/data-port.js';
import { createVolumeCopier } from './block/index.js';
import { createCopyPool, type CopyJob, type CopyPool } from './index.js';
import { copyRootMetadata } from './root-metadata.js';
import { reachShare, releaseRecordedMount, type MountSettings } from './share-mount.js';

export interface DataServiceOptions extends MountSettings {
  /** Copy-engine worker threads; default: available parallelism. */
  readonly threads?: number;
  readonly bandwidthBytesPerSecond?: number;
  readonly logger: Logger;
}

const IDLE: ShareCopyProgress = {
  totalProgress: 0, bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0, currentFiles: [], throughputBytesPerSecond: 0, etaSeconds: null,
};

export function createDataService(options: DataServiceOptions): DataPort {
  let pool: CopyPool | undefined;
  const getPool = () => (pool ??= createCopyPool({ threads: options.threads }));
  // Volumes copy on their own pool (src/data/block), started on the first copyVolume.
  const volumes = createVolumeCopier({ threads: options.threads });

  return {
    copyShare(job: ShareCopyJob, signal: AbortSignal): RunningShareCopy {
      let engine: CopyJob | undefined;
      const log = options.logger.child({ migrationId: job.migrationId });
      const done = (async (): Promise<ShareCopyResult> => {
        const source = await reachShare(options, job.source, 'source');
        try {
          const destination = await reachShare(options, job.destination, 'destination');
          try {
            await mkdir(dirname(job.checkpointPath), { recursive: true });
            engine = getPool().copyTree(
              {
                source: source.root,
                destination: destination.root,
                ignore: [...job.ignore],
                verify: job.verify,
                checkpointPath: job.checkpointPath,
                // A resumed copy may find files of its earlier run; mirror removes what no
                // longer belongs, so the destination always ends equal to the source.
                mirror: true,
                bandwidthBytesPerSecond: options.bandwidthBytesPerSecond,
              },
              signal,
            );
            const result = await engine.done;
            // The engine leaves the roots alone; a share's root mode, owner and times are its own.
            await copyRootMetadata(source.root, destination.root);
            log.info({ filesCopied: result.filesCopied, filesSkipped: result.filesSkipped, bytesCopied: result.bytesCopied, durationMs: result.durationMs }, 'data copy finished');
            return { filesCopied: result.filesCopied, filesSkipped: result.filesSkipped, bytesCopied: result.bytesCopied, notes: result.notes };
          } finally {
            const warning = await destination.release();
            if (warning) log.warn({ warning }, 'destination release failed');
          }
        } finally {
          const warning = await source.release();
          if (warning) log.warn({ warning }, 'source release failed');
        }
      })();
      return {
        progress(): ShareCopyProgress {
          if (engine === undefined) return IDLE;
          const p = engine.progress();
          return {
            totalProgress: p.totalProgress, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, filesDone: p.filesDone, filesTotal: p.filesTotal,
            currentFiles: p.currentFiles, throughputBytesPerSecond: p.bytesPerSecond, etaSeconds: p.etaSeconds,
          };
        },
        done,
      };
    },
    copyVolume: (job, signal) => volumes.copyVolume(job, signal),
    async releaseMounts(migrationId: string, shareInstanceIds: readonly string[]): Promise<void> {
      for (const shareInstanceId of shareInstanceIds) {
        const warning = await releaseRecordedMount(options, shareInstanceId);
        if (warning) options.logger.warn({ migrationId, shareInstanceId, warning }, 'release after restart failed');
      }
    },
    async close(): Promise<void> {
      await Promise.all([pool?.close(), volumes.close()]);
    },
  };
}
