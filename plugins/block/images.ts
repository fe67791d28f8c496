/**
 * Image files: creating a sparse raw image, copying one without filling its holes, and the
 * facts the services need (allocated bytes, same file system). Node has no lseek(SEEK_DATA /
 * SEEK_HOLE), so the copy runs GNU `cp --sparse=always --reflink=auto`: a reflink where the file
 * system offers one (XFS, Btrfs), else a copy that skips every all-zero block, so a thin image
 * stays thin on the destination (a hole stays a hole; zeros written by a client become holes).
 */
import { execFile } from 'node:child_process';
import { open, rm, stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { partialOf } from './layout.js';
import { renameDurably, syncDirectory, syncFile } from '../sdk/durable-files.js';

const run = promisify(execFile);

export const GIB = 1024 ** 3;

/**
 * Creates `path` as a sparse image of `sizeGib` GiB: ftruncate only, so no data block is
 * allocated. Truncates an existing file to the size (a create replayed after a crash).
 */
export async function createSparseImage(path: string, sizeGib: number): Promise<void> {
  const handle = await open(path, 'w', 0o600);
  try {
    await handle.truncate(sizeGib * GIB);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDirectory(dirname(path));
}

/**
 * Copies `source` to `destination` keeping holes: into `<destination>.partial` first, fsynced,
 * then renamed into place, so `destination` only ever exists complete. The signal aborts the
 * copy (the partial file is removed).
 */
export async function copySparse(source: string, destination: string, signal?: AbortSignal): Promise<void> {
  const partial = partialOf(destination);
  await rm(partial, { force: true });
  try {
    await run('cp', ['--sparse=always', '--reflink=auto', '--', source, partial], { signal });
    await syncFile(partial);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  await renameDurably(partial, destination);
}

/** Bytes the file really occupies (st_blocks * 512); 0 for a missing file. */
export async function allocatedBytes(path: string): Promise<number> {
  try {
    return Number((await stat(path, { bigint: true })).blocks) * 512;
  } catch {
    return 0;
  }
}

/** Whether two paths are on the same file system (a rename between them is atomic). */
export async function sameFileSystem(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  return sa.dev === sb.dev;
}

/** Total and available bytes of the file system holding `path`. */
export async function fileSystemBytes(path: string): Promise<{ totalBytes: number; freeBytes: number }> {
  const s = await statfs(path);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
}


export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
