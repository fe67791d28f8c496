/**
 * Copying one regular file that is not split into chunks: the up-to-date check, then create,
 * copy (read/write loop or copy offload), verification by read-back with one retry, owner and
 * mode, and the exact times and xattrs queued for the directory's batch.
 *
 * The walk says how much is known. In a directory this job created ("fresh") nothing can be up
 * to date, so the source is opened at once and the destination created with O_EXCL without
 * any lstat (an EEXIST falls back to the careful path). Elsewhere both names are lstat'ed
 * first, so an unchanged file is skipped without opening or reading it: the data pass of a
 * re-run or final sync comes here only for directories the size pass found changed (scan.ts),
 * and an xattr comparison only when the source's ctime moved.
 */
import * as fs from 'node:fs';
import { fingerprint, formatEntry } from './checkpoint.js';
import { copyRange, looksSparse, sameContent } from './copy-file.js';
import { chooseStep, recordStep } from './copy-method.js';
import { applyFileMeta, clearDest, queueMeta, sameTime, xattrsMayDiffer, type Ctx } from './entries.js';
import { at, closeQuietly, displayPath, fail, lstatAt, openSourceFile, sysFail, TaskFailure } from './fs-at.js';
import { C } from './shared-state.js';

const { O_RDWR, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, COPYFILE_FICLONE } = fs.constants;
const O_NOATIME = fs.constants.O_NOATIME ?? 0;
const EUID = BigInt(process.geteuid?.() ?? -1);
const EGID = BigInt(process.getegid?.() ?? -1);

/** What the caller learnt about the names before calling; null in a fresh directory. */
export interface Known {
  /** lstat of the source from the walk. */
  listed: fs.BigIntStats;
  /** lstat of the destination name (undefined: absent). */
  existing: fs.BigIntStats | undefined;
}

/**
 * True when the destination holds this file with nothing to do: what upToDate would skip
 * without reading, hashing, fixing the owner or mode, writing a checkpoint line or comparing
 * xattrs. No side effects (the size pass asks it; see DirtyDir).
 */
export function fileClean(ctx: Ctx, rel: Uint8Array, st: fs.BigIntStats, dst: fs.BigIntStats | undefined): boolean {
  const { job } = ctx;
  if (dst === undefined || !dst.isFile() || dst.size !== st.size || !sameTime(dst.mtimeNs, st.mtimeNs, job.metaHelper)) return false;
  if ((job.verify !== 'none' || job.checkpointPath !== '') && !(ctx.table?.has(fingerprint(rel, st.size, st.mtimeNs, job.verify)) ?? false)) return false;
  if (job.preserveOwnership && (dst.uid !== st.uid || dst.gid !== st.gid)) return false;
  return (dst.mode & 0o7777n) === (st.mode & 0o7777n) && !xattrsMayDiffer(st, dst);
}

/**
 * True (and counted as skipped) when the destination already holds this file: same type, size
 * and mtime, and when verifying, a checkpointed fingerprint or the same bytes on both sides. The
 * owner and mode are fixed in place and the xattrs synced.
 */
export function upToDate(ctx: Ctx, srcDir: number, dstDir: number, name: Uint8Array, rel: Uint8Array, st: fs.BigIntStats, dst: fs.BigIntStats | undefined): boolean {
  const { job, state } = ctx;
  if (dst === undefined || !dst.isFile() || dst.size !== st.size || !sameTime(dst.mtimeNs, st.mtimeNs, job.metaHelper)) return false;
  const known = ctx.table?.has(fingerprint(rel, st.size, st.mtimeNs, job.verify)) ?? false;
  if (job.verify !== 'none' && !known) {
    const srcFd = openSourceFile(srcDir, name, rel);
    try {
      const dstFd = fs.openSync(at(dstDir, name), O_RDONLY | O_NOFOLLOW | O_NOATIME);
      try {
        const hash = sameContent(srcFd, dstFd, Number(st.size), job.verify, state, rel);
        if (hash === null) return false;
        ctx.checkpoint.add(formatEntry(rel, st.size, st.mtimeNs, hash));
      } finally {
        closeQuietly(dstFd);
      }
    } finally {
      closeQuietly(srcFd);
    }
  } else if (!known && job.checkpointPath) ctx.checkpoint.add(formatEntry(rel, st.size, st.mtimeNs, ''));
  const chown = job.preserveOwnership && (dst.uid !== st.uid || dst.gid !== st.gid);
  if (chown || (dst.mode & 0o7777n) !== (st.mode & 0o7777n)) {
    const fd = fs.openSync(at(dstDir, name), O_RDONLY | O_NOFOLLOW);
    try {
      if (chown) fs.fchownSync(fd, Number(st.uid), Number(st.gid));
      fs.fchmodSync(fd, Number(st.mode & 0o7777n));
    } finally {
      closeQuietly(fd);
    }
  }
  if (xattrsMayDiffer(st, dst)) queueMeta(ctx, srcDir, dstDir, name, st, false);
  state.add(C.filesDone, 1);
  state.add(C.filesSkipped, 1);
  state.add(C.bytesDone, Number(st.size));
  return true;
}

/**
 * Copies a regular file whole. The fd's fstat is the truth for what is copied. In a fresh
 * directory (`known` null) a file that turns out to have other names or to be above the split
 * threshold is not copied: its fstat is returned for the caller to route it.
 */
export function copyRegular(ctx: Ctx, srcDir: number, dstDir: number, name: Uint8Array, rel: Uint8Array, known: Known | null): fs.BigIntStats | null {
  const { state, job } = ctx;
  applyHook(ctx, srcDir, name, rel);
  const srcFd = openSourceFile(srcDir, name, rel);
  try {
    const st = fs.fstatSync(srcFd, { bigint: true });
    if (!st.isFile()) throw fail('SOURCE_UNREADABLE', `source entry ${displayPath(rel)} is no longer a regular file`, rel);
    if (known === null && (st.nlink > 1n || st.size > BigInt(job.splitThreshold))) return st;
    if (known !== null && st.size !== known.listed.size) state.add(C.bytesTotalAdjust, Number(st.size - known.listed.size));
    let existing = known === null ? null : known.existing;
    for (let attempt = 1; ; attempt++) {
      if (writeFile(ctx, srcFd, srcDir, dstDir, name, rel, st, attempt, existing)) break;
      if (attempt >= 2) throw fail('HASH_MISMATCH', `data corrupted while copying ${displayPath(rel)}: destination hash differs from the source after a retry`, rel);
      existing = undefined;
    }
    state.add(C.filesDone, 1);
    state.add(C.filesCopied, 1);
    state.add(C.bytesCopied, Number(st.size));
    return null;
  } finally {
    closeQuietly(srcFd);
  }
}

/**
 * Creates the destination file. `existing` null means "probably absent" (fresh directory):
 * O_EXCL is tried first and an EEXIST falls back to lstat and clear. Returns the fd and
 * whether the new file's owner is known to be the worker's euid/egid.
 */
function createDest(ctx: Ctx, dstDir: number, name: Uint8Array, rel: Uint8Array, existing: fs.BigIntStats | undefined | null): { fd: number; ownerKnown: boolean } {
  const create = (): number => fs.openSync(at(dstDir, name), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    if (existing === null) {
      try {
        // A directory this job created has no set-gid bit yet, so the owner is euid/egid.
        return { fd: create(), ownerKnown: true };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        existing = lstatAt(dstDir, name);
      }
    }
    clearDest(ctx, dstDir, name, rel, existing);
    return { fd: create(), ownerKnown: false };
  } catch (error) {
    throw sysFail(error, 'destination', rel, 'create');
  }
}

/** One attempt: returns false on a hash mismatch (the partial destination is removed). */
function writeFile(ctx: Ctx, srcFd: number, srcDir: number, dstDir: number, name: Uint8Array, rel: Uint8Array, st: fs.BigIntStats, attempt: number, existing: fs.BigIntStats | undefined | null): boolean {
  const { job, state } = ctx;
  const counted = { bytes: 0 };
  const size = Number(st.size);
  let dstFd = -1;
  let ok = false;
  try {
    const created = createDest(ctx, dstDir, name, rel, existing);
    dstFd = created.fd;
    state.setCurrent(rel);
    const sparse = looksSparse(st);
    let hash = '';
    const offloadable = job.verify === 'none' && !sparse && size > 0 && job.copyMethod !== 'readwrite';
    const step = !offloadable ? 'readwrite' : job.copyMethod === 'clone' ? 'offload' : chooseStep(state);
    const t0 = process.hrtime.bigint();
    if (step === 'offload') {
      // libuv reopens both fds through /proc and uses copy_file_range (FICLONE first for 'clone').
      fs.copyFileSync(`/proc/self/fd/${srcFd}`, `/proc/self/fd/${dstFd}`, job.copyMethod === 'clone' ? COPYFILE_FICLONE : 0);
      counted.bytes = size;
      state.add(C.bytesDone, size);
    } else {
      // Reads exactly the fstat'ed size: a file that grows meanwhile keeps its old mtime here,
      // so the next sync copies it again.
      // Holes must read back as zeros, so a sparse destination gets its size first.
      if (sparse) fs.ftruncateSync(dstFd, size);
      const afterFirstWrite = corruptHook(ctx, dstFd, rel, attempt);
      const copied = copyRange(srcFd, dstFd, 0, size, { state, verify: job.verify, sparse, bandwidth: job.bandwidth, rel, counted, ...(afterFirstWrite ? { afterFirstWrite } : {}) });
      if (!copied.verified) return false;
      if (copied.bytes !== size) {
        state.add(C.bytesTotalAdjust, copied.bytes - size);
        if (sparse) fs.ftruncateSync(dstFd, copied.bytes);
      }
      hash = copied.hash;
    }
    if (offloadable && job.copyMethod === 'auto') recordStep(state, step, Number(process.hrtime.bigint() - t0), size);
    applyFileMeta(ctx, dstFd, st, created.ownerKnown ? { uid: EUID, gid: EGID } : null);
    queueMeta(ctx, srcDir, dstDir, name, st);
    // Without a checkpoint the line is not even built (base64 of the path, per file).
    if (job.checkpointPath) ctx.checkpoint.add(formatEntry(rel, st.size, st.mtimeNs, hash));
    ok = true;
    return true;
  } catch (error) {
    throw error instanceof TaskFailure ? error : sysFail(error, (error as { syscall?: string }).syscall === 'read' ? 'source' : 'destination', rel, 'copy');
  } finally {
    state.setCurrent(null);
    if (dstFd >= 0) closeQuietly(dstFd);
    if (!ok) {
      if (dstFd >= 0) fs.rmSync(at(dstDir, name), { force: true });
      state.add(C.bytesDone, -counted.bytes);
    }
  }
}

function applyHook(ctx: Ctx, srcDir: number, name: Uint8Array, rel: Uint8Array): void {
  const hook = ctx.job.testHooks?.beforeOpen;
  if (!hook || hook.path !== Buffer.from(rel).toString()) return;
  const p = at(srcDir, name);
  fs.rmSync(p, { force: true, recursive: true });
  if (hook.action === 'replace-with-dir') fs.mkdirSync(p);
  if (hook.action === 'replace-with-symlink-to-etc') fs.symlinkSync('/etc/hostname', p);
}

/** The corruptAfterWrite test hook for this file and attempt, if any: flips the first byte written. */
function corruptHook(ctx: Ctx, dstFd: number, rel: Uint8Array, attempt: number): (() => void) | null {
  const hook = ctx.job.testHooks?.corruptAfterWrite;
  if (!hook || hook.path !== Buffer.from(rel).toString() || attempt > hook.times) return null;
  return () => {
    const b = Buffer.alloc(1);
    fs.readSync(dstFd, b, 0, 1, 0);
    b[0] = b[0]! ^ 0xff;
    fs.writeSync(dstFd, b, 0, 1, 0);
  };
}
