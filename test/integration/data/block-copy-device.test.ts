/**
 * Block mode on real block devices: loop devices over image files. Needs root and a free
 * /dev/loop*; elsewhere the tests skip and say why.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createVolumeCopier, DestinationTooSmallError, VolumeCopyError, type VolumeCopier } from '../../../src/data/block/index.js';
import type { VolumeCopyJob, VolumeEndpoint } from '../../../src/orchestrator/data-port.js';

const MiB = 1024 * 1024;
const SIZE = 96 * MiB;
const loops: string[] = [];
let base = '';
let copier: VolumeCopier;

/** Attaches `file` to a free loop device (read-only with `readOnly`); null when that is not possible here. */
function attach(file: string, readOnly = false): string | null {
  const r = spawnSync('losetup', ['-f', '--show', ...(readOnly ? ['-r'] : []), file], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const dev = r.stdout.trim();
  loops.push(dev);
  return dev;
}
function image(path: string, size: number, data: Array<[number, number]>): void {
  const fd = fs.openSync(path, 'w');
  fs.ftruncateSync(fd, size);
  for (const [offset, length] of data) fs.writeSync(fd, randomBytes(length), 0, length, offset);
  fs.closeSync(fd);
}
const device = (path: string, sparseSupported: boolean): VolumeEndpoint => ({ volumeId: path, devicePath: path, filePath: '', sparseSupported });

function loopUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'loop devices need root';
  const probe = join(base, 'probe.img');
  image(probe, MiB, []);
  const dev = attach(probe);
  if (dev === null) return 'losetup -f --show failed (no free or usable /dev/loop* here)';
  spawnSync('losetup', ['-d', dev]);
  loops.pop();
  return null;
}

let skip: string | null = null;
before(() => {
  base = fs.mkdtempSync(join(tmpdir(), 'ferry-block-dev-'));
  skip = loopUnavailable();
  copier = createVolumeCopier({ threads: 2 });
});
after(async () => {
  await copier.close();
  for (const dev of loops) spawnSync('losetup', ['-d', dev]);
  fs.rmSync(base, { recursive: true, force: true });
});

describe('block copy between loop devices', () => {
  it('copies a read-only source device onto a sparse destination device: same bytes, zero blocks unallocated in its backing file', async (t) => {
    if (skip !== null) return t.skip(skip);
    const srcFile = join(base, 'src.img');
    const dstFile = join(base, 'dst.img');
    image(srcFile, SIZE, [[MiB, 2 * MiB], [70 * MiB + 4096, 8192]]);
    image(dstFile, SIZE, []);
    // Read-only: any write to the source device would fail with EROFS/EPERM.
    const src = attach(srcFile, true);
    const dst = attach(dstFile);
    assert.ok(src !== null && dst !== null);
    const job: VolumeCopyJob = { migrationId: 'm-dev', source: device(src, false), destination: device(dst, true), sizeBytes: SIZE, verify: 'sha256', checkpointPath: join(base, 'dev.checkpoint') };
    const result = await copier.copyVolume(job).done;
    assert.equal(result.transferMode, 'block');
    assert.equal(result.bytesWritten, 2 * MiB + 8192);
    assert.equal(spawnSync('cmp', ['-n', String(SIZE), src, dst]).status, 0, 'devices hold the same bytes');
    spawnSync('sync');
    assert.ok(fs.statSync(dstFile).blocks * 512 <= 2 * MiB + 8192 + 256 * 1024, `backing file allocates ${fs.statSync(dstFile).blocks * 512} bytes`);
    // The digest is the content's: the same bytes copied in file mode give the same value.
    const fileMode = await copier.copyVolume({ ...job, source: { volumeId: 'f', devicePath: '', filePath: srcFile, sparseSupported: false }, destination: { volumeId: 'g', devicePath: '', filePath: join(base, 'copy.img'), sparseSupported: true }, checkpointPath: '' }).done;
    assert.equal(result.digest, fileMode.digest);
  });

  it('refuses a destination device smaller than the volume (size from sysfs)', async (t) => {
    if (skip !== null) return t.skip(skip);
    const srcFile = join(base, 'src2.img');
    const dstFile = join(base, 'small.img');
    image(srcFile, SIZE, []);
    image(dstFile, 32 * MiB, []);
    const src = attach(srcFile, true);
    const dst = attach(dstFile);
    assert.ok(src !== null && dst !== null);
    try {
      await copier.copyVolume({ migrationId: 'm-small', source: device(src, true), destination: device(dst, true), sizeBytes: SIZE, verify: 'none', checkpointPath: '' }).done;
      assert.fail('expected DESTINATION_CONFLICT');
    } catch (error) {
      assert.ok(error instanceof DestinationTooSmallError, String(error));
      assert.ok(error instanceof VolumeCopyError);
      assert.equal(error.destinationBytes, 32 * MiB);
    }
  });
});
