/**
 * The job's checkpoint: an append-only file of finished entries, so memory does not grow with
 * the number of files and a restarted job skips what it already verified.
 *
 *   ferry-checkpoint v1 {"source":…,"destination":…,"verify":…}
 *   <relative path, base64>\t<size>\t<mtime ns>\t<hash or ->
 *
 * Workers append lines after the destination entry is complete (data, metadata, verification)
 * and fdatasync at most once a second; the pool syncs at the end and compacts the file (last
 * line per path wins). To resume, the pool loads fingerprints (64 bits of SHA-256 over path,
 * size, mtime and algorithm) into a SharedArrayBuffer hash table that every worker reads: a
 * file is skipped without reading it only if the source still has the checkpointed size and
 * mtime and the destination matches them too. A file missing from the table is compared by
 * hash (or by size+mtime when not verifying), so the destination itself is the authority and
 * the checkpoint only saves reading. Guards against process crashes; after a power loss the
 * destination may hold less than the checkpoint claims, so run that final sync without it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createInterface } from 'node:readline';
import type { VerifyAlgorithm } from './types.js';

const MAGIC = 'ferry-checkpoint v1 ';

export interface CheckpointHeader {
  source: string;
  destination: string;
  verify: VerifyAlgorithm;
}

export function fingerprint(rel: Uint8Array, size: bigint | number, mtimeNs: bigint, verify: VerifyAlgorithm): bigint {
  const h = createHash('sha256').update(rel).update(`\0${size}\0${mtimeNs}\0${verify}`).digest();
  const v = h.readBigUInt64LE(0);
  return v === 0n ? 1n : v;
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
  return `${Buffer.from(rel.buffer, rel.byteOffset, rel.length).toString('base64')}\t${size}\t${mtimeNs}\t${hash || '-'}\n`;
}

function parseEntry(line: string): { rel: Buffer; size: bigint; mtimeNs: bigint } | null {
  const parts = line.split('\t');
  if (parts.length !== 4) return null;
  try {
    return { rel: Buffer.from(parts[0]!, 'base64'), size: BigInt(parts[1]!), mtimeNs: BigInt(parts[2]!) };
  } catch {
    return null;
  }
}

function sameHeader(a: CheckpointHeader, b: CheckpointHeader): boolean {
  return a.source === b.source && a.destination === b.destination && a.verify === b.verify;
}

/**
 * Opens the checkpoint for a job: loads the fingerprints of a matching existing file, or
 * starts a fresh one (a missing file, another job's file or a torn header). Returns the table
 * (null when there was nothing to resume) and how many entries it holds.
 */
export async function openCheckpoint(path: string, header: CheckpointHeader): Promise<{ table: FingerprintTable | null; entries: number }> {
  const stat = await fs.promises.stat(path).catch(() => null);
  if (stat !== null && stat.size > 0) {
    const lines = createInterface({ input: fs.createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
    let table: FingerprintTable | null = null;
    let entries = 0;
    let first = true;
    for await (const line of lines) {
      if (first) {
        first = false;
        let parsed: CheckpointHeader | null = null;
        try {
          parsed = line.startsWith(MAGIC) ? (JSON.parse(line.slice(MAGIC.length)) as CheckpointHeader) : null;
        } catch {
          parsed = null;
        }
        if (parsed === null || !sameHeader(parsed, header)) break;
        table = FingerprintTable.create(Math.ceil(stat.size / 24));
        continue;
      }
      const entry = parseEntry(line);
      if (entry === null || table === null) continue; // a torn last line after a crash
      table.insert(fingerprint(entry.rel, entry.size, entry.mtimeNs, header.verify));
      entries++;
    }
    lines.close();
    if (table !== null) return { table, entries };
  }
  const fd = await fs.promises.open(path, 'w');
  await fd.writeFile(`${MAGIC}${JSON.stringify(header)}\n`);
  await fd.sync();
  await fd.close();
  return { table: null, entries: 0 };
}

/** Worker side: buffers a task's lines, appends them in one write, fdatasyncs at most once a second. */
export class CheckpointAppender {
  private lines: string[] = [];
  constructor(
    private readonly path: string,
    private readonly lastSync: { get(): number; set(ms: number): boolean },
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
  const keyOf = (line: string): bigint => {
    const tab = line.indexOf('\t');
    const h = createHash('sha256').update(tab < 0 ? line : line.slice(0, tab)).digest();
    return h.readBigUInt64LE(0) | 1n;
  };
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
  let n = 0;
  for await (const line of createInterface({ input: fs.createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })) {
    n++;
    if (n === 1 || parseEntry(line) === null) continue;
    const key = keyOf(line);
    const i = slotOf(key);
    keys[i] = key;
    last[i] = n;
  }
  const tmp = `${path}.compact`;
  const out = await fs.promises.open(tmp, 'w');
  try {
    let m = 0;
    let chunk: string[] = [];
    for await (const line of createInterface({ input: fs.createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })) {
      m++;
      if (m === 1) chunk.push(`${line}\n`);
      else if (parseEntry(line) !== null && last[slotOf(keyOf(line))] === m) chunk.push(`${line}\n`);
      if (chunk.length >= 4096) {
        await out.write(chunk.join(''));
        chunk = [];
      }
    }
    await out.write(chunk.join(''));
    await out.sync();
  } finally {
    await out.close();
  }
  await fs.promises.rename(tmp, path);
}
