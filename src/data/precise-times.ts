/**
 * Exact nanosecond timestamps. Node's utimes/futimes/lutimes take seconds as a double and
 * libuv truncates them to microseconds, so `cp -a` fidelity needs utimensat(2) called another
 * way. Each worker thread starts one small perl co-process (perl is part of every Debian/Ubuntu
 * base system) that calls utimensat(AT_SYMLINK_NOFOLLOW) through perl's `syscall`. Requests go
 * through a pair of FIFOs with blocking reads/writes, so the worker's synchronous copy loop can
 * wait for the acknowledgement before it closes the directory fd the path names
 * (/proc/<pid>/fd/<dirfd>/<name>, never re-resolved from the root). Where perl, the syscall
 * number or /proc are missing, the pool's probe fails and timestamps fall back to Node's
 * microseconds (reported in CopyResult.notes).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SYSCALL_UTIMENSAT: Partial<Record<string, number>> = { x64: 280, arm64: 88 };

const SCRIPT = String.raw`
use strict; my ($sys, $req, $resp) = @ARGV;
open(my $in, '<', $req) or die "req: $!"; open(my $out, '>', $resp) or die "resp: $!";
select($out); $| = 1; local $/ = "\0"; my $bad = 0;
while (defined(my $p = <$in>)) {
  chop $p;
  if ($p eq '') { print $out "$bad\n"; $bad = 0; next; }
  my @t; for (1..4) { my $v = <$in>; chop $v; push @t, 0 + $v; }
  my $ts = pack('q4', @t);
  $bad++ if syscall($sys, -100, $p, $ts, 0x100) != 0;
}
`;

export interface TimeRecord {
  dirFd: number;
  name: Uint8Array;
  atimeNs: bigint;
  mtimeNs: bigint;
}

/** One co-process per thread; `set` blocks until every record is applied. */
export class PreciseTimes {
  private static instance: PreciseTimes | null | undefined;
  private readonly reply = Buffer.alloc(64);

  private constructor(
    private readonly reqFd: number,
    private readonly respFd: number,
  ) {}

  /** The thread's helper, started on first use; null when unavailable. */
  static forThread(): PreciseTimes | null {
    if (PreciseTimes.instance !== undefined) return PreciseTimes.instance;
    PreciseTimes.instance = null;
    const sys = SYSCALL_UTIMENSAT[process.arch];
    if (sys === undefined) return null;
    const dir = fs.mkdtempSync(join(tmpdir(), 'ferry-times-'));
    try {
      const req = join(dir, 'req');
      const resp = join(dir, 'resp');
      if (spawnSync('mkfifo', ['-m', '600', req, resp]).status !== 0) return null;
      const child = spawn('perl', ['-e', SCRIPT, String(sys), req, resp], { stdio: 'ignore' });
      child.on('error', () => undefined);
      child.unref();
      // Opening a FIFO blocks until the other side opens it; perl opens req first, then resp.
      const reqFd = fs.openSync(req, 'w');
      const respFd = fs.openSync(resp, 'r');
      PreciseTimes.instance = new PreciseTimes(reqFd, respFd);
      return PreciseTimes.instance;
    } catch {
      return null;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Applies the records; returns how many failed. */
  set(records: readonly TimeRecord[]): number {
    if (records.length === 0) return 0;
    const parts: Buffer[] = [];
    const pid = process.pid;
    for (const r of records) {
      parts.push(Buffer.from(`/proc/${pid}/fd/${r.dirFd}/`), Buffer.from(r.name.buffer, r.name.byteOffset, r.name.length));
      const s = (ns: bigint): string => `${ns / 1_000_000_000n}\0${ns % 1_000_000_000n}\0`;
      parts.push(Buffer.from(`\0${s(r.atimeNs)}${s(r.mtimeNs)}`));
    }
    parts.push(Buffer.from('\0'));
    const payload = Buffer.concat(parts);
    let off = 0;
    while (off < payload.length) off += fs.writeSync(this.reqFd, payload, off);
    let got = 0;
    while (!this.reply.subarray(0, got).includes(0x0a)) {
      const n = fs.readSync(this.respFd, this.reply, got, this.reply.length - got, null);
      if (n === 0) throw new Error('precise-times helper exited');
      got += n;
    }
    return Number.parseInt(this.reply.subarray(0, got).toString('latin1'), 10);
  }
}

/** Runs on the pool side: does the helper set exact nanoseconds on this machine? */
export function probePreciseTimes(): boolean {
  const dir = fs.mkdtempSync(join(tmpdir(), 'ferry-probe-'));
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.writeFileSync(join(dir, 'f'), '');
    const helper = PreciseTimes.forThread();
    if (helper === null) return false;
    const mtimeNs = 1_600_000_000_123_456_789n;
    const failed = helper.set([{ dirFd, name: Buffer.from('f'), atimeNs: mtimeNs, mtimeNs }]);
    return failed === 0 && fs.lstatSync(join(dir, 'f'), { bigint: true }).mtimeNs === mtimeNs;
  } catch {
    return false;
  } finally {
    fs.closeSync(dirFd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
