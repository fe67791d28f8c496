/**
 * The one tree copier localfs uses (snapshots, create-from-snapshot, migration phase 1 and the
 * final sync): ferry's copy engine (src/data). It preserves modes, owners, timestamps, symlinks
 * and hard links, verifies what it wrote, resumes from a checkpoint and reports real bytes.
 * This file only narrows the engine's API to what the plugin needs, so the engine stays
 * swappable in tests.
 */
import { execFile } from 'node:child_process';
import { chmod, lchown, lstat, utimes } from 'node:fs/promises';
import { promisify } from 'node:util';
import { createCopyPool } from '../../src/data/index.js';
import type { CopyProgress, CopyResult, CopyTreeOptions } from '../../src/data/types.js';

export type { CopyProgress, CopyResult, CopyTreeOptions };

const run = promisify(execFile);

/** A running copy. */
export interface TreeCopyJob {
  progress(): CopyProgress;
  readonly done: Promise<CopyResult>;
}

export interface TreeCopier {
  copyTree(options: CopyTreeOptions, signal?: AbortSignal): TreeCopyJob;
  close(): Promise<void>;
}

/** A copier backed by one copy-engine pool, created on first use (start-up stays fast). */
export function createTreeCopier(threads: number): TreeCopier {
  let pool: ReturnType<typeof createCopyPool> | undefined;
  return {
    copyTree(options, signal) {
      pool ??= createCopyPool({ threads });
      return pool.copyTree(options, signal);
    },
    async close() {
      await pool?.close();
      pool = undefined;
    },
  };
}

/** Copies a tree and waits for it; used where the copy is part of one RPC (snapshots). */
export async function copyTreeAndWait(copier: TreeCopier, options: CopyTreeOptions, signal?: AbortSignal): Promise<CopyResult> {
  return copier.copyTree(options, signal).done;
}

/**
 * Gives `destination` (a copy's root directory) the mode, owner and times of `source`: the
 * engine leaves the roots alone because they are usually mount points. Call it after the copy,
 * so writing into the directory does not change its mtime again.
 */
export async function copyRootMetadata(source: string, destination: string): Promise<void> {
  const s = await lstat(source, { bigint: true });
  if (process.getuid?.() === 0) await lchown(destination, Number(s.uid), Number(s.gid));
  await chmod(destination, Number(s.mode & 0o7777n));
  await setTimesNs(destination, s.atimeNs, s.mtimeNs);
}

/**
 * Sets a path's atime and mtime to the nanosecond. Node's utimes takes seconds as a double
 * (microseconds at best), which loses the root's sub-microsecond mtime the engine keeps for
 * every other entry; GNU touch takes "@<seconds>.<nanoseconds>" exactly. Falls back to utimes
 * where touch is missing or refuses (pre-1970 times are not formatted for it).
 */
async function setTimesNs(path: string, atimeNs: bigint, mtimeNs: bigint): Promise<void> {
  const stamp = (ns: bigint) => `@${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
  if (atimeNs >= 0n && mtimeNs >= 0n) {
    try {
      await run('touch', ['-h', '-a', '-d', stamp(atimeNs), path]);
      await run('touch', ['-h', '-m', '-d', stamp(mtimeNs), path]);
      return;
    } catch {
      // fall through to microseconds
    }
  }
  await utimes(path, Number(atimeNs) / 1e9, Number(mtimeNs) / 1e9);
}
