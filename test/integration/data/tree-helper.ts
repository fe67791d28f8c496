/**
 * Test helper: an independent description of a tree (shares no code with src/data), so the
 * fidelity tests compare the engine's output against what the filesystem says.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EntryInfo {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  mtimeNs: string;
  size: string;
  hash?: string;
  target?: string;
  blocks?: string;
  linkGroup?: string;
  rdev?: string;
  /** name -> hex value, when python3 can read xattrs here (see xattrTool). */
  xattrs?: Record<string, string>;
}

// xattrs are read and written with python3's os.*xattr (Node has no xattr API), which shares
// nothing with the engine's perl helper.
const PY_DUMP = `
import os, sys, json
root = os.fsencode(sys.argv[1]); out = {}
def visit(path, rel):
    names = os.listxattr(path, follow_symlinks=False)
    if names: out[rel.hex()] = {n: os.getxattr(path, n, follow_symlinks=False).hex() for n in sorted(names)}
for dirpath, dirs, files in os.walk(root):
    for name in dirs + files:
        p = os.path.join(dirpath, name)
        visit(p, os.path.relpath(p, root))
print(json.dumps(out))
`;
const PY_SET = `
import os, sys
if len(sys.argv) > 3: os.setxattr(os.fsencode(sys.argv[1]), sys.argv[2], bytes.fromhex(sys.argv[3]), follow_symlinks=False)
else: os.removexattr(os.fsencode(sys.argv[1]), sys.argv[2], follow_symlinks=False)
`;

let xattrToolChecked: boolean | undefined;
/** True when python3 is here to read and set xattrs for the tests. */
export function xattrTool(): boolean {
  xattrToolChecked ??= spawnSync('python3', ['-c', 'import os; os.listxattr'], { stdio: 'ignore' }).status === 0;
  return xattrToolChecked;
}

/** Sets (or, with value null, removes) one xattr without following a symlink. */
export function setXattr(path: string, name: string, value: Buffer | null): void {
  execFileSync('python3', ['-c', PY_SET, path, name, ...(value === null ? [] : [value.toString('hex')])]);
}

function dumpXattrs(root: string): Record<string, Record<string, string>> {
  if (!xattrTool()) return {};
  return JSON.parse(execFileSync('python3', ['-c', PY_DUMP, root], { encoding: 'utf8' })) as Record<string, Record<string, string>>;
}

function typeOf(st: fs.BigIntStats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isBlockDevice()) return 'blockdev';
  return 'unknown';
}

/** Describes every entry below `root` (keys are the raw relative paths as hex, so any bytes survive). */
export function describeTree(root: string, options: { blocks?: boolean } = {}): Map<string, EntryInfo> {
  const out = new Map<string, EntryInfo>();
  const byInode = new Map<string, string[]>();
  const walk = (dir: Buffer, rel: Buffer | null): void => {
    for (const name of fs.readdirSync(dir, { encoding: 'buffer' })) {
      const path = Buffer.concat([dir, Buffer.from('/'), name]);
      const r = rel === null ? name : Buffer.concat([rel, Buffer.from('/'), name]);
      const st = fs.lstatSync(path, { bigint: true });
      const info: EntryInfo = {
        type: typeOf(st),
        mode: (st.mode & 0o7777n).toString(8),
        uid: Number(st.uid),
        gid: Number(st.gid),
        mtimeNs: st.isSymbolicLink() || st.isDirectory() || st.isFile() || st.isFIFO() ? st.mtimeNs.toString() : '',
        size: st.isDirectory() ? '' : st.size.toString(),
      };
      if (st.isFile()) {
        info.hash = createHash('sha256').update(fs.readFileSync(path)).digest('hex');
        if (options.blocks !== false) info.blocks = st.blocks.toString();
        if (st.nlink > 1n) {
          const key = `${st.dev}:${st.ino}`;
          byInode.set(key, [...(byInode.get(key) ?? []), r.toString('hex')]);
          info.linkGroup = key;
        }
      }
      if (st.isSymbolicLink()) info.target = fs.readlinkSync(path, { encoding: 'buffer' }).toString('hex');
      if (st.isCharacterDevice() || st.isBlockDevice()) info.rdev = st.rdev.toString();
      out.set(r.toString('hex'), info);
      if (st.isDirectory()) walk(path, r);
    }
  };
  walk(Buffer.from(root), null);
  for (const [rel, attrs] of Object.entries(dumpXattrs(root))) {
    const info = out.get(rel);
    if (info !== undefined) info.xattrs = attrs;
  }
  // Replace inode identities (which differ between trees) by the sorted set of names sharing it.
  for (const info of out.values()) {
    if (info.linkGroup !== undefined) info.linkGroup = [...byInode.get(info.linkGroup)!].sort().join(',');
  }
  return out;
}

export function diffTrees(a: Map<string, EntryInfo>, b: Map<string, EntryInfo>): string[] {
  const problems: string[] = [];
  const show = (k: string): string => JSON.stringify(Buffer.from(k, 'hex').toString('latin1'));
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined) problems.push(`missing ${show(k)}`);
    else if (JSON.stringify(v) !== JSON.stringify(w)) problems.push(`differs ${show(k)}: ${JSON.stringify(v)} vs ${JSON.stringify(w)}`);
  }
  for (const k of b.keys()) if (!a.has(k)) problems.push(`extra ${show(k)}`);
  return problems;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(join(tmpdir(), `ferry-${prefix}-`));
}

/** Sets exact nanosecond mtime/atime with GNU touch (independent of the engine's helper). */
export function touchNs(path: string, seconds: number, nanos: number, noDeref = false): void {
  execFileSync('touch', [...(noDeref ? ['-h'] : []), '-d', `@${seconds}.${String(nanos).padStart(9, '0')}`, path]);
}

/** Builds a tree with every kind of entry the engine must preserve. */
export function buildFidelityTree(root: string): void {
  const p = (...parts: string[]): string => join(root, ...parts);
  fs.mkdirSync(p('dir/sub/deeper'), { recursive: true });
  fs.mkdirSync(p('empty-dir'));
  fs.writeFileSync(p('regular.txt'), 'hello ferry\n');
  fs.writeFileSync(p('empty'), '');
  fs.writeFileSync(p('dir/sub/deeper/data.bin'), Buffer.alloc(300_000, 7));
  // Sparse: 8 MiB with data at two places.
  const fd = fs.openSync(p('sparse.img'), 'w');
  fs.writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 1024 * 1024);
  fs.writeSync(fd, Buffer.alloc(4096, 2), 0, 4096, 6 * 1024 * 1024);
  fs.ftruncateSync(fd, 8 * 1024 * 1024);
  fs.closeSync(fd);
  // A non-sparse file full of zeros must stay fully allocated.
  fs.writeFileSync(p('zeros.bin'), Buffer.alloc(256 * 1024));
  fs.writeFileSync(p('hard-a'), 'linked content');
  fs.linkSync(p('hard-a'), p('dir/hard-b'));
  fs.linkSync(p('hard-a'), p('dir/sub/hard-c'));
  fs.symlinkSync('regular.txt', p('link-rel'));
  fs.symlinkSync('/etc/hostname', p('link-abs'));
  fs.symlinkSync('does/not/exist', p('link-dangling'));
  fs.symlinkSync('../dir', p('dir/sub/link-dir'));
  fs.writeFileSync(p('name with spaces'), 'spaces');
  fs.writeFileSync(p('new\nline'), 'newline');
  fs.writeFileSync(Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('-utf8')]), 'latin');
  fs.mkdirSync(Buffer.concat([Buffer.from(`${root}/dir-`), Buffer.from([0xc3, 0x28])]));
  execFileSync('mkfifo', [p('fifo')]);
  fs.writeFileSync(p('secret'), 'x');
  fs.chmodSync(p('secret'), 0o600);
  fs.writeFileSync(p('setuid'), '#!/bin/sh\n');
  fs.chmodSync(p('setuid'), 0o4755);
  fs.chmodSync(p('dir/sub'), 0o750);
  if (process.getuid?.() === 0) {
    fs.chownSync(p('regular.txt'), 1234, 5678);
    fs.lchownSync(p('link-rel'), 4321, 8765);
    fs.chownSync(p('dir/sub'), 99, 99);
  }
  if (xattrTool()) {
    setXattr(p('regular.txt'), 'user.ferry.note', Buffer.from('hello xattr'));
    setXattr(p('regular.txt'), 'user.ferry.binary', Buffer.from([0, 0xff, 0x10, 0]));
    setXattr(p('dir/sub'), 'user.ferry.dir', Buffer.from('on a directory'));
    setXattr(p('hard-a'), 'user.ferry.linked', Buffer.alloc(3000, 0x61));
    setXattr(p('sparse.img'), 'user.ferry.sparse', Buffer.from('s'));
    if (process.getuid?.() === 0) setXattr(p('secret'), 'trusted.ferry.root-only', Buffer.from('t'));
  }
  touchNs(p('regular.txt'), 1_500_000_000, 123_456_789);
  touchNs(p('link-rel'), 1_400_000_000, 987_654_321, true);
  touchNs(p('empty-dir'), 1_300_000_000, 111_111_111);
  touchNs(p('dir/sub'), 1_300_000_001, 222_222_222);
}
