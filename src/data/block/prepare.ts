/**
 * Checks a volume copy job and readies the destination before any range is copied: both
 * endpoints name exactly one path, the source exists and holds at least the volume's bytes,
 * the destination is not the source, and it holds at least the volume's bytes. An image file
 * destination that does not exist yet, or exists empty, is created or sized to exactly
 * `sizeBytes` (ftruncate, so it starts as one hole); one that is already sized is never grown
 * or shrunk. The source is only ever opened O_RDONLY.
 */
import * as fs from 'node:fs';
import type { VolumeCopyJob, VolumeEndpoint } from '../../orchestrator/data-port.js';
import { reasonForErrno } from '../errors.js';
import { DestinationTooSmallError, InvalidVolumeCopyError, VolumeCopyError, VolumeSourceMissingError } from './errors.js';
import type { TransferMode } from './types.js';

export interface PreparedCopy {
  readonly mode: TransferMode;
  readonly sourcePath: string;
  readonly destinationPath: string;
  /** Identities for the checkpoint header (checkpoint.ts). */
  readonly sourceId: string;
  readonly destinationId: string;
  /** Kept open for the job: fdatasync before each checkpoint record. */
  readonly destination: fs.promises.FileHandle;
}

const VERIFY = ['sha256', 'xxh128', 'none'];

function endpointPath(e: VolumeEndpoint | undefined, side: string): { path: string; kind: 'file' | 'device' } {
  const file = e?.filePath ?? '';
  const device = e?.devicePath ?? '';
  if ((file === '') === (device === '')) {
    throw new InvalidVolumeCopyError(`volume ${side} must name exactly one of filePath and devicePath (got ${file === '' ? 'neither' : 'both'})`);
  }
  return file !== '' ? { path: file, kind: 'file' } : { path: device, kind: 'device' };
}

/** Size of a block device from sysfs (sectors of 512 bytes), or null when unknown. */
export function deviceSize(rdev: bigint): number | null {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  try {
    return Number(fs.readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'latin1').trim()) * 512;
  } catch {
    return null;
  }
}

function sizeOf(st: fs.BigIntStats): number | null {
  return st.isBlockDevice() ? deviceSize(st.rdev) : Number(st.size);
}

function identity(st: fs.BigIntStats, withContent: boolean): string {
  if (st.isBlockDevice()) return `blk:${st.rdev}`;
  // The birth time tells a recreated file from the old one: ext4 hands a freed inode number out again.
  const file = `${st.dev}:${st.ino}:${st.birthtimeNs}`;
  return withContent ? `${file}:${st.size}:${st.mtimeNs}` : file;
}

function sysError(error: unknown, side: 'source' | 'destination', path: string, what: string): VolumeCopyError {
  const errno = (error as NodeJS.ErrnoException).code;
  return new VolumeCopyError(reasonForErrno(errno, side), `${what} volume ${side} ${path} failed: ${(error as Error).message}`, path, { ...(errno ? { errno } : {}), cause: error });
}

export async function prepareCopy(job: VolumeCopyJob): Promise<PreparedCopy> {
  if (!Number.isSafeInteger(job.sizeBytes) || job.sizeBytes < 0) throw new InvalidVolumeCopyError(`sizeBytes must be a whole number of bytes >= 0, not ${String(job.sizeBytes)}`);
  if (!VERIFY.includes(job.verify)) throw new InvalidVolumeCopyError(`verify must be 'sha256', 'xxh128' or 'none', not ${String(job.verify)}`);
  const source = endpointPath(job.source, 'source');
  const destination = endpointPath(job.destination, 'destination');

  let srcSt: fs.BigIntStats;
  try {
    srcSt = await fs.promises.stat(source.path, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new VolumeSourceMissingError(source.path);
    throw sysError(error, 'source', source.path, 'stat of');
  }
  if (source.kind === 'file' && !srcSt.isFile()) throw new InvalidVolumeCopyError(`volume source ${source.path} is not a regular file (filePath names a raw image; use devicePath for a device)`, source.path);
  if (source.kind === 'device' && !srcSt.isBlockDevice() && !srcSt.isFile()) throw new InvalidVolumeCopyError(`volume source ${source.path} is neither a block device nor a file`, source.path);
  const srcSize = sizeOf(srcSt);
  if (srcSize !== null && srcSize < job.sizeBytes) {
    throw new InvalidVolumeCopyError(`volume source ${source.path} holds ${srcSize} bytes, fewer than the volume's sizeBytes ${job.sizeBytes}`, source.path);
  }
  // Fail on permissions now rather than in every range task.
  try {
    await (await fs.promises.open(source.path, fs.constants.O_RDONLY)).close();
  } catch (error) {
    throw sysError(error, 'source', source.path, 'opening');
  }

  let handle: fs.promises.FileHandle;
  try {
    handle = destination.kind === 'file'
      ? await fs.promises.open(destination.path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600)
      : await fs.promises.open(destination.path, fs.constants.O_RDWR);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InvalidVolumeCopyError(`volume destination ${destination.path} does not exist; is the destination volume attached?`, destination.path);
    }
    throw sysError(error, 'destination', destination.path, 'opening');
  }
  try {
    const dstSt = await handle.stat({ bigint: true });
    const same = srcSt.isBlockDevice() ? dstSt.isBlockDevice() && dstSt.rdev === srcSt.rdev : dstSt.dev === srcSt.dev && dstSt.ino === srcSt.ino;
    if (same) throw new InvalidVolumeCopyError(`volume source and destination are the same ${srcSt.isBlockDevice() ? 'device' : 'file'} (${source.path}, ${destination.path})`, destination.path);
    if (destination.kind === 'file' && !dstSt.isFile()) throw new InvalidVolumeCopyError(`volume destination ${destination.path} is not a regular file (filePath names a raw image; use devicePath for a device)`, destination.path);
    if (destination.kind === 'device' && !dstSt.isBlockDevice() && !dstSt.isFile()) throw new InvalidVolumeCopyError(`volume destination ${destination.path} is neither a block device nor a file`, destination.path);
    const dstSize = sizeOf(dstSt);
    if (destination.kind === 'file' && dstSize === 0) {
      try {
        await handle.truncate(job.sizeBytes);
      } catch (error) {
        throw sysError(error, 'destination', destination.path, 'sizing');
      }
    } else if (dstSize !== null && dstSize < job.sizeBytes) {
      throw new DestinationTooSmallError(destination.path, dstSize, job.sizeBytes);
    }
    return {
      mode: source.kind === 'file' ? 'file' : 'block',
      sourcePath: source.path,
      destinationPath: destination.path,
      sourceId: identity(srcSt, true),
      destinationId: identity(dstSt, false),
      destination: handle,
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
