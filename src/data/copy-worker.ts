/**
 * The piscina worker: one async entry taking one plain task object (see types.ts). All file
 * work is synchronous on this thread (the measured fast path: libuv's async pool is shared by
 * every worker thread), through directory fds pinned from the roots (fs-at.ts). Failures are
 * returned as `{ ok: false, reason, message, path }`, never thrown, because Error subclasses
 * do not survive the thread boundary on Node 20.
 */
import * as fs from 'node:fs';
import { CheckpointAppender, FingerprintTable, formatEntry } from './checkpoint.js';
import { copyRange, hashRange, looksSparse } from './copy-file.js';
import { applyFileMeta, clearDest, copyRegular, copySpecial, copySymlink, flushTimes, linkInto, skipIfCurrent, type Ctx } from './entries.js';
import { at, closeQuietly, displayPath, fail, isIgnored, joinRel, lstatAt, openDirAt, openRoot, openSourceFile, readDirAt, splitRel, sysFail, TaskFailure } from './fs-at.js';
import { PreciseTimes, probePreciseTimes } from './precise-times.js';
import { C, SharedState } from './shared-state.js';
import type {
  BigFile, ChunkTask, CleanupTask, CopyDirOk, CopyDirTask, CopyFilesTask, CopyTask, FinishBigTask, HardLinkEntry, JobSpec, LinksTask, MetaTask, ScanOk, ScanTask, TaskResult,
} from './types.js';
import { combineChunkHashes, initHashing } from './verify.js';

await initHashing();

const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_DIRECTORY } = fs.constants;

export default async function run(task: CopyTask): Promise<TaskResult> {
  if (task.kind === 'probe') return { ok: true, preciseTimes: probePreciseTimes() };
  const state = new SharedState(task.job.state);
  state.taskStarted();
  const ctx = makeCtx(task.job, state);
  try {
    switch (task.kind) {
      case 'scan':
        return scan(ctx, task);
      case 'copyDir':
        return copyDir(ctx, task);
      case 'copyFiles':
        return copyFiles(ctx, task);
      case 'chunk':
        return chunk(ctx, task);
      case 'finishBig':
        return finishBig(ctx, task);
      case 'links':
        return links(ctx, task);
      case 'meta':
        return meta(ctx, task);
      case 'cleanup':
        return cleanup(ctx, task);
    }
  } catch (error) {
    if (error instanceof TaskFailure) return error.failure;
    return { ok: false, reason: 'COPY_FAILED', message: `unexpected copy failure: ${(error as Error)?.stack ?? String(error)}`, path: '' };
  } finally {
    state.releaseSlot();
    state.taskEnded();
  }
}

function makeCtx(job: JobSpec, state: SharedState): Ctx {
  return {
    job,
    state,
    table: job.checkpointTable ? new FingerprintTable(job.checkpointTable) : null,
    checkpoint: new CheckpointAppender(job.checkpointPath, {
      get: () => state.get(C.lastCheckpointSyncMs),
      set: (ms) => {
        const prev = Atomics.load(state.big, C.lastCheckpointSyncMs);
        return Atomics.compareExchange(state.big, C.lastCheckpointSyncMs, prev, BigInt(ms)) === prev;
      },
    }),
    precise: job.preciseTimes ? PreciseTimes.forThread() : null,
    times: [],
    specialSkipped: [],
  };
}

/** Opens the same relative directory on both sides; the caller closes both. */
function openPair(job: JobSpec, rel: Uint8Array): { src: number; dst: number } {
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

function cancelCheck(ctx: Ctx, rel: Uint8Array): void {
  if (ctx.state.cancelled) throw fail('CANCELLED', 'data copy cancelled', rel);
}

// ---- size pass ------------------------------------------------------------------------------

function scan(ctx: Ctx, task: ScanTask): ScanOk {
  const root = openRoot(ctx.job.source, 'source');
  let dirFd: number;
  try {
    dirFd = openDirAt(root, task.dir, 'source');
  } finally {
    closeQuietly(root);
  }
  const result: ScanOk = { ok: true, bytes: 0, files: 0, subdirs: [], hardLinks: [] };
  try {
    for (const entry of readDirAt(dirFd)) {
      cancelCheck(ctx, task.dir);
      const name = entry.name;
      if (isIgnored(name, ctx.job.ignore)) continue;
      const rel = joinRel(task.dir, name);
      if (entry.isDirectory()) {
        result.subdirs.push(rel);
        continue;
      }
      if (entry.isSymbolicLink() || entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice()) {
        result.files++;
        continue;
      }
      const st = lstatAt(dirFd, name);
      if (st === undefined) throw fail('SOURCE_VANISHED', `source entry ${displayPath(rel)} vanished while sizing`, rel, 'ENOENT');
      if (st.isDirectory()) {
        result.subdirs.push(rel);
        continue;
      }
      result.files++;
      if (!st.isFile()) continue;
      if (st.nlink > 1n) result.hardLinks.push({ rel, dev: st.dev, ino: st.ino, size: Number(st.size) });
      else result.bytes += Number(st.size);
    }
  } catch (error) {
    throw sysFail(error, 'source', task.dir, 'list directory');
  } finally {
    closeQuietly(dirFd);
  }
  return result;
}

// ---- data pass ------------------------------------------------------------------------------

interface DirOutput {
  subdirs: Uint8Array[];
  bigFiles: BigFile[];
  hardLinks: HardLinkEntry[];
}

const BATCH = 128;

/**
 * Copies one directory's entries. Subdirectories are created inline (their tasks need them);
 * other entries are gathered in batches of 128 names: a batch goes out through the task's port
 * to become a copyFiles task when some worker is idle, else this thread copies it itself. So
 * a directory with a million files keeps every core busy while the listing still streams.
 */
function copyDir(ctx: Ctx, task: CopyDirTask): CopyDirOk {
  const { src, dst } = openPair(ctx.job, task.dir);
  const out: DirOutput = { subdirs: [], bigFiles: [], hardLinks: [] };
  let batch: Buffer[] = [];
  let posted = 0;
  const handOffOrCopy = (final: boolean): void => {
    if (batch.length === 0) return;
    if (!final && task.port !== null && ctx.state.busyTasks < ctx.job.threads) {
      task.port.postMessage(batch);
      posted++;
    } else {
      for (const name of batch) {
        cancelCheck(ctx, task.dir);
        handleEntry(ctx, src, dst, task.dir, name, null, out);
      }
      flushTimes(ctx, task.dir);
    }
    batch = [];
  };
  try {
    if (ctx.job.mirror) removeExtraneous(ctx, src, dst, task.dir);
    for (const entry of readDirAt(src)) {
      cancelCheck(ctx, task.dir);
      if (isIgnored(entry.name, ctx.job.ignore)) continue;
      if (entry.isDirectory()) handleEntry(ctx, src, dst, task.dir, entry.name, 'dir', out);
      else {
        batch.push(entry.name);
        if (batch.length >= BATCH) handOffOrCopy(false);
      }
    }
    handOffOrCopy(true);
    flushTimes(ctx, task.dir);
    ctx.checkpoint.flush();
  } finally {
    closeQuietly(src);
    closeQuietly(dst);
    // The pool closes the channel after it has received every batch; closing here could drop them.
  }
  return { ok: true, subdirs: out.subdirs, bigFiles: out.bigFiles, hardLinks: out.hardLinks, specialSkipped: ctx.specialSkipped, batchesPosted: posted };
}

function copyFiles(ctx: Ctx, task: CopyFilesTask): CopyDirOk {
  const { src, dst } = openPair(ctx.job, task.dir);
  const out: DirOutput = { subdirs: [], bigFiles: [], hardLinks: [] };
  try {
    for (const name of task.names) {
      cancelCheck(ctx, task.dir);
      handleEntry(ctx, src, dst, task.dir, Buffer.from(name.buffer, name.byteOffset, name.length), null, out);
    }
    flushTimes(ctx, task.dir);
    ctx.checkpoint.flush();
  } finally {
    closeQuietly(src);
    closeQuietly(dst);
  }
  return { ok: true, subdirs: out.subdirs, bigFiles: out.bigFiles, hardLinks: out.hardLinks, specialSkipped: ctx.specialSkipped, batchesPosted: 0 };
}

function handleEntry(ctx: Ctx, src: number, dst: number, dirRel: Uint8Array, name: Buffer, hint: 'dir' | null, out: DirOutput): void {
  const rel = joinRel(dirRel, name);
  if (hint === 'dir') {
    ensureDir(ctx, dst, name, rel);
    out.subdirs.push(rel);
    return;
  }
  let st: fs.BigIntStats | undefined;
  try {
    st = lstatAt(src, name);
  } catch (error) {
    throw sysFail(error, 'source', rel, 'lstat');
  }
  if (st === undefined) throw fail('SOURCE_VANISHED', `source entry ${displayPath(rel)} vanished while copying`, rel, 'ENOENT');
  if (st.isDirectory()) {
    ensureDir(ctx, dst, name, rel);
    out.subdirs.push(rel);
  } else if (st.isFile()) {
    if (st.nlink > 1n) out.hardLinks.push({ rel, dev: st.dev, ino: st.ino, size: Number(st.size) });
    else if (st.size > BigInt(ctx.job.splitThreshold)) {
      const big = prepareBig(ctx, src, dst, name, rel);
      if (big !== null) out.bigFiles.push(big);
    } else copyRegular(ctx, src, dst, name, rel, st);
  } else if (st.isSymbolicLink()) {
    copySymlink(ctx, src, dst, name, rel, st);
  } else {
    copySpecial(ctx, dst, name, rel, st);
  }
}

/** Makes sure the destination has a real directory here (a symlink in the way is replaced, never followed). */
function ensureDir(ctx: Ctx, dst: number, name: Uint8Array, rel: Uint8Array): void {
  const existing = lstatAt(dst, name);
  if (existing?.isDirectory()) return;
  try {
    if (existing !== undefined) fs.unlinkSync(at(dst, name));
    fs.mkdirSync(at(dst, name), { mode: 0o700 });
  } catch (error) {
    throw sysFail(error, 'destination', rel, 'create directory');
  }
  void ctx;
}

function removeExtraneous(ctx: Ctx, src: number, dst: number, dirRel: Uint8Array): void {
  for (const entry of readDirAt(dst)) {
    cancelCheck(ctx, dirRel);
    if (isIgnored(entry.name, ctx.job.ignore)) continue;
    if (lstatAt(src, entry.name) !== undefined) continue;
    const rel = joinRel(dirRel, entry.name);
    try {
      fs.rmSync(at(dst, entry.name), { recursive: true, force: true });
    } catch (error) {
      throw sysFail(error, 'destination', rel, 'remove extraneous entry');
    }
    ctx.state.add(C.entriesRemoved, 1);
  }
}

// ---- big files: prepare, chunks, finish -------------------------------------------------------

/** Creates and sizes the destination of a file that will be copied in chunks; null when it is already up to date. */
function prepareBig(ctx: Ctx, src: number, dst: number, name: Buffer, rel: Uint8Array): BigFile | null {
  const { job } = ctx;
  const srcFd = openSourceFile(src, name, rel);
  try {
    const st = fs.fstatSync(srcFd, { bigint: true });
    if (!st.isFile()) throw fail('SOURCE_UNREADABLE', `source entry ${displayPath(rel)} is no longer a regular file`, rel);
    if (skipIfCurrent(ctx, srcFd, dst, name, rel, st)) return null;
    clearDest(ctx, dst, name, rel, lstatAt(dst, name));
    let dstFd: number;
    try {
      dstFd = fs.openSync(at(dst, name), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    } catch (error) {
      throw sysFail(error, 'destination', rel, 'create');
    }
    try {
      fs.ftruncateSync(dstFd, Number(st.size));
      const dstIno = fs.fstatSync(dstFd, { bigint: true }).ino;
      const size = Number(st.size);
      return {
        rel, size, srcIno: st.ino, dstIno, chunks: Math.ceil(size / job.chunkSize), sparse: looksSparse(st),
        mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), atimeNs: st.atimeNs, mtimeNs: st.mtimeNs,
      };
    } catch (error) {
      fs.rmSync(at(dst, name), { force: true });
      throw sysFail(error, 'destination', rel, 'size');
    } finally {
      closeQuietly(dstFd);
    }
  } finally {
    closeQuietly(srcFd);
  }
}

function openBigPair(ctx: Ctx, file: BigFile): { srcFd: number; dstFd: number; dstDir: number; name: Buffer } {
  const { dir, name } = splitRel(file.rel);
  const pair = openPair(ctx.job, dir);
  let srcFd = -1;
  try {
    srcFd = openSourceFile(pair.src, name, file.rel);
    if (fs.fstatSync(srcFd, { bigint: true }).ino !== file.srcIno) throw fail('SOURCE_VANISHED', `source file ${displayPath(file.rel)} was replaced while copying`, file.rel);
    let dstFd: number;
    try {
      dstFd = fs.openSync(at(pair.dst, name), O_RDWR | O_NOFOLLOW);
    } catch (error) {
      throw sysFail(error, 'destination', file.rel, 'open');
    }
    if (fs.fstatSync(dstFd, { bigint: true }).ino !== file.dstIno) {
      closeQuietly(dstFd);
      throw fail('DESTINATION_CONFLICT', `destination file ${displayPath(file.rel)} was replaced while copying`, file.rel);
    }
    return { srcFd, dstFd, dstDir: pair.dst, name };
  } catch (error) {
    if (srcFd >= 0) closeQuietly(srcFd);
    closeQuietly(pair.dst);
    throw error;
  } finally {
    closeQuietly(pair.src);
  }
}

function chunk(ctx: Ctx, task: ChunkTask): TaskResult {
  const { job, state } = ctx;
  const { file } = task;
  const { srcFd, dstFd, dstDir } = openBigPair(ctx, file);
  const offset = task.index * job.chunkSize;
  const length = Math.min(job.chunkSize, file.size - offset);
  const counted = { bytes: 0 };
  let ok = false;
  try {
    state.setCurrent(file.rel);
    for (let attempt = 1; ; attempt++) {
      const copied = copyRange(srcFd, dstFd, offset, length, { state, verify: job.verify, sparse: file.sparse && attempt === 1, bandwidth: job.bandwidth, rel: file.rel, counted });
      if (job.verify === 'none' || hashRange(dstFd, offset, copied.bytes, job.verify, state, file.rel) === copied.hash) {
        ok = true;
        return { ok: true, hash: copied.hash };
      }
      state.add(C.bytesDone, -counted.bytes);
      counted.bytes = 0;
      if (attempt >= 2) throw fail('HASH_MISMATCH', `data corrupted while copying ${displayPath(file.rel)} (bytes ${offset}-${offset + length}): destination hash differs from the source after a retry`, file.rel);
    }
  } catch (error) {
    throw error instanceof TaskFailure ? error : sysFail(error, 'destination', file.rel, 'copy chunk');
  } finally {
    if (!ok) state.add(C.bytesDone, -counted.bytes);
    closeQuietly(srcFd);
    closeQuietly(dstFd);
    closeQuietly(dstDir);
  }
}

function finishBig(ctx: Ctx, task: FinishBigTask): TaskResult {
  const { job, state } = ctx;
  const { file } = task;
  const { srcFd, dstFd, dstDir, name } = openBigPair(ctx, file);
  try {
    const st = { mode: BigInt(file.mode), uid: BigInt(file.uid), gid: BigInt(file.gid), atimeNs: file.atimeNs, mtimeNs: file.mtimeNs } as fs.BigIntStats;
    applyFileMeta(ctx, dstFd, st);
    if (ctx.precise !== null) ctx.times.push({ dirFd: dstDir, name, atimeNs: file.atimeNs, mtimeNs: file.mtimeNs });
    flushTimes(ctx, file.rel);
    ctx.checkpoint.add(formatEntry(file.rel, file.size, file.mtimeNs, job.verify === 'none' ? '' : combineChunkHashes(job.verify, task.chunkHashes)));
    ctx.checkpoint.flush();
    state.add(C.filesDone, 1);
    state.add(C.filesCopied, 1);
    state.add(C.bytesCopied, file.size);
    return { ok: true };
  } catch (error) {
    throw sysFail(error, 'destination', file.rel, 'finish');
  } finally {
    closeQuietly(srcFd);
    closeQuietly(dstFd);
    closeQuietly(dstDir);
  }
}

// ---- hard links, metadata, cleanup ------------------------------------------------------------

function links(ctx: Ctx, task: LinksTask): TaskResult {
  for (const group of task.groups) {
    cancelCheck(ctx, group.first);
    const first = splitRel(group.first);
    const firstPair = openPair(ctx.job, first.dir);
    try {
      const st = lstatAt(firstPair.src, first.name);
      if (st === undefined) throw fail('SOURCE_VANISHED', `source entry ${displayPath(group.first)} vanished while copying`, group.first, 'ENOENT');
      if (!st.isFile()) throw fail('SOURCE_UNREADABLE', `source entry ${displayPath(group.first)} is no longer a regular file`, group.first);
      copyRegular(ctx, firstPair.src, firstPair.dst, first.name, group.first, st);
      for (const other of group.others) {
        const o = splitRel(other);
        const pair = openPair(ctx.job, o.dir);
        try {
          linkInto(ctx, firstPair.dst, first.name, pair.dst, o.name, other);
        } finally {
          closeQuietly(pair.src);
          closeQuietly(pair.dst);
        }
      }
      flushTimes(ctx, group.first);
    } finally {
      closeQuietly(firstPair.src);
      closeQuietly(firstPair.dst);
    }
  }
  ctx.checkpoint.flush();
  return { ok: true };
}

/** Post-order: mode, owner and timestamps of every directory in the subtree, the subtree root included. */
function meta(ctx: Ctx, task: MetaTask): TaskResult {
  const { src, dst } = openPair(ctx.job, task.dir);
  try {
    metaTree(ctx, src, dst, task.dir);
    applyDirMeta(ctx, src, dst, task.dir);
  } finally {
    closeQuietly(src);
    closeQuietly(dst);
  }
  return { ok: true };
}

function metaTree(ctx: Ctx, src: number, dst: number, rel: Uint8Array): void {
  for (const entry of readDirAt(src)) {
    cancelCheck(ctx, rel);
    if (isIgnored(entry.name, ctx.job.ignore)) continue;
    if (!entry.isDirectory()) continue;
    const childRel = joinRel(rel, entry.name);
    let childSrc = -1;
    let childDst = -1;
    try {
      childSrc = fs.openSync(at(src, entry.name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      childDst = fs.openSync(at(dst, entry.name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      metaTree(ctx, childSrc, childDst, childRel);
      applyDirMeta(ctx, childSrc, childDst, childRel);
    } catch (error) {
      throw sysFail(error, childSrc < 0 ? 'source' : 'destination', childRel, 'directory metadata');
    } finally {
      if (childSrc >= 0) closeQuietly(childSrc);
      if (childDst >= 0) closeQuietly(childDst);
    }
  }
}

function applyDirMeta(ctx: Ctx, src: number, dst: number, rel: Uint8Array): void {
  const st = fs.fstatSync(src, { bigint: true });
  applyFileMeta(ctx, dst, st);
  if (ctx.precise !== null) ctx.times.push({ dirFd: dst, name: Buffer.from('.'), atimeNs: st.atimeNs, mtimeNs: st.mtimeNs });
  flushTimes(ctx, rel);
}

function cleanup(ctx: Ctx, task: CleanupTask): TaskResult {
  for (const rel of task.rels) {
    const { dir, name } = splitRel(rel);
    try {
      const pair = openPair(ctx.job, dir);
      closeQuietly(pair.src);
      try {
        fs.rmSync(at(pair.dst, name), { force: true });
      } finally {
        closeQuietly(pair.dst);
      }
    } catch {
      // best effort: the job already failed with the real error
    }
  }
  return { ok: true };
}
