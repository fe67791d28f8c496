/**
 * Restart safety of the real daemon (issue 4, "Restart safety better than the reference"):
 * `node dist/src/daemon/main.js` is SIGKILLed while two migrations between localfs back ends
 * copy, then started again on the same data directory.
 *
 * - host-assisted, killed in data_copying_in_progress: the copy resumes from its checkpoint
 *   (QUIRK(Manila): a restarted data service marks it data_copying_error), files finished
 *   before the kill are not written again, and the data service's mounts (share_mount_template)
 *   the kill left behind do not stay;
 * - driver-assisted, killed in migration_driver_in_progress: ferry resumes polling while the
 *   localfs plugin resumes its own copy, and phase 1 ends; complete works;
 * - the killed daemon's plugins exit on their own; a second daemon on the data directory in use
 *   refuses to start with STORE_LOCKED.
 *
 * Kills while a step runs, and in the resting states: daemon-kill9-steps.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ShareStatus } from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import type { Share } from '../../../src/contract/gen/ferry/admin/v1/share.js';
import { createDaemonFixture, destinationOf, filesOf, mountsUnder, taskStateName, until, waitForTaskState, type DaemonFixture, type DaemonProcess } from '../../helpers/daemon-process.js';
import { assertSameTree, createShareWith, history, L1P1, L2P1, manyFiles, readTree, startMigration, type FileFacts } from '../../helpers/daemon-migration.js';

/** Each share: FILES files of 64 KiB, one per directory (the engine finishes files per directory). */
const FILES = 40;
/** Bandwidth of both copies: a share takes about 5 s, long enough to kill its copy part-way. */
const BANDWIDTH = 512 * 1024;

describe('daemon kill -9 while data is copied (localfs back ends)', () => {
  const cleanups: (() => unknown)[] = [];
  let fx: DaemonFixture;
  let first: DaemonProcess;
  let second: DaemonProcess;
  /** Host-assisted (hostShare) and driver-assisted (driverShare) migrations, as they were at the kill. */
  let hostShare: Share;
  let driverShare: Share;
  const originals = new Map<'host' | 'driver', Map<string, FileFacts>>();
  let finishedAtKill: [string, FileFacts][] = [];
  let driverProgressAtKill = 0;
  let locked: { code: number | null; output: string; firstStillServes: boolean } | undefined;
  let orphans: number[] = [];
  let mountsAtKill: string[] = [];

  before(async () => {
    fx = createDaemonFixture({ after: (fn) => cleanups.push(fn) }, { dataService: { bandwidth_bytes_per_second: BANDWIDTH }, localfs: { migrationBandwidthBytesPerSecond: BANDWIDTH }, mountTemplates: true });
    first = await fx.start();
    const c = first.client;
    // A second daemon on the same data directory while the first runs.
    const intruder = fx.spawnRaw();
    const code = await intruder.exited;
    locked = { code, output: intruder.output(), firstStillServes: (await c.catalog.listBackends({})).backends.length === 4 };

    hostShare = await createShareWith(c, L1P1, manyFiles(FILES, 64 * 1024, 1, 'host'));
    driverShare = await createShareWith(c, L1P1, manyFiles(FILES, 64 * 1024, 1, 'driver'));
    originals.set('host', readTree(filesOf(hostShare.instances[0]!)));
    originals.set('driver', readTree(filesOf(driverShare.instances[0]!)));
    await startMigration(c, hostShare.id, L2P1, { forceHostAssistedMigration: true });
    await startMigration(c, driverShare.id, L2P1);

    // Both copies under way, neither finished.
    await until(async () => {
      const { progress } = await c.shares.migrationGetProgress({ shareId: hostShare.id });
      return taskStateName(progress?.taskState) === 'data_copying_in_progress' && (progress?.details?.hostCopy?.filesDone ?? 0) >= 8;
    }, () => 'a fifth of the host-assisted copy');
    await until(async () => {
      const { progress } = await c.shares.migrationGetProgress({ shareId: driverShare.id });
      driverProgressAtKill = progress?.totalProgress ?? 0;
      return taskStateName(progress?.taskState) === 'migration_driver_in_progress' && driverProgressAtKill >= 10;
    }, () => 'a tenth of the driver-assisted copy');

    hostShare = (await c.shares.getShare({ shareId: hostShare.id })).share!;
    driverShare = (await c.shares.getShare({ shareId: driverShare.id })).share!;
    assert.equal(taskStateName(hostShare.taskState), 'data_copying_in_progress', 'the host-assisted copy still ran at the kill');
    assert.equal(taskStateName(driverShare.taskState), 'migration_driver_in_progress', 'the driver-assisted copy still ran at the kill');
    const plugins = [...first.pluginPids.values()];
    await first.kill9();
    await until(() => plugins.every((pid) => !fx.isOurs(pid)), () => 'the killed daemon\'s plugins to exit', 15_000).catch(() => undefined);
    orphans = plugins.filter((pid) => fx.isOurs(pid));
    // The data service reaches both instances through bind mounts; the kill left them mounted.
    mountsAtKill = mountsUnder(fx.mountDir);

    // The destination files the copy engine had finished (final size and mtime: the engine sets
    // the mtime last, per directory) must survive the restart untouched.
    const source = originals.get('host')!;
    finishedAtKill = [...readTree(filesOf(destinationOf(hostShare)!))].filter(([rel, facts]) => facts.type === 'file' && facts.size === source.get(rel)!.size && facts.mtimeNs === source.get(rel)!.mtimeNs);

    second = await fx.start();
  });

  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  it('a second daemon on a data directory in use fails at once with STORE_LOCKED, and the first keeps serving', () => {
    assert.ok(locked, 'the second daemon was tried');
    assert.equal(locked.code, 1, `exit code; output: ${locked.output}`);
    assert.match(locked.output, /STORE_LOCKED/);
    assert.match(locked.output, new RegExp(`ferry: failed to start: store \\S+ferry\\.db is already open \\(held by pid ${first.pid}\\b`));
    assert.doesNotMatch(locked.output, /plugin handshake|plugin serving/, 'it started no plugin');
    assert.equal(locked.firstStillServes, true);
  });

  it('the killed daemon\'s plugin processes exit by themselves, and the new daemon\'s plugins serve', () => {
    assert.deepEqual(orphans, [], 'plugin processes outlived the SIGKILLed daemon');
    for (const [name, pid] of second.pluginPids) {
      assert.ok(fx.isOurs(pid), `the new ${name} plugin runs`);
      assert.notEqual(pid, first.pluginPids.get(name), `${name} is a new process`);
    }
  });

  it('host-assisted: the copy killed in data_copying_in_progress resumes from its checkpoint and reaches data_copying_completed', async () => {
    assert.ok(finishedAtKill.length >= 1 && finishedAtKill.length < FILES, `some, not all, files were finished at the kill (${finishedAtKill.length})`);
    const rested = await waitForTaskState(second.client, hostShare.id, ['data_copying_completed', 'migration_error']);
    assert.equal(taskStateName(rested.taskState), 'data_copying_completed', rested.migration?.error);
    const passed = await history(second.client, hostShare.id);
    assert.ok(!passed.includes('data_copying_error'), `no data_copying_error (Manila's behaviour on restart): ${passed.join(' > ')}`);

    const copied = readTree(filesOf(destinationOf(rested)!));
    assertSameTree(copied, originals.get('host')!, 'destination after the resumed copy');
    for (const [rel, facts] of finishedAtKill) {
      assert.equal(copied.get(rel)!.ino, facts.ino, `${rel}, finished before the kill, kept its inode`);
      assert.equal(copied.get(rel)!.ctimeNs, facts.ctimeNs, `${rel}, finished before the kill, was not written again`);
    }
    const result = await second.waitForLog((record) => record.msg === 'data copy finished');
    assert.ok(Number(result.filesSkipped) >= finishedAtKill.length, `the resumed copy skipped the ${finishedAtKill.length} finished files (filesSkipped ${String(result.filesSkipped)})`);
    assertSameTree(readTree(filesOf(hostShare.instances[0]!)), originals.get('host')!, 'the source, untouched');
  });

  it('host-assisted: the mounts the killed copy left behind are gone once the resumed copy ends', async () => {
    assert.equal(mountsAtKill.length, 2, `the killed copy had the source and destination mounted: ${mountsAtKill.join(', ')}`);
    await waitForTaskState(second.client, hostShare.id, ['data_copying_completed']);
    assert.deepEqual(mountsUnder(fx.mountDir), [], 'no mount left under mount_tmp_location');
    assert.deepEqual(readdirSync(fx.mountDir), [], 'no mount point directory left');
  });

  it('host-assisted: complete after the restart moves the share; the source is deleted only then', async () => {
    await waitForTaskState(second.client, hostShare.id, ['data_copying_completed']);
    await second.client.shares.migrationComplete({ shareId: hostShare.id });
    const done = await waitForTaskState(second.client, hostShare.id, ['migration_success', 'migration_error']);
    assert.equal(taskStateName(done.taskState), 'migration_success', done.migration?.error);
    assert.equal(done.host, L2P1);
    assert.deepEqual(done.instances.map((instance) => instance.status), [ShareStatus.SHARE_STATUS_AVAILABLE]);
    assertSameTree(readTree(filesOf(done.instances[0]!)), originals.get('host')!, 'the migrated share');
    assert.equal(existsSync(filesOf(hostShare.instances[0]!)), false, 'the source data is gone');
    assert.equal(existsSync(join(fx.dataDir, 'migrations', done.migration!.id)), false, 'the copy\'s checkpoint is removed');
  });

  it('driver-assisted: polling resumes after the kill in migration_driver_in_progress, phase 1 ends, complete works', async () => {
    assert.ok(driverProgressAtKill > 0 && driverProgressAtKill < 100, `the driver had copied part of the share at the kill (${driverProgressAtKill}%)`);
    const rested = await waitForTaskState(second.client, driverShare.id, ['migration_driver_phase1_done', 'migration_error']);
    assert.equal(taskStateName(rested.taskState), 'migration_driver_phase1_done', rested.migration?.error);
    // The localfs plugin resumed its own copy from its checkpoint (its migration record).
    const record = JSON.parse(readFileSync(join(fx.localfsRoot('localfs1'), 'migrations', `${rested.migration!.id}.json`), 'utf8')) as { phase1Attempts: number; phase1?: { resumed: boolean; filesSkipped: number } };
    assert.ok(record.phase1Attempts >= 2, `the plugin's phase 1 ran again after the kill (attempts ${record.phase1Attempts})`);
    assert.equal(record.phase1?.resumed, true, 'from its checkpoint');
    assertSameTree(readTree(filesOf(sourceInstance(rested))), originals.get('driver')!, 'the source, untouched');

    await second.client.shares.migrationComplete({ shareId: driverShare.id });
    const done = await waitForTaskState(second.client, driverShare.id, ['migration_success', 'migration_error']);
    assert.equal(taskStateName(done.taskState), 'migration_success', done.migration?.error);
    assert.equal(done.host, L2P1);
    assert.deepEqual(done.instances.map((instance) => instance.status), [ShareStatus.SHARE_STATUS_AVAILABLE]);
    assertSameTree(readTree(filesOf(done.instances[0]!)), originals.get('driver')!, 'the migrated share');
    const passed = await history(second.client, driverShare.id);
    assert.ok(!passed.includes('migration_error'), passed.join(' > '));
  });
});

function sourceInstance(share: Share) {
  const source = share.instances.find((instance) => instance.id === share.migration?.sourceInstanceId);
  assert.ok(source, 'the source instance is still there');
  return source;
}
