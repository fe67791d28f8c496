/**
 * The volume copy's checkpoint: which ranges are finished, so a restarted copy skips them.
 *
 *   {"format":"ferry-volume-checkpoint/1", …the job's identity…}   first line: the header
 *   <range index> <range digest in hex, or - without verification>  one line per finished range
 *
 * A range is recorded only after the destination's data for it was flushed with fdatasync,
 * and each batch of lines is fsync'ed before the next one is written (copier.ts), so a line
 * survives a power loss only if the data it names does. A torn last line (a crash while
 * appending) is not a complete line and is ignored. The header names the source and the
 * destination by path and identity (device, inode and birth time for files, device number for
 * block devices, plus the source's size and mtime), the volume size, the range size and the
 * verification: a checkpoint of another job, of a recreated destination or of a source image
 * written since is discarded (a note says so) and the copy starts over.
 */
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface CheckpointHeader {
  readonly format: 'ferry-volume-checkpoint/1';
  readonly mode: string;
  readonly source: string;
  readonly sourceId: string;
  readonly destination: string;
  readonly destinationId: string;
  readonly sizeBytes: number;
  readonly rangeBytes: number;
  readonly verify: string;
}

export interface LoadedCheckpoint {
  /** Finished ranges: index -> digest ('' without verification). */
  readonly done: Map<number, string>;
  /** Why an existing file was not used, or null. */
  readonly discarded: string | null;
}

const LINE = /^(\d+) ([0-9a-f]+|-)$/;

export async function loadCheckpoint(path: string, header: CheckpointHeader, ranges: number): Promise<LoadedCheckpoint> {
  const done = new Map<number, string>();
  let text: string;
  try {
    text = await fs.promises.readFile(path, 'latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { done, discarded: null };
    throw error;
  }
  const lines = text.split('\n');
  // The last element follows the last newline: empty, or a torn line that is ignored.
  lines.pop();
  if (lines[0] !== JSON.stringify(header)) {
    return { done, discarded: `checkpoint ${path} belongs to another copy (source, destination, size or verification differ) and was started over` };
  }
  for (const line of lines.slice(1)) {
    const m = LINE.exec(line);
    if (m === null) continue;
    const index = Number(m[1]);
    const digest = m[2] === '-' ? '' : m[2]!;
    if (index >= ranges || (header.verify !== 'none') !== (digest !== '')) continue;
    done.set(index, digest);
  }
  return { done, discarded: null };
}

/** Appends finished ranges; each `record` returns once the lines are on disk. */
export class CheckpointWriter {
  private constructor(private readonly handle: fs.promises.FileHandle) {}

  /**
   * Opens the checkpoint for appending. A fresh one (no file, or one discarded by
   * loadCheckpoint) is first written as the header alone to a temporary file and renamed
   * over the path, so the path never holds a header without its job.
   */
  static async open(path: string, header: CheckpointHeader, fresh: boolean): Promise<CheckpointWriter> {
    if (fresh) {
      const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
      const h = await fs.promises.open(tmp, 'w', 0o600);
      try {
        await h.writeFile(`${JSON.stringify(header)}\n`);
        await h.sync();
      } finally {
        await h.close();
      }
      await fs.promises.rename(tmp, path);
      await syncDir(dirname(path));
    }
    return new CheckpointWriter(await fs.promises.open(path, 'a'));
  }

  async record(entries: ReadonlyArray<{ index: number; digest: string }>): Promise<void> {
    if (entries.length === 0) return;
    await this.handle.writeFile(entries.map((e) => `${e.index} ${e.digest === '' ? '-' : e.digest}\n`).join(''));
    await this.handle.sync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const h = await fs.promises.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
