/**
 * Root-confined filesystem access for the worker threads. Node has no openat(2), so every
 * entry is reached through an open directory fd: `/proc/self/fd/<dirfd>/<name>` resolves
 * <name> inside the directory the fd pins, whatever happens to the path above it. Directories
 * are opened one component at a time with O_NOFOLLOW|O_DIRECTORY starting from the root fd, so
 * a symlinked or swapped component fails with ELOOP/ENOTDIR instead of leading outside the
 * roots. Final components are never followed: files are opened with O_NOFOLLOW, links read
 * with readlink, metadata taken with lstat and changed with lchown/lutimes or on an fd.
 */
import * as fs from 'node:fs';
import { reasonForErrno, type DataCopyReason, type WorkerFailure } from './errors.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
const O_NOATIME = fs.constants.O_NOATIME ?? 0;
const SLASH = 0x2f;

/** Thrown inside a worker; the task boundary turns it into a WorkerFailure. */
export class TaskFailure extends Error {
  constructor(readonly failure: WorkerFailure) {
    super(failure.message);
  }
}

/** Readable form of a raw relative path: UTF-8 where valid, \xNN escapes otherwise. */
export function displayPath(rel: Uint8Array): string {
  const buf = Buffer.from(rel.buffer, rel.byteOffset, rel.length);
  const text = buf.toString('utf8');
  if (!text.includes('\uFFFD')) return text;
  let out = '';
  for (const byte of buf) out += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return out;
}

export function fail(reason: DataCopyReason, message: string, rel: Uint8Array, errno?: string): TaskFailure {
  return new TaskFailure({ ok: false, reason, message, path: displayPath(rel), ...(errno ? { errno } : {}) });
}

/** Wraps a system error from `what` on `side` into a typed failure naming the entry. */
export function sysFail(error: unknown, side: 'source' | 'destination', rel: Uint8Array, what: string): TaskFailure {
  if (error instanceof TaskFailure) return error;
  const errno = (error as NodeJS.ErrnoException | null)?.code;
  const reason = reasonForErrno(errno, side);
  const shown = displayPath(rel) || '.';
  const detail = (error as Error | null)?.message ?? String(error);
  const message =
    reason === 'SOURCE_VANISHED'
      ? `source entry ${shown} vanished while copying (${what})`
      : reason === 'NO_SPACE'
        ? `no space left on the destination while writing ${shown}`
        : reason === 'ESCAPE_ATTEMPT'
          ? `${side} entry ${shown} turned into a symlink; refusing to follow it (${what})`
          : `${what} failed for ${side} entry ${shown}: ${detail}`;
  return fail(reason, message, rel, errno);
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

// /proc/<pid> rather than /proc/self: one magic-link lookup less per path (about 1 µs of the
// 4-5 µs an lstat costs here). The fd table is the process's, so any thread may use it.
const FD_DIR = `/proc/${process.pid}/fd/`;
const prefixCache = new Map<number, Buffer>();
/** Path naming `name` inside the directory pinned by `dirFd`. */
export function at(dirFd: number, name: Uint8Array): Buffer {
  let prefix = prefixCache.get(dirFd);
  if (prefix === undefined) {
    prefix = Buffer.from(`${FD_DIR}${dirFd}/`);
    prefixCache.set(dirFd, prefix);
  }
  const out = Buffer.allocUnsafe(prefix.length + name.length);
  out.set(prefix, 0);
  out.set(name, prefix.length);
  return out;
}

/** Path of the directory itself, for opendir. */
export function fdPath(fd: number): string {
  return `${FD_DIR}${fd}`;
}

export function joinRel(dir: Uint8Array, name: Uint8Array): Buffer {
  if (dir.length === 0) return Buffer.from(name);
  const out = Buffer.allocUnsafe(dir.length + 1 + name.length);
  out.set(dir, 0);
  out[dir.length] = SLASH;
  out.set(name, dir.length + 1);
  return out;
}

export function splitRel(rel: Uint8Array): { dir: Buffer; name: Buffer } {
  const buf = toBuffer(rel);
  const i = buf.lastIndexOf(SLASH);
  return i < 0 ? { dir: Buffer.alloc(0), name: buf } : { dir: buf.subarray(0, i), name: buf.subarray(i + 1) };
}

function components(rel: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  const buf = toBuffer(rel);
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === SLASH) {
      if (i > start) out.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

/** Opens a root directory (the roots themselves may be reached through symlinks the caller chose). */
export function openRoot(path: string, side: 'source' | 'destination'): number {
  try {
    return fs.openSync(path, O_RDONLY | O_DIRECTORY);
  } catch (error) {
    throw sysFail(error, side, new Uint8Array(0), `open ${side} root`);
  }
}

/**
 * Opens `rel` below the root fd one component at a time, never following a symlink. A
 * component that is a symlink or not a directory is an escape attempt (a race or a crafted
 * tree), reported with the path.
 */
export function openDirAt(rootFd: number, rel: Uint8Array, side: 'source' | 'destination'): number {
  let fd = rootFd;
  let walked: Buffer = Buffer.alloc(0);
  try {
    for (const part of components(rel)) {
      walked = joinRel(walked, part);
      const next = openChildDir(fd, part, walked, side);
      if (fd !== rootFd) fs.closeSync(fd);
      fd = next;
    }
    return fd === rootFd ? fs.openSync(fdPath(rootFd), O_RDONLY | O_DIRECTORY) : fd;
  } catch (error) {
    if (fd !== rootFd) fs.closeSync(fd);
    throw error;
  }
}

/** Opens the directory `name` inside `dirFd` without following a symlink; `rel` names it in errors. */
export function openChildDir(dirFd: number, name: Uint8Array, rel: Uint8Array, side: 'source' | 'destination'): number {
  try {
    return fs.openSync(at(dirFd, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      throw fail('ESCAPE_ATTEMPT', `${side} directory ${displayPath(rel)} is not a real directory (symlink or replaced); refusing to go through it`, rel, code);
    }
    throw sysFail(error, side, rel, 'open directory');
  }
}

/**
 * Opens a source regular file without following symlinks and without touching its atime.
 * O_NONBLOCK (ignored for regular files) keeps a FIFO swapped in after the listing from
 * blocking the open; the caller's fstat then rejects it.
 */
export function openSourceFile(dirFd: number, name: Uint8Array, rel: Uint8Array): number {
  const path = at(dirFd, name);
  try {
    try {
      return fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NOATIME | O_NONBLOCK);
    } catch (error) {
      if (O_NOATIME !== 0 && (error as NodeJS.ErrnoException).code === 'EPERM') return fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      throw error;
    }
  } catch (error) {
    throw sysFail(error, 'source', rel, 'open');
  }
}

export function lstatAt(dirFd: number, name: Uint8Array): fs.BigIntStats | undefined {
  return fs.lstatSync(at(dirFd, name), { bigint: true, throwIfNoEntry: false });
}

export function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed or never valid; nothing to release
  }
}

/** Streams the entries of a pinned directory; names are raw bytes. */
export function* readDirAt(dirFd: number): Generator<fs.Dirent<Buffer>> {
  const dir = fs.opendirSync(fdPath(dirFd), { encoding: 'buffer' as BufferEncoding, bufferSize: 256 });
  try {
    for (;;) {
      const entry = dir.readSync() as unknown as fs.Dirent<Buffer> | null;
      if (entry === null) return;
      yield entry;
    }
  } finally {
    dir.closeSync();
  }
}

export function isIgnored(name: Uint8Array, ignore: readonly Uint8Array[]): boolean {
  for (const candidate of ignore) {
    if (candidate.length === name.length && Buffer.compare(toBuffer(candidate), toBuffer(name)) === 0) return true;
  }
  return false;
}
