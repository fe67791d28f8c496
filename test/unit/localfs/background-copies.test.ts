/**
 * localfs's phase-1 copy runs against a source that stays writable. A file deleted between the
 * engine's listing and its copy fails that pass with SOURCE_VANISHED; the run must pass again
 * (incremental, from the checkpoint) instead of failing the migration. Real engine, real
 * files: the copy is throttled to one thread at 1 MiB/s, and once it has started the files it
 * has not reached yet are deleted, so the first pass is certain to meet a vanished file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createTreeCopier, type TreeCopier } from '../../../plugins/localfs/copier.js';
import { BackgroundCopies } from '../../../plugins/localfs/migration-common.js';
import type { CopySummary } from '../../../plugins/localfs/metadata-store.js';

const MIB = 1024 * 1024;

describe('localfs background phase-1 copies', () => {
  let dir: string;
  let copier: TreeCopier;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fe-bg-'));
    copier = createTreeCopier(1);
  });
  after(async () => {
    await copier.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes again when source files vanish during a pass, and the copy ends with what the source still has', async () => {
    const source = join(dir, 'src');
    const destination = join(dir, 'dst');
    mkdirSync(source);
    for (let i = 0; i < 8; i++) writeFileSync(join(source, `f${i}`), Buffer.alloc(MIB, i + 1));
    let passes = 0;
    let deleted: string[] = [];
    const counting: TreeCopier = {
      copyTree(options, signal) {
        passes += 1;
        const job = copier.copyTree(options, signal);
        if (passes === 1) void deleteUnreached(source, destination).then((names) => (deleted = names));
        return job;
      },
      close: () => Promise.resolve(),
    };
    const copies = new BackgroundCopies(counting, MIB, pino({ level: 'silent' }));
    const outcome = await new Promise<{ summary?: CopySummary; error?: Error }>((resolve) => {
      copies.start('m1', [{ source, destination, checkpointPath: join(dir, 'm1.checkpoint') }], {
        done: async (summary) => resolve({ summary }),
        failed: async (error) => resolve({ error }),
      });
    });

    assert.equal(outcome.error, undefined, outcome.error?.message);
    assert.ok(deleted.length > 0, 'the first pass had files left to delete');
    assert.ok(passes >= 2, `a vanished file made the run pass again (passes: ${passes})`);
    const remaining = readdirSync(source).sort();
    for (const name of remaining) assert.ok(existsSync(join(destination, name)), `${name} was copied`);
    for (const name of deleted) assert.ok(!remaining.includes(name));
    // The run leaves the map right after its outcome is recorded.
    for (let i = 0; i < 100 && copies.has('m1'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(copies.has('m1'), false);
  });
});

/** Waits until the throttled copy has begun writing, then deletes the source files it has not reached. */
async function deleteUnreached(source: string, destination: string): Promise<string[]> {
  while (!existsSync(destination) || readdirSync(destination).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const reached = new Set(readdirSync(destination));
  const names = readdirSync(source).filter((name) => !reached.has(name));
  for (const name of names) unlinkSync(join(source, name));
  return names;
}
