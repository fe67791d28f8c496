import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compactCheckpoint, fingerprint, FingerprintTable, formatEntry, openCheckpoint } from '../../../src/data/checkpoint.js';

const header = { source: '/s', destination: '/d', verify: 'sha256' as const };

describe('checkpoint', () => {
  it('fingerprints depend on path, size, mtime and algorithm', () => {
    const rel = Buffer.from([0x61, 0xff]);
    const a = fingerprint(rel, 10, 5n, 'sha256');
    assert.equal(a, fingerprint(Buffer.from([0x61, 0xff]), 10n, 5n, 'sha256'));
    assert.notEqual(a, fingerprint(rel, 11, 5n, 'sha256'));
    assert.notEqual(a, fingerprint(rel, 10, 6n, 'sha256'));
    assert.notEqual(a, fingerprint(rel, 10, 5n, 'xxh128'));
  });

  it('the shared table finds what was inserted and nothing else', () => {
    const t = FingerprintTable.create(1000);
    for (let i = 1n; i <= 1000n; i++) t.insert(i * 7919n);
    for (let i = 1n; i <= 1000n; i++) assert.ok(t.has(i * 7919n));
    assert.ok(!t.has(3n));
    const view = new FingerprintTable(t.buffer);
    assert.ok(view.has(7919n));
  });

  it('starts fresh for a missing or foreign file and loads a matching one, tolerating a torn last line', async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'ferry-ckpt-'));
    try {
      const path = join(dir, 'c');
      assert.deepEqual(await openCheckpoint(path, header), { table: null, entries: 0, clean: true });
      fs.appendFileSync(path, formatEntry(Buffer.from('a'), 1, 2n, 'h') + formatEntry(Buffer.from('b'), 3, 4n, 'h'));
      const whole = await openCheckpoint(path, header);
      assert.deepEqual([whole.entries, whole.clean], [2, true]);
      fs.appendFileSync(path, 'YWJj\t1');
      const loaded = await openCheckpoint(path, header);
      assert.equal(loaded.entries, 2);
      assert.equal(loaded.clean, false);
      assert.ok(loaded.table?.has(fingerprint(Buffer.from('a'), 1, 2n, 'sha256')));
      assert.ok(!loaded.table?.has(fingerprint(Buffer.from('a'), 1, 3n, 'sha256')));
      // The torn line got its newline: an append after it starts a line of its own.
      fs.appendFileSync(path, formatEntry(Buffer.from('c'), 5, 6n, 'h'));
      const appended = await openCheckpoint(path, header);
      assert.equal(appended.entries, 3);
      assert.ok(appended.table?.has(fingerprint(Buffer.from('c'), 5, 6n, 'sha256')));
      const other = await openCheckpoint(path, { ...header, verify: 'xxh128' });
      assert.equal(other.entries, 0);
      assert.ok(fs.readFileSync(path, 'utf8').startsWith('ferry-checkpoint v1 '));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compaction keeps the last line per path', async () => {
    const dir = fs.mkdtempSync(join(tmpdir(), 'ferry-ckpt-'));
    try {
      const path = join(dir, 'c');
      await openCheckpoint(path, header);
      fs.appendFileSync(path, formatEntry(Buffer.from('a'), 1, 2n, 'old') + formatEntry(Buffer.from('b'), 3, 4n, 'h') + formatEntry(Buffer.from('a'), 5, 6n, 'new'));
      fs.appendFileSync(path, 'YWJj\t1\t2\n\t\t\t\nYWJj\tx\t2\t-\n');
      await compactCheckpoint(path);
      const lines = fs.readFileSync(path, 'utf8').trim().split('\n');
      assert.equal(lines.length, 3);
      assert.deepEqual(lines.slice(1).sort(), [formatEntry(Buffer.from('a'), 5, 6n, 'new').trim(), formatEntry(Buffer.from('b'), 3, 4n, 'h').trim()].sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
