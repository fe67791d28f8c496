/**
 * A host-assisted copy killed with the daemon leaves both shares bind-mounted under
 * mount_tmp_location. When the daemon comes back without the destination back end (its plugin
 * cannot start), the resumed copy cannot reach the destination and fails: the rollback must undo the
 * mounts without asking either driver for connection info, from what the data service recorded
 * before it mounted. (It used to rebuild the unmount command from the drivers' answers, so the
 * mounts stayed for good when a driver was down.)
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BackendState, ShareStatus } from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import type { Share } from '../../../src/contract/gen/ferry/admin/v1/share.js';
import { createDaemonFixture, filesOf, mountsUnder, taskStateName, until, waitForTaskState, type DaemonFixture, type DaemonProcess, type FixtureOptions } from '../../helpers/daemon-process.js';
import { assertSameTree, createShareWith, L1P1, L2P1, manyFiles, readTree, startMigration } from '../../helpers/daemon-migration.js';

const FILES = 40;
/** About 5 s for the whole share: long enough to kill the copy part-way. */
const BANDWIDTH = 512 * 1024;

describe('daemon kill -9 during a host-assisted copy, restarted without the destination back end', () => {
  const cleanups: (() => unknown)[] = [];
  const options: FixtureOptions = { dataService: { bandwidth_bytes_per_second: BANDWIDTH }, mountTemplates: true };
  let fx: DaemonFixture;
  let second: DaemonProcess;
  let share: Share;
  let mountsAtKill: string[] = [];
  let original: ReturnType<typeof readTree>;

  before(async () => {
    fx = createDaemonFixture({ after: (fn) => cleanups.push(fn) }, options);
    const first = await fx.start();
    share = await createShareWith(first.client, L1P1, manyFiles(FILES, 64 * 1024, 1, 'rollback'));
    original = readTree(filesOf(share.instances[0]!));
    await startMigration(first.client, share.id, L2P1, { forceHostAssistedMigration: true });
    await until(async () => {
      const { progress } = await first.client.shares.migrationGetProgress({ shareId: share.id });
      return taskStateName(progress?.taskState) === 'data_copying_in_progress' && (progress?.details?.hostCopy?.filesDone ?? 0) >= 4;
    }, () => 'part of the host-assisted copy');
    await first.kill9();
    mountsAtKill = mountsUnder(fx.mountDir);
    // localfs2 cannot start any more: a relative root is refused, and the host keeps retrying.
    fx.writeConfig({ ...options, localfsOnly: { localfs2: { root: 'relative/root' } } });
    second = await fx.start(['localfs2']);
  });

  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  it('the failed resume rolls back: both mounts and their mount points are gone, the source is available with its data', async () => {
    assert.equal(mountsAtKill.length, 2, `the killed copy had the source and destination mounted: ${mountsAtKill.join(', ')}`);
    const backends = (await second.client.catalog.listBackends({})).backends;
    assert.notEqual(backends.find((b) => b.name === 'localfs2')?.state, BackendState.BACKEND_STATE_READY, 'localfs2 is down after the restart');

    // The resumed copy cannot reach the destination, fails, and rolls back by itself.
    const rested = await waitForTaskState(second.client, share.id, ['migration_error', 'migration_cancelled'], 60_000);
    assert.equal(taskStateName(rested.taskState), 'migration_error');
    assert.match(rested.migration?.error ?? '', /localfs2/);

    assert.deepEqual(mountsUnder(fx.mountDir), [], 'no mount left under mount_tmp_location');
    assert.deepEqual(readdirSync(fx.mountDir), [], 'no mount point directory or unmount record left');
    assert.equal(rested.status, ShareStatus.SHARE_STATUS_AVAILABLE);
    assertSameTree(readTree(filesOf(rested.instances.find((i) => i.id === share.instances[0]!.id)!)), original, 'the source, untouched');
  });
});
