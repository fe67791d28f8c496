import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createCopyPool, DataCopyError, type CopyPool, type CopyProgress, type CopyTreeOptions } from '../../../src/data/index.js';
import { buildFidelityTree, describeTree, diffTrees, setXattr, tempDir, xattrTool } from './tree-helper.js';

let pool: CopyPool;
const dirs: string[] = [];
function temp(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}
function roots(): { source: string; destination: string; base: string } {
  const base = temp('copy');
  fs.mkdirSync(join(base, 'src'));
  fs.mkdirSync(join(base, 'dst'));
  return { base, source: join(base, 'src'), destination: join(base, 'dst') };
}

before(() => {
  pool = createCopyPool({ threads: 2 });
});
after(async () => {
  await pool.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function expectFailure(promise: Promise<unknown>, reason: string, path?: string): Promise<DataCopyError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DataCopyError, `expected DataCopyError, got ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    if (path !== undefined) assert.equal(error.path, path);
    return error;
  }
  assert.fail(`expected ${reason}`);
}

/** Resolves when the job's progress satisfies `predicate` (checked on every macrotask turn). */
function whenProgress(progress: () => CopyProgress, predicate: (p: CopyProgress) => boolean): Promise<CopyProgress> {
  return new Promise((resolve) => {
    const check = (): void => {
      const p = progress();
      if (predicate(p)) resolve(p);
      else setImmediate(check);
    };
    check();
  });
}

describe('copyTree fidelity', () => {
  it('copies every kind of entry so an independent walk finds the trees identical', async (t) => {
    const { source, destination } = roots();
    buildFidelityTree(source);
    const before = describeTree(source);
    const job = pool.copyTree({ source, destination });
    const result = await job.done;
    assert.deepEqual(diffTrees(before, describeTree(destination)), []);
    assert.deepEqual(diffTrees(before, describeTree(source)), [], 'the source is unchanged');
    const p = job.progress();
    assert.equal(p.totalProgress, 100);
    assert.equal(p.phase, 'done');
    assert.equal(p.bytesDone, p.bytesTotal);
    assert.equal(p.filesDone, p.filesTotal);
    assert.equal(result.filesSkipped, 0);
    assert.deepEqual(result.specialFilesSkipped, []);
    const sparse = fs.statSync(join(destination, 'sparse.img'));
    assert.ok(sparse.blocks * 512 < sparse.size / 4, 'sparse file stays sparse');
    if (xattrTool()) {
      // The comparison above includes xattrs; make sure it did not pass on two empty sets.
      const regular = describeTree(destination).get(Buffer.from('regular.txt').toString('hex'));
      assert.equal(regular?.xattrs?.['user.ferry.note'], Buffer.from('hello xattr').toString('hex'));
      if (process.getuid?.() === 0) assert.ok(describeTree(destination).get(Buffer.from('secret').toString('hex'))?.xattrs?.['trusted.ferry.root-only']);
      assert.deepEqual(result.notes, []);
    } else t.diagnostic('python3 is missing: xattrs were not checked');
  });

  it('reports 100 for an empty tree only when done', async () => {
    const { source, destination } = roots();
    const job = pool.copyTree({ source, destination });
    assert.notEqual(job.progress().totalProgress, 100);
    const result = await job.done;
    assert.equal(job.progress().totalProgress, 100);
    assert.equal(result.filesCopied, 0);
  });

  it('skips ignored names at any depth and keeps them when mirroring', async () => {
    const { source, destination } = roots();
    fs.mkdirSync(join(source, 'lost+found'));
    fs.writeFileSync(join(source, 'lost+found/x'), 'x');
    fs.mkdirSync(join(source, 'a/b/.snapshot'), { recursive: true });
    fs.writeFileSync(join(source, 'a/b/.snapshot/y'), 'y');
    fs.writeFileSync(join(source, 'a/keep'), 'k');
    fs.writeFileSync(join(source, 'a/b/skip.me'), 's');
    await pool.copyTree({ source, destination, ignore: ['lost+found', '.snapshot', 'skip.me'] }).done;
    assert.deepEqual(fs.readdirSync(destination).sort(), ['a']);
    assert.deepEqual(fs.readdirSync(join(destination, 'a/b')), []);
    assert.equal(fs.readFileSync(join(destination, 'a/keep'), 'utf8'), 'k');
    fs.mkdirSync(join(destination, 'lost+found'));
    await pool.copyTree({ source, destination, ignore: ['lost+found', '.snapshot', 'skip.me'], mirror: true }).done;
    assert.ok(fs.existsSync(join(destination, 'lost+found')));
  });
});

describe('copyTree confinement', () => {
  it('copies a symlink to /etc as a link and never reads through it', async () => {
    const { source, destination } = roots();
    fs.symlinkSync('/etc', join(source, 'etc-link'));
    const result = await pool.copyTree({ source, destination }).done;
    assert.equal(fs.readlinkSync(join(destination, 'etc-link')), '/etc');
    assert.ok(fs.lstatSync(join(destination, 'etc-link')).isSymbolicLink());
    assert.equal(result.bytesCopied, 0);
  });

  it('replaces a pre-seeded destination symlink to an outside directory instead of writing through it', async () => {
    const { source, destination, base } = roots();
    const outside = join(base, 'outside');
    fs.mkdirSync(outside);
    fs.mkdirSync(join(source, 'data'));
    fs.writeFileSync(join(source, 'data/file'), 'payload');
    fs.symlinkSync(outside, join(destination, 'data'));
    await pool.copyTree({ source, destination }).done;
    assert.deepEqual(fs.readdirSync(outside), []);
    assert.ok(fs.lstatSync(join(destination, 'data')).isDirectory());
    assert.equal(fs.readFileSync(join(destination, 'data/file'), 'utf8'), 'payload');
  });

  it('fails with ESCAPE_ATTEMPT when a source file turns into a symlink before it is opened', async () => {
    const { source, destination } = roots();
    fs.writeFileSync(join(source, 'victim'), 'data');
    const error = await expectFailure(
      pool.copyTree({ source, destination, testHooks: { beforeOpen: { path: 'victim', action: 'replace-with-symlink-to-etc' } } }).done,
      'ESCAPE_ATTEMPT',
      'victim',
    );
    assert.equal(error.code, 'PERMISSION_DENIED');
    assert.ok(!fs.existsSync(join(destination, 'victim')));
  });

  it('rejects roots that contain each other and checkpoints inside a root', async () => {
    const { source, destination } = roots();
    fs.mkdirSync(join(source, 'inner'));
    await expectFailure(pool.copyTree({ source, destination: join(source, 'inner') }).done, 'INVALID_COPY_OPTIONS');
    await expectFailure(pool.copyTree({ source, destination, checkpointPath: join(destination, 'ckpt') }).done, 'INVALID_COPY_OPTIONS');
  });
});

describe('copyTree incremental sync, mirror and verification', () => {
  it('copies nothing on a second run, re-copies a changed file and mirrors deletions', async () => {
    const { source, destination } = roots();
    buildFidelityTree(source);
    await pool.copyTree({ source, destination }).done;
    const again = await pool.copyTree({ source, destination }).done;
    assert.equal(again.filesCopied, 0);
    assert.ok(again.filesSkipped > 10);
    assert.equal(again.bytesCopied, 0);

    fs.writeFileSync(join(source, 'regular.txt'), 'changed content');
    fs.rmSync(join(source, 'dir/sub/deeper'), { recursive: true });
    if (xattrTool()) {
      // Only the source's ctime changes: the re-run must still bring the xattrs in step.
      setXattr(join(source, 'hard-a'), 'user.ferry.linked', Buffer.from('changed'));
      setXattr(join(source, 'sparse.img'), 'user.ferry.sparse', null);
      setXattr(join(source, 'dir/sub'), 'user.ferry.dir', Buffer.from('changed on a directory'));
      setXattr(join(source, 'empty'), 'user.ferry.new', Buffer.from('added'));
    }
    fs.writeFileSync(join(destination, 'extraneous'), 'x');
    const noMirror = await pool.copyTree({ source, destination, verify: 'none' }).done;
    assert.equal(noMirror.filesCopied, 1);
    assert.equal(noMirror.entriesRemoved, 0);
    assert.ok(fs.existsSync(join(destination, 'dir/sub/deeper/data.bin')));
    const mirrored = await pool.copyTree({ source, destination, mirror: true }).done;
    assert.equal(mirrored.entriesRemoved, 2);
    assert.deepEqual(diffTrees(describeTree(source), describeTree(destination)), []);
  });

  for (const dirtyLimit of [undefined, 1]) {
    it(`re-runs bring new, changed and vanished subtrees in step with exact progress (${dirtyLimit === undefined ? 'dirty directories listed' : 'whole-tree walk'})`, async () => {
      const { source, destination } = roots();
      const testHooks = dirtyLimit === undefined ? {} : { dirtyLimit };
      for (let d = 0; d < 6; d++) {
        fs.mkdirSync(join(source, `d${d}/e`), { recursive: true });
        for (let f = 0; f < 4; f++) fs.writeFileSync(join(source, `d${d}/e/f${f}`), `d${d} f${f}`);
        fs.writeFileSync(join(source, `d${d}/top`), `top ${d}`);
      }
      await pool.copyTree({ source, destination, testHooks }).done;

      const unchanged = pool.copyTree({ source, destination, testHooks });
      const again = await unchanged.done;
      assert.equal(again.filesCopied, 0);
      assert.equal(again.filesSkipped, 30);
      const p = unchanged.progress();
      assert.equal(p.totalProgress, 100);
      assert.equal(p.filesDone, p.filesTotal);
      assert.equal(p.bytesDone, p.bytesTotal);
      assert.ok(p.bytesTotal > 0);

      // A new subtree below an unchanged directory, a changed file deep down, a subtree gone
      // from the destination, a directory whose mode changed, and a destination file in the
      // way of a new directory.
      fs.mkdirSync(join(source, 'd0/e/new/deeper'), { recursive: true });
      fs.writeFileSync(join(source, 'd0/e/new/deeper/n'), 'new file');
      fs.chmodSync(join(source, 'd0/e/new'), 0o750);
      fs.writeFileSync(join(source, 'd1/e/f2'), 'changed and longer');
      fs.rmSync(join(destination, 'd2/e'), { recursive: true });
      fs.chmodSync(join(source, 'd3'), 0o711);
      fs.mkdirSync(join(source, 'd4/e/was-a-file'));
      fs.writeFileSync(join(source, 'd4/e/was-a-file/x'), 'x');
      fs.writeFileSync(join(destination, 'd4/e/was-a-file'), 'in the way');
      const changed = pool.copyTree({ source, destination, testHooks, mirror: true });
      const r = await changed.done;
      assert.equal(r.filesCopied, 1 + 1 + 4 + 1);
      assert.equal(r.filesSkipped, 32 - r.filesCopied);
      const q = changed.progress();
      assert.equal(q.filesDone, q.filesTotal);
      assert.equal(q.bytesDone, q.bytesTotal);
      assert.deepEqual(diffTrees(describeTree(source), describeTree(destination)), []);

      const last = await pool.copyTree({ source, destination, testHooks, mirror: true }).done;
      assert.equal(last.filesCopied, 0);
      assert.equal(last.entriesRemoved, 0);
      assert.deepEqual(diffTrees(describeTree(source), describeTree(destination)), []);
    });
  }

  it('mirroring re-runs keep the atimes of the destination directories they list', async () => {
    const { source, destination } = roots();
    fs.mkdirSync(join(source, 'a/b'), { recursive: true });
    fs.writeFileSync(join(source, 'a/b/f'), 'f');
    for (let i = 0; i < 3; i++) {
      const r = await pool.copyTree({ source, destination, mirror: true }).done;
      assert.equal(r.filesCopied, i === 0 ? 1 : 0);
      // Only stat here: listing a directory is what moves its atime.
      for (const d of ['a', 'a/b']) assert.equal(fs.statSync(join(destination, d), { bigint: true }).atimeNs, fs.statSync(join(source, d), { bigint: true }).atimeNs, `${d} after run ${i}`);
    }
  });

  it('a mirroring re-run removes a name added to an otherwise unchanged destination directory', async () => {
    const { source, destination } = roots();
    fs.mkdirSync(join(source, 'a/b'), { recursive: true });
    fs.writeFileSync(join(source, 'a/b/f'), 'f');
    await pool.copyTree({ source, destination }).done;
    const st = fs.statSync(join(destination, 'a/b'), { bigint: true });
    fs.writeFileSync(join(destination, 'a/b/extra'), 'x');
    // Times put back: only the listing can tell.
    fs.utimesSync(join(destination, 'a/b'), new Date(Number(st.atimeMs)), new Date(Number(st.mtimeMs)));
    const r = await pool.copyTree({ source, destination, mirror: true }).done;
    assert.equal(r.entriesRemoved, 1);
    assert.deepEqual(diffTrees(describeTree(source), describeTree(destination)), []);
  });

  it('detects a corrupted write, retries once and succeeds', async () => {
    const { source, destination } = roots();
    fs.writeFileSync(join(source, 'f'), Buffer.alloc(100_000, 3));
    const result = await pool.copyTree({ source, destination, testHooks: { corruptAfterWrite: { path: 'f', times: 1 } } }).done;
    assert.equal(result.filesCopied, 1);
    assert.deepEqual(fs.readFileSync(join(destination, 'f')), Buffer.alloc(100_000, 3));
  });

  for (const verify of ['sha256', 'xxh128'] as const) {
    it(`fails with HASH_MISMATCH naming the file when the write stays corrupt (${verify})`, async () => {
      const { source, destination } = roots();
      fs.mkdirSync(join(source, 'd'));
      fs.writeFileSync(join(source, 'd/f'), Buffer.alloc(100_000, 3));
      await expectFailure(pool.copyTree({ source, destination, verify, testHooks: { corruptAfterWrite: { path: 'd/f', times: 2 } } }).done, 'HASH_MISMATCH', 'd/f');
      assert.ok(!fs.existsSync(join(destination, 'd/f')), 'no corrupt file is left behind');
    });
  }

  it('finds destination corruption with unchanged size and mtime on a verifying re-run', async () => {
    const { source, destination } = roots();
    fs.writeFileSync(join(source, 'f'), Buffer.alloc(50_000, 9));
    fs.writeFileSync(join(source, 'g'), 'fine');
    await pool.copyTree({ source, destination }).done;
    const st = fs.statSync(join(destination, 'f'), { bigint: true });
    const fd = fs.openSync(join(destination, 'f'), 'r+');
    fs.writeSync(fd, Buffer.from([0]), 0, 1, 1000);
    fs.closeSync(fd);
    fs.utimesSync(join(destination, 'f'), new Date(Number(st.atimeMs)), new Date(Number(st.mtimeMs)));
    const r = await pool.copyTree({ source, destination, verify: 'sha256' }).done;
    assert.equal(r.filesCopied, 1);
    assert.equal(r.filesSkipped, 1);
    assert.deepEqual(fs.readFileSync(join(destination, 'f')), Buffer.alloc(50_000, 9));
  });

  it('hands batches of a large flat directory to other workers and copies every entry once', async () => {
    const { source, destination } = roots();
    for (let i = 0; i < 1500; i++) fs.writeFileSync(join(source, `f${i}`), `content ${i}`);
    for (let i = 0; i < 10; i++) fs.linkSync(join(source, `f${i}`), join(source, `link${i}`));
    fs.mkdirSync(join(source, 'sub'));
    const r = await pool.copyTree({ source, destination }).done;
    assert.equal(r.filesCopied, 1510);
    assert.deepEqual(diffTrees(describeTree(source), describeTree(destination)), []);
  });

  it('copies identically with the kernel copy offload (clone) when not verifying', async () => {
    const { source, destination } = roots();
    buildFidelityTree(source);
    await pool.copyTree({ source, destination, verify: 'none', copyMethod: 'clone' }).done;
    assert.deepEqual(diffTrees(describeTree(source), describeTree(destination)), []);
  });

  it('splits large files into chunks and keeps them identical', async () => {
    const { source, destination } = roots();
    const data = Buffer.alloc(5 * 1024 * 1024 + 123);
    for (let i = 0; i < data.length; i += 4096) data[i] = i % 251;
    fs.writeFileSync(join(source, 'big'), data);
    if (xattrTool()) setXattr(join(source, 'big'), 'user.ferry.chunked', Buffer.from('x'));
    const ckpt = join(temp('ckpt'), 'ckpt');
    const r = await pool.copyTree({ source, destination, splitThresholdBytes: 1024 * 1024, checkpointPath: ckpt }).done;
    assert.equal(r.bytesCopied, data.length);
    assert.deepEqual(diffTrees(describeTree(source), describeTree(destination)), []);
    const again = await pool.copyTree({ source, destination, splitThresholdBytes: 1024 * 1024, checkpointPath: ckpt }).done;
    assert.equal(again.filesSkipped, 1);
  });
});

describe('copyTree errors', () => {
  it('fails with DESTINATION_NOT_EMPTY when the destination must be empty', async () => {
    const { source, destination } = roots();
    fs.mkdirSync(join(destination, 'lost+found'));
    await pool.copyTree({ source, destination, requireEmptyDestination: true }).done;
    fs.writeFileSync(join(destination, 'x'), 'x');
    const e = await expectFailure(pool.copyTree({ source, destination, requireEmptyDestination: true }).done, 'DESTINATION_NOT_EMPTY');
    assert.equal(e.code, 'FAILED_PRECONDITION');
  });

  it('fails with NO_SPACE naming the file when the destination fills up', async (t) => {
    const { source, destination } = roots();
    // Mounting needs root; as root (CI here) a failed mount is a real failure, not a skip.
    if (process.getuid?.() !== 0) {
      t.skip('mounting a small tmpfs needs root');
      return;
    }
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', destination], { encoding: 'utf8' });
    assert.equal(mounted.status, 0, `mount -t tmpfs failed: ${mounted.stderr}`);
    try {
      fs.mkdirSync(join(source, 'd'));
      fs.writeFileSync(join(source, 'd/large'), Buffer.alloc(3 * 1024 * 1024, 1));
      const e = await expectFailure(pool.copyTree({ source, destination }).done, 'NO_SPACE', 'd/large');
      assert.equal(e.code, 'RESOURCE_EXHAUSTED');
      assert.deepEqual(fs.readdirSync(join(destination, 'd')), [], 'the partial file was removed');
    } finally {
      spawnSync('umount', [destination]);
    }
  });

  it('fails with SOURCE_VANISHED naming a file that disappears mid-copy', async () => {
    const { source, destination } = roots();
    fs.mkdirSync(join(source, 'a'));
    fs.writeFileSync(join(source, 'a/gone'), 'x');
    await expectFailure(pool.copyTree({ source, destination, testHooks: { beforeOpen: { path: 'a/gone', action: 'remove' } } }).done, 'SOURCE_VANISHED', 'a/gone');
  });

  it('fails with SOURCE_UNREADABLE when a file is replaced by a directory', async () => {
    const { source, destination } = roots();
    fs.writeFileSync(join(source, 'f'), 'x');
    await expectFailure(pool.copyTree({ source, destination, testHooks: { beforeOpen: { path: 'f', action: 'replace-with-dir' } } }).done, 'SOURCE_UNREADABLE', 'f');
  });

  it('fails with DESTINATION_CONFLICT when a directory stands where a file goes (no mirror)', async () => {
    const { source, destination } = roots();
    fs.writeFileSync(join(source, 'f'), 'x');
    fs.mkdirSync(join(destination, 'f'));
    await expectFailure(pool.copyTree({ source, destination }).done, 'DESTINATION_CONFLICT', 'f');
    await pool.copyTree({ source, destination, mirror: true }).done;
    assert.equal(fs.readFileSync(join(destination, 'f'), 'utf8'), 'x');
  });
});

describe('copyTree cancel and resume', () => {
  it('cancels in the middle of a tree walk, then the same pool copies other trees exactly', async () => {
    const { source, destination } = roots();
    for (let d = 0; d < 30; d++) {
      fs.mkdirSync(join(source, `d${d}/sub`), { recursive: true });
      for (let f = 0; f < 20; f++) fs.writeFileSync(join(source, `d${d}/sub/f${f}`), Buffer.alloc(8 * 1024, d + f));
    }
    const controller = new AbortController();
    const job = pool.copyTree({ source, destination, bandwidthBytesPerSecond: 1024 * 1024 }, controller.signal);
    await whenProgress(job.progress, (p) => p.filesDone >= 40);
    controller.abort();
    await expectFailure(job.done, 'CANCELLED');
    // The workers' helpers must be in step again: times, xattrs and prefetches of the next jobs.
    for (const verify of ['sha256', 'none'] as const) {
      const next = roots();
      buildFidelityTree(next.source);
      await pool.copyTree({ source: next.source, destination: next.destination, verify }).done;
      assert.deepEqual(diffTrees(describeTree(next.source), describeTree(next.destination)), []);
    }
    const resumed = await pool.copyTree({ source, destination }).done;
    assert.equal(resumed.filesCopied + resumed.filesSkipped, 600);
    assert.deepEqual(diffTrees(describeTree(source), describeTree(destination)), []);
  });

  it('cancels mid-file through the AbortSignal and removes the partial file', async () => {
    const { source, destination } = roots();
    fs.writeFileSync(join(source, 'big'), Buffer.alloc(64 * 1024 * 1024, 1));
    const controller = new AbortController();
    const job = pool.copyTree({ source, destination, bandwidthBytesPerSecond: 16 * 1024 * 1024, splitThresholdBytes: 1 << 30 }, controller.signal);
    await whenProgress(job.progress, (p) => p.bytesDone > 0);
    controller.abort();
    await expectFailure(job.done, 'CANCELLED');
    assert.equal(job.progress().phase, 'cancelled');
    assert.ok(job.progress().totalProgress < 100);
    assert.deepEqual(fs.readdirSync(destination), []);
  });

  it('cancels a chunked copy and removes the prepared destination', async () => {
    const { source, destination } = roots();
    fs.writeFileSync(join(source, 'big'), Buffer.alloc(32 * 1024 * 1024, 1));
    const controller = new AbortController();
    const job = pool.copyTree({ source, destination, bandwidthBytesPerSecond: 8 * 1024 * 1024, splitThresholdBytes: 4 * 1024 * 1024 }, controller.signal);
    await whenProgress(job.progress, (p) => p.bytesDone > 0);
    controller.abort();
    await expectFailure(job.done, 'CANCELLED');
    assert.deepEqual(fs.readdirSync(destination), []);
  });

  it('resumes after SIGKILL from the checkpoint without re-copying finished files', async () => {
    const { source, destination, base } = roots();
    for (let d = 0; d < 20; d++) {
      fs.mkdirSync(join(source, `d${d}`));
      for (let f = 0; f < 5; f++) fs.writeFileSync(join(source, `d${d}`, `f${f}`), Buffer.alloc(64 * 1024, d * 5 + f));
    }
    const checkpointPath = join(base, 'checkpoint');
    const options: CopyTreeOptions = { source, destination, checkpointPath, bandwidthBytesPerSecond: 1024 * 1024 };
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/copy-child.js', import.meta.url)), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let filesAtKill = -1;
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const p = JSON.parse(line) as Partial<CopyProgress> & { done?: unknown };
          if (p.done !== undefined) reject(new Error('the child finished before it was killed'));
          if (filesAtKill < 0 && (p.filesDone ?? 0) >= 30) {
            filesAtKill = p.filesDone!;
            child.kill('SIGKILL');
          }
        }
      });
      child.on('exit', () => resolve());
    });
    assert.ok(filesAtKill >= 30);
    const inodes = new Map<string, bigint>();
    for (const line of fs.readFileSync(checkpointPath, 'utf8').split('\n').slice(1)) {
      if (!line) continue;
      const rel = Buffer.from(line.split('\t')[0]!, 'base64').toString();
      inodes.set(rel, fs.statSync(join(destination, rel), { bigint: true }).ino);
    }
    assert.ok(inodes.size >= 5, `checkpoint holds finished files (${inodes.size})`);
    const result = await pool.copyTree({ source, destination, checkpointPath }).done;
    assert.deepEqual(diffTrees(describeTree(source), describeTree(destination)), []);
    assert.ok(result.filesSkipped >= inodes.size, `skipped ${result.filesSkipped} >= checkpointed ${inodes.size}`);
    assert.equal(result.filesSkipped + result.filesCopied, 100);
    for (const [rel, ino] of inodes) assert.equal(fs.statSync(join(destination, rel), { bigint: true }).ino, ino, `${rel} was not re-copied`);
  });
});
