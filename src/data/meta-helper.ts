/**
 * Exact nanosecond timestamps and extended attributes, which Node cannot do: its utimes family
 * takes seconds as a double (truncated to µs on Node 20) and it has no xattr API at all. Each
 * worker thread keeps one small perl co-process (perl is part of every Debian/Ubuntu base
 * system) that makes the syscalls (utimensat with AT_SYMLINK_NOFOLLOW; llistxattr, lgetxattr,
 * lsetxattr, lremovexattr) through perl's `syscall`. Requests travel in batches through a pair
 * of FIFOs with blocking reads and writes, so the worker's synchronous copy loop waits for the
 * answer before it closes the directory fds the paths name (/proc/<pid>/fd/<dirfd>/<name>,
 * never re-resolved from a root, so the helper cannot leave the roots either). Where perl, the
 * syscall numbers or /proc are missing, the pool's probe fails and the job falls back to µs
 * timestamps without xattrs (reported in CopyResult.notes).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** utimensat, llistxattr, lgetxattr, lsetxattr, lremovexattr, fadvise64, getdents64. */
const SYSCALLS: Partial<Record<string, readonly number[]>> = { x64: [280, 195, 192, 189, 198, 221, 217], arm64: [88, 12, 9, 6, 15, 223, 61] };
/** POSIX_FADV_WILLNEED; how much of each file to ask for (the engine's read size). */
const WILLNEED = 3;
const PREFETCH_BYTES = 256 * 1024;
/** Entries of a directory whose files `prefetchFilesIn` asks for (one batch of the data pass). */
export const PREFETCH_FILES = 128;

/**
 * Protocol: fields end with NUL. `T path asec ansec msec mnsec` sets times; `X src dst` makes
 * dst's xattrs equal to src's (names in security.* are never removed from dst: labels belong to
 * the destination's policy); `R path` asks the kernel to start reading the file's first bytes
 * (open without following a symlink or blocking on a FIFO, posix_fadvise WILLNEED, close;
 * failures are ignored); `L path` reads a directory's entries (opened without following a
 * symlink) so its blocks are cached; `P path` does R for the regular files among a directory's
 * first entries; an empty field ends the batch and perl answers "<bad times>
 * <bad xattrs>\n". A source that does not support xattrs has none; a destination that refuses
 * a name (EPERM for trusted.* without root, ENOTSUP) counts as one bad xattr.
 */
const SCRIPT = String.raw`
use strict; my ($ut, $ls, $gt, $st, $rm, $fa, $gd, $willneed, $prefetch, $files, $oflags, $dflags, $req, $resp) = @ARGV;
# syscall passes strings by address: arguments from @ARGV must be made numbers.
($willneed, $prefetch, $files) = (0 + $willneed, 0 + $prefetch, 0 + $files);
open(my $in, '<', $req) or die "req: $!"; open(my $out, '>', $resp) or die "resp: $!";
select($out); $| = 1; print "ready\n"; local $/ = "\0";
my ($tbad, $xbad) = (0, 0); my $buf = "\0" x 65536;
sub field { my $v = <$in>; die "eof" unless defined $v; chop $v; $v }
sub names { my $n = syscall($ls, $_[0], $buf, 65536); return () if $n <= 0; grep { length } split /\0/, substr($buf, 0, $n) }
sub value { my $n = syscall($gt, $_[0], $_[1], $buf, 65536); $n < 0 ? undef : substr($buf, 0, $n) }
while (defined(my $op = <$in>)) {
  chop $op;
  if ($op eq '') { print $out "$tbad $xbad\n"; $tbad = 0; $xbad = 0; next; }
  if ($op eq 'T') {
    my $p = field(); my @t; push @t, 0 + field() for 1..4;
    $tbad++ if syscall($ut, -100, $p, pack('q4', @t), 0x100) != 0;
  } elsif ($op eq 'X') {
    my $s = field(); my $d = field();
    my @sn = names($s); my %dn = map { $_ => 1 } names($d);
    for my $name (@sn) {
      my $v = value($s, $name); next unless defined $v;
      if (delete $dn{$name}) { my $dv = value($d, $name); next if defined $dv && $dv eq $v; }
      $xbad++ if syscall($st, $d, $name, $v, length($v), 0) != 0;
    }
    for my $name (keys %dn) { $xbad++ if $name !~ /^security\./ && syscall($rm, $d, $name) != 0; }
  } elsif ($op eq 'R') {
    my $p = field();
    if (sysopen(my $fh, $p, $oflags)) { syscall($fa, fileno($fh), 0, $prefetch, $willneed); close($fh); }
  } elsif ($op eq 'P') {
    my $p = field();
    if (sysopen(my $dh, $p, $dflags)) {
      # The directory as opened (no symlink followed), listed through perl's own fd.
      my $d = '/proc/self/fd/' . fileno($dh);
      if (opendir(my $ls, $d)) {
        my $n = 0;
        while (defined(my $e = readdir($ls))) {
          next if $e eq '.' || $e eq '..';
          last if ++$n > $files;
          next unless lstat("$d/$e") && -f _;
          if (sysopen(my $fh, "$d/$e", $oflags)) { syscall($fa, fileno($fh), 0, $prefetch, $willneed); close($fh); }
        }
        closedir($ls);
      }
      close($dh);
    }
  } elsif ($op eq 'L') {
    my $p = field();
    if (sysopen(my $dh, $p, $dflags)) { 1 while syscall($gd, fileno($dh), $buf, 65536) > 0; close($dh); }
  }
}
`;

/** One destination entry whose times and xattrs are set from the source; both fds stay open until `apply` returns. */
export interface MetaRecord {
  srcDirFd: number;
  dstDirFd: number;
  name: Uint8Array;
  atimeNs: bigint;
  mtimeNs: bigint;
  /** Also set the timestamps (false: only xattrs, e.g. for an entry that was already up to date). */
  times: boolean;
  /** Only the timestamps (xattrs known to be in step). */
  timesOnly?: boolean;
}

export interface MetaFailures {
  times: number;
  xattrs: number;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms);
const STARTUP_MS = 5000;

/**
 * One co-process per thread. `apply` blocks until every record is applied; `submit` and
 * `prefetch` do not wait, and `settle` reads their answers in order.
 */
export class MetaHelper {
  private static instance: MetaHelper | null | undefined;
  private readonly reply = Buffer.alloc(256);
  private replied = 0;
  /** Batches sent whose answer has not been read yet, oldest first (true: a metadata batch). */
  private readonly unanswered: boolean[] = [];
  private readonly prefix = new Map<number, Buffer>();

  private constructor(
    private readonly reqFd: number,
    private readonly respFd: number,
  ) {}

  /** The thread's helper, started on first use; null when unavailable. */
  static forThread(): MetaHelper | null {
    if (MetaHelper.instance !== undefined) return MetaHelper.instance;
    MetaHelper.instance = null;
    const sys = SYSCALLS[process.arch];
    if (sys === undefined) return null;
    const dir = fs.mkdtempSync(join(tmpdir(), 'ferry-meta-'));
    try {
      const req = join(dir, 'req');
      const resp = join(dir, 'resp');
      // Node has no mkfifo(3); the coreutils tool is everywhere perl is. A missing perl is
      // found here rather than by waiting out the startup deadline below.
      if (spawnSync('mkfifo', ['-m', '600', req, resp], { stdio: 'ignore' }).status !== 0) return null;
      if (spawnSync('perl', ['-e', 'exit 0'], { stdio: 'ignore' }).status !== 0) return null;
      const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW, O_DIRECTORY } = fs.constants;
      const extra = [WILLNEED, PREFETCH_BYTES, PREFETCH_FILES, O_RDONLY | O_NONBLOCK | O_NOFOLLOW, O_RDONLY | O_DIRECTORY | O_NOFOLLOW];
      const child = spawn('perl', ['-e', SCRIPT, ...sys.map(String), ...extra.map(String), req, resp], { stdio: 'ignore' });
      child.on('error', () => undefined);
      child.unref();
      MetaHelper.instance = connect(req, resp);
      return MetaHelper.instance;
    } catch {
      return null;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** @internal */
  static fromFds(reqFd: number, respFd: number): MetaHelper {
    return new MetaHelper(reqFd, respFd);
  }

  private path(dirFd: number, name: Uint8Array): Buffer[] {
    let prefix = this.prefix.get(dirFd);
    if (prefix === undefined) {
      prefix = Buffer.from(`/proc/${process.pid}/fd/${dirFd}/`);
      this.prefix.set(dirFd, prefix);
    }
    return [prefix, Buffer.from(name.buffer, name.byteOffset, name.length), NUL];
  }

  /** Applies the records and waits; `xattrs` false sets times only. Returns how many operations failed (this batch and any unsettled before it). */
  apply(records: readonly MetaRecord[], xattrs: boolean): MetaFailures {
    this.submit(records, xattrs);
    return this.settle().reduce((sum, f) => ({ times: sum.times + f.times, xattrs: sum.xattrs + f.xattrs }), { times: 0, xattrs: 0 });
  }

  /**
   * Sends the records without waiting for them: the helper works while the caller goes on.
   * `settle` reads the answer; the fds the records name must stay open until then.
   */
  submit(records: readonly MetaRecord[], xattrs: boolean): void {
    if (records.length === 0) return;
    const parts: Buffer[] = [];
    for (const r of records) {
      // xattrs first: a destination entry whose mtime matches its source has everything, even
      // after a crash between the two (an xattr-only check then relies on the ctime rule).
      if (xattrs && r.timesOnly !== true) parts.push(X, ...this.path(r.srcDirFd, r.name), ...this.path(r.dstDirFd, r.name));
      if (r.times) {
        const s = (ns: bigint): string => `${ns / 1_000_000_000n}\0${ns % 1_000_000_000n}\0`;
        parts.push(T, ...this.path(r.dstDirFd, r.name), Buffer.from(s(r.atimeNs) + s(r.mtimeNs)));
      }
    }
    this.send(parts);
    this.unanswered.push(true);
  }

  /**
   * Has the kernel start reading these files of the directory `dirFd` while the caller copies
   * earlier ones: a cold source is then read with many requests in flight instead of one at a
   * time. The caller must call `settle` before it closes `dirFd`.
   */
  prefetch(dirFd: number, names: readonly Uint8Array[]): void {
    if (names.length === 0) return;
    const parts: Buffer[] = [];
    for (const name of names) parts.push(R, ...this.path(dirFd, name));
    this.send(parts);
    this.unanswered.push(false);
  }

  /**
   * Has the kernel start reading the regular files among the first PREFETCH_FILES entries of
   * each of these subdirectories of `dirFd` (the helper lists them itself, lstats each name and
   * opens only regular files): the walk asks for the directories it visits next. The caller
   * must call `settle` before it closes `dirFd`.
   */
  prefetchFilesIn(dirFd: number, names: readonly Uint8Array[]): void {
    if (names.length === 0) return;
    const parts: Buffer[] = [];
    for (const name of names) parts.push(P, ...this.path(dirFd, name));
    this.send(parts);
    this.unanswered.push(false);
  }

  /**
   * Has the helper list these subdirectories of `dirFd` (getdents64, the listing discarded)
   * while the caller works through earlier ones: on a cold tree the directory blocks are then
   * read two at a time per worker. The caller must call `settle` before it closes `dirFd`.
   */
  prefetchDirs(dirFd: number, names: readonly Uint8Array[]): void {
    if (names.length === 0) return;
    const parts: Buffer[] = [];
    for (const name of names) parts.push(L, ...this.path(dirFd, name));
    this.send(parts);
    this.unanswered.push(false);
  }

  /** Whether some batch is still unanswered (the fds it names must stay open). */
  get busy(): boolean {
    return this.unanswered.length > 0;
  }

  /** Waits for every batch sent so far; returns the failures of each submitted (not prefetch) batch, in order. */
  settle(): MetaFailures[] {
    const out: MetaFailures[] = [];
    while (this.unanswered.length > 0) {
      const line = this.readLine();
      if (this.unanswered.shift()) {
        const [times, bad] = line.split(' ').map(Number);
        out.push({ times: times ?? 0, xattrs: bad ?? 0 });
      }
    }
    return out;
  }

  private send(parts: Buffer[]): void {
    parts.push(NUL);
    const payload = Buffer.concat(parts);
    let off = 0;
    while (off < payload.length) off += fs.writeSync(this.reqFd, payload, off);
  }

  private readLine(): string {
    for (;;) {
      const end = this.reply.subarray(0, this.replied).indexOf(0x0a);
      if (end >= 0) {
        const line = this.reply.toString('latin1', 0, end);
        this.reply.copy(this.reply, 0, end + 1, this.replied);
        this.replied -= end + 1;
        return line;
      }
      if (this.replied === this.reply.length) throw new Error('the metadata helper (perl) answered garbage');
      const n = fs.readSync(this.respFd, this.reply, this.replied, this.reply.length - this.replied, null);
      if (n === 0) throw new Error('the metadata helper (perl) exited');
      this.replied += n;
    }
  }
}

const NUL = Buffer.from([0]);
const T = Buffer.from('T\0');
const X = Buffer.from('X\0');
const R = Buffer.from('R\0');
const L = Buffer.from('L\0');
const P = Buffer.from('P\0');


/**
 * Opens the FIFOs without ever blocking on a helper that died before opening them (a blocking
 * open of a FIFO waits for the other side forever): both are first opened non-blocking and
 * perl's "ready" line is awaited with a deadline; then both are reopened blocking, which
 * returns at once because perl holds the other ends.
 */
function connect(req: string, resp: string): MetaHelper {
  const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;
  const deadline = Date.now() + STARTUP_MS;
  const respNb = fs.openSync(resp, O_RDONLY | O_NONBLOCK);
  let reqNb = -1;
  try {
    while (reqNb < 0) {
      try {
        reqNb = fs.openSync(req, O_WRONLY | O_NONBLOCK);
      } catch (error) {
        // ENXIO: perl has not opened its end yet.
        if ((error as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) throw error;
        sleep(1);
      }
    }
    const line = Buffer.alloc(16);
    let got = 0;
    while (!line.subarray(0, got).includes(0x0a)) {
      let n = 0;
      try {
        n = fs.readSync(respNb, line, got, line.length - got, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
      got += n;
      if (n === 0) {
        if (Date.now() > deadline) throw new Error('the metadata helper did not start');
        sleep(1);
      }
    }
    return MetaHelper.fromFds(fs.openSync(req, O_WRONLY), fs.openSync(resp, O_RDONLY));
  } finally {
    fs.closeSync(respNb);
    if (reqNb >= 0) fs.closeSync(reqNb);
  }
}

/**
 * Runs on a worker for the pool: does the helper work here? It must set an exact nanosecond
 * mtime through a /proc/<pid>/fd path (xattrs are then attempted per entry; what a file
 * system refuses is counted, not fatal).
 */
export function probeMetaHelper(): boolean {
  const dir = fs.mkdtempSync(join(tmpdir(), 'ferry-probe-'));
  const dirFd = fs.openSync(dir, 'r');
  try {
    fs.writeFileSync(join(dir, 'f'), '');
    const helper = MetaHelper.forThread();
    if (helper === null) return false;
    const mtimeNs = 1_600_000_000_123_456_789n;
    const name = Buffer.from('f');
    const failed = helper.apply([{ srcDirFd: dirFd, dstDirFd: dirFd, name, atimeNs: mtimeNs, mtimeNs, times: true }], true);
    return failed.times === 0 && fs.lstatSync(join(dir, 'f'), { bigint: true }).mtimeNs === mtimeNs;
  } catch {
    return false;
  } finally {
    fs.closeSync(dirFd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
