/**
 * The volume copier: Cinder's copy_volume_data on ferry's terms. It owns a piscina pool of its
 * own (block-worker.ts), splits the volume into 64 MiB ranges and keeps at most two ranges per
 * thread in flight; the main thread only schedules, records finished ranges and reads shared
 * counters, so progress() and cancel answer at once while the threads copy.
 *
 * Durability and resume: finished ranges are recorded in batches, at most every few seconds
 * (CHECKPOINT_INTERVAL_MS) unless a GiB of ranges waits. A batch first has the
 * destination flushed (fdatasync on the copier's own descriptor flushes every thread's
 * writes), then its lines appended to the checkpoint and fsync'ed; ranges finishing meanwhile
 * wait for the next batch. The job resolves only after a last fdatasync, so a finished copy is
 * on disk, as Cinder's dd with conv=fdatasync or oflag=direct.
 */
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { Piscina } from 'piscina';
import type { RunningVolumeCopy, VolumeCopyJob, VolumeCopyProgress } from '../../orchestrator/data-port.js';
import { reasonForErrno } from '../errors.js';
import { initHashing } from '../verify.js';
import { CheckpointWriter, loadCheckpoint, type CheckpointHeader } from './checkpoint.js';
import { volumeDigest } from './digest.js';
import { InvalidVolumeCopyError, VolumeCopyCancelledError, VolumeCopyError, volumeCopyErrorFromFailure } from './errors.js';
import { extentsInRange, listExtents } from './extents.js';
import { meterThroughput } from '../throughput.js';
import { prepareCopy } from './prepare.js';
import {
  BlockCounter, BlockState, createBlockState, RANGE_BYTES,
  type BlockCopyResult, type BlockCopyTestHooks, type BlockJobSpec, type BlockTask, type BlockTaskResult, type RangeOk,
} from './types.js';

export interface VolumeCopierOptions {
  /** Worker threads; default: available parallelism. */
  readonly threads?: number;
}

export interface BlockCopyOptions {
  /**
   * Finished ranges are recorded (destination flushed, then the checkpoint appended) at most
   * this often, or as soon as CHECKPOINT_MAX_PENDING ranges wait; default
   * CHECKPOINT_INTERVAL_MS. 0 records each batch as soon as the previous one is done.
   */
  readonly checkpointIntervalMs?: number;
  /** @internal Fault injection and synchronisation for tests. */
  readonly testHooks?: BlockCopyTestHooks;
}

export interface RunningBlockCopy extends RunningVolumeCopy {
  /** Rejects with a VolumeCopyError (a DataCopyError); reason CANCELLED after the signal aborted it. */
  readonly done: Promise<BlockCopyResult>;
}

export interface VolumeCopier {
  /** Starts at once; progress() works immediately. */
  copyVolume(job: VolumeCopyJob, signal?: AbortSignal, options?: BlockCopyOptions): RunningBlockCopy;
  /** Resolves once the threads run (optional; a benchmark calls it so start-up is not timed). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function createVolumeCopier(options: VolumeCopierOptions = {}): VolumeCopier {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  let piscina: Piscina<BlockTask, BlockTaskResult> | null = null;
  let closed = false;
  // Started on first use: a data service that never copies a volume runs no extra threads.
  const pool = (): Piscina<BlockTask, BlockTaskResult> =>
    (piscina ??= new Piscina<BlockTask, BlockTaskResult>({
      filename: new URL('./block-worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 30_000,
    }));
  return {
    copyVolume(job, signal, opts = {}) {
      if (closed) throw new InvalidVolumeCopyError('the volume copier is closed');
      return startCopy(pool(), threads, job, signal, opts.testHooks ?? {}, opts.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS);
    },
    async ready() {
      const p = pool();
      await Promise.all(Array.from({ length: threads }, () => p.run({ kind: 'warm' })));
    },
    async close() {
      closed = true;
      await piscina?.destroy();
    },
  };
}

/**
 * Each record waits for every dirty page of the destination while the threads keep writing;
 * recording every few seconds bounds what a crash re-copies (a few seconds of work) without
 * flushing a dozen times per GiB.
 */
export const CHECKPOINT_INTERVAL_MS = 3000;
/** Ranges waiting to be recorded that start a record at once (1 GiB). */
export const CHECKPOINT_MAX_PENDING = 16;

interface Live {
  done: boolean;
  bytesResumed: number;
}

function startCopy(piscina: Piscina<BlockTask, BlockTaskResult>, threads: number, job: VolumeCopyJob, signal: AbortSignal | undefined, hooks: BlockCopyTestHooks, intervalMs: number): RunningBlockCopy {
  const stateBuffer = createBlockState();
  const state = new BlockState(stateBuffer);
  const live: Live = { done: false, bytesResumed: 0 };
  const total = Number.isSafeInteger(job.sizeBytes) && job.sizeBytes > 0 ? job.sizeBytes : 0;
  const throughput = meterThroughput(() => state.get(BlockCounter.bytesDone));
  const onAbort = (): void => state.cancel();
  if (signal?.aborted) state.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });

  const done = runCopy(piscina, threads, job, stateBuffer, state, live, hooks, intervalMs)
    .then((result) => {
      live.done = true;
      return result;
    })
    .finally(() => {
      throughput.stop();
      signal?.removeEventListener('abort', onAbort);
    });

  return {
    done,
    progress(): VolumeCopyProgress {
      const bytesDone = Math.min(total, live.bytesResumed + Math.max(0, state.get(BlockCounter.bytesDone)));
      const rate = throughput.bytesPerSecond();
      return {
        // 100 means done: a copy whose bytes are all dealt with still waits for its last fdatasync.
        totalProgress: live.done ? 100 : total > 0 ? Math.min(99, Math.floor((bytesDone * 100) / total)) : 0,
        bytesDone: live.done ? total : bytesDone,
        bytesTotal: total,
        throughputBytesPerSecond: Math.round(rate),
        etaSeconds: live.done ? 0 : rate > 0 ? Math.ceil((total - bytesDone) / rate) : null,
      };
    },
  };
}

async function runCopy(
  piscina: Piscina<BlockTask, BlockTaskResult>,
  threads: number,
  job: VolumeCopyJob,
  stateBuffer: SharedArrayBuffer,
  state: BlockState,
  live: Live,
  hooks: BlockCopyTestHooks,
  intervalMs: number,
): Promise<BlockCopyResult> {
  const started = Date.now();
  const prepared = await prepareCopy(job);
  const notes: string[] = [];
  let writer: CheckpointWriter | null = null;
  let cycle: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  try {
    const size = job.sizeBytes;
    const ranges = Math.ceil(size / RANGE_BYTES);
    const rangeLength = (i: number): number => Math.min(RANGE_BYTES, size - i * RANGE_BYTES);
    let extents: Float64Array | null = null;
    if (prepared.mode === 'file') {
      const map = await listExtents(prepared.sourcePath, size);
      if (map.fallback !== null) notes.push(`holes of ${prepared.sourcePath} could not be listed (${map.fallback}); it was read whole, zero blocks still left unwritten`);
      extents = map.extents;
    }

    // Verification reads back only what may differ from zeros: for a regular-file destination,
    // pieces written by this run or overlapping data it held at the start (listed here, after
    // prepareCopy sized it); a hole of a regular file reads as zeros by definition. Devices and
    // files whose holes cannot be listed are read back whole.
    let destinationExtents: Float64Array | null = null;
    if (job.verify !== 'none' && (await prepared.destination.stat()).isFile()) {
      const map = await listExtents(prepared.destinationPath, size);
      if (map.fallback === null) destinationExtents = map.extents;
    }

    // Resume: ranges the checkpoint names are not copied again.
    const digests: string[] = new Array<string>(ranges).fill('');
    const finished = new Array<boolean>(ranges).fill(false);
    if (job.checkpointPath) {
      if (job.checkpointPath === prepared.sourcePath || job.checkpointPath === prepared.destinationPath) {
        throw new InvalidVolumeCopyError(`checkpointPath ${job.checkpointPath} must not be the source or the destination`);
      }
      await fs.promises.mkdir(dirname(job.checkpointPath), { recursive: true });
      const header: CheckpointHeader = {
        format: 'ferry-volume-checkpoint/1', mode: prepared.mode, source: prepared.sourcePath, sourceId: prepared.sourceId,
        destination: prepared.destinationPath, destinationId: prepared.destinationId, sizeBytes: size, rangeBytes: RANGE_BYTES, verify: job.verify,
      };
      const loaded = await loadCheckpoint(job.checkpointPath, header, ranges);
      if (loaded.discarded !== null) notes.push(loaded.discarded);
      for (const [index, digest] of loaded.done) {
        finished[index] = true;
        digests[index] = digest;
        live.bytesResumed += rangeLength(index);
      }
      writer = await CheckpointWriter.open(job.checkpointPath, header, loaded.done.size === 0);
    }
    const rangesResumed = finished.filter(Boolean).length;

    const spec: BlockJobSpec = {
      mode: prepared.mode,
      sourcePath: prepared.sourcePath,
      destinationPath: prepared.destinationPath,
      sizeBytes: size,
      verify: job.verify,
      skipZeros: job.destination.sparseSupported,
      state: stateBuffer,
      corruptAfterWrite: hooks.corruptAfterWrite ?? null,
    };

    let failure: unknown = null;
    const fail = (error: unknown): void => {
      if (failure !== null) return;
      failure = error;
      // Stops the other threads at their next piece.
      state.cancel();
    };

    // Recording: fdatasync, then append the batch; one batch at a time, at most every
    // intervalMs (or once CHECKPOINT_MAX_PENDING ranges wait).
    const pending: Array<{ index: number; digest: string }> = [];
    let recorded = rangesResumed;
    let lastRecord = Date.now();
    const record = async (): Promise<void> => {
      lastRecord = Date.now();
      const batch = pending.splice(0);
      try {
        await prepared.destination.datasync();
      } catch (error) {
        const errno = (error as NodeJS.ErrnoException).code;
        throw new VolumeCopyError(reasonForErrno(errno, 'destination'), `flushing volume destination ${prepared.destinationPath} failed: ${(error as Error).message}`, prepared.destinationPath, { ...(errno ? { errno } : {}), cause: error });
      }
      if (writer !== null && batch.length > 0) {
        await writer.record(batch);
        recorded += batch.length;
        await hooks.afterCheckpoint?.(recorded);
      }
    };
    const kick = (): void => {
      if (cycle !== null || pending.length === 0 || writer === null || failure !== null || state.cancelled) return;
      const wait = lastRecord + intervalMs - Date.now();
      if (wait > 0 && pending.length < CHECKPOINT_MAX_PENDING) {
        timer ??= setTimeout(() => {
          timer = null;
          kick();
        }, wait);
        return;
      }
      if (timer !== null) clearTimeout(timer);
      timer = null;
      cycle = record().then(
        () => {
          cycle = null;
          kick();
        },
        (error: unknown) => {
          cycle = null;
          fail(error);
        },
      );
    };

    let rangesRetried = 0;
    const todo: number[] = [];
    for (let i = 0; i < ranges; i++) if (!finished[i]) todo.push(i);
    const limit = threads * 2;
    await new Promise<void>((resolveAll) => {
      let next = 0;
      let inFlight = 0;
      const pump = (): void => {
        while (failure === null && !state.cancelled && inFlight < limit && next < todo.length) {
          const index = todo[next++]!;
          const offset = index * RANGE_BYTES;
          const length = rangeLength(index);
          inFlight++;
          piscina
            .run({ kind: 'range', job: spec, index, offset, length, extents: extents === null ? null : extentsInRange(extents, offset, length),
              destinationExtents: destinationExtents === null ? null : extentsInRange(destinationExtents, offset, length),
            })
            .then(
              (r) => {
                if (!r.ok) {
                  fail(volumeCopyErrorFromFailure(r));
                  return;
                }
                const ok = r as RangeOk;
                digests[ok.index] = ok.digest;
                finished[ok.index] = true;
                if (ok.retried) rangesRetried++;
                hooks.afterRange?.(ok.index);
                pending.push({ index: ok.index, digest: ok.digest });
                kick();
              },
              (error: unknown) => fail(new VolumeCopyError('COPY_FAILED', `volume copy worker failed: ${(error as Error)?.message ?? String(error)}`, '', { cause: error })),
            )
            .finally(() => {
              inFlight--;
              pump();
            });
        }
        if (inFlight === 0 && (failure !== null || state.cancelled || next >= todo.length)) resolveAll();
      };
      pump();
    });
    // Whatever ends the job, the checkpoint is not written after it settled.
    if (timer !== null) clearTimeout(timer);
    timer = null;
    while (cycle !== null) await cycle;
    if (failure !== null) {
      // A range that saw the shared flag reports CANCELLED; the first real failure wins.
      throw failure;
    }
    if (state.cancelled) throw new VolumeCopyCancelledError();
    await record();

    let digest = '';
    if (job.verify !== 'none') {
      await initHashing();
      digest = volumeDigest(job.verify, digests);
    }
    return {
      transferMode: prepared.mode,
      bytesTotal: size,
      bytesWritten: state.get(BlockCounter.bytesWritten),
      bytesSkipped: state.get(BlockCounter.bytesSkipped),
      digest,
      rangesCopied: todo.length,
      rangesResumed,
      bytesResumed: live.bytesResumed,
      rangesRetried,
      durationMs: Date.now() - started,
      notes,
    };
  } finally {
    if (timer !== null) clearTimeout(timer);
    while (cycle !== null) await cycle;
    await writer?.close();
    await prepared.destination.close();
  }
}
