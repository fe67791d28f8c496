/** Space facts of a back end: file-system size (statfs) and bytes a tree uses (like `du`). */
import { lstat, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';

export const GIB = 1024 ** 3;

/** Total and available bytes of the file system holding `path`. */
export async function fileSystemBytes(path: string): Promise<{ totalBytes: number; freeBytes: number }> {
  const s = await statfs(path);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
}

/** Bytes allocated by a tree (st_blocks * 512, hard links counted once); 0 for a missing path. */
export async function usedBytes(path: string, seen = new Set<string>()): Promise<number> {
  let stat;
  try {
    stat = await lstat(path, { bigint: true });
  } catch {
    return 0;
  }
  const key = `${stat.dev}:${stat.ino}`;
  if (seen.has(key)) return 0;
  seen.add(key);
  let total = Number(stat.blocks) * 512;
  if (stat.isDirectory()) {
    for (const name of await readdir(path).catch(() => [] as string[])) total += await usedBytes(join(path, name), seen);
  }
  return total;
}
