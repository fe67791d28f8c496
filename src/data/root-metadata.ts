/**
 * The copy engine leaves the two roots alone (they usually belong to mounts); a caller that
 * copies a whole share copies the root's own mode, owner and times with this afterwards.
 */
import { execFile } from 'node:child_process';
import { chmod, lchown, lstat, utimes } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Copies mode, owner (as root) and nanosecond atime/mtime of `source` onto `destination`. */
export async function copyRootMetadata(source: string, destination: string): Promise<void> {
  const s = await lstat(source, { bigint: true });
  if (process.getuid?.() === 0) await lchown(destination, Number(s.uid), Number(s.gid));
  await chmod(destination, Number(s.mode & 0o7777n));
  await setTimesNs(destination, s.atimeNs, s.mtimeNs);
}

/**
 * Sets a path's atime and mtime to the nanosecond. Node's utimes takes seconds as a double
 * (microseconds at best); GNU touch takes "@<seconds>.<nanoseconds>" exactly. Falls back to
 * utimes where touch is missing or refuses (pre-1970 times are not formatted for it).
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
