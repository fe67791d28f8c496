/**
 * One process owns a store file. A second open, from this process or from another real process
 * (spawned with `node -e`, importing the compiled store), fails at once with StoreLockedError
 * naming the path and the owner's pid; close, or the owner's death (kill -9), frees the file.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createSqliteStore, StoreLockedError } from '../../../src/store/index.js';
import { removeTempDirs, shareType, tempDir } from './store-fixtures.js';

after(removeTempDirs);

/** dist/src/store/index.js, seen from dist/test/integration/store/. */
const storeModule = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../../../src/store/index.js')).href;

/**
 * Child: opens the store and prints one JSON line saying how that went. In "hold" mode it keeps
 * the store open until its stdin closes, then closes it and exits.
 */
const CHILD = `
const [moduleUrl, path, mode] = process.argv.slice(1);
const { createSqliteStore } = await import(moduleUrl);
const say = (value) => process.stdout.write(JSON.stringify(value) + '\\n');
try {
  const store = await createSqliteStore({ path });
  say({ opened: true, pid: process.pid });
  if (mode === 'hold') {
    process.stdin.on('end', async () => { await store.close(); process.exit(0); });
    process.stdin.resume();
  } else {
    await store.close();
  }
} catch (error) {
  say({ opened: false, name: error.name, code: error.code, reason: error.reason, message: error.message, metadata: error.metadata });
}
`;

interface ChildReport {
  opened: boolean;
  pid?: number;
  name?: string;
  code?: string;
  reason?: string;
  message?: string;
  metadata?: Record<string, string>;
}

function spawnChild(path: string, mode: 'hold' | 'try'): { child: ChildProcessWithoutNullStreams; report: Promise<ChildReport>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, storeModule, path, mode], { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  const report = new Promise<ChildReport>((resolveReport, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolveReport(JSON.parse(line) as ChildReport));
    void exited.then((code) => reject(new Error(`child exited (${code}) without a report; stderr: ${stderr}`)));
  });
  return { child, report, exited };
}

describe('store lock', () => {
  it('refuses a second open in the same process, naming the path and this pid, until the first closes', async () => {
    const path = join(tempDir(), 'ferry.db');
    const first = await createSqliteStore({ path });
    await assert.rejects(createSqliteStore({ path }), (error: unknown) => {
      assert.ok(error instanceof StoreLockedError);
      assert.equal(error.code, 'FAILED_PRECONDITION');
      assert.equal(error.reason, 'STORE_LOCKED');
      assert.ok(error.message.includes(path), error.message);
      assert.ok(error.message.includes(`pid ${process.pid}`), error.message);
      assert.equal(error.metadata.pid, String(process.pid));
      return true;
    });
    // The refused open did not disturb the owner.
    await first.insertShareType(shareType());
    assert.equal(JSON.parse(fs.readFileSync(`${path}.owner`, 'utf8')).pid, process.pid);
    await first.close();
    assert.equal(fs.existsSync(`${path}.owner`), false);
    const second = await createSqliteStore({ path });
    assert.equal((await second.listShareTypes()).length, 1);
    await second.close();
  });

  it('refuses this process while another process holds the store, and frees it when that one closes', async () => {
    const path = join(tempDir(), 'ferry.db');
    const holder = spawnChild(path, 'hold');
    const held = await holder.report;
    assert.equal(held.opened, true);
    await assert.rejects(createSqliteStore({ path }), (error: unknown) => {
      assert.ok(error instanceof StoreLockedError);
      assert.ok(error.message.includes(`pid ${held.pid}`), error.message);
      return true;
    });
    holder.child.stdin.end();
    assert.equal(await holder.exited, 0);
    const store = await createSqliteStore({ path });
    await store.close();
  });

  it('makes a second daemon process fail at once while this process holds the store', async () => {
    const path = join(tempDir(), 'ferry.db');
    const store = await createSqliteStore({ path });
    const other = spawnChild(path, 'try');
    const report = await other.report;
    assert.equal(report.opened, false);
    assert.equal(report.name, 'StoreLockedError');
    assert.equal(report.code, 'FAILED_PRECONDITION');
    assert.equal(report.reason, 'STORE_LOCKED');
    assert.equal(report.metadata?.pid, String(process.pid));
    assert.ok(report.message?.includes(path), report.message);
    assert.equal(await other.exited, 0);
    await store.close();
  });

  it('frees the store when its owner is killed with SIGKILL', async () => {
    const path = join(tempDir(), 'ferry.db');
    const holder = spawnChild(path, 'hold');
    assert.equal((await holder.report).opened, true);
    holder.child.kill('SIGKILL');
    await holder.exited;
    // The kernel dropped the lock; the stale owner file is simply overwritten.
    const store = await createSqliteStore({ path });
    assert.equal(JSON.parse(fs.readFileSync(`${path}.owner`, 'utf8')).pid, process.pid);
    await store.close();
  });
});
