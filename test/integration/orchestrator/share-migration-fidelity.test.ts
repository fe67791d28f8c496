/**
 * What a migration keeps (manila-migration-behaviour 3.3; issue 4: "files, modes and mtimes
 * identical"): a tree with nested and empty directories, modes 0600/0700/0755, owners,
 * nanosecond mtimes and symlinks is migrated between localfs back ends by both paths and
 * compared, entry by entry, with an independent walk of the source taken before.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildShareTree, describeShareTree, type TreeEntry } from '../../helpers/share-tree.js';
import { L1P1, L1P2, L2P1, L2P2, dataDir, migrationRequest, newShare, sharedTestFerry } from '../../helpers/share-migration.js';
import type { TestFerry } from '../../helpers/ferry-harness.js';

/** Migrates a share holding the test tree and returns (source before, source at rest, destination after). */
async function migrateTree(env: TestFerry, from: string, to: string, options: Parameters<typeof migrationRequest>[2], rest: 'data_copying_completed' | 'migration_driver_phase1_done') {
  const { ferry, waitForTaskState } = env;
  const share = await newShare(env, from);
  const sourceData = dataDir(share.instances[0]!);
  buildShareTree(sourceData);
  const before = describeShareTree(sourceData);
  await ferry.migrationStart(migrationRequest(share.id, to, options));
  assert.equal(await waitForTaskState(share.id, [rest, 'migration_error']), rest, (await ferry.getShare(share.id)).migration?.error);
  const atRest = describeShareTree(sourceData);
  await ferry.migrationComplete(share.id);
  assert.equal(await waitForTaskState(share.id, ['migration_success', 'migration_error']), 'migration_success', (await ferry.getShare(share.id)).migration?.error);
  const after = await ferry.getShare(share.id);
  assert.equal(after.instances.length, 1);
  assert.equal(after.host, to);
  assert.ok(!existsSync(sourceData), 'the source data is gone after completion');
  return { before, atRest, after: describeShareTree(dataDir(after.instances[0]!)) };
}

function withoutRoot(tree: Record<string, TreeEntry>): Record<string, TreeEntry> {
  return Object.fromEntries(Object.entries(tree).filter(([path]) => path !== '.'));
}

describe('file fidelity of localfs migrations', () => {
  const env = sharedTestFerry();

  let hostAssisted: Awaited<ReturnType<typeof migrateTree>> | undefined;

  it('host-assisted: contents, modes, owners, ns mtimes, symlinks and empty directories are identical', async () => {
    hostAssisted = await migrateTree(env(), L1P1, L2P1, { forceHostAssistedMigration: true }, 'data_copying_completed');
    const { before, atRest, after } = hostAssisted;
    assert.deepEqual(atRest, before, 'the copy did not touch the source');
    assert.deepEqual(withoutRoot(after), withoutRoot(before));
  });

  it('host-assisted: the share root keeps its mode and mtime', () => {
    assert.ok(hostAssisted);
    assert.deepEqual(hostAssisted.after['.'], hostAssisted.before['.']);
  });

  it('driver-assisted: contents, modes, owners, ns mtimes, symlinks and empty directories are identical', async () => {
    const { before, atRest, after } = await migrateTree(env(), L1P1, L2P2, { preserveMetadata: true, writable: true }, 'migration_driver_phase1_done');
    assert.deepEqual(atRest, before, 'phase 1 did not touch the source');
    assert.deepEqual(after, before);
  });

  it('driver-assisted between two pools of one back end keeps the tree too', async () => {
    const { before, after } = await migrateTree(env(), L1P1, L1P2, { preserveMetadata: true }, 'migration_driver_phase1_done');
    assert.deepEqual(after, before);
  });

  it('host-assisted copy of an empty share reports 100% and completes', async () => {
    const { ferry, waitForTaskState } = env();
    const share = await newShare(env(), L2P1);
    const before = withoutRoot(describeShareTree(dataDir(share.instances[0]!)));
    await ferry.migrationStart(migrationRequest(share.id, L1P2, { forceHostAssistedMigration: true }));
    assert.equal(await waitForTaskState(share.id, ['data_copying_completed', 'migration_error']), 'data_copying_completed');
    assert.equal((await ferry.migrationGetProgress(share.id)).totalProgress, 100);
    await ferry.migrationComplete(share.id);
    assert.equal(await waitForTaskState(share.id, ['migration_success', 'migration_error']), 'migration_success');
    assert.deepEqual(withoutRoot(describeShareTree(dataDir((await ferry.getShare(share.id)).instances[0]!))), before);
  });
});
