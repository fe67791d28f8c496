/**
 * The job's checkpoint: an append-only file of finished entries, so memory does not grow with
 * the number of files and a restarted job skips what it already verified.
 *
 *   ferry-checkpoint v1 {"source":…,"destination":…,"verify":…}
 *   <relative path, base64>\t<size>\t<mtime ns>\t<hash or ->
 *
 * Workers append lines once the destination entry's data is written and verified (its times
 * and xattrs may still be with the helper: until its mtime matches, the entry is not up to
 * date, so a crash then costs a re-copy, never a skip) and fdatasync at most once a second;
 * the pool syncs at the end and compacts the file (last line per path wins) unless the job
 * appended nothing to a file that was already clean. To resume, the pool loads fingerprints
 * (XXH3-64 of a line's path, size and mtime fields, seeded by the algorithm) into a
 * SharedArrayBuffer hash table that every worker reads: a file is skipped without reading it
 * only if the source still has the checkpointed size and mtime and the destination matches
 * them too. A file missing from the table is compared with its source byte for byte (or by
 * size+mtime when not verifying), so the destination itself is the authority and the
 * checkpoint only saves reading. Guards against process crashes; after a power loss the
 * destination may hold less than the checkpoint claims, so run that final sync without it.
 */
import * as fs from 'node:fs';
import { xxh3 } from '@node-rs/xxhash';
import type { VerifyAlgorithm } from './types.js';

const MAGIC = 'ferry-checkpoint v1 ';
const NEWLINE = 0x0a;

export interface CheckpointHeader {
  source: string;
  destination: string;
  verify: VerifyAlgorithm;
}

// The key of a line is its text up to the third tab, so loading hashes the line as read (no
// decoding, no BigInt parsing) and a worker hashes the same text built from its lstat. A 64-bit
// key only saves reading: a collision with another entry would still need the destination to
// match that file's size and mtime.
const SEED: Record<VerifyAlgorithm, bigint> = { sha256: 0x5eedn, xxh128: 0x5eed128n, none: 0x5eed0n };

function keyFingerprint(key: string, verify: VerifyAlgorithm): bigint {
  const v = xxh3.xxh64(key, SEED[verify]);
  return v === 0n ? 1n : v;
}

function entryKey(rel: Uint8Array, size: bigint | number, mtimeNs: bigint): string {
  return `${Buffer.from(rel.buffer, rel.byteOffset, rel.length).toString('base64')}\t${size}\t${mtimeNs}`;
}

export function fingerprint(rel: Uint8Array, size: bigint | number, mtimeNs: bigint, verify: VerifyAlgorithm): bigint {
  return keyFingerprint(entryKey(rel, size, mtimeNs), verify);
}

/** Open-addressing set of 64-bit fingerprints in shared memory (0 marks an empty slot). */
export class FingerprintTable {
  readonly slots: BigUint64Array;
  private readonly mask: bigint;
  constructor(readonly buffer: SharedArrayBuffer) {
    this.slots = new BigUint64Array(buffer);
    this.mask = BigInt(this.slots.length - 1);
  }
  static create(expectedEntries: number): FingerprintTable {
    let capacity = 16;
    while (capacity < expectedEntries * 2) capacity *= 2;
    return new FingerprintTable(new SharedArrayBuffer(capacity * 8));
  }
  insert(fp: bigint): void {
    let i = Number(fp & this.mask);
    for (;;) {
      const cur = this.slots[i]!;
      if (cur === fp) return;
      if (cur === 0n) {
        this.slots[i] = fp;
        return;
      }
      i = (i + 1) & Number(this.mask);
    }
  }
  has(fp: bigint): boolean {
    let i = Number(fp & this.mask);
    for (;;) {
      const cur = this.slots[i]!;
      if (cur === fp) return true;
      if (cur === 0n) return false;
      i = (i + 1) & Number(this.mask);
    }
  }
}

export function formatEntry(rel: Uint8Array, size: bigint | number, mtimeNs: bigint, hash: string): string {
  return `${entryKey(rel, size, mtimeNs)}\t${hash || '-'}\n`;
}

/**
 * Length of an entry line's key (up to its third tab), or -1 when the line is not an entry
 * (a torn line after a crash): four non-empty fields, the second and third decimal.
 */
function keyLength(line: string): number {
  const t1 = line.indexOf('\t');
  const t2 = t1 < 1 ? -1 : line.indexOf('\t', t1 + 1);
  const t3 = t2 < 0 ? -1 : line.indexOf('\t', t2 + 1);
  if (t3 < 0 || t2 === t1 + 1 || t3 === t2 + 1 || t3 + 1 >= line.length || line.indexOf('\t', t3 + 1) >= 0) return -1;
  for (let i = t1 + 1; i < t3; i++) {
    if (i === t2) continue;
    const c = line.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  return t3;
}

/** The file's lines in batches of about 1 MiB (the last line may lack its newline): bounded memory. */
async function* lineBatches(path: string): AsyncGenerator<string[]> {
  const handle = await fs.promises.open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let carry = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const last = buf.lastIndexOf(NEWLINE, bytesRead - 1);
      if (last < 0) {
        carry = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
        continue;
      }
      const lines = (carry.toString('utf8') + buf.toString('utf8', 0, last)).split('\n');
      carry = Buffer.from(buf.subarray(last + 1, bytesRead));
      yield lines;
    }
    if (carry.length > 0) yield [carry.toString('utf8')];
  } finally {
    await handle.close();
  }
}

function sameHeader(a: CheckpointHeader, b: CheckpointHeader): boolean {
  return a.source === b.source && a.destination === b.destination && a.verify === b.verify;
}

export interface OpenedCheckpoint {
  /** Fingerprints of the finished entries; null when there was nothing to resume. */
  table: FingerprintTable | null;
  entries: number;
  /** Every line was a valid entry: compaction can be skipped if the job appends nothing. */
  clean: boolean;
}

/**
 * Opens the checkpoint for a job: loads the fingerprints of a matching existing file, or
 * starts a fresh one (a missing file, another job's file or a torn header). A torn last line
 * gets its newline, so the next append starts a line of its own.
 */
export async function openCheckpoint(path: string, header: CheckpointHeader): Promise<OpenedCheckpoint> {
  const stat = await fs.promises.stat(path).catch(() => null);
  if (stat !== null && stat.size > 0) {
    let table: FingerprintTable | null = null;
    let entries = 0;
    let clean = true;
    let first = true;
    read: for await (const lines of lineBatches(path)) {
      for (const line of lines) {
        if (first) {
          first = false;
          let parsed: CheckpointHeader | null = null;
          try {
            parsed = line.startsWith(MAGIC) ? (JSON.parse(line.slice(MAGIC.length)) as CheckpointHeader) : null;
          } catch {
            parsed = null;
          }
          if (parsed === null || !sameHeader(parsed, header)) break read;
          table = FingerprintTable.create(Math.ceil(stat.size / 24));
          continue;
        }
        const n = keyLength(line);
        if (n < 0) clean = false;
        else {
          table!.insert(keyFingerprint(line.slice(0, n), header.verify));
          entries++;
        }
      }
    }
    if (table !== null) {
      const fd = await fs.promises.open(path, 'r+');
      try {
        const last = Buffer.alloc(1);
        await fd.read(last, 0, 1, stat.size - 1);
        if (last[0] !== NEWLINE) {
          await fd.write('\n', stat.size);
          clean = false;
        }
      } finally {
        await fd.close();
      }
      return { table, entries, clean };
    }
  }
  const fd = await fs.promises.open(path, 'w');
  await fd.writeFile(`${MAGIC}${JSON.stringify(header)}\n`);
  await fd.sync();
  await fd.close();
  return { table: null, entries: 0, clean: true };
}

/**
 * Worker side: buffers a task's lines, appends them in one write, fdatasyncs at most once a
 * second, and counts what it appended (`appended`, shared by the job's workers).
 */
export class CheckpointAppender {
  private lines: string[] = [];
  constructor(
    private readonly path: string,
    private readonly lastSync: { get(): number; set(ms: number): boolean },
    private readonly appended: (lines: number) => void = () => undefined,
  ) {}
  /** Queues a line; a long task flushes every 256 lines so a crash loses little. */
  add(line: string): void {
    if (!this.path) return;
    this.lines.push(line);
    if (this.lines.length >= 256) this.flush();
  }
  flush(): void {
    if (!this.path || this.lines.length === 0) return;
    const fd = fs.openSync(this.path, fs.constants.O_WRONLY | fs.constants.O_APPEND);
    try {
      fs.writeSync(fd, this.lines.join(''));
      this.appended(this.lines.length);
      this.lines = [];
      const now = Date.now();
      if (now - this.lastSync.get() >= 1000 && this.lastSync.set(now)) fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Rewrites the checkpoint keeping the last line per path; atomic (temp file + rename). */
export async function compactCheckpoint(path: string): Promise<void> {
  const keyOf = (line: string): bigint => xxh3.xxh64(line.slice(0, line.indexOf('\t'))) | 1n;
  const stat = await fs.promises.stat(path);
  let capacity = 16;
  while (capacity < (stat.size / 24) * 2) capacity *= 2;
  const keys = new BigUint64Array(capacity);
  const last = new Uint32Array(capacity);
  const mask = capacity - 1;
  const slotOf = (key: bigint): number => {
    let i = Number(key & BigInt(mask));
    while (keys[i] !== 0n && keys[i] !== key) i = (i + 1) & mask;
    return i;
  };
  let index = 0;
  for await (const lines of lineBatches(path)) {
    for (const line of lines) {
      if (index++ === 0 || keyLength(line) < 0) continue;
      const key = keyOf(line);
      const i = slotOf(key);
      keys[i] = key;
      last[i] = index;
    }
  }
  const tmp = `${path}.compact`;
  const out = await fs.promises.open(tmp, 'w');
  try {
    index = 0;
    for await (const lines of lineBatches(path)) {
      const kept: string[] = [];
      for (const line of lines) {
        if (index++ === 0 || (keyLength(line) >= 0 && last[slotOf(keyOf(line))] === index)) kept.push(`${line}\n`);
      }
      await out.write(kept.join(''));
    }
    await out.sync();
  } finally {
    await out.close();
  }
  await fs.promises.rename(tmp, path);
}
