/**
 * The size pass. Besides sizing the tree for byte-accurate progress, it compares each source
 * directory with its destination: a directory is clean when every entry in it is up to date
 * with nothing to fix (fileClean, symlinkClean), every subdirectory exists there, its own owner,
 * mode and times match, and (when mirroring) the destination holds no other names. The data and
 * metadata passes then visit only the dirty directories (DirtyDir) and count the entries of
 * clean ones as skipped, so a re-run or final sync over an unchanged tree lists each directory
 * once and lstats each file once per side, instead of three listings and three lstats.
 *
 * Below a directory missing from the destination nothing is compared: the data pass copies such
 * a subtree whole. When the dirty directories become too many to keep (the pool's limit), or a
 * race hides a directory, the pool sets fullWalk and the data pass walks the whole tree as it
 * would without this comparison.
 */
import * as fs from 'node:fs';
import { cancelCheck, settleMeta, submitMeta, symlinkClean, xattrsMayDiffer, type Ctx } from './entries.js';
import { dirMetaSame } from './finish-tasks.js';
import { displayPath, fail, isIgnored, joinRel, lstatAt, readDirAt, sysFail } from './fs-at.js';
import { fileClean } from './regular-file.js';
import type { DirtyDir, ScanOk, ScanTask } from './types.js';
import { Outbox, walkTree, type Child } from './walk.js';

const DOT = Buffer.from('.');

/** Hard links and dirty directories travel to the pool in batches of this many. */
export const MESSAGE_BATCH = 256;

export function scan(ctx: Ctx, task: ScanTask): ScanOk {
  const outbox = new Outbox(ctx, task.port);
  const result: ScanOk = { ok: true, bytes: 0, files: 0, topDirs: [], hardLinks: [], cleanFiles: 0, cleanBytes: 0, dirty: [], posted: 0 };
  // The helper lists the next few directories while this thread works on the current one
  // (closeAfterMeta keeps their parent open until it is done).
  const pre = ctx.prefetcher;
  const ahead = pre === null ? undefined : (parent: number, next: Child[]): void => pre.prefetchDirs(parent, next.map((c) => c.name));
  walkTree(ctx, outbox, task.dir, task.absent, 'optional', ahead, (src, dst, rel, absent) => {
    const children = scanDir(ctx, result, src, dst, rel, absent);
    if (rel.length === 0) result.topDirs = children.map((c) => c.name);
    if (outbox.open) {
      if (result.hardLinks.length >= MESSAGE_BATCH) {
        outbox.post({ kind: 'links', links: result.hardLinks });
        result.hardLinks = [];
      }
      if (result.dirty.length >= MESSAGE_BATCH) {
        outbox.post({ kind: 'dirty', dirs: result.dirty });
        result.dirty = [];
      }
    }
    return children;
  });
  settleMeta(ctx);
  result.posted = outbox.posted;
  return result;
}

/** Sizes one directory and, where its destination exists, finds out whether it is clean. */
function scanDir(ctx: Ctx, out: ScanOk, src: number, dst: number, rel: Buffer, absent: boolean): Child[] {
  const { state, job } = ctx;
  // A directory that was there when its parent looked but cannot be opened now: only a walk
  // of the whole tree is sure to copy it.
  if (dst < 0 && !absent) state.setFullWalk();
  const compare = dst >= 0 && !state.fullWalk;
  const children: Child[] = [];
  const missing: Buffer[] = [];
  let dirty = false;
  let cleanFiles = 0;
  let cleanBytes = 0;
  let entries = 0;
  const subdir = (name: Buffer): void => {
    let gone = !compare;
    if (compare) {
      gone = lstatQuiet(dst, name)?.isDirectory() !== true;
      if (gone) {
        missing.push(name);
        dirty = true;
      }
    }
    children.push({ name, fresh: dst < 0 || gone });
  };
  try {
    for (const entry of readDirAt(src)) {
      cancelCheck(ctx, rel);
      const name = entry.name;
      if (isIgnored(name, job.ignore)) continue;
      entries++;
      if (entry.isDirectory()) {
        subdir(name);
        continue;
      }
      const listedSpecial = entry.isFIFO() || entry.isSocket() || entry.isCharacterDevice() || entry.isBlockDevice();
      if (listedSpecial || (entry.isSymbolicLink() && !compare)) {
        out.files++;
        dirty = true;
        continue;
      }
      const st = lstatAt(src, name);
      if (st === undefined) throw fail('SOURCE_VANISHED', `source entry ${displayPath(joinRel(rel, name))} vanished while sizing`, joinRel(rel, name), 'ENOENT');
      if (st.isDirectory()) {
        subdir(name);
        continue;
      }
      out.files++;
      if (st.isFile() && st.nlink > 1n) {
        // Copied once and linked after the data pass, from the data pass's own list.
        out.hardLinks.push({ rel: joinRel(rel, name), dev: st.dev, ino: st.ino, size: Number(st.size) });
        dirty = true;
        continue;
      }
      if (st.isFile()) out.bytes += Number(st.size);
      if (!compare || dirty) {
        dirty = true;
        continue;
      }
      const there = lstatQuiet(dst, name);
      if (st.isFile() ? fileClean(ctx, joinRel(rel, name), st, there) : st.isSymbolicLink() && symlinkClean(ctx, src, dst, name, st, there)) {
        cleanFiles++;
        if (st.isFile()) cleanBytes += Number(st.size);
      } else dirty = true;
    }
    if (compare && !dirty && rel.length === 0 && job.mirror && countEntries(dst, job.ignore) !== entries) dirty = true;
    if (compare && !dirty && rel.length > 0) {
      // The source after its listing (which may have moved its atime), the destination before
      // its own (mirror).
      const st = fs.fstatSync(src, { bigint: true });
      const current = fs.fstatSync(dst, { bigint: true });
      if (!dirMetaSame(job, st, current) || xattrsMayDiffer(st, current)) dirty = true;
      else if (job.mirror) {
        if (countEntries(dst, job.ignore) !== entries) dirty = true;
        // Listing the destination moves its atime (relatime: ferry's last utimensat left its
        // ctime newer than the atime it set), so the time it had goes back.
        else if (fs.fstatSync(dst, { bigint: true }).atimeNs !== current.atimeNs) {
          ctx.pending.push({ srcDirFd: src, dstDirFd: dst, name: DOT, atimeNs: current.atimeNs, mtimeNs: current.mtimeNs, times: true, timesOnly: true });
          submitMeta(ctx, rel);
        }
      }
    }
  } catch (error) {
    throw sysFail(error, 'source', rel, 'list directory');
  }
  if (compare) {
    if (dirty) out.dirty.push({ rel, absent: missing } satisfies DirtyDir);
    else {
      out.cleanFiles += cleanFiles;
      out.cleanBytes += cleanBytes;
    }
  }
  return children;
}

/** The destination's lstat; a failure only means "not clean": the data pass reports it. */
function lstatQuiet(dirFd: number, name: Uint8Array): fs.BigIntStats | undefined {
  try {
    return lstatAt(dirFd, name);
  } catch {
    return undefined;
  }
}

/** Names in the destination directory (-1 when it cannot be listed: not clean then). */
function countEntries(dirFd: number, ignore: readonly Uint8Array[]): number {
  let n = 0;
  try {
    for (const entry of readDirAt(dirFd)) if (!isIgnored(entry.name, ignore)) n++;
  } catch {
    return -1;
  }
  return n;
}
