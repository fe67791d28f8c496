/**
 * Copy-engine benchmark: ferry vs `cp -a` and `rsync -a`, and ferry with verification vs
 * `cp -a` + `sha256sum` over both trees. Builds its data sets in a temp dir, drops the page
 * cache before each timed run (quietly skipped when not allowed), reports medians of 3 and
 * ratios from the same run. Peak RSS is measured per run (ferry runs in a child process).
 *
 *   node dist/test/bench/data-bench.js [--json] [--sets big,small,mixed,empty] [--runs 3] [--threads N]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Sample { seconds: number; rssKiB: number }
interface Row { set: string; tool: string; verify: boolean; seconds: number; mibPerSecond: number; filesPerSecond: number; ratioVsCp: number; peakRssMiB: number }

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (args[0] === '--child') {
  // Child mode: one ferry copy; prints seconds and peak RSS.
  const { createCopyPool } = await import('../../src/data/index.js');
  const [source, destination, verify, threads] = args.slice(1);
  const pool = createCopyPool({ threads: Number(threads) });
  const t0 = process.hrtime.bigint();
  await pool.copyTree({ source: source!, destination: destination!, verify: verify as 'none' | 'sha256' }).done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await pool.close();
  process.stdout.write(JSON.stringify({ seconds, rssKiB: process.resourceUsage().maxRSS }));
  process.exit(0);
}

const json = args.includes('--json');
const runs = Number(flag('--runs') ?? 3);
const threads = Number(flag('--threads') ?? 2);
const sets = (flag('--sets') ?? 'big,small,mixed,empty').split(',');
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

function dropCaches(): void {
  try {
    execFileSync('sync');
    fs.writeFileSync('/proc/sys/vm/drop_caches', '1');
  } catch {
    // not allowed here: timings include a warm cache, ratios stay comparable
  }
}

function ensureRsync(): boolean {
  if (spawnSync('rsync', ['--version'], { stdio: 'ignore' }).status === 0) return true;
  log('installing rsync with apt-get ...');
  spawnSync('apt-get', ['install', '-y', 'rsync'], { stdio: 'ignore' });
  return spawnSync('rsync', ['--version'], { stdio: 'ignore' }).status === 0;
}

function randomFile(path: string, size: number): void {
  const fd = fs.openSync(path, 'w');
  const block = Buffer.allocUnsafe(Math.min(size, 4 * 1024 * 1024));
  for (let off = 0; off < size; off += block.length) {
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, i);
    fs.writeSync(fd, block, 0, Math.min(block.length, size - off));
  }
  fs.closeSync(fd);
}

let seed = 42;
const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);

function buildSmall(root: string, files: number, minSize: number, maxSize: number): void {
  const data = Buffer.alloc(maxSize);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  for (let i = 0; i < files; i++) {
    const dir = join(root, `d${i % 20}`, `e${Math.floor(i / 20) % 50}`);
    if (i < 1000) fs.mkdirSync(dir, { recursive: true });
    const size = minSize + Math.floor(rand() * (maxSize - minSize + 1));
    data.writeUInt32LE(i, 0);
    fs.writeFileSync(join(dir, `f${i}`), data.subarray(0, size));
  }
}

function buildSet(name: string, root: string): { bytes: number; files: number } {
  fs.mkdirSync(root, { recursive: true });
  if (name === 'big') for (let i = 0; i < 4; i++) randomFile(join(root, `big${i}`), 256 * 1024 * 1024);
  if (name === 'small') buildSmall(root, 20_000, 4 * 1024, 64 * 1024);
  if (name === 'mixed') {
    fs.mkdirSync(join(root, 'large'));
    for (let i = 0; i < 2; i++) randomFile(join(root, 'large', `big${i}`), 128 * 1024 * 1024);
    buildSmall(join(root, 'many'), 5_000, 1024, 256 * 1024);
  }
  if (name === 'empty20k' || name === 'empty200k') {
    const n = name === 'empty20k' ? 20_000 : 200_000;
    for (let i = 0; i < n; i++) {
      const dir = join(root, `d${i % 100}`);
      if (i < 100) fs.mkdirSync(dir);
      fs.closeSync(fs.openSync(join(dir, `f${i}`), 'w'));
    }
  }
  const out = execFileSync('du', ['-sb', '--apparent-size', root]).toString();
  const files = Number(execFileSync('sh', ['-c', `find "$1" -type f | wc -l`, 'sh', root]).toString().trim());
  return { bytes: Number(out.split('\t')[0]), files };
}

function timed(cmd: string, argv: string[]): Sample {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const [, rss] = r.stderr.trim().split('\n').pop()!.split(' ');
  return { seconds: Number.NaN, rssKiB: Number(rss) };
}

function runTool(tool: string, src: string, dst: string, verify: boolean): Sample {
  fs.rmSync(dst, { recursive: true, force: true });
  fs.mkdirSync(dst);
  dropCaches();
  const t0 = process.hrtime.bigint();
  let rssKiB = 0;
  if (tool === 'ferry') {
    const child = fileURLToPath(import.meta.url);
    const r = spawnSync(process.execPath, [child, '--child', src, dst, verify ? 'sha256' : 'none', String(threads)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ferry failed: ${r.stderr}`);
    const parsed = JSON.parse(r.stdout) as Sample;
    rssKiB = parsed.rssKiB;
    return { seconds: parsed.seconds, rssKiB };
  }
  if (tool === 'cp -a') rssKiB = timed('cp', ['-a', `${src}/.`, dst]).rssKiB;
  if (tool === 'rsync -a') rssKiB = timed('rsync', ['-a', `${src}/`, `${dst}/`]).rssKiB;
  if (verify) {
    // The reference's verification: hash both trees after copying.
    const hash = (root: string): void => void execFileSync('sh', ['-c', 'cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum > /dev/null', 'sh', root]);
    hash(src);
    hash(dst);
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, rssKiB };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const base = fs.mkdtempSync(join(tmpdir(), 'ferry-bench-'));
const rows: Row[] = [];
const haveRsync = ensureRsync();
try {
  const expanded = sets.flatMap((s) => (s === 'empty' ? ['empty20k', 'empty200k'] : [s]));
  for (const set of expanded) {
    const src = join(base, `${set}-src`);
    const dst = join(base, `${set}-dst`);
    log(`building ${set} ...`);
    const { bytes, files } = buildSet(set, src);
    const plans: Array<{ tool: string; verify: boolean }> = set.startsWith('empty')
      ? [{ tool: 'ferry', verify: false }, { tool: 'cp -a', verify: false }]
      : [
          { tool: 'ferry', verify: false },
          { tool: 'cp -a', verify: false },
          ...(haveRsync ? [{ tool: 'rsync -a', verify: false }] : []),
          { tool: 'ferry', verify: true },
          { tool: 'cp -a', verify: true },
        ];
    const results = new Map<string, { seconds: number; rss: number }>();
    for (const plan of plans) {
      const samples: Sample[] = [];
      for (let i = 0; i < runs; i++) samples.push(runTool(plan.tool, src, dst, plan.verify));
      const key = `${plan.tool}|${plan.verify}`;
      results.set(key, { seconds: median(samples.map((s) => s.seconds)), rss: Math.max(...samples.map((s) => s.rssKiB)) });
      log(`  ${set} ${plan.tool}${plan.verify ? ' +verify' : ''}: ${results.get(key)!.seconds.toFixed(2)} s`);
    }
    for (const plan of plans) {
      const r = results.get(`${plan.tool}|${plan.verify}`)!;
      const cp = results.get(`cp -a|${plan.verify}`)!;
      rows.push({
        set, tool: plan.tool, verify: plan.verify, seconds: r.seconds,
        mibPerSecond: bytes / 1048576 / r.seconds, filesPerSecond: files / r.seconds, ratioVsCp: cp.seconds / r.seconds, peakRssMiB: r.rss / 1024,
      });
    }
    fs.rmSync(src, { recursive: true, force: true });
    fs.rmSync(dst, { recursive: true, force: true });
  }
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}

const rss20k = rows.find((r) => r.set === 'empty20k' && r.tool === 'ferry')?.peakRssMiB;
const rss200k = rows.find((r) => r.set === 'empty200k' && r.tool === 'ferry')?.peakRssMiB;
const rssCheck = rss20k && rss200k ? { rss20kMiB: rss20k, rss200kMiB: rss200k, ratio: rss200k / rss20k, withinLimit: rss200k <= 1.5 * rss20k } : null;
if (json) {
  process.stdout.write(`${JSON.stringify({ threads, runs, rows, rssCheck })}\n`);
} else {
  const pad = (s: string, n: number): string => s.padEnd(n);
  console.log(`${pad('set', 10)}${pad('tool', 10)}${pad('verify', 8)}${pad('seconds', 9)}${pad('MiB/s', 9)}${pad('files/s', 10)}${pad('x cp -a', 9)}peak RSS MiB`);
  for (const r of rows) {
    console.log(`${pad(r.set, 10)}${pad(r.tool, 10)}${pad(r.verify ? 'yes' : 'no', 8)}${pad(r.seconds.toFixed(2), 9)}${pad(r.mibPerSecond.toFixed(0), 9)}${pad(r.filesPerSecond.toFixed(0), 10)}${pad(r.ratioVsCp.toFixed(2), 9)}${r.peakRssMiB.toFixed(0)}`);
  }
  if (rssCheck) console.log(`ferry peak RSS 200k empty files / 20k: ${rssCheck.ratio.toFixed(2)} (limit 1.5) -> ${rssCheck.withinLimit ? 'ok' : 'TOO HIGH'}`);
}
