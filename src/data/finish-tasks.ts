/**
 * The tasks after the data pass: hard-link groups (the first name copied, the others linked),
 * the post-order directory metadata pass, and the cleanup of a failed job's unfinished files.
 */
import * as fs from 'node:fs';
import { applyFileMeta, cancelCheck, flushMeta, linkInto, openPair, queueMeta, sameTime, xattrsMayDiffer, type Ctx } from './entries.js';
import { at, closeQuietly, displayPath, fail, isIgnored, joinRel, lstatAt, readDirAt, splitRel, sysFail, TaskFailure } from './fs-at.js';
import { copyRegular, upToDate } from './regular-file.js';
import type { CleanupTask, JobSpec, LinksTask, MetaDirsTask, MetaTask, TaskResult } from './types.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;
const DOT = Buffer.from('.');

export function links(ctx: Ctx, task: LinksTask): TaskResult {
  for (const group of task.groups) {
    cancelCheck(ctx, group.first);
    const first = splitRel(group.first);
    const firstPair = openPair(ctx.job, first.dir);
    try {
      const st = lstatAt(firstPair.src, first.name);
      if (st === undefined) throw fail('SOURCE_VANISHED', `source entry ${displayPath(group.first)} vanished while copying`, group.first, 'ENOENT');
      if (!st.isFile()) throw fail('SOURCE_UNREADABLE', `source entry ${displayPath(group.first)} is no longer a regular file`, group.first);
      const existing = lstatAt(firstPair.dst, first.name);
      if (!upToDate(ctx, firstPair.src, firstPair.dst, first.name, group.first, st, existing)) {
        copyRegular(ctx, firstPair.src, firstPair.dst, first.name, group.first, { listed: st, existing });
      }
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
      flushMeta(ctx, group.first);
    } finally {
      closeQuietly(firstPair.src);
      closeQuietly(firstPair.dst);
    }
  }
  ctx.checkpoint.flush();
  return { ok: true };
}

/** Post-order: mode, owner, timestamps and xattrs of every directory in the subtree, the subtree root included. */
export function meta(ctx: Ctx, task: MetaTask): TaskResult {
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

/** Whether a destination directory's owner, mode and times match its source's (fstat of each). */
export function dirMetaSame(job: JobSpec, st: fs.BigIntStats, current: fs.BigIntStats): boolean {
  const precise = job.metaHelper;
  return (
    current.mode === st.mode &&
    (!job.preserveOwnership || (current.uid === st.uid && current.gid === st.gid)) &&
    sameTime(current.mtimeNs, st.mtimeNs, precise) &&
    sameTime(current.atimeNs, st.atimeNs, precise)
  );
}

/** A directory whose owner, mode and times already match (a re-run) only gets its xattrs synced. */
function applyDirMeta(ctx: Ctx, src: number, dst: number, rel: Uint8Array): void {
  const st = fs.fstatSync(src, { bigint: true });
  const current = fs.fstatSync(dst, { bigint: true });
  const same = dirMetaSame(ctx.job, st, current);
  if (!same) applyFileMeta(ctx, dst, st, current);
  if (!same || xattrsMayDiffer(st, current)) queueMeta(ctx, src, dst, DOT, st, !same);
  flushMeta(ctx, rel);
}

/** The metadata of single directories, each without its subtree (see DirtyDir). */
export function metaDirs(ctx: Ctx, task: MetaDirsTask): TaskResult {
  for (const dir of task.dirs) {
    cancelCheck(ctx, dir);
    let pair: { src: number; dst: number };
    try {
      pair = openPair(ctx.job, dir);
    } catch (error) {
      // Removed from the source since the size pass listed it (see copyDir).
      if (error instanceof TaskFailure && error.failure.reason === 'SOURCE_VANISHED') continue;
      throw error;
    }
    const { src, dst } = pair;
    try {
      applyDirMeta(ctx, src, dst, dir);
    } finally {
      closeQuietly(src);
      closeQuietly(dst);
    }
  }
  return { ok: true };
}

export function cleanup(ctx: Ctx, task: CleanupTask): TaskResult {
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
