/**
 * Exact nanosecond timestamps, extended attributes and read-ahead, which Node cannot do: its
 * utimes family takes seconds as a double (truncated to µs on Node 20) and it has no xattr,
 * posix_fadvise or getdents API. Each worker thread keeps two small perl co-processes (perl is
 * part of every Debian/Ubuntu base system): one sets times and xattrs (utimensat with
 * AT_SYMLINK_NOFOLLOW; llistxattr, lgetxattr, lsetxattr, lremovexattr), the other reads ahead
 * (posix_fadvise WILLNEED, getdents64), all through perl's `syscall`. Requests travel in
 * batches through a pair of FIFOs; the worker's synchronous copy loop reads the answers later
 * and closes the directory fds the requests name (/proc/<pid>/fd/<dirfd>, never re-resolved
 * from a root, so the helpers cannot leave the roots either) only once they are answered.
 * Where perl, the syscall numbers or /proc are missing, the pool's probe fails and the job
 * falls back to µs timestamps without xattrs (reported in CopyResult.notes).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** utimensat, llistxattr, lgetxattr, lsetxattr, lremovexattr, fadvise64, getdents64, openat, close. */
const SYSCALLS: Partial<Record<string, readonly number[]>> = { x64: [280, 195, 192, 189, 198, 221, 217, 257, 3], arm64: [88, 12, 9, 6, 15, 223, 61, 56, 57] };
/** POSIX_FADV_WILLNEED; how much of each file to ask for (the engine's read size). */
const WILLNEED = 3;
const PREFETCH_BYTES = 256 * 1024;
/** Entries of a directory whose files `prefetchFilesIn` asks for (one batch of the data pass). */
export const PREFETCH_FILES = 128;
/** Read-ahead batches a helper may owe before more are dropped (see send). */
const PREFETCH_BACKLOG = 64;

/**
 * Protocol: fields end with NUL; `dir` is /proc/<pid>/fd/<dirfd> of a directory the worker
 * holds open and `name` an entry in it. `T dir name asec ansec msec mnsec` sets times; `X sdir
 * ddir name` makes the destination's xattrs equal to the source's (names in security.* are
 * never removed from it: labels belong to the destination's policy); `R dir name` asks the
 * kernel to start reading the file's first bytes (open without following a symlink or
 * blocking on a FIFO, posix_fadvise WILLNEED, close; failures are ignored); `L dir name`
 * reads a directory's entries (opened without following a symlink) so its blocks are cached;
 * `P dir name` does R for the regular files among a directory's first entries; an empty field
 * ends the batch and perl answers "<bad times> <bad xattrs>\n". A source that does
 * not support xattrs has none; a destination that refuses a name (EPERM for trusted.* without
 * root, ENOTSUP) counts as one bad xattr.
 *
 * Each `dir` is opened once per batch and the entries are reached with openat and utimensat
 * relative to that fd (one /proc lookup per directory, not per entry), and entries are listed
 * with getdents64, whose d_type tells regular files without an lstat. The worker keeps every
 * directory a batch names open until the batch is answered, so the fd numbers cannot be reused
 * meanwhile. xattr names are asked for with a zero size first: most files have none, and a
 * sized llistxattr makes the kernel allocate the whole buffer.
 */
const SCRIPT = String.raw`
use strict; my ($ut, $ls, $gt, $st, $rm, $fa, $gd, $oa, $cl, $willneed, $prefetch, $files, $oflags, $dflags, $pflags, $req, $resp) = @ARGV;
# syscall passes strings by address: arguments from @ARGV must be made numbers.
($willneed, $prefetch, $files, $oflags, $dflags, $pflags) = map { 0 + $_ } ($willneed, $prefetch, $files, $oflags, $dflags, $pflags);
open(my $in, '<', $req) or die "req: $!"; open(my $out, '>', $resp) or die "resp: $!";
# F_SETPIPE_SZ: room for the read-ahead requests of a worker that runs ahead (a hint if refused).
fcntl($in, 1031, 1048576);
select($out); $| = 1; print "ready\n"; local $/ = "\0";
my ($tbad, $xbad) = (0, 0); my $buf = "\0" x 65536; my $dbuf = "\0" x 16384; my %dirs;
sub field { my $v = <$in>; die "eof" unless defined $v; chop $v; $v }
sub dirfd { my $p = shift; $dirs{$p} //= syscall($oa, -100, $p, $pflags, 0) }
sub names {
  my $n = syscall($ls, $_[0], 0, 0); return () if $n <= 0;
  $n = syscall($ls, $_[0], $buf, 65536); return () if $n <= 0; grep { length } split /\0/, substr($buf, 0, $n)
}
sub value { my $n = syscall($gt, $_[0], $_[1], $buf, 65536); $n < 0 ? undef : substr($buf, 0, $n) }
sub readahead { my $fd = syscall($oa, $_[0], $_[1], $oflags, 0); if ($fd >= 0) { syscall($fa, $fd, 0, $prefetch, $willneed); syscall($cl, $fd); } }
# Calls back with (type, name) for a directory fd's entries but . and .., at most $_[1] of them.
sub entries {
  my ($fd, $max, $cb) = @_; my $seen = 0;
  while ((my $n = syscall($gd, $fd, $dbuf, 16384)) > 0) {
    for (my $off = 0; $off < $n;) {
      my ($len, $type, $name) = unpack("\@$off x16 S C Z*", $dbuf); $off += $len;
      next if $name eq '.' || $name eq '..';
      return if ++$seen > $max;
      $cb->($type, $name);
    }
  }
}
while (defined(my $op = <$in>)) {
  chop $op;
  if ($op eq '') {
    syscall($cl, $_) for grep { $_ >= 0 } values %dirs; %dirs = ();
    print $out "$tbad $xbad\n"; $tbad = 0; $xbad = 0; next;
  }
  if ($op eq 'T') {
    my $d = dirfd(field()); my $p = field(); my @t; push @t, 0 + field() for 1..4;
    $tbad++ if syscall($ut, $d, $p, pack('q4', @t), 0x100) != 0;
  } elsif ($op eq 'X') {
    my $sd = field(); my $dd = field(); my $name = field(); my $s = "$sd/$name"; my $d = "$dd/$name";
    my @sn = names($s); my %dn = map { $_ => 1 } names($d);
    for my $name (@sn) {
      my $v = value($s, $name); next unless defined $v;
      if (delete $dn{$name}) { my $dv = value($d, $name); next if defined $dv && $dv eq $v; }
      $xbad++ if syscall($st, $d, $name, $v, length($v), 0) != 0;
    }
    for my $name (keys %dn) { $xbad++ if $name !~ /^security\./ && syscall($rm, $d, $name) != 0; }
  } elsif ($op eq 'R') {
    my $d = dirfd(field()); my $p = field(); readahead($d, $p);
  } elsif ($op eq 'P') {
    my $d = dirfd(field()); my $p = field();
    my $fd = syscall($oa, $d, $p, $dflags, 0);
    if ($fd >= 0) {
      # DT_REG: a regular file when listed (opened without following a symlink or blocking on
      # a FIFO all the same); DT_UNKNOWN: lstat tells.
      entries($fd, $files, sub {
        my ($type, $name) = @_;
        readahead($fd, $name) if $type == 8 || ($type == 0 && lstat("/proc/self/fd/$fd/$name") && -f _);
      });
      syscall($cl, $fd);
    }
  } elsif ($op eq 'L') {
    my $d = dirfd(field()); my $p = field();
    my $fd = syscall($oa, $d, $p, $dflags, 0);
    if ($fd >= 0) { 1 while syscall($gd, $fd, $buf, 65536) > 0; syscall($cl, $fd); }
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

/** What a helper co-process is for: metadata (answered promptly) or reading ahead (may lag). */
export type HelperRole = 'meta' | 'prefetch';

/**
 * A perl co-process. Each thread has two: one for metadata, whose answers the worker waits
 * for, and one that only reads ahead, so exact times and xattrs never queue behind read-ahead
 * work (which may block on the disk: listing a cold directory, a full request queue). `apply`
 * blocks until every record is applied; `submit` and the prefetch calls do not wait; `settle`
 * reads their answers in order and `poll` reads those already there.
 */
export class MetaHelper {
  private static readonly instances = new Map<HelperRole, MetaHelper | null>();
  private readonly reply = Buffer.alloc(4096);
  private replied = 0;
  /** Batches sent whose answer has not been read yet, oldest first (true: a metadata batch). */
  private readonly unanswered: boolean[] = [];
  private readonly prefix = new Map<number, Buffer>();
  /** Batches sent so far, and answered so far (a batch's sequence number is `sent` after sending it). */
  private sentCount = 0;
  private answeredCount = 0;
  /** A read-ahead batch could not be sent (perl gone): read-ahead stops, nothing waits for it. */
  private broken = false;

  private constructor(
    private readonly reqFd: number,
    private readonly respFd: number,
    /** The same FIFO opened non-blocking, for `poll`; -1 when not available. */
    private readonly respPollFd: number,
  ) {}

  /** The thread's helper for `role`, started on first use; null when unavailable. */
  static forThread(role: HelperRole = 'meta'): MetaHelper | null {
    const known = MetaHelper.instances.get(role);
    if (known !== undefined) return known;
    MetaHelper.instances.set(role, null);
    const started = MetaHelper.start();
    MetaHelper.instances.set(role, started);
    return started;
  }

  private static start(): MetaHelper | null {
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
      // The last flags open /proc/<pid>/fd/<fd> of a directory the worker holds open: that
      // magic link must be followed, and it can only name the directory the worker opened.
      const extra = [WILLNEED, PREFETCH_BYTES, PREFETCH_FILES, O_RDONLY | O_NONBLOCK | O_NOFOLLOW, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, O_RDONLY | O_DIRECTORY];
      const child = spawn('perl', ['-e', SCRIPT, ...sys.map(String), ...extra.map(String), req, resp], { stdio: 'ignore' });
      child.on('error', () => undefined);
      child.unref();
      return connect(req, resp);
    } catch {
      return null;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** @internal */
  static fromFds(reqFd: number, respFd: number, respPollFd = -1): MetaHelper {
    return new MetaHelper(reqFd, respFd, respPollFd);
  }

  /** Batches sent so far: `answered(n)` tells whether the first n are answered. */
  get sent(): number {
    return this.sentCount;
  }

  /** Whether the first `seq` batches are answered (fds they name may close). */
  answered(seq: number): boolean {
    return this.answeredCount >= seq;
  }

  /** Batches sent and not answered yet. */
  get backlog(): number {
    return this.sentCount - this.answeredCount;
  }

  /** The `dir` field (/proc/<pid>/fd/<dirFd>, NUL-terminated). */
  private dir(dirFd: number): Buffer {
    let dir = this.prefix.get(dirFd);
    if (dir === undefined) {
      dir = Buffer.from(`/proc/${process.pid}/fd/${dirFd}\0`);
      this.prefix.set(dirFd, dir);
    }
    return dir;
  }

  /** The `dir name` fields. */
  private entry(dirFd: number, name: Uint8Array): Buffer[] {
    return [this.dir(dirFd), Buffer.from(name.buffer, name.byteOffset, name.length), NUL];
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
      if (xattrs && r.timesOnly !== true) parts.push(X, this.dir(r.srcDirFd), ...this.entry(r.dstDirFd, r.name));
      if (r.times) {
        const s = (ns: bigint): string => `${ns / 1_000_000_000n}\0${ns % 1_000_000_000n}\0`;
        parts.push(T, ...this.entry(r.dstDirFd, r.name), Buffer.from(s(r.atimeNs) + s(r.mtimeNs)));
      }
    }
    this.send(parts, true);
  }

  /**
   * Has the kernel start reading these files of the directory `dirFd` while the caller copies
   * earlier ones: a cold source is then read with many requests in flight instead of one at a
   * time. The caller must call `settle` before it closes `dirFd`.
   */
  prefetch(dirFd: number, names: readonly Uint8Array[]): void {
    if (names.length === 0) return;
    const parts: Buffer[] = [];
    for (const name of names) parts.push(R, ...this.entry(dirFd, name));
    this.send(parts, false);
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
    for (const name of names) parts.push(P, ...this.entry(dirFd, name));
    this.send(parts, false);
  }

  /**
   * Has the helper list these subdirectories of `dirFd` (getdents64, the listing discarded)
   * while the caller works through earlier ones: on a cold tree the directory blocks are then
   * read two at a time per worker. The caller must call `settle` before it closes `dirFd`.
   */
  prefetchDirs(dirFd: number, names: readonly Uint8Array[]): void {
    if (names.length === 0) return;
    const parts: Buffer[] = [];
    for (const name of names) parts.push(L, ...this.entry(dirFd, name));
    this.send(parts, false);
  }

  /** Whether some batch is still unanswered (the fds it names must stay open). */
  get busy(): boolean {
    return this.unanswered.length > 0;
  }

  /**
   * Waits until the first `upTo` batches (default: every batch sent so far) are answered;
   * returns the failures of each submitted (not prefetch) batch among them, in order.
   */
  settle(upTo = this.sentCount): MetaFailures[] {
    const out: MetaFailures[] = [];
    if (this.broken) this.forgetAll();
    while (this.answeredCount < upTo) this.take(this.readLine(true)!, out);
    return out;
  }

  /** A broken helper owes nothing: what it was sent never ran, or ran and is over. */
  private forgetAll(): void {
    this.unanswered.length = 0;
    this.answeredCount = this.sentCount;
  }

  /** Reads the answers already there without waiting; returns the failures of submitted batches among them. */
  poll(): MetaFailures[] {
    const out: MetaFailures[] = [];
    if (this.broken) this.forgetAll();
    if (this.respPollFd < 0) return this.settle();
    for (;;) {
      if (this.unanswered.length === 0) return out;
      const line = this.readLine(false);
      if (line === null) return out;
      this.take(line, out);
    }
  }

  private take(line: string, out: MetaFailures[]): void {
    this.answeredCount++;
    if (this.unanswered.shift()) {
      const [times, bad] = line.split(' ').map(Number);
      out.push({ times: times ?? 0, xattrs: bad ?? 0 });
    }
  }

  private send(parts: Buffer[], meta: boolean): void {
    if (!meta) {
      // Read-ahead is a hint: it is dropped while the helper is far behind (it waits for the
      // disk, so the hint would come too late) or when the helper is gone.
      if (this.broken) return;
      if (this.backlog >= PREFETCH_BACKLOG) this.poll();
      if (this.backlog >= PREFETCH_BACKLOG) return;
    }
    parts.push(NUL);
    const payload = Buffer.concat(parts);
    let off = 0;
    try {
      while (off < payload.length) off += fs.writeSync(this.reqFd, payload, off);
    } catch (error) {
      if (meta || off > 0) throw error;
      this.broken = true;
      return;
    }
    this.unanswered.push(meta);
    this.sentCount++;
  }

  /** The next answer line; with `wait` false, null when none is complete yet. */
  private readLine(wait: boolean): string | null {
    for (;;) {
      const end = this.reply.subarray(0, this.replied).indexOf(0x0a);
      if (end >= 0) {
        const line = this.reply.toString('latin1', 0, end);
        this.reply.copy(this.reply, 0, end + 1, this.replied);
        this.replied -= end + 1;
        return line;
      }
      if (this.replied === this.reply.length) throw new Error('the metadata helper (perl) answered garbage');
      let n: number;
      try {
        n = fs.readSync(wait ? this.respFd : this.respPollFd, this.reply, this.replied, this.reply.length - this.replied, null);
      } catch (error) {
        if (!wait && (error as NodeJS.ErrnoException).code === 'EAGAIN') return null;
        throw error;
      }
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
  // Kept as the helper's polling fd: reads from it never block.
  let respNb = fs.openSync(resp, O_RDONLY | O_NONBLOCK);
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
    const helper = MetaHelper.fromFds(fs.openSync(req, O_WRONLY), fs.openSync(resp, O_RDONLY), respNb);
    respNb = -1;
    return helper;
  } finally {
    if (respNb >= 0) fs.closeSync(respNb);
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
