/**
 * Block-copy benchmark (the volume host copy, src/data/block): ferry without verification and
 * with SHA-256 against `dd bs=4M` (plain, and `conv=sparse`) and `cp --sparse=always`, on a
 * 1 GiB sparse image (about 10% random data in 100 scattered extents) and a 1 GiB dense image
 * of random data. Builds the images in a temp dir.
 *
 * Every ferry copy ends with an fdatasync of the destination (a finished migration copy must be
 * on disk; Cinder's dd runs with oflag=direct or conv=fdatasync), which dd and cp do not do.
 * So each baseline is also timed to the end of an fdatasync of its destination ("durable"),
 * and the ratios compare durable times; the raw ratios are in the JSON. Ratios are baseline
 * seconds / ferry seconds (above 1: ferry is faster), only between tools of one run.
 *
 * Hygiene, as data-bench.ts: tools run round robin (each round runs every plan once), the
 * destination is removed, everything synced and the page cache dropped before each timed run
 * (quietly skipped where /proc/sys/vm/drop_caches is not writable), medians of --runs.
 * ferry runs in a child process on a warmed-up pool (start-up is not timed, as in a daemon).
 *
 *   node dist/test/bench/block-bench.js [--json] [--block-sets sparse,dense] [--runs 3] [--threads 2]
 *
 * `npm run bench` (bench.js) runs data-bench.js and then this with the same arguments (each
 * accepts the other's flags, bench-args.ts); with --json each prints one JSON object on its own line, this one second,
 * marked "bench": "block".
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgsOrExit } from './bench-args.js';

type Tool = 'ferry' | 'dd' | 'dd sparse' | 'cp sparse';
type Verify = 'none' | 'sha256';
interface Plan { tool: Tool; verify: Verify }
interface Sample { seconds: number; durableSeconds: number; allocatedMiB: number }
interface Row {
  set: string; tool: Tool; verify: Verify; seconds: number; durableSeconds: number; mibPerSecond: number; allocatedMiB: number;
  ratioVsDd: number | null; ratioVsDdSparse: number | null; ratioVsCp: number | null;
  rawRatioVsDd: number | null; rawRatioVsDdSparse: number | null; rawRatioVsCp: number | null;
}

const MiB = 1024 * 1024;
const SIZE = 1024 * MiB;
const args = process.argv.slice(2);
if (args[0] === '--child') {
  // One ferry copy on a warmed-up pool; prints the seconds to a durable, finished copy.
  const { createVolumeCopier } = await import('../../src/data/block/index.js');
  const [src, dst, verify, threads, checkpoint] = args.slice(1);
  const copier = createVolumeCopier({ threads: Number(threads) });
  await copier.ready();
  const t0 = process.hrtime.bigint();
  const result = await copier.copyVolume({
    migrationId: 'bench',
    source: { volumeId: 'src', devicePath: '', filePath: src!, sparseSupported: false },
    destination: { volumeId: 'dst', devicePath: '', filePath: dst!, sparseSupported: true },
    sizeBytes: SIZE,
    verify: verify as Verify,
    checkpointPath: checkpoint!,
  }).done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await copier.close();
  process.stdout.write(JSON.stringify({ seconds, bytesWritten: result.bytesWritten }));
  process.exit(0);
}

const { json, runs, threads, blockSets: sets } = benchArgsOrExit(args);
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

let dropAllowed = true;
function dropCaches(): void {
  execFileSync('sync');
  if (!dropAllowed) return;
  try {
    fs.writeFileSync('/proc/sys/vm/drop_caches', '1');
  } catch {
    // not allowed here: every tool reads a warm source instead; ratios stay comparable
    dropAllowed = false;
  }
}

let seed = 7;
const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);

function buildImage(set: string, path: string): number {
  const fd = fs.openSync(path, 'w');
  const chunk = Buffer.allocUnsafe(4 * MiB);
  let data = 0;
  try {
    fs.ftruncateSync(fd, SIZE);
    if (set === 'dense') {
      for (let off = 0; off < SIZE; off += chunk.length) fs.writeSync(fd, randomFillSync(chunk), 0, chunk.length, off);
      data = SIZE;
    } else {
      // 100 slots of ~10 MiB, one extent of 0.5-1.5 MiB (4 KiB aligned) at a random place in each.
      const slot = Math.floor(SIZE / 100 / 4096) * 4096;
      for (let i = 0; i < 100; i++) {
        const length = (128 + Math.floor(rand() * 256)) * 4096;
        const offset = i * slot + Math.floor((rand() * (slot - length)) / 4096) * 4096;
        fs.writeSync(fd, randomFillSync(chunk, 0, length), 0, length, offset);
        data += length;
      }
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return data;
}

const allocatedMiB = (path: string): number => (fs.statSync(path).blocks * 512) / MiB;

function ferry(src: string, dst: string, verify: Verify, checkpoint: string): number {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', src, dst, verify, String(threads), checkpoint], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ferry failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { seconds: number }).seconds;
}

function runTool(plan: Plan, src: string, dst: string, checkpoint: string): Sample {
  fs.rmSync(dst, { force: true });
  fs.rmSync(checkpoint, { force: true });
  dropCaches();
  let seconds: number;
  const t0 = process.hrtime.bigint();
  if (plan.tool === 'ferry') seconds = ferry(src, dst, plan.verify, checkpoint);
  else {
    const argv = plan.tool === 'cp sparse' ? ['cp', ['--sparse=always', src, dst]] as const
      : ['dd', [`if=${src}`, `of=${dst}`, 'bs=4M', 'status=none', ...(plan.tool === 'dd sparse' ? ['conv=sparse'] : [])]] as const;
    const r = spawnSync(argv[0], [...argv[1]], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${plan.tool} failed: ${r.stderr}`);
    seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  // The baselines' data reaches the disk only now; ferry's already did (this costs it ~nothing).
  const t1 = process.hrtime.bigint();
  const fd = fs.openSync(dst, 'r+');
  fs.fdatasyncSync(fd);
  fs.closeSync(fd);
  const syncSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  return { seconds, durableSeconds: seconds + syncSeconds, allocatedMiB: allocatedMiB(dst) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const key = (p: Plan): string => `${p.tool}|${p.verify}`;

const base = fs.mkdtempSync(join(tmpdir(), 'ferry-block-bench-'));
const rows: Row[] = [];
const sources: Record<string, { dataMiB: number; allocatedMiB: number }> = {};
try {
  for (const set of sets) {
    const src = join(base, `${set}.img`);
    const dst = join(base, `${set}-copy.img`);
    const checkpoint = join(base, `${set}.checkpoint`);
    log(`building ${set} image ...`);
    const data = buildImage(set, src);
    sources[set] = { dataMiB: data / MiB, allocatedMiB: allocatedMiB(src) };
    const plans: Plan[] = [
      { tool: 'ferry', verify: 'none' }, { tool: 'dd', verify: 'none' }, { tool: 'dd sparse', verify: 'none' },
      { tool: 'cp sparse', verify: 'none' }, { tool: 'ferry', verify: 'sha256' },
    ];
    const samples = new Map<string, Sample[]>(plans.map((p) => [key(p), []]));
    // An untimed ferry run first: the freshly written image settles, as in data-bench.
    runTool(plans[0]!, src, dst, checkpoint);
    for (let i = 0; i < runs; i++) for (const plan of plans) samples.get(key(plan))!.push(runTool(plan, src, dst, checkpoint));
    const med = new Map<string, { seconds: number; durable: number; alloc: number }>();
    for (const plan of plans) {
      const s = samples.get(key(plan))!;
      med.set(key(plan), { seconds: median(s.map((x) => x.seconds)), durable: median(s.map((x) => x.durableSeconds)), alloc: median(s.map((x) => x.allocatedMiB)) });
      const m = med.get(key(plan))!;
      log(`  ${set} ${plan.tool}${plan.tool === 'ferry' ? ` verify=${plan.verify}` : ''}: ${m.seconds.toFixed(2)} s (durable ${m.durable.toFixed(2)} s), ${m.alloc.toFixed(0)} MiB allocated`);
    }
    const base_ = (tool: Tool): { seconds: number; durable: number } => med.get(key({ tool, verify: 'none' }))!;
    for (const plan of plans) {
      const m = med.get(key(plan))!;
      const isFerry = plan.tool === 'ferry';
      const ratio = (tool: Tool, raw: boolean): number | null => (isFerry ? (raw ? base_(tool).seconds : base_(tool).durable) / (raw ? m.seconds : m.durable) : null);
      rows.push({
        set, tool: plan.tool, verify: plan.verify, seconds: m.seconds, durableSeconds: m.durable, mibPerSecond: SIZE / MiB / m.durable, allocatedMiB: m.alloc,
        ratioVsDd: ratio('dd', false), ratioVsDdSparse: ratio('dd sparse', false), ratioVsCp: ratio('cp sparse', false),
        rawRatioVsDd: ratio('dd', true), rawRatioVsDdSparse: ratio('dd sparse', true), rawRatioVsCp: ratio('cp sparse', true),
      });
    }
    fs.rmSync(src, { force: true });
    fs.rmSync(dst, { force: true });
  }
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}

if (json) {
  process.stdout.write(`${JSON.stringify({ bench: 'block', threads, runs, sizeBytes: SIZE, cacheDropped: dropAllowed, sources, rows })}\n`);
} else {
  const pad = (s: string, n: number): string => s.padEnd(n);
  const r2 = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
  console.log(`\nblock copy, 1 GiB images (${threads} threads, medians of ${runs}${dropAllowed ? ', page cache dropped before each run' : ', warm cache'}); ratios = baseline durable s / ferry s`);
  for (const [set, s] of Object.entries(sources)) console.log(`  ${set}: ${s.dataMiB.toFixed(0)} MiB of data, source allocates ${s.allocatedMiB.toFixed(0)} MiB`);
  console.log(`${pad('set', 8)}${pad('tool', 11)}${pad('verify', 8)}${pad('seconds', 9)}${pad('durable', 9)}${pad('MiB/s', 7)}${pad('alloc MiB', 11)}${pad('x dd', 7)}${pad('x dd sp', 9)}x cp`);
  for (const r of rows) {
    console.log(
      `${pad(r.set, 8)}${pad(r.tool, 11)}${pad(r.tool === 'ferry' ? r.verify : '-', 8)}${pad(r.seconds.toFixed(2), 9)}${pad(r.durableSeconds.toFixed(2), 9)}` +
        `${pad(r.mibPerSecond.toFixed(0), 7)}${pad(r.allocatedMiB.toFixed(0), 11)}${pad(r2(r.ratioVsDd), 7)}${pad(r2(r.ratioVsDdSparse), 9)}${r2(r.ratioVsCp)}`,
    );
  }
}
