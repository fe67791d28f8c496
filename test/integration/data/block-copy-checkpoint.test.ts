/** The volume checkpoint file and the extent listing, on real files. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CheckpointWriter, loadCheckpoint, type CheckpointHeader } from '../../../src/data/block/checkpoint.js';
import { listExtents } from '../../../src/data/block/extents.js';

const dirs: string[] = [];
const temp = (): string => {
  const d = fs.mkdtempSync(join(tmpdir(), 'ferry-block-ck-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const header: CheckpointHeader = {
  format: 'ferry-volume-checkpoint/1', mode: 'file', source: '/s', sourceId: '1:2:3:4:5', destination: '/d', destinationId: '1:3:4', sizeBytes: 3 * 64 * 1024 * 1024, rangeBytes: 64 * 1024 * 1024, verify: 'sha256',
};

describe('volume checkpoint', () => {
  it('records ranges and loads them back, ignoring a torn last line and lines out of range', async () => {
    const path = join(temp(), 'ck');
    const w = await CheckpointWriter.open(path, header, true);
    await w.record([{ index: 2, digest: 'ab' }, { index: 0, digest: 'cd' }]);
    await w.close();
    fs.appendFileSync(path, '7 ee\n1 f');
    const loaded = await loadCheckpoint(path, header, 3);
    assert.equal(loaded.discarded, null);
    assert.deepEqual([...loaded.done.entries()].sort(), [[0, 'cd'], [2, 'ab']]);
  });

  it('discards a checkpoint of another job and ignores a missing one', async () => {
    const path = join(temp(), 'ck');
    assert.deepEqual(await loadCheckpoint(path, header, 3), { done: new Map(), discarded: null });
    const w = await CheckpointWriter.open(path, header, true);
    await w.record([{ index: 0, digest: 'ab' }]);
    await w.close();
    const other = await loadCheckpoint(path, { ...header, destinationId: '1:3:5' }, 3);
    assert.equal(other.done.size, 0);
    assert.match(other.discarded ?? '', /belongs to another copy/);
    // A line without a digest cannot stand for a verified range.
    fs.appendFileSync(path, '1 -\n');
    assert.deepEqual([...(await loadCheckpoint(path, header, 3)).done.keys()], [0]);
  });
});

describe('extent listing', () => {
  it('lists the data extents of a sparse file with SEEK_DATA/SEEK_HOLE, clipped to the volume size', async () => {
    const path = join(temp(), 'img');
    const fd = fs.openSync(path, 'w');
    fs.ftruncateSync(fd, 16 * 1024 * 1024);
    fs.writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 1024 * 1024);
    fs.writeSync(fd, Buffer.alloc(8192, 1), 0, 8192, 12 * 1024 * 1024);
    fs.closeSync(fd);
    const map = await listExtents(path, 12 * 1024 * 1024 + 4096);
    assert.equal(map.fallback, null);
    assert.deepEqual([...map.extents], [1024 * 1024, 1024 * 1024 + 4096, 12 * 1024 * 1024, 12 * 1024 * 1024 + 4096]);
  });

  it('falls back to the whole file, saying why, when the file cannot be listed', async () => {
    const map = await listExtents(join(temp(), 'missing'), 100);
    assert.deepEqual([...map.extents], [0, 100]);
    assert.match(map.fallback ?? '', /open .*missing/);
  });
});
