import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MetaHelper } from '../../../src/data/meta-helper.js';

describe('metadata helper', () => {
  it('answers a metadata batch after file and directory prefetches it has not answered yet', (t) => {
    const helper = MetaHelper.forThread();
    if (helper === null) {
      t.skip('perl is not available here');
      return;
    }
    const dir = fs.mkdtempSync(join(tmpdir(), 'ferry-helper-'));
    const dirFd = fs.openSync(dir, 'r');
    try {
      for (const n of ['a', 'b', 'c']) fs.writeFileSync(join(dir, n), n.repeat(1000));
      fs.symlinkSync('/etc/hostname', join(dir, 'link'));
      fs.mkdirSync(join(dir, 'sub'));
      // Names that are not regular files, or gone, are ignored.
      helper.prefetch(dirFd, ['a', 'b', 'link', 'sub', 'missing'].map((n) => Buffer.from(n)));
      helper.prefetch(dirFd, [Buffer.from('c')]);
      fs.symlinkSync(tmpdir(), join(dir, 'dir-link'));
      helper.prefetchDirs(dirFd, ['sub', 'dir-link', 'a', 'missing'].map((n) => Buffer.from(n)));
      // A FIFO is never opened (it could block), nor is anything behind a symlink.
      fs.writeFileSync(join(dir, 'sub/f'), 'f');
      fs.symlinkSync('/etc/hostname', join(dir, 'sub/l'));
      spawnSync('mkfifo', [join(dir, 'sub/fifo')]);
      helper.prefetchFilesIn(dirFd, ['sub', 'dir-link', 'a', 'missing'].map((n) => Buffer.from(n)));
      assert.ok(helper.busy);
      const mtimeNs = 1_600_000_000_987_654_321n;
      const failed = helper.apply([{ srcDirFd: dirFd, dstDirFd: dirFd, name: Buffer.from('b'), atimeNs: mtimeNs, mtimeNs, times: true }], false);
      assert.deepEqual(failed, { times: 0, xattrs: 0 });
      assert.equal(fs.statSync(join(dir, 'b'), { bigint: true }).mtimeNs, mtimeNs);
      helper.prefetch(dirFd, [Buffer.from('a')]);
      assert.deepEqual(helper.settle(), []);
      assert.ok(!helper.busy);
      assert.deepEqual(helper.settle(), []);
      assert.equal(fs.readFileSync(join(dir, 'a'), 'utf8'), 'a'.repeat(1000));
    } finally {
      fs.closeSync(dirFd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads ahead in a process of its own, whose answers are polled without waiting', (t) => {
    const meta = MetaHelper.forThread('meta');
    const pre = MetaHelper.forThread('prefetch');
    if (meta === null || pre === null) {
      t.skip('perl is not available here');
      return;
    }
    assert.notEqual(meta, pre);
    assert.equal(MetaHelper.forThread('prefetch'), pre);
    const dir = fs.mkdtempSync(join(tmpdir(), 'ferry-helper-'));
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.mkdirSync(join(dir, 'sub'));
      for (let i = 0; i < 300; i++) fs.writeFileSync(join(dir, 'sub', `f${i}`), 'x');
      const before = pre.sent;
      pre.prefetchDirs(dirFd, [Buffer.from('sub')]);
      pre.prefetchFilesIn(dirFd, [Buffer.from('sub')]);
      assert.equal(pre.sent, before + 2);
      // The metadata helper answers at once: it does not queue behind the read-ahead.
      const mtimeNs = 1_600_000_000_000_000_001n;
      assert.deepEqual(meta.apply([{ srcDirFd: dirFd, dstDirFd: dirFd, name: Buffer.from('.'), atimeNs: mtimeNs, mtimeNs, times: true }], true), { times: 0, xattrs: 0 });
      assert.equal(fs.statSync(dir, { bigint: true }).mtimeNs, mtimeNs);
      // poll never blocks; the answers arrive, in order, with nothing to report.
      while (!pre.answered(before + 2)) assert.deepEqual(pre.poll(), []);
      assert.equal(pre.backlog, 0);
      assert.ok(!pre.busy);
    } finally {
      fs.closeSync(dirFd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
