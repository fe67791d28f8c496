/**
 * The piscina worker: one async entry taking one plain task object (see types.ts). All file
 * work is synchronous on this thread (the measured fast path: libuv's async pool is shared by
 * every worker thread), through directory fds pinned from the roots (fs-at.ts). Failures are
 * returned as `{ ok: false, reason, message, path }`, never thrown, because Error subclasses
 * do not survive the thread boundary on Node 20.
 */
import * as fs from 'node:fs';
import { CheckpointAppender, FingerprintTable } from './checkpoint.js';
import { chunk, finishBig, prepareBig } from './big-file.js';
import { abandonMeta, cancelCheck, closeAfterMeta, copySpecial, copySymlink, openPair, settleMeta, submitMeta, type Ctx } from './entries.js';
import { cleanup, links, meta, metaDirs } from './finish-tasks.js';
import { at, displayPath, fail, isIgnored, joinRel, lstatAt, readDirAt, sysFail, TaskFailure, toBuffer } from './fs-at.js';
import { MetaHelper, PREFETCH_FILES, probeMetaHelper } from './meta-helper.js';
import { copyRegular, upToDate } from './regular-file.js';
import { MESSAGE_BATCH, scan } from './scan.js';
import { C, SharedState } from './shared-state.js';
import {
  EntryKind,
  type BigFile, type CopyDirOk, type CopyDirTask, type CopyFilesTask, type CopyTask, type HardLinkEntry, type JobSpec, type TaskResult,
} from './types.js';
import { initHashing } from './verify.js';
import { Outbox, walkTree, type Child } from './walk.js';

await initHashing();


export default async function run(task: CopyTask): Promise<TaskResult> {
  if (task.kind === 'probe') return { ok: true, metaHelper: probeMetaHelper() };
  if (task.kind === 'warm') {
    if (task.metaHelper) {
      MetaHelper.forThread('meta');
      MetaHelper.forThread('prefetch');
    }
    return { ok: true };
  }
  const state = new SharedState(task.job.state);
  state.taskStarted();
  // After taskStarted: busy + handed-off never reads lower than the work that exists.
  if ('handedOff' in task && task.handedOff) state.handedOff(-1);
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
      case 'metaDirs':
        return metaDirs(ctx, task);
      case 'cleanup':
        return cleanup(ctx, task);
    }
  } catch (error) {
    if (error instanceof TaskFailure) return error.failure;
    return { ok: false, reason: 'COPY_FAILED', message: `unexpected copy failure: ${(error as Error)?.stack ?? String(error)}`, path: '' };
  } finally {
    // A task that succeeded has settled already; a failed one may leave the helper busy.
    abandonMeta(ctx);
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
    }, (lines) => state.add(C.checkpointLines, lines)),
    helper: job.metaHelper ? MetaHelper.forThread('meta') : null,
    prefetcher: job.metaHelper ? MetaHelper.forThread('prefetch') : null,
    pending: [],
    submitted: [],
    closeLater: [],
    specialSkipped: [],
  };
}

// ---- data pass ------------------------------------------------------------------------------

interface DirOutput {
  /** Directories found by lstat among names the listing did not type as directories. */
  subdirs: Child[];
  bigFiles: BigFile[];
  hardLinks: HardLinkEntry[];
}

const BATCH = PREFETCH_FILES;

/**
 * Copies a subtree (walk.ts). Subdirectories are created while their parent is listed (their
 * walk needs them); other entries are gathered in batches of 128 names: while some thread is
 * idle a batch goes to the pool as a copyFiles task, else this thread copies it itself. So a
 * directory with a million files keeps every core busy while its listing still streams.
 */
function copyDir(ctx: Ctx, task: CopyDirTask): CopyDirOk {
  const outbox = new Outbox(ctx, task.port);
  const out: DirOutput = { subdirs: [], bigFiles: [], hardLinks: [] };
  const walked: Uint8Array[] = [];
  let top = true;
  let opened = false;
  // Every file of a fresh directory is read: the helper starts on the next ones while this
  // thread copies the current directory (closeAfterMeta keeps the parent open until it is done).
  const pre = ctx.prefetcher;
  const ahead = pre === null ? undefined : (parent: number, next: Child[]): void => pre.prefetchFilesIn(parent, next.filter((c) => c.fresh).map((c) => c.name));
  try {
    walkTree(ctx, outbox, task.dir, task.fresh, 'required', ahead, (src, dst, rel, fresh, aheadDone) => {
      opened = true;
      let children = copyDirEntries(ctx, outbox, src, dst, rel, fresh, aheadDone, out);
      if (top && task.only !== null) {
        // The other subdirectories are up to date or listed as dirty themselves; a directory
        // created now (gone since the size pass looked) is copied whole all the same.
        const only = new Set(task.only.map((n) => toBuffer(n).toString('latin1')));
        children = children.filter((c) => c.fresh || only.has(c.name.toString('latin1')));
        for (const c of children) walked.push(joinRel(rel, c.name));
      }
      top = false;
      return children;
    });
    settleMeta(ctx);
  } catch (error) {
    // A listed directory removed from the source since the size pass is not an error, as a
    // name gone between two listings is not: the next sync catches up.
    if (!(task.only !== null && !opened && error instanceof TaskFailure && error.failure.reason === 'SOURCE_VANISHED')) throw error;
  }
  return { ok: true, subdirs: [], bigFiles: out.bigFiles, hardLinks: out.hardLinks, specialSkipped: ctx.specialSkipped, walked, posted: outbox.posted };
}

function copyDirEntries(ctx: Ctx, outbox: Outbox, src: number, dst: number, rel: Buffer, fresh: boolean, aheadDone: boolean, out: DirOutput): Child[] {
  const children: Child[] = [];
  let names: Buffer[] = [];
  let kinds = new Uint8Array(BATCH);
  let first = true;
  const handOffOrCopy = (final: boolean): void => {
    if (names.length === 0) return;
    if (!final && outbox.wanted) {
      outbox.handOff({ kind: 'files', dir: rel, fresh, names, kinds: kinds.subarray(0, names.length) });
      kinds = new Uint8Array(BATCH);
    } else {
      // The first batch's files were asked for when the walk came near (PREFETCH_FILES entries).
      copyBatch(ctx, src, dst, rel, fresh, names, kinds, out, !(aheadDone && first));
      flushOutput(outbox, out);
    }
    names = [];
    first = false;
  };
  if (ctx.job.mirror && !fresh) removeExtraneous(ctx, src, dst, rel);
  for (const entry of readDirAt(src)) {
    cancelCheck(ctx, rel);
    if (isIgnored(entry.name, ctx.job.ignore)) continue;
    if (entry.isDirectory()) {
      children.push({ name: entry.name, fresh: ensureDir(dst, entry.name, joinRel(rel, entry.name), fresh) });
      continue;
    }
    kinds[names.length] = entry.isFile() ? EntryKind.File : EntryKind.Other;
    names.push(entry.name);
    if (names.length >= BATCH) handOffOrCopy(false);
  }
  handOffOrCopy(true);
  submitMeta(ctx, rel);
  ctx.checkpoint.flush();
  if (out.subdirs.length > 0) {
    children.push(...out.subdirs);
    out.subdirs = [];
  }
  return children;
}

/** Sends big files at once (their chunks can start on idle threads) and hard links in batches. */
function flushOutput(outbox: Outbox, out: DirOutput): void {
  if (!outbox.open) return;
  for (const file of out.bigFiles) outbox.post({ kind: 'big', file });
  out.bigFiles = [];
  if (out.hardLinks.length >= MESSAGE_BATCH) {
    outbox.post({ kind: 'links', links: out.hardLinks });
    out.hardLinks = [];
  }
}

function copyFiles(ctx: Ctx, task: CopyFilesTask): CopyDirOk {
  const { src, dst } = openPair(ctx.job, task.dir);
  const out: DirOutput = { subdirs: [], bigFiles: [], hardLinks: [] };
  try {
    const names = task.names.map((n) => Buffer.from(n.buffer, n.byteOffset, n.length));
    copyBatch(ctx, src, dst, task.dir, task.fresh, names, task.kinds, out);
    settleMeta(ctx);
    ctx.checkpoint.flush();
  } finally {
    closeAfterMeta(ctx, src, dst);
  }
  const subdirs = out.subdirs.map((c) => ({ rel: joinRel(task.dir, c.name), fresh: c.fresh }));
  return { ok: true, subdirs, bigFiles: out.bigFiles, hardLinks: out.hardLinks, specialSkipped: ctx.specialSkipped, walked: [], posted: 0 };
}

function copyBatch(ctx: Ctx, src: number, dst: number, dirRel: Uint8Array, fresh: boolean, names: Buffer[], kinds: Uint8Array, out: DirOutput, prefetch = true): void {
  // In a fresh directory every listed file is read: start reading all of them now, so a cold
  // source has many reads in flight (settleMeta waits for the helper before src closes).
  if (fresh && prefetch) ctx.prefetcher?.prefetch(src, names.filter((_, i) => kinds[i] === EntryKind.File));
  for (let i = 0; i < names.length; i++) {
    cancelCheck(ctx, dirRel);
    handleEntry(ctx, src, dst, dirRel, names[i]!, kinds[i] === EntryKind.File, fresh, out);
  }
  // Answered while the next batch or directory is copied (the fds stay open until then).
  submitMeta(ctx, dirRel);
}

/**
 * One non-directory entry. A regular file in a fresh directory goes straight to copyRegular
 * (open + fstat, no lstat of either side); everything else is lstat'ed first.
 */
function handleEntry(ctx: Ctx, src: number, dst: number, dirRel: Uint8Array, name: Buffer, listedFile: boolean, fresh: boolean, out: DirOutput): void {
  const rel = joinRel(dirRel, name);
  if (listedFile && fresh) {
    const st = copyRegular(ctx, src, dst, name, rel, null);
    if (st === null) return;
    if (st.nlink > 1n) out.hardLinks.push({ rel, dev: st.dev, ino: st.ino, size: Number(st.size) });
    else addBig(out, prepareBig(ctx, src, dst, name, rel, undefined));
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
    out.subdirs.push({ name, fresh: ensureDir(dst, name, rel, false) });
  } else if (st.isFile()) {
    if (st.nlink > 1n) {
      out.hardLinks.push({ rel, dev: st.dev, ino: st.ino, size: Number(st.size) });
      return;
    }
    const existing = fresh ? undefined : lstatAt(dst, name);
    if (!fresh && upToDate(ctx, src, dst, name, rel, st, existing)) return;
    if (st.size > BigInt(ctx.job.splitThreshold)) addBig(out, prepareBig(ctx, src, dst, name, rel, existing));
    else copyRegular(ctx, src, dst, name, rel, { listed: st, existing });
  } else if (st.isSymbolicLink()) {
    copySymlink(ctx, src, dst, name, rel, st);
  } else {
    copySpecial(ctx, src, dst, name, rel, st);
  }
}

function addBig(out: DirOutput, big: BigFile | null): void {
  if (big !== null) out.bigFiles.push(big);
}

/**
 * Makes sure the destination has a real directory here (a symlink in the way is replaced,
 * never followed). Returns true when it was created now, i.e. it is empty. In a fresh parent
 * the mkdir is tried first: the name cannot exist unless something else writes there.
 */
function ensureDir(dst: number, name: Uint8Array, rel: Uint8Array, parentFresh: boolean): boolean {
  try {
    if (parentFresh) {
      try {
        fs.mkdirSync(at(dst, name), { mode: 0o700 });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    const existing = lstatAt(dst, name);
    if (existing?.isDirectory()) return false;
    if (existing !== undefined) fs.unlinkSync(at(dst, name));
    fs.mkdirSync(at(dst, name), { mode: 0o700 });
    return true;
  } catch (error) {
    throw sysFail(error, 'destination', rel, 'create directory');
  }
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
