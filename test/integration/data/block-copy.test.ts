import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  createVolumeCopier, DestinationTooSmallError, InvalidVolumeCopyError, LEAF_BYTES, RANGE_BYTES, VolumeCopyCancelledError, VolumeCopyError,
  VolumeHashMismatchError, VolumeSourceMissingError, type VolumeCopier,
} from '../../../src/data/block/index.js';
import { createDataService } from '../../../src/data/share-copy.js';
import type { HashAlgorithm, VolumeCopyJob, VolumeEndpoint } from '../../../src/orchestrator/data-port.js';

const MiB = 1024 * 1024;
let copier: VolumeCopier;
const dirs: string[] = [];
function temp(): string {
  const d = fs.mkdtempSync(join(tmpdir(), 'ferry-block-'));
  dirs.push(d);
  return d;
}
before(() => {
  copier = createVolumeCopier({ threads: 2 });
});
after(async () => {
  await copier.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A sparse image: `size` bytes, random data only at the given [offset, length] places. */
function sparseImage(path: string, size: number, data: Array<[number, number]>): void {
  const fd = fs.openSync(path, 'w');
  try {
    fs.ftruncateSync(fd, size);
    for (const [offset, length] of data) fs.writeSync(fd, randomBytes(length), 0, length, offset);
  } finally {
    fs.closeSync(fd);
  }
}
function fileEndpoint(path: string, sparseSupported = true): VolumeEndpoint {
  return { volumeId: path, devicePath: '', filePath: path, sparseSupported };
}
function deviceEndpoint(path: string, sparseSupported: boolean): VolumeEndpoint {
  return { volumeId: path, devicePath: path, filePath: '', sparseSupported };
}
function job(source: VolumeEndpoint, destination: VolumeEndpoint, sizeBytes: number, verify: HashAlgorithm, checkpointPath = ''): VolumeCopyJob {
  return { migrationId: 'm-1', source, destination, sizeBytes, verify, checkpointPath };
}
function sha256(path: string): string {
  return createHash('sha256').update(fs.readFileSync(path)).digest('hex');
}
/** Byte-for-byte equal, by cmp (fast on the big sparse images). */
function assertIdentical(a: string, b: string): void {
  const r = spawnSync('cmp', [a, b], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${a} and ${b} differ: ${r.stdout}${r.stderr}`);
}
const blocks = (path: string): number => fs.statSync(path).blocks * 512;

/** The volume digest computed independently: sha256 over 1 MiB leaves, 64 per range, then over ranges. */
function expectedDigest(path: string, size: number): string {
  const fd = fs.openSync(path, 'r');
  const leaf = Buffer.alloc(LEAF_BYTES);
  const ranges: Buffer[] = [];
  try {
    for (let r = 0; r < size; r += RANGE_BYTES) {
      const range = createHash('sha256');
      for (let l = r; l < Math.min(r + RANGE_BYTES, size); l += LEAF_BYTES) {
        const n = Math.min(LEAF_BYTES, size - l);
        assert.equal(fs.readSync(fd, leaf, 0, n, l), n);
        range.update(createHash('sha256').update(leaf.subarray(0, n)).digest());
      }
      ranges.push(range.digest());
    }
  } finally {
    fs.closeSync(fd);
  }
  const volume = createHash('sha256');
  for (const r of ranges) volume.update(r);
  return volume.digest('hex');
}

async function expectFailure(promise: Promise<unknown>, reason: string): Promise<VolumeCopyError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof VolumeCopyError, `expected VolumeCopyError, got ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    return error;
  }
  assert.fail(`expected a ${reason} failure`);
}

describe('block copy, file mode (raw images)', () => {
  it('copies a sparse image extent by extent: identical bytes, holes stay holes, the digest is the documented tree', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    const size = 3 * RANGE_BYTES + 5 * MiB;
    // Extents crossing piece, leaf and range boundaries, and one in the short last range.
    const data: Array<[number, number]> = [[4096, 8192], [MiB - 100_000, 300_000], [RANGE_BYTES - 2 * MiB, 3 * MiB + 12_288], [2 * RANGE_BYTES + 7 * MiB, MiB], [3 * RANGE_BYTES + MiB, 4096]];
    sparseImage(src, size, data);
    const running = copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), size, 'sha256'));
    const result = await running.done;
    assert.equal(fs.statSync(dst).size, size);
    assertIdentical(dst, src);
    assert.ok(blocks(dst) <= blocks(src) + 64 * 1024, `destination allocates ${blocks(dst)} bytes, source ${blocks(src)}`);
    assert.equal(result.transferMode, 'file');
    assert.equal(result.bytesTotal, size);
    assert.equal(result.bytesWritten + result.bytesSkipped, size);
    // Random data has no zero 4 KiB block: exactly the data is written (rounded to 4 KiB blocks).
    assert.ok(result.bytesWritten <= data.reduce((s, [, l]) => s + l + 8192, 0), `wrote ${result.bytesWritten}`);
    assert.equal(result.digest, expectedDigest(src, size));
    assert.equal(result.rangesCopied, 4);
    assert.deepEqual(running.progress(), { totalProgress: 100, bytesDone: size, bytesTotal: size, throughputBytesPerSecond: running.progress().throughputBytesPerSecond, etaSeconds: 0 });
  });

  it('copies a dense random image of an odd size byte for byte, with every verification', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const size = 9 * MiB + 5000;
    fs.writeFileSync(src, randomBytes(size));
    for (const verify of ['none', 'xxh128', 'sha256'] as const) {
      const dst = join(d, `dst-${verify}.img`);
      const result = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), size, verify)).done;
      assert.equal(sha256(dst), sha256(src), verify);
      assert.equal(result.bytesWritten, size, verify);
      assert.equal(result.digest === '', verify === 'none', verify);
      if (verify === 'sha256') assert.equal(result.digest, expectedDigest(src, size));
      if (verify === 'xxh128') assert.match(result.digest, /^[0-9a-f]{32}$/);
    }
  });

  it('leaves a zero-filled but allocated source region unwritten on a sparse-capable destination', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    const size = 24 * MiB;
    const bytes = Buffer.alloc(size);
    randomBytes(MiB).copy(bytes, 10 * MiB);
    fs.writeFileSync(src, bytes);
    spawnSync('sync', [src]);
    assert.ok(blocks(src) >= size, 'the source is fully allocated');
    const result = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), size, 'sha256')).done;
    assertIdentical(dst, src);
    assert.equal(result.bytesWritten, MiB);
    assert.equal(result.bytesSkipped, size - MiB);
    assert.ok(blocks(dst) <= MiB + 64 * 1024, `destination allocates ${blocks(dst)} bytes`);
    // The digest does not depend on how zeros are stored.
    assert.equal(result.digest, expectedDigest(src, size));
  });

  it('writes every byte, holes as zeros, to a destination that is not sparse-capable', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    const size = 8 * MiB;
    sparseImage(src, size, [[3 * MiB, 4096]]);
    fs.writeFileSync(dst, Buffer.alloc(size, 0xee));
    const result = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst, false), size, 'sha256')).done;
    assertIdentical(dst, src);
    assert.equal(result.bytesWritten, size);
    assert.equal(result.bytesSkipped, 0);
  });

  it('sizes a new or empty destination image to exactly the volume, and leaves a larger one its size and tail', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    sparseImage(src, 6 * MiB, [[0, 4096]]);
    // The source image may be longer than the volume: only sizeBytes are copied.
    const size = 5 * MiB + 512;
    const empty = join(d, 'empty.img');
    fs.writeFileSync(empty, '');
    await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(empty), size, 'none')).done;
    assert.equal(fs.statSync(empty).size, size);
    const larger = join(d, 'larger.img');
    fs.writeFileSync(larger, Buffer.alloc(7 * MiB, 0x5a));
    await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(larger, false), size, 'sha256')).done;
    const out = fs.readFileSync(larger);
    assert.equal(out.length, 7 * MiB);
    assert.ok(out.subarray(0, size).equals(fs.readFileSync(src).subarray(0, size)));
    assert.ok(out.subarray(size).every((b) => b === 0x5a));
  });

  it('never writes to the source: its bytes and times are unchanged', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    sparseImage(src, 4 * MiB, [[MiB, MiB]]);
    const before = fs.statSync(src, { bigint: true });
    const hash = sha256(src);
    await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(join(d, 'dst.img')), 4 * MiB, 'sha256')).done;
    const afterSt = fs.statSync(src, { bigint: true });
    assert.equal(sha256(src), hash);
    assert.equal(afterSt.mtimeNs, before.mtimeNs);
    assert.equal(afterSt.ctimeNs, before.ctimeNs);
  });

  it('copies an empty volume', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    fs.writeFileSync(src, '');
    const running = copier.copyVolume(job(fileEndpoint(src), fileEndpoint(join(d, 'dst.img')), 0, 'sha256'));
    const result = await running.done;
    assert.equal(result.digest, createHash('sha256').digest('hex'));
    assert.equal(running.progress().totalProgress, 100);
  });
});

describe('block copy, block mode (devices; regular files stand in)', () => {
  it('reads everything and writes every block when the destination is not sparse-capable', async () => {
    const d = temp();
    const src = join(d, 'src.dev');
    const dst = join(d, 'dst.dev');
    const size = 70 * MiB;
    sparseImage(src, size, [[5 * MiB, MiB]]);
    fs.closeSync(fs.openSync(dst, 'w'));
    fs.truncateSync(dst, size);
    const result = await copier.copyVolume(job(deviceEndpoint(src, true), deviceEndpoint(dst, false), size, 'sha256')).done;
    assert.equal(result.transferMode, 'block');
    assert.equal(result.bytesWritten, size);
    assert.equal(result.bytesSkipped, 0);
    assertIdentical(dst, src);
    spawnSync('sync', [dst]);
    assert.ok(blocks(dst) >= size, `a non-sparse destination is fully allocated (${blocks(dst)} bytes)`);
    assert.equal(result.digest, expectedDigest(src, size));
  });

  it('writes only non-zero blocks when the destination is sparse-capable', async () => {
    const d = temp();
    const src = join(d, 'src.dev');
    const dst = join(d, 'dst.dev');
    const size = 16 * MiB;
    sparseImage(src, size, [[5 * MiB, MiB], [9 * MiB + 4096, 4096]]);
    fs.closeSync(fs.openSync(dst, 'w'));
    fs.truncateSync(dst, size);
    const result = await copier.copyVolume(job(deviceEndpoint(src, false), deviceEndpoint(dst, true), size, 'xxh128')).done;
    assert.equal(result.bytesWritten, MiB + 4096);
    assertIdentical(dst, src);
    assert.ok(blocks(dst) <= MiB + 64 * 1024);
  });
});

describe('block copy verification', () => {
  it('detects a corrupted destination block, copies the range again and succeeds', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    const size = 2 * RANGE_BYTES;
    sparseImage(src, size, [[RANGE_BYTES + 3 * MiB, 2 * MiB]]);
    const offset = RANGE_BYTES + 3 * MiB + 12_345;
    const result = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), size, 'sha256'), undefined, { testHooks: { corruptAfterWrite: { offset, times: 1 } } }).done;
    assert.equal(result.rangesRetried, 1);
    assertIdentical(dst, src);
    assert.equal(result.bytesWritten + result.bytesSkipped, size, 'the failed attempt is not counted twice');
  });

  it('repairs corruption in a block the first attempt left as a hole', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    sparseImage(src, 4 * MiB, [[0, 4096]]);
    const result = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), 4 * MiB, 'xxh128'), undefined, { testHooks: { corruptAfterWrite: { offset: 2 * MiB, times: 1 } } }).done;
    assert.equal(result.rangesRetried, 1);
    assertIdentical(dst, src);
  });

  it('fails with HASH_MISMATCH naming the destination and the offset when the retry is corrupted too', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    sparseImage(src, 8 * MiB, [[MiB, 2 * MiB]]);
    const offset = 2 * MiB + 77;
    const error = await expectFailure(copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), 8 * MiB, 'sha256'), undefined, { testHooks: { corruptAfterWrite: { offset, times: 2 } } }).done, 'HASH_MISMATCH');
    assert.ok(error instanceof VolumeHashMismatchError);
    assert.equal(error.code, 'DATA_LOSS');
    assert.equal(error.offset, offset);
    assert.deepEqual(error.metadata, { path: dst, offset: String(offset) });
    assert.match(error.message, new RegExp(`${dst}.*offset ${offset}`));
  });

  it('reads back the unwritten pieces where a pre-sized destination holds data, and repairs them', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    const size = 2 * RANGE_BYTES;
    sparseImage(src, size, [[MiB, MiB], [RANGE_BYTES + 8 * MiB, 4096]]);
    // A destination a driver already sized, with stale data where the source has holes only.
    sparseImage(dst, size, [[5 * MiB + 4096, 3 * 4096], [RANGE_BYTES + 40 * MiB, MiB]]);
    const result = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), size, 'sha256'), undefined).done;
    assert.equal(result.rangesRetried, 2);
    assertIdentical(dst, src);
    assert.equal(result.digest, expectedDigest(src, size));
  });

  it('verifies a sparse copy onto a fresh image file without retries (its holes are not read back)', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    sparseImage(src, RANGE_BYTES, [[3 * MiB, MiB]]);
    const result = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), RANGE_BYTES, 'sha256'), undefined).done;
    assert.equal(result.rangesRetried, 0);
    assertIdentical(dst, src);
    assert.equal(result.digest, expectedDigest(src, RANGE_BYTES));
    assert.ok(blocks(dst) <= MiB + 64 * 1024);
  });

  it('does not read back without verification (corruption then goes unnoticed, as documented)', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    sparseImage(src, 2 * MiB, [[0, MiB]]);
    const result = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), 2 * MiB, 'none'), undefined, { testHooks: { corruptAfterWrite: { offset: 10, times: 1 } } }).done;
    assert.equal(result.rangesRetried, 0);
    assert.notEqual(sha256(dst), sha256(src));
  });
});

describe('block copy cancel and checkpoint', () => {
  it('records a short copy in one batch by default, after one flush', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    const checkpoint = join(d, 'volume.checkpoint');
    const size = 4 * RANGE_BYTES;
    sparseImage(src, size, Array.from({ length: 4 }, (_, i): [number, number] => [i * RANGE_BYTES, MiB]));
    const batches: number[] = [];
    const result = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), size, 'sha256', checkpoint), undefined, {
      testHooks: { afterCheckpoint: (recorded) => void batches.push(recorded) },
    }).done;
    // On a slow machine the interval may pass mid-copy; the last batch still names every range.
    if (result.durationMs < 3000) assert.deepEqual(batches, [4]);
    else assert.equal(batches.at(-1), 4);
    assert.equal(fs.readFileSync(checkpoint, 'latin1').trim().split('\n').length - 1, 4);
  });

  it('stops when cancelled mid-copy with CANCELLED, and a restart copies only the unrecorded ranges', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    const checkpoint = join(d, 'state', 'volume.checkpoint');
    const size = 8 * RANGE_BYTES;
    sparseImage(src, size, Array.from({ length: 8 }, (_, i): [number, number] => [i * RANGE_BYTES + MiB, MiB]));
    const controller = new AbortController();
    let progressAtCancel = -1;
    const running = copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), size, 'sha256', checkpoint), controller.signal, {
      // Record as soon as ranges finish (the default waits a few seconds), so one is recorded mid-copy.
      checkpointIntervalMs: 0,
      testHooks: {
        afterCheckpoint: () => {
          progressAtCancel = running.progress().totalProgress;
          controller.abort();
        },
      },
    });
    const error = await expectFailure(running.done, 'CANCELLED');
    assert.ok(error instanceof VolumeCopyCancelledError);
    assert.equal(error.code, 'CANCELLED');
    assert.ok(progressAtCancel >= 0 && progressAtCancel < 100);
    assert.ok(running.progress().totalProgress < 100);
    const recorded = fs.readFileSync(checkpoint, 'latin1').trim().split('\n').length - 1;
    assert.ok(recorded >= 1);

    const result = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), size, 'sha256', checkpoint)).done;
    assert.equal(result.rangesResumed, recorded);
    assert.equal(result.rangesCopied, 8 - recorded);
    assert.equal(result.bytesWritten, (8 - recorded) * MiB);
    assert.equal(result.bytesResumed, recorded * RANGE_BYTES);
    assertIdentical(dst, src);
    assert.equal(result.digest, expectedDigest(src, size));

    // A finished checkpoint makes a re-run copy nothing.
    const again = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), size, 'sha256', checkpoint)).done;
    assert.equal(again.rangesCopied, 0);
    assert.equal(again.bytesWritten, 0);
    assert.equal(again.digest, result.digest);
  });

  it('starts over when the checkpoint belongs to another copy (a recreated destination), and says so', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    const checkpoint = join(d, 'volume.checkpoint');
    sparseImage(src, 3 * MiB, [[0, MiB]]);
    await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), 3 * MiB, 'none', checkpoint)).done;
    fs.rmSync(dst);
    const result = await copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), 3 * MiB, 'none', checkpoint)).done;
    assert.equal(result.rangesResumed, 0);
    assert.equal(result.bytesWritten, MiB);
    assert.match(result.notes.join('\n'), /belongs to another copy/);
    assertIdentical(dst, src);
  });
});

describe('block copy errors', () => {
  it('refuses a destination image smaller than the volume and does not grow it', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    sparseImage(src, 20 * MiB, [[0, 4096]]);
    fs.writeFileSync(dst, '');
    fs.truncateSync(dst, 10 * MiB);
    const error = await expectFailure(copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), 20 * MiB, 'none')).done, 'DESTINATION_CONFLICT');
    assert.ok(error instanceof DestinationTooSmallError);
    assert.equal(error.code, 'FAILED_PRECONDITION');
    assert.equal(error.path, dst);
    assert.match(error.message, /10485760 bytes, fewer than the volume's 20971520/);
    assert.equal(fs.statSync(dst).size, 10 * MiB);
  });

  it('refuses a block-mode destination smaller than the volume', async () => {
    const d = temp();
    const src = join(d, 'src.dev');
    const dst = join(d, 'dst.dev');
    sparseImage(src, 4 * MiB, []);
    sparseImage(dst, 2 * MiB, []);
    const error = await expectFailure(copier.copyVolume(job(deviceEndpoint(src, true), deviceEndpoint(dst, true), 4 * MiB, 'none')).done, 'DESTINATION_CONFLICT');
    assert.ok(error instanceof DestinationTooSmallError);
  });

  it('refuses a source smaller than the volume', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    sparseImage(src, 2 * MiB, []);
    const error = await expectFailure(copier.copyVolume(job(fileEndpoint(src), fileEndpoint(join(d, 'dst.img')), 4 * MiB, 'none')).done, 'INVALID_COPY_OPTIONS');
    assert.match(error.message, /holds 2097152 bytes, fewer than the volume's sizeBytes 4194304/);
  });

  it('fails with SOURCE_VANISHED when the source is missing, creating nothing', async () => {
    const d = temp();
    const src = join(d, 'missing.img');
    const dst = join(d, 'dst.img');
    const error = await expectFailure(copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), MiB, 'none')).done, 'SOURCE_VANISHED');
    assert.ok(error instanceof VolumeSourceMissingError);
    assert.equal(error.code, 'NOT_FOUND');
    assert.equal(error.path, src);
    assert.equal(fs.existsSync(dst), false);
  });

  it('refuses a missing destination device, an endpoint naming both or no path, a negative size and copying a file onto itself', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    sparseImage(src, MiB, []);
    const cases: Array<[VolumeCopyJob, RegExp]> = [
      [job(fileEndpoint(src), deviceEndpoint(join(d, 'nodev'), true), MiB, 'none'), /destination .*nodev does not exist/],
      [job({ ...fileEndpoint(src), devicePath: src }, fileEndpoint(join(d, 'x')), MiB, 'none'), /source must name exactly one of filePath and devicePath \(got both\)/],
      [job(fileEndpoint(src), { ...fileEndpoint(''), filePath: '' }, MiB, 'none'), /destination must name exactly one .*\(got neither\)/],
      [job(fileEndpoint(src), fileEndpoint(join(d, 'y')), -1, 'none'), /sizeBytes must be a whole number/],
      [job(fileEndpoint(src), fileEndpoint(src), MiB, 'none'), /are the same file/],
      [job(fileEndpoint(src), fileEndpoint(join(d, 'z')), MiB, 'md5' as HashAlgorithm), /verify must be/],
    ];
    for (const [j, message] of cases) {
      const error = await expectFailure(copier.copyVolume(j).done, 'INVALID_COPY_OPTIONS');
      assert.ok(error instanceof InvalidVolumeCopyError);
      assert.match(error.message, message);
    }
  });

  it('fails with NO_SPACE naming the destination and the offset when the destination file system fills up', async (t) => {
    const d = temp();
    const mnt = join(d, 'small');
    fs.mkdirSync(mnt);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { stdio: 'ignore' }).status !== 0) {
      t.skip('mounting a small tmpfs needs root (mount -t tmpfs); ENOSPC not exercised here');
      return;
    }
    try {
      const src = join(d, 'src.img');
      const dst = join(mnt, 'dst.img');
      fs.writeFileSync(src, randomBytes(8 * MiB));
      const error = await expectFailure(copier.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), 8 * MiB, 'none')).done, 'NO_SPACE');
      assert.equal(error.code, 'RESOURCE_EXHAUSTED');
      assert.equal(error.path, dst);
      assert.equal(error.metadata.errno, 'ENOSPC');
      assert.ok(error.offset !== null && error.offset >= 0 && error.offset < 8 * MiB);
      assert.match(error.message, new RegExp(`writing volume destination ${dst} at offset ${error.offset} failed`));
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});

describe('data service copyVolume', () => {
  it('delegates to the block engine and reports progress up to 100', async () => {
    const d = temp();
    const src = join(d, 'src.img');
    const dst = join(d, 'dst.img');
    sparseImage(src, 5 * MiB, [[MiB, MiB]]);
    const service = createDataService({ logger: pino({ level: 'silent' }), threads: 1, mountTmpLocation: d, mountOptions: {} });
    try {
      const running = service.copyVolume(job(fileEndpoint(src), fileEndpoint(dst), 5 * MiB, 'sha256', join(d, 'ck')), new AbortController().signal);
      assert.ok(running.progress().totalProgress < 100);
      const result = await running.done;
      assert.equal(running.progress().totalProgress, 100);
      assert.equal(result.digest, expectedDigest(src, 5 * MiB));
      assertIdentical(dst, src);
    } finally {
      await service.close();
    }
  });
});
