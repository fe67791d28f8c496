/**
 * Copies one range of a volume, synchronously, on the calling worker thread (the measured
 * fast path for this engine: see docs/data-engine.md, libuv's pool is shared by every thread).
 *
 * Per 256 KiB piece: fill the buffer from the source (file mode reads only the data extents
 * and zero-fills the holes; block mode reads everything), write it (every byte, or only the
 * runs of non-zero 4 KiB blocks when the destination reads unwritten blocks as zeros), hash
 * it into its 1 MiB leaf when verifying, then read the destination piece back and compare it
 * with the source bytes (the same check as hashing the read-back, without hashing twice).
 * A piece left unwritten is read back only when the destination may hold data there (a device,
 * or a regular file whose extents at the start overlap it): a hole of a regular file reads as
 * zeros by definition, and the source bytes of an unwritten piece are zeros.
 * A mismatch copies the whole range again once, writing every byte this time (a zero block
 * that was skipped must be overwritten if the destination holds something else there); a
 * second mismatch fails with the offset of the first differing byte.
 */
import * as fs from 'node:fs';
import { reasonForErrno } from '../errors.js';
import { createHasher, type Hasher } from '../verify.js';
import { rangeDigest, zeroLeafDigest } from './digest.js';
import { BlockCounter, BlockState, LEAF_BYTES, PIECE_BYTES, ZERO_BLOCK_BYTES, type BlockFailure, type RangeOk, type RangeTask } from './types.js';

/** Thrown inside the worker and turned into a BlockFailure at the task boundary. */
export class RangeFailure extends Error {
  constructor(readonly failure: BlockFailure) {
    super(failure.message);
  }
}

const buf = Buffer.alloc(PIECE_BYTES);
const back = Buffer.alloc(PIECE_BYTES);
const ZERO = Buffer.alloc(PIECE_BYTES);

interface Attempt {
  digest: string;
  done: number;
  written: number;
  skipped: number;
  /** Volume offset of the first byte that read back differently, or -1. */
  mismatchAt: number;
}

export function copyRange(task: RangeTask): RangeOk {
  const { job } = task;
  const state = new BlockState(job.state);
  const src = open(job.sourcePath, fs.constants.O_RDONLY, 'source');
  try {
    const dst = open(job.destinationPath, fs.constants.O_RDWR, 'destination');
    try {
      for (let attempt = 0; ; attempt++) {
        const a = copyOnce(task, state, src, dst, attempt);
        if (a.mismatchAt < 0) return { ok: true, index: task.index, digest: a.digest, written: a.written, skipped: a.skipped, retried: attempt > 0 };
        // Progress stays byte-accurate: the retry counts the range again.
        state.add(BlockCounter.bytesDone, -a.done);
        state.add(BlockCounter.bytesWritten, -a.written);
        state.add(BlockCounter.bytesSkipped, -a.skipped);
        if (attempt >= 1) {
          throw new RangeFailure({
            ok: false, reason: 'HASH_MISMATCH', path: job.destinationPath, offset: a.mismatchAt,
            message: `volume destination ${job.destinationPath} differs from the source at offset ${a.mismatchAt} after a retry (range ${task.index})`,
          });
        }
      }
    } finally {
      fs.closeSync(dst);
    }
  } finally {
    fs.closeSync(src);
  }
}

function copyOnce(task: RangeTask, state: BlockState, src: number, dst: number, attempt: number): Attempt {
  const { job } = task;
  const verify = job.verify === 'none' ? null : job.verify;
  const writeAll = !job.skipZeros || attempt > 0;
  const corrupt = job.corruptAfterWrite !== null && attempt < job.corruptAfterWrite.times ? job.corruptAfterWrite.offset : -1;
  const end = task.offset + task.length;
  const leaves: Buffer[] = [];
  const a: Attempt = { digest: '', done: 0, written: 0, skipped: 0, mismatchAt: -1 };
  const ext = { list: task.extents, i: 0 };
  const dstData = { list: task.destinationExtents, i: 0 };
  for (let leaf = task.offset; leaf < end; leaf += LEAF_BYTES) {
    const leafEnd = Math.min(leaf + LEAF_BYTES, end);
    let hasher: Hasher | null = null;
    // Zero bytes at the start of the leaf not yet fed to a hasher: an all-zero leaf is never hashed.
    let zeroPrefix = 0;
    for (let p = leaf; p < leafEnd; p += PIECE_BYTES) {
      if (state.cancelled) throw new RangeFailure({ ok: false, reason: 'CANCELLED', message: 'volume copy cancelled', path: '', offset: p });
      const n = Math.min(PIECE_BYTES, leafEnd - p);
      // A hole is not read into buf: its bytes are ZERO's.
      const data = fill(job.sourcePath, src, ext, p, n) ? buf : ZERO;
      const zero = data === ZERO || isZero(buf, 0, n);
      let written = 0;
      if (writeAll) written = writeFully(job.destinationPath, dst, data, 0, n, p);
      else if (!zero) written = writeNonZero(job.destinationPath, dst, n, p);
      a.written += written;
      a.skipped += n - written;
      // The test hook's write is this thread's write too: the piece counts as written.
      let hooked = false;
      if (corrupt >= p && corrupt < p + n) {
        const flipped = Buffer.of(data[corrupt - p]! ^ 0xff);
        fs.writeSync(dst, flipped, 0, 1, corrupt);
        hooked = true;
      }
      state.add(BlockCounter.bytesDone, n);
      state.add(BlockCounter.bytesWritten, written);
      state.add(BlockCounter.bytesSkipped, n - written);
      a.done += n;
      if (verify !== null) {
        if (zero && hasher === null) zeroPrefix += n;
        else {
          if (hasher === null) {
            hasher = createHasher(verify);
            for (let z = zeroPrefix; z > 0; z -= Math.min(z, ZERO.length)) hasher.update(ZERO.subarray(0, Math.min(z, ZERO.length)));
          }
          hasher.update(data.subarray(0, n));
        }
        // Not written (so the source bytes are zeros) onto a hole of a regular file: it reads
        // as zeros by definition, so reading it back could not differ (and would only make the
        // kernel hand out zeroed pages).
        if (written > 0 || hooked || dstData.list === null || overlaps(dstData, p, n)) {
          const at = readBackMismatch(job.destinationPath, dst, data, n, p);
          if (at >= 0) {
            a.mismatchAt = at;
            return a;
          }
        }
      }
    }
    if (verify !== null) leaves.push(hasher === null ? zeroLeafDigest(verify, leafEnd - leaf) : Buffer.from(hasher.digest(), 'hex'));
  }
  if (verify !== null) a.digest = rangeDigest(verify, leaves);
  return a;
}

/**
 * Fills buf[0, n) with the source bytes at volume offset `p`. File mode reads the extents
 * overlapping the piece and zero-fills the rest; returns false when nothing was read (the
 * piece is a hole, so zeros).
 */
function fill(path: string, src: number, ext: { list: Float64Array | null; i: number }, p: number, n: number): boolean {
  if (ext.list === null) {
    readFully(path, src, 0, n, p);
    return true;
  }
  const list = ext.list;
  const end = p + n;
  while (ext.i < list.length && list[ext.i + 1]! <= p) ext.i += 2;
  let cursor = p;
  let read = false;
  for (let i = ext.i; i < list.length && list[i]! < end; i += 2) {
    const s = Math.max(list[i]!, p);
    const e = Math.min(list[i + 1]!, end);
    if (s > cursor) buf.fill(0, cursor - p, s - p);
    readFully(path, src, s - p, e - s, s);
    read = true;
    cursor = e;
  }
  if (!read) return false;
  if (cursor < end) buf.fill(0, cursor - p, n);
  return true;
}

/** Whether [p, p + n) overlaps one of the listed extents (pieces are visited in ascending order). */
function overlaps(ext: { list: Float64Array | null; i: number }, p: number, n: number): boolean {
  const list = ext.list;
  if (list === null) return true;
  while (ext.i < list.length && list[ext.i + 1]! <= p) ext.i += 2;
  return ext.i < list.length && list[ext.i]! < p + n;
}

function isZero(b: Buffer, start: number, length: number): boolean {
  return b.compare(ZERO, 0, length, start, start + length) === 0;
}

/** Writes the runs of non-zero 4 KiB blocks of buf[0, n); returns the bytes written. */
function writeNonZero(path: string, dst: number, n: number, p: number): number {
  let written = 0;
  let run = -1;
  for (let off = 0; off < n; off += ZERO_BLOCK_BYTES) {
    const len = Math.min(ZERO_BLOCK_BYTES, n - off);
    if (isZero(buf, off, len)) {
      if (run >= 0) written += writeFully(path, dst, buf, run, off - run, p + run);
      run = -1;
    } else if (run < 0) run = off;
  }
  if (run >= 0) written += writeFully(path, dst, buf, run, n - run, p + run);
  return written;
}

function writeFully(path: string, dst: number, data: Buffer, start: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    try {
      done += fs.writeSync(dst, data, start + done, length - done, position + done);
    } catch (error) {
      throw sysFailure(error, 'destination', path, position + done, 'writing');
    }
  }
  return length;
}

function readFully(path: string, src: number, start: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = fs.readSync(src, buf, start + done, length - done, position + done);
    } catch (error) {
      throw sysFailure(error, 'source', path, position + done, 'reading');
    }
    if (n === 0) {
      throw new RangeFailure({
        ok: false, reason: 'SOURCE_UNREADABLE', path, offset: position + done,
        message: `volume source ${path} ended at offset ${position + done}, before the volume's size: it shrank while being copied`,
      });
    }
    done += n;
  }
}

/** Reads the destination piece back; returns the volume offset of the first differing byte, or -1. */
function readBackMismatch(path: string, dst: number, data: Buffer, n: number, p: number): number {
  let done = 0;
  while (done < n) {
    let r: number;
    try {
      r = fs.readSync(dst, back, done, n - done, p + done);
    } catch (error) {
      throw sysFailure(error, 'destination', path, p + done, 'reading back');
    }
    if (r === 0) break;
    done += r;
  }
  if (done === n && back.compare(data, 0, n, 0, n) === 0) return -1;
  for (let i = 0; i < n; i++) if (i >= done || back[i] !== data[i]) return p + i;
  return p + n;
}

function open(path: string, flags: number, side: 'source' | 'destination'): number {
  try {
    return fs.openSync(path, flags);
  } catch (error) {
    throw sysFailure(error, side, path, -1, 'opening');
  }
}

function sysFailure(error: unknown, side: 'source' | 'destination', path: string, offset: number, what: string): RangeFailure {
  const errno = (error as NodeJS.ErrnoException).code;
  const at = offset >= 0 ? ` at offset ${offset}` : '';
  return new RangeFailure({
    ok: false, reason: reasonForErrno(errno, side), path, offset, ...(errno ? { errno } : {}),
    message: `${what} volume ${side} ${path}${at} failed: ${(error as Error).message}`,
  });
}
