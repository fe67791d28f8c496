/** Space facts of a back end: file-system size (statfs), bytes a tree uses (like `du`) and holds (like `du --apparent-size`). */
import type { BigIntStats } from 'node:fs';
import { lstat, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';

export const GIB = 1024 ** 3;

/** Total and available bytes of the file system holding `path`. */
export async function fileSystemBytes(path: string): Promise<{ totalBytes: number; freeBytes: number }> {
  const s = await statfs(path);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
}

/** Bytes allocated by a tree (st_blocks * 512, hard links counted once); 0 for a missing path. */
export function usedBytes(path: string): Promise<number> {
  return sumTree(path, new Set(), (stat) => Number(stat.blocks) * 512);
}

/** Bytes of the regular files in a tree (sizes, hard links counted once); 0 for a missing path. */
export function apparentBytes(path: string): Promise<number> {
  return sumTree(path, new Set(), (stat) => (stat.isFile() ? Number(stat.size) : 0));
}

/** Sums `measure` over every entry of a tree, each inode once (symlinks are not followed). */
async function sumTree(path: string, seen: Set<string>, measure: (stat: BigIntStats) => number): Promise<number> {
  let stat;
  try {
    stat = await lstat(path, { bigint: true });
  } catch {
    return 0;
  }
  const key = `${stat.dev}:${stat.ino}`;
  if (seen.has(key)) return 0;
  seen.add(key);
  let total = measure(stat);
  if (stat.isDirectory()) {
    for (const name of await readdir(path).catch(() => [] as string[])) total += await sumTree(join(path, name), seen, measure);
  }
  return total;
}
