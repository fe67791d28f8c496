/**
 * The data extents of a raw image file: which byte ranges hold data and which are holes.
 * Node has no lseek(2), so a short perl process (the engine already relies on perl, see
 * meta-helper.ts) walks the file with SEEK_DATA/SEEK_HOLE and prints "start end" per extent.
 * It opens the file read-only and only seeks: nothing is read or changed. Where perl or
 * SEEK_DATA is unavailable (a file system without it answers EINVAL) the whole file counts as
 * data: the copy is then still correct and still leaves zero blocks unwritten, it only reads
 * the holes.
 */
import { spawn } from 'node:child_process';

/** SEEK_DATA and SEEK_HOLE are 3 and 4 on Linux, on every architecture. */
const SCRIPT = String.raw`
use strict; my ($path, $size) = @ARGV; $size = 0 + $size;
open(my $fh, '<', $path) or die "open $path: $!\n";
my $o = 0; my $out = '';
while ($o < $size) {
  my $d = sysseek($fh, $o, 3);
  if (!defined $d) { last if $!{ENXIO}; die "SEEK_DATA: $!\n"; }
  $d = 0 + $d; last if $d >= $size;
  my $h = sysseek($fh, $d, 4);
  die "SEEK_HOLE: $!\n" unless defined $h;
  $h = 0 + $h; $h = $size if $h > $size;
  $out .= "$d $h\n"; $o = $h;
  if (length($out) > 65536) { print $out; $out = ''; }
}
print $out;
`;

export interface ExtentMap {
  /** [start, end) pairs, ascending, within [0, sizeBytes). */
  readonly extents: Float64Array;
  /** Why the map is the whole file (perl or SEEK_DATA missing), or null when it was listed. */
  readonly fallback: string | null;
}

/** Lists the data extents of `path` below `sizeBytes`. Never rejects: failures fall back to "all data". */
export function listExtents(path: string, sizeBytes: number): Promise<ExtentMap> {
  const all = (why: string): ExtentMap => ({ extents: sizeBytes > 0 ? Float64Array.of(0, sizeBytes) : new Float64Array(0), fallback: why });
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn('perl', ['-e', SCRIPT, path, String(sizeBytes)], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve(all(`perl could not start (${(error as Error).message})`));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (error) => resolve(all(`perl could not start (${error.message})`)));
    child.on('close', (status) => {
      if (status !== 0) {
        resolve(all(Buffer.concat(err).toString().trim() || `perl exited with ${String(status)}`));
        return;
      }
      const lines = Buffer.concat(out).toString('latin1').split('\n');
      const extents = new Float64Array((lines.length - 1) * 2);
      let n = 0;
      for (const line of lines) {
        if (line === '') continue;
        const [start, end] = line.split(' ').map(Number);
        extents[n++] = start!;
        extents[n++] = end!;
      }
      resolve({ extents: extents.subarray(0, n), fallback: null });
    });
  });
}

/** The extents that overlap [offset, offset + length), clipped to it (a copy, for a task). */
export function extentsInRange(extents: Float64Array, offset: number, length: number): Float64Array {
  const end = offset + length;
  // Binary search for the first extent ending after `offset`.
  let lo = 0;
  let hi = extents.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (extents[mid * 2 + 1]! <= offset) lo = mid + 1;
    else hi = mid;
  }
  const out: number[] = [];
  for (let i = lo; i < extents.length / 2 && extents[i * 2]! < end; i++) {
    out.push(Math.max(extents[i * 2]!, offset), Math.min(extents[i * 2 + 1]!, end));
  }
  return Float64Array.from(out);
}

/** Total bytes in data extents. */
export function dataBytes(extents: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < extents.length; i += 2) sum += extents[i + 1]! - extents[i]!;
  return sum;
}
