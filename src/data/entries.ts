/**
 * Copying one non-directory entry into a pinned destination directory: regular files
 * (incremental check, copy, verify with one retry, metadata), symlinks, hard links and special
 * files. Runs inside a worker thread; everything is synchronous.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { fingerprint, formatEntry, type CheckpointAppender, type FingerprintTable } from './checkpoint.js';
import { copyRange, hashRange, looksSparse } from './copy-file.js';
import { at, closeQuietly, displayPath, fail, lstatAt, openSourceFile, sysFail, TaskFailure } from './fs-at.js';
import type { PreciseTimes, TimeRecord } from './precise-times.js';
import { C, type SharedState } from './shared-state.js';
import type { JobSpec } from './types.js';

const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
const O_NOATIME = fs.constants.O_NOATIME ?? 0;

/** Per-task worker context. */
export interface Ctx {
  job: JobSpec;
  state: SharedState;
  table: FingerprintTable | null;
  checkpoint: CheckpointAppender;
  precise: PreciseTimes | null;
  times: TimeRecord[];
  specialSkipped: string[];
}

const sec = (ns: bigint): number => Number(ns) / 1e9;

/** Timestamps equal as far as this job can set them (ns with the helper, else µs). */
export function sameTime(a: bigint, b: bigint, precise: boolean): boolean {
  return precise ? a === b : a / 1000n === b / 1000n;
}

/** Applies the pending exact timestamps; must run before the directory fds they name are closed. */
export function flushTimes(ctx: Ctx, rel: Uint8Array): void {
  if (ctx.times.length === 0) return;
  const records = ctx.times;
  ctx.times = [];
  if (ctx.precise === null) return;
  let failed: number;
  try {
    failed = ctx.precise.set(records);
  } catch (error) {
    throw fail('COPY_FAILED', `setting exact timestamps failed: ${(error as Error).message}`, rel);
  }
  if (failed > 0) throw fail('COPY_FAILED', `setting exact timestamps failed for ${failed} entries below ${displayPath(rel) || '.'}`, rel);
}

function queueTimes(ctx: Ctx, dirFd: number, name: Uint8Array, st: fs.BigIntStats): void {
  if (ctx.precise !== null && ctx.job.preciseTimes) ctx.times.push({ dirFd, name, atimeNs: st.atimeNs, mtimeNs: st.mtimeNs });
}

/**
 * Clears the destination name for a new non-directory entry. Outdated files and symlinks are
 * unlinked (never followed); a directory in the way is removed only when mirroring.
 */
export function clearDest(ctx: Ctx, dstDir: number, name: Uint8Array, rel: Uint8Array, existing: fs.BigIntStats | undefined): void {
  if (existing === undefined) return;
  try {
    if (existing.isDirectory()) {
      if (!ctx.job.mirror) throw fail('DESTINATION_CONFLICT', `destination ${displayPath(rel)} is a directory but the source entry is not; use mirror to replace it`, rel);
      fs.rmSync(at(dstDir, name), { recursive: true, force: true });
    } else {
      fs.unlinkSync(at(dstDir, name));
    }
  } catch (error) {
    throw sysFail(error, 'destination', rel, 'remove outdated entry');
  }
}

function fixOwnerAndMode(ctx: Ctx, fd: number, src: fs.BigIntStats, dst: fs.BigIntStats): void {
  if (ctx.job.preserveOwnership && (src.uid !== dst.uid || src.gid !== dst.gid)) fs.fchownSync(fd, Number(src.uid), Number(src.gid));
  if ((src.mode & 0o7777n) !== (dst.mode & 0o7777n) || ctx.job.preserveOwnership) fs.fchmodSync(fd, Number(src.mode & 0o7777n));
}

function destMatches(ctx: Ctx, src: fs.BigIntStats, dst: fs.BigIntStats | undefined): dst is fs.BigIntStats {
  return dst !== undefined && dst.isFile() && dst.size === src.size && sameTime(dst.mtimeNs, src.mtimeNs, ctx.job.preciseTimes);
}

function applyHook(ctx: Ctx, srcDir: number, name: Uint8Array, rel: Uint8Array): void {
  const hook = ctx.job.testHooks?.beforeOpen;
  if (!hook || hook.path !== Buffer.from(rel).toString()) return;
  const p = at(srcDir, name);
  fs.rmSync(p, { force: true, recursive: true });
  if (hook.action === 'replace-with-dir') fs.mkdirSync(p);
  if (hook.action === 'replace-with-symlink-to-etc') fs.symlinkSync('/etc/hostname', p);
}

/**
 * Copies a regular file (whole, not split). `listed` is the lstat from the directory walk;
 * the fd's fstat is the truth for what is copied.
 */
export function copyRegular(ctx: Ctx, srcDir: number, dstDir: number, name: Uint8Array, rel: Uint8Array, listed: fs.BigIntStats): void {
  const { state } = ctx;
  applyHook(ctx, srcDir, name, rel);
  const srcFd = openSourceFile(srcDir, name, rel);
  try {
    const st = fs.fstatSync(srcFd, { bigint: true });
    if (!st.isFile()) throw fail('SOURCE_UNREADABLE', `source entry ${displayPath(rel)} is no longer a regular file`, rel);
    const size = Number(st.size);
    if (st.size !== listed.size) state.add(C.bytesTotalAdjust, size - Number(listed.size));
    if (skipIfCurrent(ctx, srcFd, dstDir, name, rel, st)) return;
    for (let attempt = 1; ; attempt++) {
      clearDest(ctx, dstDir, name, rel, lstatAt(dstDir, name));
      if (writeFile(ctx, srcFd, dstDir, name, rel, st, attempt)) break;
      if (attempt >= 2) throw fail('HASH_MISMATCH', `data corrupted while copying ${displayPath(rel)}: destination hash differs from the source after a retry`, rel);
    }
    state.add(C.filesDone, 1);
    state.add(C.filesCopied, 1);
    state.add(C.bytesCopied, size);
  } finally {
    closeQuietly(srcFd);
  }
}

/** True (and counted as skipped) when the destination already holds this file. */
export function skipIfCurrent(ctx: Ctx, srcFd: number, dstDir: number, name: Uint8Array, rel: Uint8Array, st: fs.BigIntStats): boolean {
  const { job, state } = ctx;
  const dst = lstatAt(dstDir, name);
  if (!destMatches(ctx, st, dst)) return false;
  let hash = '';
  if (job.verify !== 'none') {
    const known = ctx.table?.has(fingerprint(rel, st.size, st.mtimeNs, job.verify)) ?? false;
    if (!known) {
      const dstFd = fs.openSync(at(dstDir, name), fs.constants.O_RDONLY | O_NOFOLLOW | O_NOATIME);
      try {
        hash = hashRange(srcFd, 0, Number(st.size), job.verify, state, rel);
        if (hashRange(dstFd, 0, Number(st.size), job.verify, state, rel) !== hash) return false;
      } finally {
        closeQuietly(dstFd);
      }
      ctx.checkpoint.add(formatEntry(rel, st.size, st.mtimeNs, hash));
    }
  } else if (ctx.job.checkpointPath && !(ctx.table?.has(fingerprint(rel, st.size, st.mtimeNs, job.verify)) ?? false)) {
    ctx.checkpoint.add(formatEntry(rel, st.size, st.mtimeNs, ''));
  }
  if (dst.uid !== st.uid || dst.gid !== st.gid || dst.mode !== st.mode) {
    const fd = fs.openSync(at(dstDir, name), fs.constants.O_RDONLY | O_NOFOLLOW);
    try {
      fixOwnerAndMode(ctx, fd, st, dst);
    } finally {
      closeQuietly(fd);
    }
  }
  state.add(C.filesDone, 1);
  state.add(C.filesSkipped, 1);
  state.add(C.bytesDone, Number(st.size));
  return true;
}

function corruptHook(ctx: Ctx, dstFd: number, rel: Uint8Array, attempt: number): void {
  const hook = ctx.job.testHooks?.corruptAfterWrite;
  if (!hook || hook.path !== Buffer.from(rel).toString() || attempt > hook.times) return;
  const b = Buffer.alloc(1);
  fs.readSync(dstFd, b, 0, 1, 0);
  b[0] = b[0]! ^ 0xff;
  fs.writeSync(dstFd, b, 0, 1, 0);
}

/** One attempt: returns false on a hash mismatch (the partial destination is removed). */
function writeFile(ctx: Ctx, srcFd: number, dstDir: number, name: Uint8Array, rel: Uint8Array, st: fs.BigIntStats, attempt: number): boolean {
  const { job, state } = ctx;
  const counted = { bytes: 0 };
  let dstFd = -1;
  let ok = false;
  try {
    dstFd = fs.openSync(at(dstDir, name), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    state.setCurrent(rel);
    const sparse = looksSparse(st);
    let hash = '';
    if (job.copyMethod === 'clone' && job.verify === 'none' && !sparse) {
      fs.copyFileSync(`/proc/self/fd/${srcFd}`, `/proc/self/fd/${dstFd}`, fs.constants.COPYFILE_FICLONE);
      counted.bytes = Number(st.size);
      state.add(C.bytesDone, counted.bytes);
    } else {
      const copied = copyRange(srcFd, dstFd, 0, -1, { state, verify: job.verify, sparse, bandwidth: job.bandwidth, rel, counted });
      if (copied.bytes !== Number(st.size)) state.add(C.bytesTotalAdjust, copied.bytes - Number(st.size));
      if (sparse) fs.ftruncateSync(dstFd, copied.bytes);
      hash = copied.hash;
      corruptHook(ctx, dstFd, rel, attempt);
      if (job.verify !== 'none' && hashRange(dstFd, 0, copied.bytes, job.verify, state, rel) !== hash) return false;
    }
    applyFileMeta(ctx, dstFd, st);
    queueTimes(ctx, dstDir, name, st);
    ctx.checkpoint.add(formatEntry(rel, st.size, st.mtimeNs, hash));
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

/** Owner, mode (after chown, which clears set-id bits) and timestamps of a written file. */
export function applyFileMeta(ctx: Ctx, fd: number, st: fs.BigIntStats): void {
  if (ctx.job.preserveOwnership) fs.fchownSync(fd, Number(st.uid), Number(st.gid));
  fs.fchmodSync(fd, Number(st.mode & 0o7777n));
  fs.futimesSync(fd, sec(st.atimeNs), sec(st.mtimeNs));
}

export function copySymlink(ctx: Ctx, srcDir: number, dstDir: number, name: Uint8Array, rel: Uint8Array, st: fs.BigIntStats): void {
  const { state } = ctx;
  let target: Buffer;
  try {
    target = fs.readlinkSync(at(srcDir, name), { encoding: 'buffer' });
  } catch (error) {
    throw sysFail(error, 'source', rel, 'readlink');
  }
  const dst = lstatAt(dstDir, name);
  const path = at(dstDir, name);
  try {
    if (dst?.isSymbolicLink() && Buffer.compare(fs.readlinkSync(path, { encoding: 'buffer' }), target) === 0 && sameTime(dst.mtimeNs, st.mtimeNs, ctx.job.preciseTimes)) {
      if (ctx.job.preserveOwnership && (dst.uid !== st.uid || dst.gid !== st.gid)) fs.lchownSync(path, Number(st.uid), Number(st.gid));
      state.add(C.filesDone, 1);
      state.add(C.filesSkipped, 1);
      return;
    }
    clearDest(ctx, dstDir, name, rel, dst);
    fs.symlinkSync(target, path);
    if (ctx.job.preserveOwnership) fs.lchownSync(path, Number(st.uid), Number(st.gid));
    fs.lutimesSync(path, sec(st.atimeNs), sec(st.mtimeNs));
    queueTimes(ctx, dstDir, name, st);
  } catch (error) {
    throw sysFail(error, 'destination', rel, 'create symlink');
  }
  state.add(C.filesDone, 1);
  state.add(C.filesCopied, 1);
}

/** Adds another name for an already copied destination file. */
export function linkInto(ctx: Ctx, firstDir: number, firstName: Uint8Array, dstDir: number, name: Uint8Array, rel: Uint8Array): void {
  const first = lstatAt(firstDir, firstName);
  const dst = lstatAt(dstDir, name);
  if (first !== undefined && dst !== undefined && dst.ino === first.ino && dst.dev === first.dev) {
    ctx.state.add(C.filesDone, 1);
    ctx.state.add(C.filesSkipped, 1);
    return;
  }
  clearDest(ctx, dstDir, name, rel, dst);
  try {
    fs.linkSync(at(firstDir, firstName), at(dstDir, name));
  } catch (error) {
    throw sysFail(error, 'destination', rel, 'hard link');
  }
  ctx.state.add(C.filesDone, 1);
  ctx.state.add(C.filesCopied, 1);
}

/**
 * FIFOs are recreated with mkfifo(1) and, as root, devices with mknod(1) (Node has neither
 * call); sockets (meaningless without their server) and anything the tools cannot create are
 * reported in specialFilesSkipped. The node is made under a temporary ASCII name through
 * /proc/<pid>/fd/<dirfd>, then renamed to its raw-byte name.
 */
export function copySpecial(ctx: Ctx, dstDir: number, name: Uint8Array, rel: Uint8Array, st: fs.BigIntStats): void {
  const { state } = ctx;
  const mode = (Number(st.mode) & 0o7777).toString(8);
  let args: string[] | null = null;
  let tool = 'mkfifo';
  if (st.isFIFO()) args = ['-m', mode];
  else if ((st.isCharacterDevice() || st.isBlockDevice()) && process.getuid?.() === 0) {
    tool = 'mknod';
    const rdev = st.rdev;
    const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
    const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
    args = ['-m', mode, '', st.isCharacterDevice() ? 'c' : 'b', String(major), String(minor)];
  }
  const dst = lstatAt(dstDir, name);
  if (args !== null && dst !== undefined && (dst.mode & 0o170000n) === (st.mode & 0o170000n) && dst.rdev === st.rdev && dst.mode === st.mode) {
    state.add(C.filesDone, 1);
    state.add(C.filesSkipped, 1);
    return;
  }
  if (args !== null) {
    const tmp = Buffer.from(`.ferry-special-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const target = `/proc/${process.pid}/fd/${dstDir}/${tmp.toString()}`;
    if (tool === 'mknod') args[2] = target;
    else args.push(target);
    const res = spawnSync(tool, tool === 'mknod' ? args : args, { stdio: 'ignore' });
    if (res.status === 0) {
      try {
        clearDest(ctx, dstDir, name, rel, dst);
        fs.renameSync(at(dstDir, tmp), at(dstDir, name));
        const path = at(dstDir, name);
        if (ctx.job.preserveOwnership) fs.lchownSync(path, Number(st.uid), Number(st.gid));
        fs.lutimesSync(path, sec(st.atimeNs), sec(st.mtimeNs));
        queueTimes(ctx, dstDir, name, st);
      } catch (error) {
        fs.rmSync(at(dstDir, tmp), { force: true });
        throw sysFail(error, 'destination', rel, `create ${tool} node`);
      }
      state.add(C.filesDone, 1);
      state.add(C.filesCopied, 1);
      return;
    }
  }
  if (ctx.specialSkipped.length < 10_000) ctx.specialSkipped.push(displayPath(rel));
  state.add(C.filesDone, 1);
}
