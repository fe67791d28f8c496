/**
 * Types of the block copy engine (Cinder's copy_volume_data) and the messages that cross the
 * thread boundary between the copier (main thread, copier.ts) and block-worker.ts. Everything
 * in a task is plain data or a SharedArrayBuffer, so it survives structured clone.
 */
import type { HashAlgorithm, VolumeCopyResult } from '../../orchestrator/data-port.js';
import type { DataCopyReason } from '../errors.js';

/** Bytes of one copy range: the unit of work for a thread, of the checkpoint and of the digest. */
export const RANGE_BYTES = 64 * 1024 * 1024;
/** Bytes of one digest leaf: the volume digest is a tree over 1 MiB leaves (digest.ts). */
export const LEAF_BYTES = 1024 * 1024;
/**
 * Bytes read (and written) per call. A buffer that fits in L2 took less than half the CPU time
 * of a 1 MiB one in the file engine (docs/data-engine.md); a leaf is four pieces.
 */
export const PIECE_BYTES = 256 * 1024;
/**
 * Granularity of zero detection: a file system allocates in 4 KiB blocks, so a zero block of
 * that size left unwritten is a block the destination never allocates.
 */
export const ZERO_BLOCK_BYTES = 4096;

export type TransferMode = 'block' | 'file';

/** @internal Fault injection and synchronisation points for tests only. */
export interface BlockCopyTestHooks {
  /**
   * After writing the piece holding this volume offset, flip the destination's byte there, on
   * the first `times` attempts of its range (1: the retry repairs it; 2: the copy fails).
   */
  corruptAfterWrite?: { offset: number; times: number };
  /**
   * Called on the main thread each time the checkpoint has durably recorded more ranges, with
   * the number recorded so far; the job waits for the returned promise before recording more.
   */
  afterCheckpoint?: (rangesRecorded: number) => void | Promise<void>;
  /** Called on the main thread when a range's result arrives (before it is recorded). */
  afterRange?: (index: number) => void;
}

/** What the copier gives every range task; the same object for every task of a job. */
export interface BlockJobSpec {
  readonly mode: TransferMode;
  readonly sourcePath: string;
  readonly destinationPath: string;
  readonly sizeBytes: number;
  readonly verify: HashAlgorithm;
  /** Leave zero blocks unwritten (destination.sparseSupported). */
  readonly skipZeros: boolean;
  /** Int32 [cancel] then BigInt64 counters, see BlockCounter. */
  readonly state: SharedArrayBuffer;
  readonly corruptAfterWrite: { offset: number; times: number } | null;
}

export interface RangeTask {
  readonly kind: 'range';
  readonly job: BlockJobSpec;
  readonly index: number;
  readonly offset: number;
  readonly length: number;
  /**
   * File mode: the source's data extents inside this range as [start, end) pairs of volume
   * offsets, ascending; everything else is a hole. null in block mode (everything is read).
   */
  readonly extents: Float64Array | null;
  /**
   * With verification, when the destination is a regular file: its data extents inside this
   * range when the job started, as [start, end) pairs (everything else is a hole, which reads as
   * zeros by definition). A piece that this attempt does not write and that overlaps none of
   * them is not read back. null: read back every piece (a device, or the holes could not be
   * listed).
   */
  readonly destinationExtents: Float64Array | null;
}

export interface WarmTask {
  readonly kind: 'warm';
}

export type BlockTask = RangeTask | WarmTask;

export interface RangeOk {
  readonly ok: true;
  readonly index: number;
  /** Hex range digest (digest.ts); '' without verification. */
  readonly digest: string;
  readonly written: number;
  readonly skipped: number;
  /** The first attempt found a mismatch and the range was copied again. */
  readonly retried: boolean;
}

export interface WarmOk {
  readonly ok: true;
  readonly index: -1;
}

/** What a worker returns instead of throwing (Error subclasses do not survive the thread boundary). */
export interface BlockFailure {
  readonly ok: false;
  readonly reason: DataCopyReason;
  readonly message: string;
  /** The source or destination path the failure is about. */
  readonly path: string;
  readonly errno?: string;
  /** Volume offset of the failing read, write or mismatch; -1 when none applies. */
  readonly offset: number;
}

export type BlockTaskResult = RangeOk | WarmOk | BlockFailure;

/** Indices into the job's BigInt64 counters. */
export const BlockCounter = {
  /** Bytes of the volume dealt with (written, or skipped as a hole or zeros), this run. */
  bytesDone: 0,
  bytesWritten: 1,
  bytesSkipped: 2,
} as const;
const COUNTERS = 3;
/** Int32 words before the counters: [cancel, padding]. */
const INT_WORDS = 2;

export function createBlockState(): SharedArrayBuffer {
  return new SharedArrayBuffer(INT_WORDS * 4 + COUNTERS * 8);
}

/** Typed views over a job's shared state. */
export class BlockState {
  readonly ints: Int32Array;
  readonly counters: BigInt64Array;
  constructor(buffer: SharedArrayBuffer) {
    this.ints = new Int32Array(buffer, 0, INT_WORDS);
    this.counters = new BigInt64Array(buffer, INT_WORDS * 4, COUNTERS);
  }
  get cancelled(): boolean {
    return Atomics.load(this.ints, 0) !== 0;
  }
  cancel(): void {
    Atomics.store(this.ints, 0, 1);
  }
  add(counter: number, n: number): void {
    if (n !== 0) Atomics.add(this.counters, counter, BigInt(n));
  }
  get(counter: number): number {
    return Number(Atomics.load(this.counters, counter));
  }
}

/** The copier's result: the port's VolumeCopyResult plus what a resume and the engine add. */
export interface BlockCopyResult extends VolumeCopyResult {
  /** Ranges copied in this run (RANGE_BYTES each, the last one shorter). */
  readonly rangesCopied: number;
  /** Ranges found finished in the checkpoint and not copied again. */
  readonly rangesResumed: number;
  /** Bytes of those ranges: bytesWritten + bytesSkipped + bytesResumed = bytesTotal. */
  readonly bytesResumed: number;
  /** Ranges whose first attempt failed verification and that were copied again. */
  readonly rangesRetried: number;
  readonly durationMs: number;
  /** Human-readable remarks (fallbacks taken, a checkpoint that did not match and was discarded). */
  readonly notes: readonly string[];
}
