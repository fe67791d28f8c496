/**
 * Resume after a crash: a child process copies a volume with a checkpoint and is killed with
 * SIGKILL right after the checkpoint durably recorded its first ranges (a test hook holds the
 * child there, so the kill never races the copy); a second run must copy only the ranges the
 * checkpoint does not name. This file is also the child (`--child`).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createVolumeCopier, RANGE_BYTES } from '../../../src/data/block/index.js';
import type { VolumeCopyJob } from '../../../src/orchestrator/data-port.js';

const MiB = 1024 * 1024;
const RANGES = 8;
const SIZE = RANGES * RANGE_BYTES;

function copyJob(src: string, dst: string, checkpointPath: string): VolumeCopyJob {
  return {
    migrationId: 'm-resume',
    source: { volumeId: 'v-src', devicePath: '', filePath: src, sparseSupported: true },
    destination: { volumeId: 'v-dst', devicePath: '', filePath: dst, sparseSupported: true },
    sizeBytes: SIZE,
    verify: 'sha256',
    checkpointPath,
  };
}

if (process.argv[2] === '--child') {
  const [src, dst, checkpoint] = process.argv.slice(3);
  const copier = createVolumeCopier({ threads: 2 });
  copier.copyVolume(copyJob(src!, dst!, checkpoint!), undefined, {
    // Record as soon as ranges finish (the default waits a few seconds), so one is recorded mid-copy.
    checkpointIntervalMs: 0,
    testHooks: {
      afterCheckpoint: (recorded) => {
        process.stdout.write(`recorded ${recorded}\n`);
        // Hold here until the parent kills this process.
        return new Promise<void>(() => undefined);
      },
    },
  });
} else {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('block copy resume after a crash', () => {
    it('re-copies only the ranges the checkpoint does not name after the copying process was killed', async () => {
      const d = fs.mkdtempSync(join(tmpdir(), 'ferry-block-resume-'));
      dirs.push(d);
      const src = join(d, 'src.img');
      const dst = join(d, 'dst.img');
      const checkpoint = join(d, 'volume.checkpoint');
      // 1 MiB of random data per range, the rest holes: each range's writes are countable.
      const fd = fs.openSync(src, 'w');
      fs.ftruncateSync(fd, SIZE);
      for (let i = 0; i < RANGES; i++) fs.writeSync(fd, randomBytes(MiB), 0, MiB, i * RANGE_BYTES + 5 * MiB);
      fs.closeSync(fd);

      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', src, dst, checkpoint], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      const lines = createInterface({ input: child.stdout! });
      const first = await new Promise<string>((resolve) => lines.once('line', resolve));
      assert.match(first, /^recorded \d+$/);
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');

      const recorded = fs.readFileSync(checkpoint, 'latin1').split('\n').filter((l) => /^\d+ [0-9a-f]+$/.test(l)).length;
      assert.equal(recorded, Number(first.split(' ')[1]));
      assert.ok(recorded >= 1 && recorded < RANGES, `recorded ${recorded}`);

      const copier = createVolumeCopier({ threads: 2 });
      try {
        const result = await copier.copyVolume(copyJob(src, dst, checkpoint)).done;
        assert.equal(result.rangesResumed, recorded);
        assert.equal(result.rangesCopied, RANGES - recorded);
        assert.equal(result.bytesResumed, recorded * RANGE_BYTES);
        assert.equal(result.bytesWritten, (RANGES - recorded) * MiB, 'only the unrecorded ranges were written again');
        assert.equal(result.bytesWritten + result.bytesSkipped + result.bytesResumed, SIZE);
        assert.equal(spawnSync('cmp', [src, dst]).status, 0, 'destination identical to the source');
        // The digest over resumed and copied ranges equals a fresh verified copy's.
        const fresh = await copier.copyVolume({ ...copyJob(src, join(d, 'fresh.img'), ''), checkpointPath: '' }).done;
        assert.equal(result.digest, fresh.digest);
      } finally {
        await copier.close();
      }
    });
  });
}
