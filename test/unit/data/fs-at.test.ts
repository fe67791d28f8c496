import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayPath, isIgnored, joinRel, splitRel } from '../../../src/data/fs-at.js';
import { SharedState, createSharedState, C } from '../../../src/data/shared-state.js';

describe('relative paths and ignore', () => {
  it('joins and splits raw-byte paths', () => {
    const rel = joinRel(joinRel(new Uint8Array(0), Buffer.from('a')), Buffer.from([0xff, 0x0a]));
    assert.deepEqual(rel, Buffer.from([0x61, 0x2f, 0xff, 0x0a]));
    assert.deepEqual(splitRel(rel), { dir: Buffer.from('a'), name: Buffer.from([0xff, 0x0a]) });
    assert.deepEqual(splitRel(Buffer.from('top')), { dir: Buffer.alloc(0), name: Buffer.from('top') });
  });

  it('shows invalid UTF-8 and control bytes as escapes', () => {
    assert.equal(displayPath(Buffer.from('ok/ü')), 'ok/ü');
    assert.equal(displayPath(Buffer.from([0x61, 0xff, 0x0a])), 'a\\xff\\x0a');
  });

  it('matches ignored bare names exactly', () => {
    const ignore = [Buffer.from('lost+found')];
    assert.ok(isIgnored(Buffer.from('lost+found'), ignore));
    assert.ok(!isIgnored(Buffer.from('lost+found2'), ignore));
    assert.ok(!isIgnored(Buffer.from('lost'), ignore));
  });
});

describe('shared state', () => {
  it('counts, cancels and publishes current files across views of one buffer', () => {
    const buffer = createSharedState();
    const a = new SharedState(buffer);
    const b = new SharedState(buffer);
    a.add(C.bytesDone, 10);
    b.add(C.bytesDone, -3);
    assert.equal(b.get(C.bytesDone), 7);
    a.setCurrent(Buffer.from('x/y'));
    assert.deepEqual(b.currentFiles(), ['x/y']);
    a.releaseSlot();
    assert.deepEqual(b.currentFiles(), []);
    assert.equal(b.cancelled, false);
    a.cancel();
    assert.equal(b.cancelled, true);
  });
});
