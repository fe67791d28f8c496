/**
 * Files above the split threshold: prepareBig creates and sizes the destination, chunk tasks
 * copy (and verify) fixed ranges on any worker, and finishBig applies the metadata once every
 * chunk is done. The whole file's hash is the hash of its chunk hashes (verify.ts).
 */
import * as fs from 'node:fs';
import { formatEntry } from './checkpoint.js';
import { copyRange, looksSparse } from './copy-file.js';
import { applyFileMeta, clearDest, flushMeta, openPair, queueMeta, type Ctx, type MetaSource } from './entries.js';
import { at, closeQuietly, displayPath, fail, openSourceFile, splitRel, sysFail, TaskFailure } from './fs-at.js';
import { C } from './shared-state.js';
import type { BigFile, ChunkTask, FinishBigTask, TaskResult } from './types.js';
import { combineChunkHashes } from './verify.js';

const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;


/**
 * Creates and sizes the destination of a file that will be copied in chunks. The caller has
 * already found it not up to date; `existing` is the destination's lstat (undefined: absent).
 */
export function prepareBig(ctx: Ctx, src: number, dst: number, name: Buffer, rel: Uint8Array, existing: fs.BigIntStats | undefined): BigFile {
  const { job } = ctx;
  const srcFd = openSourceFile(src, name, rel);
  try {
    const st = fs.fstatSync(srcFd, { bigint: true });
    if (!st.isFile()) throw fail('SOURCE_UNREADABLE', `source entry ${displayPath(rel)} is no longer a regular file`, rel);
    clearDest(ctx, dst, name, rel, existing);
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

/** Opens both sides of a chunked file and checks they are still the inodes prepareBig saw; the caller closes all four fds. */
function openBigPair(ctx: Ctx, file: BigFile): { srcFd: number; dstFd: number; srcDir: number; dstDir: number; name: Buffer } {
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
    return { srcFd, dstFd, srcDir: pair.src, dstDir: pair.dst, name };
  } catch (error) {
    if (srcFd >= 0) closeQuietly(srcFd);
    closeQuietly(pair.src);
    closeQuietly(pair.dst);
    throw error;
  }
}

export function chunk(ctx: Ctx, task: ChunkTask): TaskResult {
  const { job, state } = ctx;
  const { file } = task;
  const { srcFd, dstFd, srcDir, dstDir } = openBigPair(ctx, file);
  const offset = task.index * job.chunkSize;
  const length = Math.min(job.chunkSize, file.size - offset);
  const counted = { bytes: 0 };
  let ok = false;
  try {
    state.setCurrent(file.rel);
    for (let attempt = 1; ; attempt++) {
      const copied = copyRange(srcFd, dstFd, offset, length, { state, verify: job.verify, sparse: file.sparse && attempt === 1, bandwidth: job.bandwidth, rel: file.rel, counted });
      if (copied.verified) {
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
    closeQuietly(srcDir);
    closeQuietly(dstDir);
  }
}

export function finishBig(ctx: Ctx, task: FinishBigTask): TaskResult {
  const { job, state } = ctx;
  const { file } = task;
  const { srcFd, dstFd, srcDir, dstDir, name } = openBigPair(ctx, file);
  try {
    const st: MetaSource = { mode: BigInt(file.mode), uid: BigInt(file.uid), gid: BigInt(file.gid), atimeNs: file.atimeNs, mtimeNs: file.mtimeNs };
    applyFileMeta(ctx, dstFd, st);
    queueMeta(ctx, srcDir, dstDir, name, st);
    flushMeta(ctx, file.rel);
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
    closeQuietly(srcDir);
    closeQuietly(dstDir);
  }
}

