/**
 * Snapshots and share migration (manila-migration-behaviour 2.1 step 5, 2.2 step 5, 2.7 step 4,
 * 2.10): they block the host-assisted path, forced or as a fallback, and localfs -> localfs
 * driver-assisted migration carries them to the destination back end, files included.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SnapshotView } from '../../../src/orchestrator/ferry-api.js';
import {
  DUMMY, L1P1, L2P2, assertRefused, dataDir, localfsRoot, migrationRequest, newShare, sharedTestFerry,
} from '../../helpers/share-migration.js';

describe('snapshots and share migration', () => {
  const env = sharedTestFerry();

  it('forced host-assisted migration of a share with a snapshot is refused at start', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    await ferry.createSnapshot({ shareId: share.id });
    const error = await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, DUMMY, { forceHostAssistedMigration: true })), 'FAILED_PRECONDITION', 'SHARE_HAS_SNAPSHOTS');
    assert.match(error.message, /snapshots/);
  });

  it('as a fallback, host-assisted is refused: migration_error saying why, source and its snapshot untouched', async () => {
    const { ferry, waitForTaskState, history } = env();
    const share = await newShare(env(), L1P1);
    writeFileSync(join(dataDir(share.instances[0]!), 'a'), 'alpha');
    const snapshot = await ferry.createSnapshot({ shareId: share.id });
    // localfs cannot migrate to the dummy driver-assisted; the fallback is closed by the snapshot.
    await ferry.migrationStart(migrationRequest(share.id, DUMMY));
    assert.equal(await waitForTaskState(share.id, ['migration_error', 'data_copying_completed', 'migration_driver_phase1_done']), 'migration_error');
    const after = await ferry.getShare(share.id);
    assert.equal(after.status, 'available');
    assert.deepEqual(after.instances.map((i) => [i.id, i.status, i.castRulesToReadonly]), [[share.instances[0]!.id, 'available', false]]);
    assert.equal(after.migration?.method, 'driver_assisted', 'the host-assisted path never ran');
    // The driver's refusal is the error's reason; its message also says why no fallback ran.
    assert.equal(after.migration?.errorReason, 'NO_VALID_HOST', after.migration?.error);
    assert.match(after.migration?.error ?? '', /not compatible.*; no host-assisted fallback: share \S+ must not have snapshots in order to perform a host-assisted migration/);
    assert.match(after.migration?.fallbackReason ?? '', /not compatible/);
    assert.deepEqual(await history(share.id), ['migration_starting', 'migration_in_progress', 'migration_error']);
    const [view] = await ferry.listSnapshots({ shareId: share.id });
    assert.deepEqual(view?.instances.map((i) => [i.id, i.shareInstanceId, i.status]), snapshot.instances.map((i) => [i.id, share.instances[0]!.id, 'available']));
    const dummyData = join(env().dir, 'b', 'dummy', 'data');
    assert.ok(!existsSync(dummyData) || readdirSync(dummyData).length === 0, 'nothing was created on the dummy');
  });

  it('driver-assisted localfs -> localfs preserves snapshots: records, status and files on the destination', async () => {
    const { ferry, waitForTaskState } = env();
    const share = await newShare(env(), L1P1);
    const source = share.instances[0]!;
    mkdirSync(join(dataDir(source), 'd'));
    writeFileSync(join(dataDir(source), 'd', 'f'), 'at snapshot one');
    const first = await ferry.createSnapshot({ shareId: share.id, name: 'one' });
    writeFileSync(join(dataDir(source), 'd', 'f'), 'at snapshot two');
    const second = await ferry.createSnapshot({ shareId: share.id, name: 'two' });
    writeFileSync(join(dataDir(source), 'd', 'f'), 'now');
    const sourceSnapshotDirs = [first, second].map((s) => s.instances[0]!.providerLocation);
    assert.ok(sourceSnapshotDirs.every((dir) => existsSync(dir)));

    await ferry.migrationStart(migrationRequest(share.id, L2P2, { preserveSnapshots: true, preserveMetadata: true }));
    assert.equal(await waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']), 'migration_driver_phase1_done');
    const during = await ferry.getShare(share.id);
    const destinationId = during.migration!.destinationInstanceId!;
    for (const view of await ferry.listSnapshots({ shareId: share.id })) {
      const states = Object.fromEntries(view.instances.map((i) => [i.shareInstanceId, [i.status, i.progress]]));
      assert.deepEqual(states, { [source.id]: ['migrating', '100%'], [destinationId]: ['migrating_to', '0%'] }, view.name);
    }

    await ferry.migrationComplete(share.id);
    assert.equal(await waitForTaskState(share.id, ['migration_success', 'migration_error']), 'migration_success');
    const after = await ferry.getShare(share.id);
    assert.deepEqual(after.instances.map((i) => [i.id, i.host, i.status]), [[destinationId, L2P2, 'available']]);
    const views = await ferry.listSnapshots({ shareId: share.id });
    assert.deepEqual(views.map((v) => v.id).sort(), [first.id, second.id].sort());
    const byId = new Map<string, SnapshotView>(views.map((v) => [v.id, v]));
    for (const [snapshot, content] of [[first, 'at snapshot one'], [second, 'at snapshot two']] as const) {
      const view = byId.get(snapshot.id)!;
      assert.equal(view.status, 'available');
      assert.equal(view.instances.length, 1, 'only the destination snapshot instance is left');
      const instance = view.instances[0]!;
      assert.deepEqual([instance.shareInstanceId, instance.status, instance.progress], [destinationId, 'available', '100%']);
      const onDestination = join(localfsRoot(env(), 'localfs2'), 'pools', 'pool2', 'snapshots', instance.id);
      assert.equal(readFileSync(join(onDestination, 'data', 'd', 'f'), 'utf8'), content, `${view.name}'s files on localfs2`);
    }
    assert.equal(readFileSync(join(dataDir(after.instances[0]!), 'd', 'f'), 'utf8'), 'now');
    assert.ok(sourceSnapshotDirs.every((dir) => !existsSync(dir)), 'the source snapshots were removed from localfs1');

    // The preserved snapshots are ordinary snapshots of the share on its new back end.
    await ferry.deleteSnapshot(first.id);
    assert.ok(!existsSync(join(localfsRoot(env(), 'localfs2'), 'pools', 'pool2', 'snapshots', byId.get(first.id)!.instances[0]!.id)));
    await ferry.createSnapshot({ shareId: share.id, name: 'three' });
  });

  it('a cancelled driver-assisted migration gives the source its snapshots back', async () => {
    const { ferry, waitForTaskState } = env();
    const share = await newShare(env(), L1P1);
    const snapshot = await ferry.createSnapshot({ shareId: share.id });
    const destinationSnapshots = join(localfsRoot(env(), 'localfs2'), 'pools', 'pool2', 'snapshots');
    const before = readdirSync(destinationSnapshots);
    await ferry.migrationStart(migrationRequest(share.id, L2P2, { preserveSnapshots: true }));
    assert.equal(await waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']), 'migration_driver_phase1_done');
    await ferry.migrationCancel(share.id);
    assert.equal(await waitForTaskState(share.id, ['migration_cancelled', 'migration_error']), 'migration_cancelled');
    const [view] = await ferry.listSnapshots({ shareId: share.id });
    assert.deepEqual(view?.instances.map((i) => [i.id, i.shareInstanceId, i.status]), [[snapshot.instances[0]!.id, share.instances[0]!.id, 'available']]);
    assert.ok(existsSync(snapshot.instances[0]!.providerLocation));
    assert.deepEqual(readdirSync(destinationSnapshots), before, 'no snapshot left on localfs2');
  });
});
