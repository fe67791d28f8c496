/**
 * What the localfs migration tests compare: a tree's entries with type, mode, mtime and content
 * (hash, link target), and a poller for the contract's own polling RPCs.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface Entry {
  type: 'dir' | 'file' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  content?: string;
}

/** Type, mode, owner, mtime and content (SHA-256) or link target of every entry under `dir`. */
export function describeTree(dir: string, rel = ''): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const path = join(rel, name);
    const st = lstatSync(join(dir, path));
    const base = { mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: Math.floor(st.mtimeMs) };
    if (st.isSymbolicLink()) out[path] = { type: 'symlink', ...base, content: readlinkSync(join(dir, path)) };
    else if (st.isDirectory()) {
      out[path] = { type: 'dir', ...base };
      Object.assign(out, describeTree(dir, path));
    } else if (st.isFile()) out[path] = { type: 'file', ...base, content: createHash('sha256').update(readFileSync(join(dir, path))).digest('hex') };
    else out[path] = { type: 'other', ...base }; // a FIFO: reading it would block
  }
  return out;
}

/** Calls `done` until it answers true; fails after `budgetMs` naming `what`. */
export async function pollUntil(done: () => Promise<boolean>, what: string, budgetMs = 30_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + budgetMs;
  while (Date.now() < deadline) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${what} did not happen within ${budgetMs / 1000} s`);
}
