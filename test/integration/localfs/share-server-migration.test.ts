/**
 * Share-server migration between two real localfs processes (driverHandlesShareServers) with
 * different roots, every RPC sent to the DESTINATION plugin as ferry does: a server with two
 * shares (one with a snapshot; files of several kinds) moved with writes and deletions during
 * phase 1, Complete and its replay, the source server torn down afterwards; cancel mid-copy;
 * kill -9 of the destination mid-copy and resume; a failed copy; refused starts; compatibility.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PeerInfo, ShareInstance, SnapshotInstance } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import type { ShareServerMigrationStartRequest } from '../../../src/contract/gen/ferry/driver/v1/share_server.js';
import { ferryError, instance, launchLocalFs, makeTestDir, mountsUnder, networkInfo, removeTestDir, shareServer, type LocalFsProcess } from './launcher.js';
import { describeTree, pollUntil } from './trees.js';

const MIB = 1024 * 1024;

/** Files of every kind the copy engine keeps: modes, an owner, old mtimes, a symlink, a hard link, an empty file, a FIFO. */
function populateKinds(data: string): void {
  mkdirSync(join(data, 'docs/deep'), { recursive: true });
  writeFileSync(join(data, 'docs/readme.txt'), 'hello server migration\n');
  chmodSync(join(data, 'docs/readme.txt'), 0o640);
  writeFileSync(join(data, 'docs/deep/run.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(join(data, 'docs/deep/run.sh'), 0o4755);
  chownSync(join(data, 'docs/deep/run.sh'), 1234, 5678);
  symlinkSync('docs/readme.txt', join(data, 'link-to-readme'));
  writeFileSync(join(data, 'hard-a'), 'one inode, two names');
  linkSync(join(data, 'hard-a'), join(data, 'docs/hard-b'));
  writeFileSync(join(data, 'empty'), '');
  chmodSync(join(data, 'empty'), 0o600);
  execFileSync('mkfifo', [join(data, 'pipe')]);
  writeFileSync(join(data, 'gone.txt'), 'deleted during phase 1');
  writeFileSync(join(data, 'changed.txt'), 'before');
  chmodSync(data, 0o750);
  const old = new Date('2019-05-06T07:08:09Z');
  for (const p of ['docs/readme.txt', 'docs/deep/run.sh', 'docs/deep', 'docs', 'empty']) utimesSync(join(data, p), old, old);
}

function populateBulk(data: string, files: number): void {
  mkdirSync(join(data, 'bulk'));
  for (let i = 0; i < files; i++) writeFileSync(join(data, 'bulk', `f${String(i).padStart(3, '0')}`), Buffer.alloc(MIB, i + 1));
  writeFileSync(join(data, 'notes.txt'), 'bulk share');
}

const rule = (id: string, level: string) => ({ accessRuleId: id, accessType: 'ip', accessTo: '10.0.0.9', accessLevel: level, accessKey: '' });

describe('localfs share-server migration', () => {
  let dir: string;
  let rootA: string;
  let rootB: string;
  let source: LocalFsProcess;
  let destination: LocalFsProcess;
  let peerA: PeerInfo;
  // The destination does the copying, so the bandwidth limit that keeps phase 1 long enough to act in is its own.
  const destinationConfig = () => ({ root: rootB, pools: ['pool1', 'gold'], driverHandlesShareServers: true, migrationBandwidthBytesPerSecond: 12 * MIB });

  before(async () => {
    dir = makeTestDir('lfs-ssm-');
    rootA = join(dir, 'a');
    rootB = join(dir, 'b');
    [source, destination] = await Promise.all([
      launchLocalFs({ dir, config: { root: rootA, driverHandlesShareServers: true }, name: 'localfsA' }),
      launchLocalFs({ dir, config: destinationConfig(), name: 'localfsB' }),
    ]);
    const pools = await source.pool.listPools({});
    peerA = { backend: 'host@localfsA', pluginName: 'ferry.localfs', vendorVersion: '0.1.0', properties: pools.migrationPeerInfo };
  });
  after(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
    removeTestDir(dir);
  });

  const setupOn = (plugin: LocalFsProcess, id: string, sourceShareServerId = '') =>
    plugin.server.setupShareServer({ shareServer: shareServer(id), networkInfo: [networkInfo()], migrationDestination: sourceShareServerId !== '', sourceShareServerId, requestHost: '' });
  const teardownOn = (plugin: LocalFsProcess, id: string) => plugin.server.teardownShareServer({ shareServer: shareServer(id), securityServices: [] });
  /** A new instance on a source server; returns it and its data directory. */
  const createOnSource = async (serverId: string, id: string, overrides: Partial<ShareInstance> = {}) => {
    const si = instance(id, { shareServerId: serverId, ...overrides });
    await source.share.createShareInstance({ shareInstance: si, sourceSnapshotInstance: undefined, shareServer: shareServer(serverId) });
    return { si, data: join(rootA, 'pools', si.pool, 'shares', id, 'data') };
  };
  /** Removes what a test left on the source: snapshots, instances, then the server. */
  const clearSource = async (serverId: string, instances: ShareInstance[], snapshots: SnapshotInstance[] = []) => {
    const server = shareServer(serverId);
    for (const snap of snapshots) await source.share.deleteSnapshotInstance({ snapshotInstance: snap, shareInstance: instances.find((si) => si.shareInstanceId === snap.shareInstanceId), shareServer: server });
    for (const si of instances) await source.share.deleteShareInstance({ shareInstance: si, shareServer: server });
    await teardownOn(source, serverId);
  };
  const grant = (plugin: LocalFsProcess, si: ShareInstance, rules: ReturnType<typeof rule>[]) =>
    plugin.share.updateAccess({ shareInstance: si, accessRules: rules, addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined });
  const startRequest = (migrationId: string, src: string, dst: string, shares: ShareInstance[], snaps: SnapshotInstance[] = []): ShareServerMigrationStartRequest => ({
    migrationId,
    sourceShareServer: shareServer(src, { host: 'host@localfsA', identifier: `localfs-${src}` }),
    destinationShareServer: shareServer(dst, { host: 'host@localfsB', identifier: `localfs-${dst}` }),
    shareInstances: shares,
    snapshotInstances: snaps,
    sourcePeer: peerA,
  });
  const completeRequest = (start: ShareServerMigrationStartRequest) => ({ ...start, newNetworkInfo: [networkInfo('subnet-1', '10.0.0.31')] });
  const waitPhase1 = (start: ShareServerMigrationStartRequest) =>
    pollUntil(async () => (await destination.server.shareServerMigrationContinue(start)).phase1Done, `phase 1 of ${start.migrationId}`);
  /** Polls GetProgress until at least `bytes` were copied (fails if phase 1 finishes first). */
  const waitForBytes = (start: ShareServerMigrationStartRequest, bytes: number) =>
    pollUntil(async () => {
      const p = await destination.server.shareServerMigrationGetProgress(start);
      assert.ok(p.totalProgress < 100, 'phase 1 finished before the test could interrupt it; lower the bandwidth');
      return p.copiedBytes >= bytes;
    }, `${bytes} bytes copied`, 20_000, 20);
  const snapshotOf = (snapshotInstanceId: string, shareInstanceId: string): SnapshotInstance => ({ snapshotInstanceId, snapshotId: `S-${snapshotInstanceId}`, shareInstanceId, sizeGib: 1, providerLocation: '', exportLocations: [] });

  test('compatibility: yes for a localfs source whose root and server this plugin can reach, no with every reason otherwise', async () => {
    await setupOn(source, 'cc-src');
    const check = (peer: PeerInfo, serverId = 'cc-src') =>
      destination.server.shareServerMigrationCheckCompatibility({
        shareServer: shareServer(serverId),
        destHost: 'host@localfsB',
        oldShareNetworkId: 'net-1',
        newShareNetworkId: 'net-2',
        sharesRequestSpec: { sharesSizeGib: 0, snapshotsSizeGib: 0, sharesReqSpec: [] },
        sourcePeer: peer,
      });
    assert.deepEqual(await check(peerA), {
      compatible: true,
      writable: true,
      nondisruptive: false,
      preserveSnapshots: true,
      migrationCancel: true,
      migrationGetProgress: true,
      shareNetworkId: 'net-2',
      incompatibilityReasons: [],
    });
    const other = await check({ ...peerA, pluginName: 'acme.array', properties: { root: join(dir, 'nowhere') } });
    assert.equal(other.compatible, false);
    assert.equal(other.shareNetworkId, 'net-2');
    assert.equal(other.incompatibilityReasons.length, 2, other.incompatibilityReasons.join('; '));
    assert.match(other.incompatibilityReasons[0]!, /acme\.array is not ferry\.localfs/);
    assert.match(other.incompatibilityReasons[1]!, /nowhere is not a directory on this machine/);
    assert.match((await check({ ...peerA, properties: {} })).incompatibilityReasons.join(), /publishes no absolute "root"/);
    assert.match((await check({ ...peerA, properties: { root: rootB } })).incompatibilityReasons.join(), /is this back end's own root/);
    assert.match((await check({ ...peerA, properties: { ...peerA.properties, readOnlyEnforcement: 'paint' } })).incompatibilityReasons.join(), /readOnlyEnforcement "paint"/);
    assert.match((await check(peerA, 'never-set-up')).incompatibilityReasons.join(), /never-set-up is not set up under/);
    await teardownOn(source, 'cc-src');

    const unknown = startRequest('never-started', 'a', 'b', []);
    assert.equal((await ferryError(destination.server.shareServerMigrationContinue(unknown))).reason, 'MIGRATION_NOT_FOUND');
    assert.equal((await ferryError(destination.server.shareServerMigrationGetProgress(unknown))).reason, 'MIGRATION_NOT_FOUND');
    assert.equal((await ferryError(destination.server.shareServerMigrationComplete(completeRequest(unknown)))).reason, 'MIGRATION_NOT_FOUND');
    await destination.server.shareServerMigrationCancel(unknown);
  });

  test('full migration: every instance and snapshot moves with its files, writes and deletions of phase 1, rules and pools; Complete replays; the source server tears down', async () => {
    await setupOn(source, 'src-1');
    const { si: s1, data: s1Data } = await createOnSource('src-1', 's1');
    const { si: s2, data: s2Data } = await createOnSource('src-1', 's2', { pool: 'pool2', host: 'host@localfsA#pool2' });
    populateKinds(s1Data);
    populateBulk(s2Data, 32);
    await grant(source, s1, [rule('r1', 'rw')]);
    await grant(source, s2, [rule('r2', 'ro')]);
    const sn1 = snapshotOf('sn1', 's1');
    await source.share.createSnapshotInstance({ snapshotInstance: sn1, shareInstance: s1, shareServer: shareServer('src-1') });
    const snapshotBefore = describeTree(join(rootA, 'pools/pool1/snapshots/sn1/data'));

    await setupOn(destination, 'dst-1', 'src-1');
    const start = startRequest('ssm-1', 'src-1', 'dst-1', [s1, s2], [sn1]);
    await destination.server.shareServerMigrationStart(start);
    assert.ok(existsSync(join(rootB, 'server-migrations/ssm-1.json')), 'recorded durably');
    await destination.server.shareServerMigrationStart(start); // replay: OK, nothing new
    const otherArgs = await ferryError(destination.server.shareServerMigrationStart({ ...start, snapshotInstances: [] }));
    assert.equal(otherArgs.code, 'ALREADY_EXISTS');
    assert.equal((await ferryError(destination.server.shareServerMigrationComplete(completeRequest(start)))).reason, 'MIGRATION_WRONG_PHASE', 'Complete before phase 1 is done');

    // The source stays writable during phase 1, through its exports; its rules may change too.
    const exportS1 = join(rootA, 'exports/s1');
    writeFileSync(join(exportS1, 'during.txt'), 'written during phase 1');
    writeFileSync(join(exportS1, 'changed.txt'), 'after');
    rmSync(join(exportS1, 'gone.txt'));
    await grant(source, s1, [rule('r1', 'rw'), rule('r3', 'ro')]);
    assert.equal((await destination.server.shareServerMigrationContinue(start)).phase1Done, false, 'the writes happened during phase 1');

    const copied: number[] = [];
    await pollUntil(async () => {
      const p = await destination.server.shareServerMigrationGetProgress(start);
      copied.push(p.copiedBytes);
      const done = (await destination.server.shareServerMigrationContinue(start)).phase1Done;
      if (p.totalProgress === 100) assert.ok(done, 'exactly 100 only when phase 1 is done');
      return done;
    }, 'phase 1 of ssm-1');
    assert.ok(copied.every((c, i) => i === 0 || c >= copied[i - 1]!), `copied bytes never go back: ${copied.join(',')}`);
    assert.ok(copied.some((c) => c > 0 && c < 32 * MIB), `intermediate progress seen: ${copied.join(',')}`);
    const done = await destination.server.shareServerMigrationGetProgress(start);
    assert.equal(done.totalProgress, 100);
    assert.ok(done.totalBytes >= 32 * MIB, `total bytes ${done.totalBytes}`);
    assert.equal(done.details.share_instances, '2');
    assert.equal(done.details.snapshot_instances, '1');

    writeFileSync(join(exportS1, 'after-phase1.txt'), 'late'); // only the final sync can carry this
    const expectedS1 = describeTree(s1Data);
    const expectedS2 = describeTree(s2Data);
    assert.ok('during.txt' in expectedS1 && 'after-phase1.txt' in expectedS1 && !('gone.txt' in expectedS1));
    const s1RootMode = statSync(s1Data).mode;

    const completed = await destination.server.shareServerMigrationComplete(completeRequest(start));
    assert.deepEqual(completed, {
      shareUpdates: {
        s1: { exportLocations: [{ path: join(rootB, 'exports/s1'), isAdminOnly: false, metadata: { preferred: 'true' } }], poolName: 'pool1', providerLocation: join(rootB, 'pools/pool1/shares/s1'), backendDetails: {} },
        // pool2 does not exist on the destination: the instance goes to its first pool.
        s2: { exportLocations: [{ path: join(rootB, 'exports/s2'), isAdminOnly: false, metadata: { preferred: 'true' } }], poolName: 'pool1', providerLocation: join(rootB, 'pools/pool1/shares/s2'), backendDetails: {} },
      },
      snapshotUpdates: { sn1: { providerLocation: join(rootB, 'pools/pool1/snapshots/sn1'), exportLocations: [] } },
      serverBackendDetails: {},
    });
    assert.deepEqual(await destination.server.shareServerMigrationComplete(completeRequest(start)), completed, 'a replay returns the saved result');

    // Every file intact on the destination: content, mode, owner, mtime, symlink, hard link, FIFO.
    const b1 = join(rootB, 'pools/pool1/shares/s1/data');
    assert.deepEqual(describeTree(b1), expectedS1);
    assert.deepEqual(describeTree(join(rootB, 'pools/pool1/shares/s2/data')), expectedS2);
    assert.deepEqual(describeTree(join(rootB, 'pools/pool1/snapshots/sn1/data')), snapshotBefore);
    assert.equal(lstatSync(join(b1, 'hard-a')).ino, lstatSync(join(b1, 'docs/hard-b')).ino, 'the hard link is one inode');
    assert.ok(lstatSync(join(b1, 'pipe')).isFIFO());
    assert.equal(statSync(b1).mode, s1RootMode, 'the data directory keeps its own mode');
    assert.equal(readFileSync(join(b1, 'changed.txt'), 'utf8'), 'after');

    // Adopted with the destination server, the carried rules and the snapshot.
    const record = JSON.parse(readFileSync(join(rootB, 'pools/pool1/shares/s1/instance.json'), 'utf8')) as { shareServerId: string; accessRules: { id: string }[]; snapshotInstanceIds: string[]; frozenByMigration?: string };
    assert.equal(record.shareServerId, 'dst-1');
    assert.deepEqual(record.accessRules.map((r) => r.id), ['r1', 'r3']);
    assert.deepEqual(record.snapshotInstanceIds, ['sn1']);
    assert.equal(record.frozenByMigration, undefined);
    writeFileSync(join(rootB, 'exports/s1/new-on-b.txt'), 'rw export per its rules');
    assert.throws(() => writeFileSync(join(rootB, 'exports/s2/nope.txt'), 'x'), /EROFS/, 'the all-ro rules make a read-only export');

    // The source back end holds nothing of the server any more.
    for (const gone of ['pools/pool1/shares/s1', 'pools/pool2/shares/s2', 'pools/pool1/snapshots/sn1', 'exports/s1', 'exports/s2']) assert.ok(!existsSync(join(rootA, gone)), `${gone} removed from the source`);
    assert.deepEqual(mountsUnder(rootA), [], 'source exports unmounted');
    assert.equal((await ferryError(source.share.getExportLocations({ shareInstance: s1, shareServer: undefined }))).reason, 'SHARE_INSTANCE_NOT_FOUND');
    await teardownOn(source, 'src-1');
    assert.ok(!existsSync(join(rootA, 'servers/src-1')));

    assert.equal((await ferryError(destination.server.shareServerMigrationContinue(start))).reason, 'MIGRATION_WRONG_PHASE');
    assert.equal((await ferryError(destination.server.shareServerMigrationGetProgress(start))).reason, 'MIGRATION_WRONG_PHASE');
    assert.equal((await ferryError(destination.server.shareServerMigrationCancel(start))).reason, 'MIGRATION_WRONG_PHASE');
    assert.equal((await ferryError(destination.server.shareServerMigrationStart(start))).reason, 'MIGRATION_WRONG_PHASE');

    // The destination serves them as its own.
    const inUse = await ferryError(teardownOn(destination, 'dst-1'));
    assert.equal(inUse.reason, 'RESOURCE_IN_USE');
    const b1Instance = { ...s1, pool: 'pool1' };
    const b2Instance = { ...s2, pool: 'pool1' };
    await destination.share.deleteSnapshotInstance({ snapshotInstance: sn1, shareInstance: b1Instance, shareServer: shareServer('dst-1') });
    await destination.share.deleteShareInstance({ shareInstance: b1Instance, shareServer: shareServer('dst-1') });
    await destination.share.deleteShareInstance({ shareInstance: b2Instance, shareServer: shareServer('dst-1') });
    await teardownOn(destination, 'dst-1');
    assert.deepEqual(mountsUnder(rootB), []);
  });

  test('cancel mid-copy: the copy stops, the destination is left clean, the source untouched and writable', async () => {
    await setupOn(source, 'src-2');
    const { si: c1, data: c1Data } = await createOnSource('src-2', 'c1');
    populateBulk(c1Data, 24);
    await grant(source, c1, [rule('r1', 'rw')]);
    const csn = snapshotOf('csn', 'c1');
    await source.share.createSnapshotInstance({ snapshotInstance: csn, shareInstance: c1, shareServer: shareServer('src-2') });
    const expected = describeTree(c1Data);
    await setupOn(destination, 'dst-2', 'src-2');
    const start = startRequest('ssm-cancel', 'src-2', 'dst-2', [c1], [csn]);
    await destination.server.shareServerMigrationStart(start);
    await waitForBytes(start, 1);
    await destination.server.shareServerMigrationCancel(start);
    await destination.server.shareServerMigrationCancel(start); // replay: OK

    assert.ok(!existsSync(join(rootB, 'pools/pool1/shares/c1')), 'no copied data left');
    assert.ok(!existsSync(join(rootB, 'pools/pool1/snapshots/csn')), 'no snapshot left');
    assert.ok(!existsSync(join(rootB, 'server-migrations/ssm-cancel')), 'no checkpoints left');
    assert.deepEqual(mountsUnder(rootB), []);
    assert.equal((await ferryError(destination.server.shareServerMigrationContinue(start))).reason, 'MIGRATION_WRONG_PHASE');
    assert.equal((await ferryError(destination.server.shareServerMigrationComplete(completeRequest(start)))).reason, 'MIGRATION_WRONG_PHASE');
    assert.equal((await ferryError(destination.server.shareServerMigrationStart(start))).reason, 'MIGRATION_WRONG_PHASE');

    assert.deepEqual(describeTree(c1Data), expected, 'source untouched');
    writeFileSync(join(rootA, 'exports/c1/still-writable'), 'yes');
    await teardownOn(destination, 'dst-2');
    await clearSource('src-2', [c1], [csn]);
  });

  test('kill -9 of the destination plugin mid-copy: after relaunch phase 1 resumes from its checkpoints and the migration completes', async () => {
    await setupOn(source, 'src-3');
    const { si: k1, data: k1Data } = await createOnSource('src-3', 'k1');
    populateBulk(k1Data, 32);
    populateKinds(join(k1Data, 'kinds'));
    const expected = describeTree(k1Data);
    await setupOn(destination, 'dst-3', 'src-3');
    const start = startRequest('ssm-kill', 'src-3', 'dst-3', [k1]);
    await destination.server.shareServerMigrationStart(start);
    await waitForBytes(start, 8 * MIB);
    const oldPid = destination.pid;
    await destination.kill9();
    destination = await launchLocalFs({ dir, config: destinationConfig(), name: 'localfsB' });
    assert.notEqual(destination.pid, oldPid);
    await waitPhase1(start);
    const p = await destination.server.shareServerMigrationGetProgress(start);
    assert.equal(p.totalProgress, 100);
    assert.equal(p.details.phase1_attempts, '2', JSON.stringify(p.details));
    assert.equal(p.details.resumed, 'true');
    assert.ok(Number(p.details.files_skipped) > 0, `the resumed copy skipped checkpointed files: ${JSON.stringify(p.details)}`);
    const completed = await destination.server.shareServerMigrationComplete(completeRequest(start));
    assert.deepEqual(Object.keys(completed.shareUpdates), ['k1']);
    assert.deepEqual(describeTree(join(rootB, 'pools/pool1/shares/k1/data')), expected);
    assert.ok(!existsSync(join(rootA, 'pools/pool1/shares/k1')));
    await teardownOn(source, 'src-3');
    await destination.share.deleteShareInstance({ shareInstance: k1, shareServer: shareServer('dst-3') });
    await teardownOn(destination, 'dst-3');
  });

  test('a copy that fails is INTERNAL BACKEND_ERROR naming the paths; cancel and the destination teardown clean up', async () => {
    await setupOn(source, 'src-4');
    const { si: f1, data: f1Data } = await createOnSource('src-4', 'f1');
    // The record says the instance is there, its data is not: the copy has nothing to read.
    rmSync(f1Data, { recursive: true });
    await setupOn(destination, 'dst-4', 'src-4');
    const start = startRequest('ssm-fail', 'src-4', 'dst-4', [f1]);
    await destination.server.shareServerMigrationStart(start);
    let failure: Awaited<ReturnType<typeof ferryError>> | undefined;
    await pollUntil(async () => {
      try {
        await destination.server.shareServerMigrationContinue(start);
        return false;
      } catch (error) {
        failure = error as typeof failure;
        return true;
      }
    }, 'the failed copy to be reported');
    assert.equal(failure?.code, 'INTERNAL');
    assert.equal(failure?.reason, 'BACKEND_ERROR');
    assert.match(failure?.message ?? '', new RegExp(`copy from ${f1Data} to ${join(rootB, 'pools/pool1/shares/f1/data')} failed`));
    assert.equal((await ferryError(destination.server.shareServerMigrationComplete(completeRequest(start)))).reason, 'MIGRATION_WRONG_PHASE');
    // ferry tears the destination server down after a failed phase 1: nothing may stay behind.
    await teardownOn(destination, 'dst-4');
    assert.ok(!existsSync(join(rootB, 'pools/pool1/shares/f1')));
    await destination.server.shareServerMigrationCancel(start); // already cleaned: OK
    mkdirSync(f1Data);
    await clearSource('src-4', [f1]);
  });

  test('Start refuses, before writing anything, what it cannot move whole', async () => {
    await setupOn(source, 'src-5');
    const { si: v1 } = await createOnSource('src-5', 'v1');
    const { si: v2 } = await createOnSource('src-5', 'v2');
    const vsn = snapshotOf('vsn', 'v1');
    await source.share.createSnapshotInstance({ snapshotInstance: vsn, shareInstance: v1, shareServer: shareServer('src-5') });
    const refused = async (request: ShareServerMigrationStartRequest) => {
      const error = await ferryError(destination.server.shareServerMigrationStart(request));
      assert.ok(!existsSync(join(rootB, `server-migrations/${request.migrationId}.json`)), `${request.migrationId}: nothing recorded`);
      return error;
    };
    const noDestination = await refused(startRequest('ssm-r1', 'src-5', 'dst-never', [v1, v2], [vsn]));
    assert.equal(noDestination.reason, 'SHARE_SERVER_NOT_FOUND');
    assert.match(noDestination.message, /dst-never/);
    await setupOn(destination, 'dst-5', 'src-5');
    const noSource = await refused(startRequest('ssm-r2', 'src-never', 'dst-5', []));
    assert.equal(noSource.reason, 'SHARE_SERVER_NOT_FOUND');
    assert.match(noSource.message, /src-never/);
    const partial = await refused(startRequest('ssm-r3', 'src-5', 'dst-5', [v1], [vsn]));
    assert.equal(partial.code, 'INVALID_ARGUMENT');
    assert.match(partial.message, /also holds v2/);
    const noSnapshots = await refused(startRequest('ssm-r4', 'src-5', 'dst-5', [v1, v2]));
    assert.match(noSnapshots.message, /snapshot instances vsn/);
    const foreignSnapshot = await refused(startRequest('ssm-r5', 'src-5', 'dst-5', [v1, v2], [snapshotOf('vsn', 'elsewhere')]));
    assert.equal(foreignSnapshot.code, 'INVALID_ARGUMENT');
    const incompatible = await refused({ ...startRequest('ssm-r6', 'src-5', 'dst-5', [v1, v2], [vsn]), sourcePeer: { ...peerA, pluginName: 'acme.array' } });
    assert.equal(incompatible.code, 'FAILED_PRECONDITION');
    assert.equal(incompatible.reason, 'MIGRATION_INCOMPATIBLE');
    const sameServer = await refused(startRequest('ssm-r7', 'src-5', 'src-5', [v1, v2], [vsn]));
    assert.equal(sameServer.code, 'INVALID_ARGUMENT');
    await teardownOn(destination, 'dst-5');
    await clearSource('src-5', [v1, v2], [vsn]);
  });
});
