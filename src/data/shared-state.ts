/**
 * The job's SharedArrayBuffer: cancel flag, progress counters and current-file slots, written
 * by workers with Atomics and read by the pool without any message or filesystem polling.
 *
 * Layout: Int32 words [cancel, busyTasks, handedOff, fullWalk, slotOwner x SLOTS, slotLength x
 * SLOTS], then BigInt64 counters, then SLOTS x NAME_BYTES of names.
 */
import { threadId } from 'node:worker_threads';

export const SLOTS = 16;
const NAME_BYTES = 512;
const I_CANCEL = 0;
const I_BUSY = 1;
const I_HANDED_OFF = 2;
const I_FULL_WALK = 3;
const I_OWNER = 4;
const I_LEN = I_OWNER + SLOTS;
const INT_WORDS = I_LEN + SLOTS;

export const C = {
  bytesDone: 0,
  filesDone: 1,
  bytesCopied: 2,
  filesCopied: 3,
  filesSkipped: 4,
  entriesRemoved: 5,
  /** Corrections to bytesTotal/filesTotal found while copying (a file grew, a hard link seen twice). */
  bytesTotalAdjust: 6,
  /** Bandwidth limiter: virtual time (ns, hrtime) when the next byte may be written. */
  bandwidthNextNs: 7,
  /** Date.now() of the last checkpoint fsync. */
  lastCheckpointSyncMs: 8,
  /** Extended attributes the destination refused (unsupported, or trusted.* without root). */
  xattrFailures: 9,
  /** copyMethod 'auto': nanoseconds and bytes measured per method (see copy-method.ts). */
  readWriteNs: 10,
  readWriteBytes: 11,
  offloadNs: 12,
  offloadBytes: 13,
  /** Lines appended to the checkpoint by this job (none: the file needs no compaction). */
  checkpointLines: 14,
} as const;
const COUNTERS = 15;

const BIG_OFFSET = INT_WORDS * 4 + ((8 - ((INT_WORDS * 4) % 8)) % 8);
const NAMES_OFFSET = BIG_OFFSET + COUNTERS * 8;
const TOTAL_BYTES = NAMES_OFFSET + SLOTS * NAME_BYTES;

export function createSharedState(): SharedArrayBuffer {
  return new SharedArrayBuffer(TOTAL_BYTES);
}

/** Typed views over the job's shared state; cheap to construct per task. */
export class SharedState {
  readonly ints: Int32Array;
  readonly big: BigInt64Array;
  private readonly names: Uint8Array;
  private slot = -1;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.ints = new Int32Array(buffer, 0, INT_WORDS);
    this.big = new BigInt64Array(buffer, BIG_OFFSET, COUNTERS);
    this.names = new Uint8Array(buffer, NAMES_OFFSET, SLOTS * NAME_BYTES);
  }

  get cancelled(): boolean {
    return Atomics.load(this.ints, I_CANCEL) !== 0;
  }
  cancel(): void {
    Atomics.store(this.ints, I_CANCEL, 1);
    Atomics.notify(this.ints, I_CANCEL);
  }
  /** Sleeps up to `ms`, waking early when the job is cancelled. */
  sleep(ms: number): void {
    if (ms > 0) Atomics.wait(this.ints, I_CANCEL, 0, ms);
  }

  add(counter: number, value: number): void {
    if (value !== 0) Atomics.add(this.big, counter, BigInt(value));
  }
  get(counter: number): number {
    return Number(Atomics.load(this.big, counter));
  }

  taskStarted(): void {
    Atomics.add(this.ints, I_BUSY, 1);
  }
  taskEnded(): void {
    Atomics.sub(this.ints, I_BUSY, 1);
  }
  get busyTasks(): number {
    return Atomics.load(this.ints, I_BUSY);
  }

  /**
   * Work a worker gave away that no worker has started yet. A walker hands work off only while
   * running plus handed-off tasks leave a thread idle, so one idle thread gets one piece, not
   * every subdirectory the walker passes while that piece travels through the main thread.
   */
  handedOff(n: number): void {
    Atomics.add(this.ints, I_HANDED_OFF, n);
  }
  /**
   * Set when the data pass will walk the whole tree (the size pass found too many directories
   * to list, or a race): the size pass then stops comparing with the destination.
   */
  get fullWalk(): boolean {
    return Atomics.load(this.ints, I_FULL_WALK) !== 0;
  }
  setFullWalk(): void {
    Atomics.store(this.ints, I_FULL_WALK, 1);
  }

  /** True when some thread has nothing to do (and nothing is on its way to it). */
  idleThreads(threads: number): boolean {
    return Atomics.load(this.ints, I_BUSY) + Atomics.load(this.ints, I_HANDED_OFF) < threads;
  }

  /** Publishes the file this thread is working on (display only; a torn read shows a mixed name). */
  setCurrent(rel: Uint8Array | null): void {
    if (this.slot < 0) this.slot = this.claimSlot();
    if (this.slot < 0) return;
    const base = this.slot * NAME_BYTES;
    if (rel === null) {
      Atomics.store(this.ints, I_LEN + this.slot, 0);
      return;
    }
    const n = Math.min(rel.length, NAME_BYTES);
    Atomics.store(this.ints, I_LEN + this.slot, 0);
    this.names.set(rel.subarray(0, n), base);
    Atomics.store(this.ints, I_LEN + this.slot, n);
  }
  releaseSlot(): void {
    if (this.slot < 0) return;
    Atomics.store(this.ints, I_LEN + this.slot, 0);
    Atomics.store(this.ints, I_OWNER + this.slot, 0);
    this.slot = -1;
  }
  private claimSlot(): number {
    const me = threadId + 1;
    for (let i = 0; i < SLOTS; i++) {
      if (Atomics.compareExchange(this.ints, I_OWNER + i, 0, me) === 0) return i;
    }
    return -1;
  }

  currentFiles(): string[] {
    const out: string[] = [];
    for (let i = 0; i < SLOTS; i++) {
      const n = Atomics.load(this.ints, I_LEN + i);
      if (n > 0) out.push(Buffer.from(this.names.subarray(i * NAME_BYTES, i * NAME_BYTES + n)).toString('utf8'));
    }
    return out;
  }

  /**
   * Shared token bucket: reserves `bytes` at `rate` bytes/s and sleeps until the reservation
   * starts. Wakes early on cancel.
   */
  throttle(bytes: number, rate: number): void {
    if (rate <= 0) return;
    const cost = BigInt(Math.ceil((bytes * 1e9) / rate));
    const now = process.hrtime.bigint();
    for (;;) {
      const next = Atomics.load(this.big, C.bandwidthNextNs);
      const start = next > now ? next : now;
      if (Atomics.compareExchange(this.big, C.bandwidthNextNs, next, start + cost) === next) {
        const waitMs = Number(start + cost - now) / 1e6;
        // Allow a small burst so single small writes are not delayed.
        if (waitMs > 5) this.sleep(waitMs);
        return;
      }
    }
  }
}
