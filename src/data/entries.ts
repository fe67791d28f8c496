/**
 * Copying one non-regular entry into a pinned destination directory (symlinks, hard links,
 * special files), plus what every entry kind shares: the task context, clearing a destination
 * name, and the batched exact timestamps and xattrs (meta-helper.ts). Regular files are in
 * regular-file.ts. Runs inside a worker thread; everything is synchronous.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { CheckpointAppender, FingerprintTable } from './checkpoint.js';
import { at, closeQuietly, displayPath, fail, lstatAt, openDirAt, openRoot, sysFail } from './fs-at.js';
import type { MetaFailures, MetaHelper, MetaRecord } from './meta-helper.js';
import { C, type SharedState } from './shared-state.js';
import type { JobSpec } from './types.js';

/** Per-task worker context. */
export interface Ctx {
  job: JobSpec;
  state: SharedState;
  table: FingerprintTable | null;
  checkpoint: CheckpointAppender;
  helper: MetaHelper | null;
  /** The thread's read-ahead helper (null without perl): asked for data the worker reads next. */
  prefetcher: MetaHelper | null;
  /** Times and xattrs to apply before the directory fds they name are closed. */
  pending: MetaRecord[];
  /** Directories of the metadata batches sent to the helper and not answered yet, in order. */
  submitted: Uint8Array[];
  /** fds whose closing waits for the helpers' answers (see closeAfterMeta), oldest first. */
  closeLater: DeferredClose[];
  specialSkipped: string[];
}

/** An fd that closes once both helpers have answered the batches sent before it was let go. */
export interface DeferredClose {
  fd: number;
  /** Batches of the metadata helper and of the read-ahead helper that may name the fd. */
  meta: number;
  prefetch: number;
}

/**
 * fds may wait this long for the read-ahead helper, which may lag behind the worker (it waits
 * for the disk) without the worker waiting for it; past this many the worker waits.
 */
const CLOSE_LATER_MAX = 64;
/**
 * Metadata batches a worker may have unanswered: each is a round trip the worker need not
 * wait for (on a busy machine the helper is scheduled late), while the fds they name stay open.
 */
const META_OUTSTANDING = 8;

export const sec = (ns: bigint): number => Number(ns) / 1e9;

/** Timestamps equal as far as this job can set them (ns with the helper, else µs). */
export function sameTime(a: bigint, b: bigint, precise: boolean): boolean {
  return precise ? a === b : a / 1000n === b / 1000n;
}

/**
 * Applies the pending timestamps and xattrs and waits for everything sent to the helper; must
 * run before the directory fds they name are closed.
 */
export function flushMeta(ctx: Ctx, rel: Uint8Array): void {
  submitMeta(ctx, rel);
  settleMeta(ctx);
}

/**
 * Sends the pending timestamps and xattrs to the helper without waiting (the walk goes on to
 * the next directories meanwhile). Takes the answers already there; waits only while
 * META_OUTSTANDING batches are unanswered. Until they are answered, the fds the records name
 * stay open (closeAfterMeta).
 */
export function submitMeta(ctx: Ctx, rel: Uint8Array): void {
  if (ctx.pending.length === 0) return;
  const records = ctx.pending;
  ctx.pending = [];
  if (ctx.helper === null) return;
  if (ctx.submitted.length > 0) takeMeta(ctx, false);
  if (ctx.submitted.length >= META_OUTSTANDING) takeMeta(ctx, true);
  try {
    ctx.helper.submit(records, true);
  } catch (error) {
    throw fail('COPY_FAILED', `setting exact timestamps and xattrs failed: ${(error as Error).message}`, rel);
  }
  ctx.submitted.push(rel);
}

/** Reads every answer the helper owes, reports failures, then closes the fds that waited for it. */
export function settleMeta(ctx: Ctx): void {
  if (ctx.helper === null) return;
  takeMeta(ctx, true, true);
}

/**
 * Reads the metadata helper's answers (all it owes with `wait`, else those already there;
 * `all`: up to the last batch, else up to the oldest), reports failures in order, then closes
 * the fds that no longer wait.
 */
function takeMeta(ctx: Ctx, wait: boolean, all = false): void {
  const helper = ctx.helper!;
  let answers: MetaFailures[];
  try {
    answers = !wait ? helper.poll() : helper.settle(all ? helper.sent : helper.sent - ctx.submitted.length + 1);
  } catch (error) {
    const labels = ctx.submitted;
    ctx.submitted = [];
    throw fail('COPY_FAILED', `setting exact timestamps and xattrs failed: ${(error as Error).message}`, labels[0] ?? new Uint8Array(0));
  } finally {
    releaseFds(ctx);
  }
  for (const failed of answers) {
    const rel = ctx.submitted.shift() ?? new Uint8Array(0);
    if (failed.times > 0) throw fail('COPY_FAILED', `setting exact timestamps failed for ${failed.times} entries below ${displayPath(rel) || '.'}`, rel);
    ctx.state.add(C.xattrFailures, failed.xattrs);
  }
}

/**
 * Closes the deferred fds whose batches both helpers have answered: the metadata helper's
 * answers are read by settleMeta, the read-ahead helper's are taken here as they come, or
 * waited for (`wait`) up to what the oldest fd needs.
 */
function releaseFds(ctx: Ctx, wait = false): void {
  const pre = ctx.prefetcher;
  if (pre !== null && ctx.closeLater.length > 0) {
    try {
      if (wait) pre.settle(ctx.closeLater[0]!.prefetch);
      else pre.poll();
    } catch {
      // A dead read-ahead helper names no fd any more; its batches never count as answered,
      // so wait for nothing from it.
      ctx.prefetcher = null;
    }
  }
  let n = 0;
  while (n < ctx.closeLater.length) {
    const d = ctx.closeLater[n]!;
    if ((ctx.helper !== null && !ctx.helper.answered(d.meta)) || (ctx.prefetcher !== null && !ctx.prefetcher.answered(d.prefetch))) break;
    closeQuietly(d.fd);
    n++;
  }
  if (n > 0) ctx.closeLater.splice(0, n);
}

/** Closes fds now, or once the helpers have answered the batches that may name them. */
export function closeAfterMeta(ctx: Ctx, ...fds: number[]): void {
  const meta = ctx.helper?.sent ?? 0;
  const prefetch = ctx.prefetcher?.sent ?? 0;
  for (const fd of fds) {
    if (fd < 0) continue;
    if ((ctx.helper?.busy ?? false) || (ctx.prefetcher?.busy ?? false)) ctx.closeLater.push({ fd, meta, prefetch });
    else closeQuietly(fd);
  }
  if (ctx.closeLater.length >= CLOSE_LATER_MAX / 2) releaseFds(ctx);
  // Directories that sent metadata or prefetches (all hard links, say) must not pile up fds.
  if (ctx.closeLater.length >= CLOSE_LATER_MAX) {
    if (ctx.helper !== null && !ctx.helper.answered(ctx.closeLater[0]!.meta)) takeMeta(ctx, true);
    releaseFds(ctx, true);
  }
}

/**
 * At the end of a task (and on the way out of a failed one): waits for both helpers, ignoring
 * what they say (a task that succeeded has read its answers), and closes what waited.
 */
export function abandonMeta(ctx: Ctx): void {
  ctx.pending = [];
  ctx.submitted = [];
  for (const helper of [ctx.helper, ctx.prefetcher]) {
    try {
      helper?.settle();
    } catch {
      // the task's own error says more
    }
  }
  for (const d of ctx.closeLater.splice(0)) closeQuietly(d.fd);
}

/**
 * Whether an entry that is otherwise up to date needs its xattrs compared. Changing an xattr
 * changes only the ctime, and a finished destination entry's ctime is the moment ferry last
 * set its times or xattrs, after it had read the source's. So a source ctime strictly older
 * than the destination's means nothing changed since: the re-run then costs no helper round
 * trip. (A source on a server whose clock runs behind could hide an xattr-only change; a data
 * or mtime change is still found by size and mtime.)
 */
export function xattrsMayDiffer(src: { ctimeNs: bigint }, dst: { ctimeNs: bigint }): boolean {
  return src.ctimeNs >= dst.ctimeNs;
}

/**
 * Queues the exact times (when `times`) and an xattr sync of `name` from the source directory
 * to the destination directory. Without the helper, the caller has set µs times itself.
 */
export function queueMeta(ctx: Ctx, srcDirFd: number, dstDirFd: number, name: Uint8Array, st: { atimeNs: bigint; mtimeNs: bigint }, times = true): void {
  if (ctx.helper !== null) ctx.pending.push({ srcDirFd, dstDirFd, name, atimeNs: st.atimeNs, mtimeNs: st.mtimeNs, times });
}

/** Opens the same relative directory on both sides; the caller closes both. */
export function openPair(job: JobSpec, rel: Uint8Array): { src: number; dst: number } {
  const srcRoot = openRoot(job.source, 'source');
  const dstRoot = openRoot(job.destination, 'destination');
  try {
    const src = openDirAt(srcRoot, rel, 'source');
    try {
      return { src, dst: openDirAt(dstRoot, rel, 'destination') };
    } catch (error) {
      closeQuietly(src);
      throw error;
    }
  } finally {
    closeQuietly(srcRoot);
    closeQuietly(dstRoot);
  }
}

export function cancelCheck(ctx: Ctx, rel: Uint8Array): void {
  if (ctx.state.cancelled) throw fail('CANCELLED', 'data copy cancelled', rel);
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

/**
 * Owner, then mode (chown clears set-id bits), then µs timestamps when there is no helper to
 * set exact ones later. `owner` is the destination's current owner when known: a file this
 * job just created is owned by the worker's euid/egid, and a chown to the same ids is skipped.
 */
export function applyFileMeta(ctx: Ctx, fd: number, st: MetaSource, owner: { uid: bigint; gid: bigint } | null = null): void {
  if (ctx.job.preserveOwnership && (owner === null || owner.uid !== st.uid || owner.gid !== st.gid)) fs.fchownSync(fd, Number(st.uid), Number(st.gid));
  fs.fchmodSync(fd, Number(st.mode & 0o7777n));
  if (ctx.helper === null) fs.futimesSync(fd, sec(st.atimeNs), sec(st.mtimeNs));
}

/** The source metadata an entry's destination gets. */
export interface MetaSource {
  mode: bigint;
  uid: bigint;
  gid: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
}

/**
 * True when the destination symlink needs nothing (what copySymlink would skip without a
 * chown or an xattr comparison). No side effects; `dst` is the destination's lstat.
 */
export function symlinkClean(ctx: Ctx, srcDir: number, dstDir: number, name: Uint8Array, st: fs.BigIntStats, dst: fs.BigIntStats | undefined): boolean {
  if (dst === undefined || !dst.isSymbolicLink() || !sameTime(dst.mtimeNs, st.mtimeNs, ctx.job.metaHelper) || xattrsMayDiffer(st, dst)) return false;
  if (ctx.job.preserveOwnership && (dst.uid !== st.uid || dst.gid !== st.gid)) return false;
  try {
    return Buffer.compare(fs.readlinkSync(at(srcDir, name), { encoding: 'buffer' }), fs.readlinkSync(at(dstDir, name), { encoding: 'buffer' })) === 0;
  } catch {
    // changed meanwhile: the data pass looks again
    return false;
  }
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
    if (dst?.isSymbolicLink() && Buffer.compare(fs.readlinkSync(path, { encoding: 'buffer' }), target) === 0 && sameTime(dst.mtimeNs, st.mtimeNs, ctx.job.metaHelper)) {
      if (ctx.job.preserveOwnership && (dst.uid !== st.uid || dst.gid !== st.gid)) fs.lchownSync(path, Number(st.uid), Number(st.gid));
      if (xattrsMayDiffer(st, dst)) queueMeta(ctx, srcDir, dstDir, name, st, false);
      state.add(C.filesDone, 1);
      state.add(C.filesSkipped, 1);
      return;
    }
    clearDest(ctx, dstDir, name, rel, dst);
    fs.symlinkSync(target, path);
    if (ctx.job.preserveOwnership) fs.lchownSync(path, Number(st.uid), Number(st.gid));
    if (ctx.helper === null) fs.lutimesSync(path, sec(st.atimeNs), sec(st.mtimeNs));
    queueMeta(ctx, srcDir, dstDir, name, st);
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
export function copySpecial(ctx: Ctx, srcDir: number, dstDir: number, name: Uint8Array, rel: Uint8Array, st: fs.BigIntStats): void {
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
    if (xattrsMayDiffer(st, dst)) queueMeta(ctx, srcDir, dstDir, name, st, false);
    state.add(C.filesDone, 1);
    state.add(C.filesSkipped, 1);
    return;
  }
  if (args !== null) {
    const tmp = Buffer.from(`.ferry-special-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const target = `/proc/${process.pid}/fd/${dstDir}/${tmp.toString()}`;
    if (tool === 'mknod') args[2] = target;
    else args.push(target);
    const res = spawnSync(tool, args, { stdio: 'ignore' });
    if (res.status === 0) {
      try {
        clearDest(ctx, dstDir, name, rel, dst);
        fs.renameSync(at(dstDir, tmp), at(dstDir, name));
        const path = at(dstDir, name);
        if (ctx.job.preserveOwnership) fs.lchownSync(path, Number(st.uid), Number(st.gid));
        if (ctx.helper === null) fs.lutimesSync(path, sec(st.atimeNs), sec(st.mtimeNs));
        queueMeta(ctx, srcDir, dstDir, name, st);
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
