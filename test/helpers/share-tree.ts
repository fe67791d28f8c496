/**
 * A small share tree with the metadata a migration must keep (nested directories, modes 0600 /
 * 0755 / 0700, owners, nanosecond mtimes, relative and dangling symlinks, an empty directory),
 * and an independent description of a tree (lstat + sha256; no code shared with src/data or the
 * plugins) for comparing a source with its migrated copy.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  readonly size: string;
  readonly mtimeNs: string;
  readonly sha256?: string;
  readonly target?: string;
}

/** Sets a path's mtime (and atime) to a nanosecond timestamp, without following symlinks. */
function touchNs(path: string, stamp: string): void {
  execFileSync('touch', ['-h', '-d', stamp, path]);
}

/**
 * Builds the tree inside `root` (an existing share data directory). Directory times are set
 * last, bottom-up, since creating entries changes them.
 */
export function buildShareTree(root: string): void {
  mkdirSync(join(root, 'docs', 'nested', 'deeper'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  mkdirSync(join(root, 'private'));
  writeFileSync(join(root, 'readme.txt'), 'hello share\n');
  writeFileSync(join(root, 'docs', 'secret'), 'only the owner reads this\n');
  writeFileSync(join(root, 'docs', 'nested', 'deeper', 'data.bin'), Buffer.from(Array.from({ length: 70_000 }, (_v, i) => (i * 31) % 256)));
  writeFileSync(join(root, 'private', 'run.sh'), '#!/bin/sh\necho hi\n');
  writeFileSync(join(root, 'empty-file'), '');
  symlinkSync('docs/nested/deeper/data.bin', join(root, 'link-to-data'));
  symlinkSync('/nonexistent/target', join(root, 'docs', 'dangling'));

  chmodSync(join(root, 'docs', 'secret'), 0o600);
  chmodSync(join(root, 'private', 'run.sh'), 0o755);
  chmodSync(join(root, 'private'), 0o700);
  chmodSync(join(root, 'docs'), 0o755);
  chmodSync(join(root, 'empty'), 0o750);
  chmodSync(root, 0o770);
  chownSync(join(root, 'docs', 'secret'), 1234, 5678);
  lchownSync(join(root, 'link-to-data'), 1234, 5678);

  const stamps: [string, string][] = [
    ['readme.txt', '2001-02-03 04:05:06.123456789'],
    ['docs/secret', '2002-03-04 05:06:07.987654321'],
    ['docs/nested/deeper/data.bin', '2003-04-05 06:07:08.000000001'],
    ['private/run.sh', '2004-05-06 07:08:09.5'],
    ['empty-file', '2005-06-07 08:09:10.111111111'],
    ['link-to-data', '2006-07-08 09:10:11.222222222'],
    ['docs/dangling', '2007-08-09 10:11:12.333333333'],
    ['docs/nested/deeper', '2008-09-10 11:12:13.444444444'],
    ['docs/nested', '2009-10-11 12:13:14.555555555'],
    ['docs', '2010-11-12 13:14:15.666666666'],
    ['empty', '2011-12-13 14:15:16.777777777'],
    ['private', '2012-01-14 15:16:17.888888888'],
    ['.', '2013-02-15 16:17:18.999999999'],
  ];
  for (const [path, stamp] of stamps) touchNs(join(root, path), stamp);
}

/** Every entry below `root` by relative path; the root itself is "." (its mode and times matter too: clients see them). */
export function describeShareTree(root: string): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  const visit = (path: string, rel: string): void => {
    const st = lstatSync(path, { bigint: true });
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
    out[rel] = {
      type,
      mode: (st.mode & 0o7777n).toString(8),
      uid: Number(st.uid),
      gid: Number(st.gid),
      size: type === 'dir' ? '' : st.size.toString(),
      mtimeNs: st.mtimeNs.toString(),
      ...(type === 'file' ? { sha256: createHash('sha256').update(readFileSync(path)).digest('hex') } : {}),
      ...(type === 'symlink' ? { target: readlinkSync(path) } : {}),
    };
    if (type === 'dir') for (const name of readdirSync(path).sort()) visit(join(path, name), rel === '.' ? name : `${rel}/${name}`);
  };
  visit(root, '.');
  return out;
}
