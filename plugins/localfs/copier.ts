/**
 * The one tree copier localfs uses (snapshots, create-from-snapshot, migration phase 1 and the
 * final sync): ferry's copy engine (src/data). It preserves modes, owners, timestamps, symlinks
 * and hard links, verifies what it wrote, resumes from a checkpoint and reports real bytes.
 * This file only narrows the engine's API to what the plugin needs, so the engine stays
 * swappable in tests.
 */
import { createCopyPool } from '../../src/data/index.js';
import type { CopyProgress, CopyResult, CopyTreeOptions } from '../../src/data/types.js';

export type { CopyProgress, CopyResult, CopyTreeOptions };

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
export { copyRootMetadata } from '../../src/data/root-metadata.js';
