/**
 * Driver-assisted migration between two real localfs processes with different roots: full
 * migration with changes during phase 1 and snapshots, progress in real bytes, cancel in
 * phase 1, and kill -9 of the source plugin during phase 1 with resume from the checkpoint.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PeerInfo, SnapshotInstance } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import { ferryError, instance, launchLocalFs, makeTestDir, mountsUnder, removeTestDir, type LocalFsProcess } from './launcher.js';
import { describeTree } from './trees.js';

const MIB = 1024 * 1024;

/** A tree with modes, old mtimes, a symlink, a nested dir and `bulkFiles` files of 1 MiB. */
function populate(data: string, bulkFiles: number): void {
  mkdirSync(join(data, 'docs/deep'), { recursive: true });
  writeFileSync(join(data, 'docs/readme.txt'), 'hello localfs\n');
  chmodSync(join(data, 'docs/readme.txt'), 0o640);
  writeFileSync(join(data, 'docs/deep/run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(data, 'docs/deep/run.sh'), 0o755);
  symlinkSync('docs/readme.txt', join(data, 'link-to-readme'));
  writeFileSync(join(data, 'gone.txt'), 'deleted during phase 1');
  mkdirSync(join(data, 'bulk'));
  for (let i = 0; i < bulkFiles; i++) writeFileSync(join(data, 'bulk', `f${String(i).padStart(3, '0')}`), Buffer.alloc(MIB, i));
  const old = new Date('2020-01-02T03:04:05Z');
  for (const p of ['docs/readme.txt', 'docs/deep/run.sh', 'docs/deep', 'docs']) utimesSync(join(data, p), old, old);
}

const rule = (id: string, level: string) => ({ accessRuleId: id, accessType: 'ip', accessTo: '10.0.0.9', accessLevel: level, accessKey: '' });

/** Polls MigrationContinue (the contract's own polling RPC) until it reports phase 1 done. */
async function waitPhase1(plugin: LocalFsProcess, request: Parameters<LocalFsProcess['migration']['migrationContinue']>[0], onPoll?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await onPoll?.();
    if ((await plugin.migration.migrationContinue(request)).phase1Done) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('phase 1 did not finish within 30 s');
}

describe('localfs driver-assisted share migration', () => {
  let dir: string;
  let rootA: string;
  let rootB: string;
  let source: LocalFsProcess;
  let destination: LocalFsProcess;
  let peerB: PeerInfo;
  const sourceConfig = () => ({ root: rootA, migrationBandwidthBytesPerSecond: 12 * MIB });

  before(async () => {
    dir = makeTestDir('lfs-mg-');
    rootA = join(dir, 'a');
    rootB = join(dir, 'b');
    [source, destination] = await Promise.all([launchLocalFs({ dir, config: sourceConfig(), name: 'localfsA' }), launchLocalFs({ dir, config: { root: rootB }, name: 'localfsB' })]);
    const pools = await destination.pool.listPools({});
    peerB = { backend: 'host@localfsB', pluginName: 'ferry.localfs', vendorVersion: '0.1.0', properties: pools.migrationPeerInfo };
  });
  after(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
    removeTestDir(dir);
  });

  const args = (id: string, src: string, dst: string, snapshots: SnapshotInstance[] = [], mappings: Record<string, SnapshotInstance> = {}) => ({
    migrationId: id,
    sourceShareInstance: instance(src),
    destinationShareInstance: instance(dst, { pool: 'pool2', host: 'host@localfsB#pool2' }),
    destinationPeer: peerB,
    sourceSnapshotInstances: snapshots,
    snapshotMappings: mappings,
    sourceShareServer: undefined,
    destinationShareServer: undefined,
  });

  test('compatibility: yes for a localfs peer with a reachable root, no with reasons otherwise', async () => {
    await source.share.createShareInstance({ shareInstance: instance('cc1'), sourceSnapshotInstance: undefined, shareServer: undefined });
    const base = { sourceShareInstance: instance('cc1'), destinationShareInstance: instance('dcc1', { pool: 'pool2' }), sourceShareServer: undefined, destinationShareServer: undefined };
    const ok = await source.migration.migrationCheckCompatibility({ ...base, destinationPeer: peerB });
    assert.deepEqual(ok, { compatible: true, writable: true, preserveMetadata: true, nondisruptive: false, preserveSnapshots: true, incompatibilityReasons: [] });
    const other = await source.migration.migrationCheckCompatibility({ ...base, destinationPeer: { ...peerB, pluginName: 'acme.array' } });
    assert.equal(other.compatible, false);
    assert.match(other.incompatibilityReasons.join(), /acme\.array is not ferry\.localfs/);
    const gone = await source.migration.migrationCheckCompatibility({ ...base, destinationPeer: { ...peerB, properties: { root: join(dir, 'nowhere') } } });
    assert.match(gone.incompatibilityReasons.join(), /not a directory on this machine/);
    const unknown = await ferryError(source.migration.migrationContinue(args('never-started', 'cc1', 'dcc1')));
    assert.equal(unknown.reason, 'MIGRATION_NOT_FOUND');
    await source.migration.migrationCancel(args('never-started', 'cc1', 'dcc1'));
    await source.share.deleteShareInstance({ shareInstance: instance('cc1'), shareServer: undefined });
  });

  test('full migration: writable phase 1, real progress, final sync of changes and deletions, metadata and snapshots preserved, source removed', async () => {
    await source.share.createShareInstance({ shareInstance: instance('m1'), sourceSnapshotInstance: undefined, shareServer: undefined });
    const sourceData = join(rootA, 'pools/pool1/shares/m1/data');
    populate(sourceData, 16);
    await source.share.updateAccess({ shareInstance: instance('m1'), accessRules: [rule('r1', 'rw')], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined });
    const snap: SnapshotInstance = { snapshotInstanceId: 'sn1', snapshotId: 'S', shareInstanceId: 'm1', sizeGib: 1, providerLocation: '', exportLocations: [] };
    await source.share.createSnapshotInstance({ snapshotInstance: snap, shareInstance: instance('m1'), shareServer: undefined });
    const snapshotBefore = describeTree(join(rootA, 'pools/pool1/snapshots/sn1/data'));
    const destSnap: SnapshotInstance = { ...snap, snapshotInstanceId: 'dsn1', shareInstanceId: 'dm1' };
    const request = args('mig-1', 'm1', 'dm1', [snap], { sn1: destSnap });

    await source.migration.migrationStart(request);
    await source.migration.migrationStart(request); // replay: OK, nothing new
    const wrongArgs = await ferryError(source.migration.migrationStart({ ...request, snapshotMappings: {}, sourceSnapshotInstances: [] }));
    assert.equal(wrongArgs.reason, 'ALREADY_EXISTS_INCOMPATIBLE');
    const early = await ferryError(source.migration.migrationComplete(request));
    assert.equal(early.reason, 'MIGRATION_WRONG_PHASE');

    // The source stays writable during phase 1 (through its export).
    const exported = join(rootA, 'exports/m1');
    writeFileSync(join(exported, 'during.txt'), 'written during phase 1');
    rmSync(join(exported, 'gone.txt'));

    const progress: { total: number; copied: number }[] = [];
    await waitPhase1(source, request, async () => {
      const p = await source.migration.migrationGetProgress(request);
      progress.push({ total: p.totalProgress, copied: p.copiedBytes });
      if (p.totalProgress === 100) assert.equal((await source.migration.migrationContinue(request)).phase1Done, true, 'exactly 100 only when phase 1 is done');
    });
    const done = await source.migration.migrationGetProgress(request);
    assert.equal(done.totalProgress, 100);
    assert.ok(done.totalBytes >= 16 * MIB, `total bytes ${done.totalBytes}`);
    assert.ok(progress.every((p, i) => i === 0 || (p.copied >= progress[i - 1]!.copied && p.total >= progress[i - 1]!.total)), 'progress never goes back');
    assert.ok(progress.some((p) => p.copied > 0 && p.total < 100), `saw intermediate progress: ${JSON.stringify(progress)}`);
    assert.equal((await source.migration.migrationContinue(request)).phase1Done, true);

    // Changes after phase 1 are picked up by the final sync too.
    writeFileSync(join(exported, 'after-phase1.txt'), 'late');
    const expected = describeTree(sourceData);
    assert.ok('during.txt' in expected && !('gone.txt' in expected));

    const completed = await source.migration.migrationComplete(request);
    assert.deepEqual(completed.exportLocations.map((e) => e.path), [join(rootB, 'exports/dm1')]);
    assert.deepEqual(completed.snapshotUpdates, { dsn1: { providerLocation: join(rootB, 'pools/pool2/snapshots/dsn1'), exportLocations: [] } });
    assert.deepEqual(await source.migration.migrationComplete(request), completed, 'a replay returns the same result');

    const destinationData = join(rootB, 'pools/pool2/shares/dm1/data');
    assert.deepEqual(describeTree(destinationData), expected, 'files, modes, mtimes and symlinks identical');
    assert.deepEqual(describeTree(join(rootB, 'pools/pool2/snapshots/dsn1/data')), snapshotBefore, 'snapshot preserved');
    assert.ok(!existsSync(join(rootA, 'pools/pool1/shares/m1')), 'source data removed');
    assert.ok(!existsSync(join(rootA, 'pools/pool1/snapshots/sn1')), 'source snapshot removed');
    assert.ok(!existsSync(exported));
    assert.deepEqual(mountsUnder(rootA), [], 'source export unmounted');

    assert.equal((await ferryError(source.migration.migrationContinue(request))).reason, 'MIGRATION_WRONG_PHASE');
    assert.equal((await ferryError(source.migration.migrationCancel(request))).reason, 'MIGRATION_WRONG_PHASE');

    // The destination plugin adopts the instance, then serves it like its own.
    const model = await destination.migration.migrationUpdateModel({
      migrationId: 'mig-1',
      method: 1,
      sourceShareInstance: instance('m1'),
      destinationShareInstance: request.destinationShareInstance,
      destinationSnapshotInstances: [destSnap],
      destinationShareServer: undefined,
      sourcePeer: undefined,
    });
    assert.deepEqual(model.exportLocations.map((e) => e.path), [join(rootB, 'exports/dm1')]);
    assert.deepEqual(model.snapshotUpdates, { dsn1: { providerLocation: join(rootB, 'pools/pool2/snapshots/dsn1'), exportLocations: [] } });
    await destination.share.updateAccess({ shareInstance: request.destinationShareInstance, accessRules: [rule('r1', 'rw')], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined });
    assert.equal(readFileSync(join(rootB, 'exports/dm1/during.txt'), 'utf8'), 'written during phase 1');
    const inUse = await ferryError(destination.share.deleteShareInstance({ shareInstance: request.destinationShareInstance, shareServer: undefined }));
    assert.equal(inUse.reason, 'RESOURCE_IN_USE', 'the migrated snapshot belongs to the destination instance');
    await destination.share.deleteSnapshotInstance({ snapshotInstance: destSnap, shareInstance: request.destinationShareInstance, shareServer: undefined });
    await destination.share.deleteShareInstance({ shareInstance: request.destinationShareInstance, shareServer: undefined });
    assert.deepEqual(mountsUnder(rootB), []);
  });

  test('cancel in phase 1 stops the copy, leaves nothing on the destination and the source usable', async () => {
    await source.share.createShareInstance({ shareInstance: instance('k1'), sourceSnapshotInstance: undefined, shareServer: undefined });
    const sourceData = join(rootA, 'pools/pool1/shares/k1/data');
    populate(sourceData, 24);
    const expected = describeTree(sourceData);
    await source.share.updateAccess({ shareInstance: instance('k1'), accessRules: [rule('r1', 'rw')], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined });
    const request = args('mig-cancel', 'k1', 'dk1');
    await source.migration.migrationStart(request);
    assert.ok(existsSync(join(rootB, 'pools/pool2/shares/dk1/data')));
    await waitForBytes(source, request, 1);
    await source.migration.migrationCancel(request);
    await source.migration.migrationCancel(request); // replay: OK
    assert.ok(!existsSync(join(rootB, 'pools/pool2/shares/dk1')), 'no destination leftovers');
    assert.equal((await ferryError(source.migration.migrationContinue(request))).reason, 'MIGRATION_WRONG_PHASE');
    assert.equal((await ferryError(source.migration.migrationStart(request))).reason, 'MIGRATION_WRONG_PHASE');
    assert.deepEqual(describeTree(sourceData), expected, 'source untouched');
    writeFileSync(join(rootA, 'exports/k1/still-writable'), 'yes');
    await source.share.updateAccess({ shareInstance: instance('k1'), accessRules: [], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined });
    await source.share.deleteShareInstance({ shareInstance: instance('k1'), shareServer: undefined });
  });

  test('kill -9 of the source plugin in phase 1: after relaunch the copy resumes from its checkpoint and completes', async () => {
    await source.share.createShareInstance({ shareInstance: instance('r1'), sourceSnapshotInstance: undefined, shareServer: undefined });
    const sourceData = join(rootA, 'pools/pool1/shares/r1/data');
    populate(sourceData, 32);
    rmSync(join(sourceData, 'gone.txt'));
    const expected = describeTree(sourceData);
    const request = args('mig-kill', 'r1', 'dr1');
    await source.migration.migrationStart(request);
    await waitForBytes(source, request, 8 * MIB);
    const oldPid = source.pid;
    await source.kill9();
    source = await launchLocalFs({ dir, config: sourceConfig(), name: 'localfsA' });
    assert.notEqual(source.pid, oldPid);
    await waitPhase1(source, request);
    const p = await source.migration.migrationGetProgress(request);
    assert.equal(p.totalProgress, 100);
    assert.equal(p.details.phase1_attempts, '2', JSON.stringify(p.details));
    assert.equal(p.details.resumed, 'true');
    assert.ok(Number(p.details.files_skipped) > 0, `the resumed copy skipped checkpointed files: ${JSON.stringify(p.details)}`);
    await source.migration.migrationComplete(request);
    assert.deepEqual(describeTree(join(rootB, 'pools/pool2/shares/dr1/data')), expected);
    assert.ok(!existsSync(join(rootA, 'pools/pool1/shares/r1')));
  });
});

/** Polls GetProgress until at least `bytes` were copied (fails if phase 1 finishes first). */
async function waitForBytes(plugin: LocalFsProcess, request: Parameters<LocalFsProcess['migration']['migrationGetProgress']>[0], bytes: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const p = await plugin.migration.migrationGetProgress(request);
    assert.ok(p.totalProgress < 100, 'phase 1 finished before the test could interrupt it; lower the bandwidth');
    if (p.copiedBytes >= bytes) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`fewer than ${bytes} bytes copied within 20 s`);
}
