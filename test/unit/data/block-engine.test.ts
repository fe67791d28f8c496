import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { rangeDigest, volumeDigest, zeroLeafDigest } from '../../../src/data/block/digest.js';
import { DestinationTooSmallError, VolumeCopyCancelledError, VolumeCopyError, volumeCopyErrorFromFailure, VolumeHashMismatchError } from '../../../src/data/block/errors.js';
import { dataBytes, extentsInRange } from '../../../src/data/block/extents.js';
import { DataCopyError } from '../../../src/data/errors.js';
import { initHashing } from '../../../src/data/verify.js';

const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

describe('block extents', () => {
  const extents = Float64Array.of(0, 10, 100, 200, 300, 1000);
  it('clips the extents overlapping a range to it', () => {
    assert.deepEqual([...extentsInRange(extents, 0, 50)], [0, 10]);
    assert.deepEqual([...extentsInRange(extents, 5, 150)], [5, 10, 100, 155]);
    assert.deepEqual([...extentsInRange(extents, 150, 200)], [150, 200, 300, 350]);
    assert.deepEqual([...extentsInRange(extents, 200, 100)], []);
    assert.deepEqual([...extentsInRange(extents, 400, 100)], [400, 500]);
    assert.deepEqual([...extentsInRange(new Float64Array(0), 0, 100)], []);
  });
  it('counts the bytes in data extents', () => {
    assert.equal(dataBytes(extents), 10 + 100 + 700);
  });
});

describe('volume digest', () => {
  it('is the hash of range digests, each the hash of its leaf digests; a zero leaf hashes its zeros', async () => {
    await initHashing();
    const leafA = sha(Buffer.from('a'));
    const zero = zeroLeafDigest('sha256', 1024);
    assert.deepEqual(zero, sha(Buffer.alloc(1024)));
    const r0 = rangeDigest('sha256', [leafA, zero]);
    assert.equal(r0, sha(leafA, zero).toString('hex'));
    const r1 = rangeDigest('sha256', [zero]);
    assert.equal(volumeDigest('sha256', [r0, r1]), sha(Buffer.from(r0, 'hex'), Buffer.from(r1, 'hex')).toString('hex'));
    assert.equal(volumeDigest('sha256', []), sha().toString('hex'));
    assert.match(volumeDigest('xxh128', [rangeDigest('xxh128', [zeroLeafDigest('xxh128', 4096)])]), /^[0-9a-f]{32}$/);
  });
});

describe('block copy errors', () => {
  it('rebuilds typed errors from worker failures, with the offset in metadata', () => {
    const nospace = volumeCopyErrorFromFailure({ ok: false, reason: 'NO_SPACE', message: 'full', path: '/d', errno: 'ENOSPC', offset: 4096 });
    assert.ok(nospace instanceof VolumeCopyError && nospace instanceof DataCopyError);
    assert.equal(nospace.code, 'RESOURCE_EXHAUSTED');
    assert.deepEqual(nospace.metadata, { path: '/d', errno: 'ENOSPC', offset: '4096' });
    assert.equal(nospace.offset, 4096);
    const mismatch = volumeCopyErrorFromFailure({ ok: false, reason: 'HASH_MISMATCH', message: 'differs', path: '/d', offset: 7 });
    assert.ok(mismatch instanceof VolumeHashMismatchError);
    assert.equal(mismatch.message, 'differs');
    assert.ok(volumeCopyErrorFromFailure({ ok: false, reason: 'CANCELLED', message: '', path: '', offset: 9 }) instanceof VolumeCopyCancelledError);
    const eio = volumeCopyErrorFromFailure({ ok: false, reason: 'SOURCE_UNREADABLE', message: 'EIO', path: '/s', errno: 'EIO', offset: -1 });
    assert.equal(eio.offset, null);
    assert.deepEqual(eio.metadata, { path: '/s', errno: 'EIO' });
    assert.equal(eio.code, 'DATA_LOSS');
  });
  it('names both sizes when the destination is too small', () => {
    const e = new DestinationTooSmallError('/dev/sdc', 10, 20);
    assert.equal(e.reason, 'DESTINATION_CONFLICT');
    assert.equal(e.code, 'FAILED_PRECONDITION');
    assert.match(e.message, /\/dev\/sdc holds 10 bytes, fewer than the volume's 20/);
  });
});
