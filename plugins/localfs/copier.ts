/**
 * The one tree copier localfs uses (snapshots, create-from-snapshot, migration phase 1 and the
 * final sync): ferry's copy engine (src/data). It preserves modes, owners, timestamps, symlinks
 * and hard links, verifies what it wrote, resumes from a checkpoint and reports real bytes.
 * This file only narrows the engine's API to what the plugin needs, so the engine stays
 * swappable in tests.
 */
import { mkdir, rename } from 'node:fs/promises';
import { createCopyPool } from '../../src/data/index.js';
import { copyRootMetadata } from '../../src/data/root-metadata.js';
import type { CopyPhase, CopyProgress, CopyResult, CopyTreeOptions } from '../../src/data/types.js';

export type { CopyPhase, CopyProgress, CopyResult, CopyTreeOptions };

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
export { copyRootMetadata };

/**
 * Copies `source` to `<target>.partial` and renames it to `target` once complete, so `target`
 * existing means a whole copy (snapshots are made and moved this way). The caller clears an
 * earlier attempt's `.partial` first.
 */
export async function copyIntoPlace(copier: TreeCopier, source: string, target: string, options: Pick<CopyTreeOptions, 'verify' | 'copyMethod'>, signal?: AbortSignal): Promise<void> {
  const partial = partialOf(target);
  await mkdir(partial, { recursive: true, mode: 0o700 });
  await copier.copyTree({ source, destination: partial, ignore: [], ...options }, signal).done;
  await placePartial(source, target);
}

/** Where copyIntoPlace writes before the rename. */
export const partialOf = (target: string): string => `${target}.partial`;

/** Finishes a copy into `<target>.partial`: the source root's metadata, then the rename. */
export async function placePartial(source: string, target: string): Promise<void> {
  await copyRootMetadata(source, partialOf(target));
  await rename(partialOf(target), target);
}
