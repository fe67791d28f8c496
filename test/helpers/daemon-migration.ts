/**
 * Share-migration steps through the admin API of a real daemon (test/helpers/daemon-process.ts):
 * create a share with files, start / complete / cancel a migration, read its history, and
 * compare file trees (content, mode, mtime) between a share's instances.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { AdminClient } from './admin-client.js';
import { AccessLevel, AccessType } from '../../src/contract/gen/ferry/admin/v1/enums.js';
import type { Share } from '../../src/contract/gen/ferry/admin/v1/share.js';
import { MigrationStartRequest } from '../../src/contract/gen/ferry/admin/v1/share_migration.js';
import { CreateShareRequest } from '../../src/contract/gen/ferry/admin/v1/shares.js';
import { filesOf, taskStateName, writeTree } from './daemon-process.js';

export const L1P1 = 'ferry@localfs1#pool1';
export const L2P1 = 'ferry@localfs2#pool1';
export const D1 = 'ferry@dummy1#alpha';
export const D2 = 'ferry@dummy2#alpha';

/** A 1 GiB NFS share on `host` with `files` written into it and one rw ip rule; returns it (available). */
export async function createShareWith(client: AdminClient, host: string, files: Readonly<Record<string, string | Buffer>>): Promise<Share> {
  const { share } = await client.shares.createShare(CreateShareRequest.fromPartial({ shareProto: 'NFS', sizeGib: 1, host }));
  assert.ok(share, 'CreateShare returned a share');
  writeTree(filesOf(share.instances[0]!), files);
  await client.shares.grantAccess({ shareId: share.id, accessType: AccessType.ACCESS_TYPE_IP, accessTo: '10.0.0.1', accessLevel: AccessLevel.ACCESS_LEVEL_RW });
  return (await client.shares.getShare({ shareId: share.id })).share!;
}

export async function startMigration(client: AdminClient, shareId: string, host: string, flags: { forceHostAssistedMigration?: boolean; writable?: boolean; preserveMetadata?: boolean; preserveSnapshots?: boolean; nondisruptive?: boolean } = {}): Promise<void> {
  await client.shares.migrationStart(
    MigrationStartRequest.fromPartial({ shareId, host, writable: false, preserveMetadata: false, preserveSnapshots: false, nondisruptive: false, ...flags }),
  );
}

/** The task_states the share's latest migration passed, in order (GetMigrationHistory). */
export async function history(client: AdminClient, shareId: string): Promise<string[]> {
  const { events } = await client.shares.getMigrationHistory({ shareId, migrationId: '' });
  return events.map((event) => taskStateName(event.taskState));
}

export interface FileFacts {
  readonly type: 'file' | 'dir' | 'symlink';
  readonly mode: number;
  readonly mtimeNs: bigint;
  readonly size: bigint;
  readonly ino: bigint;
  readonly ctimeNs: bigint;
  /** sha256 of a file's content, or a symlink's target. */
  readonly digest: string;
}

/** Every entry under `root` by relative path. */
export function readTree(root: string): Map<string, FileFacts> {
  const out = new Map<string, FileFacts>();
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const rel = prefix === '' ? name : `${prefix}/${name}`;
      const st = lstatSync(path, { bigint: true });
      const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file';
      const digest = type === 'file' ? createHash('sha256').update(readFileSync(path)).digest('hex') : type === 'symlink' ? readlinkSync(path) : '';
      out.set(rel, { type, mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs, size: st.size, ino: st.ino, ctimeNs: st.ctimeNs, digest });
      if (type === 'dir') walk(path, rel);
    }
  };
  walk(root, '');
  return out;
}

/** Asserts both trees hold the same entries with the same content, mode and (for files, unless told not to) mtime. */
export function assertSameTree(actual: Map<string, FileFacts>, expected: Map<string, FileFacts>, what: string, options: { mtimes?: boolean } = {}): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${what}: same entries`);
  for (const [rel, facts] of expected) {
    const other = actual.get(rel)!;
    assert.equal(other.type, facts.type, `${what}: ${rel} type`);
    assert.equal(other.digest, facts.digest, `${what}: ${rel} content`);
    assert.equal(other.mode, facts.mode, `${what}: ${rel} mode`);
    if (facts.type === 'file' && options.mtimes !== false) assert.equal(other.mtimeNs, facts.mtimeNs, `${what}: ${rel} mtime`);
  }
}

/**
 * `count` files of `size` pseudo-random bytes, `perDirectory` to a directory. The copy engine
 * records finished files (checkpoint lines, final mtimes) per directory task, so a copy killed
 * half-way has finished directories only when there are several.
 */
export function manyFiles(count: number, size: number, perDirectory = 1, seed = 'ferry'): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) {
    const chunks: Buffer[] = [];
    for (let filled = 0, n = 0; filled < size; n++) {
      const block = createHash('sha256').update(`${seed}/${i}/${n}`).digest();
      chunks.push(block);
      filled += block.length;
    }
    files[`d${String(Math.floor(i / perDirectory)).padStart(3, '0')}/f${String(i).padStart(3, '0')}.bin`] = Buffer.concat(chunks).subarray(0, size);
  }
  return files;
}
