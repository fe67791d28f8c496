/**
 * localfs ShareService against a real plugin process and a real tree: create/delete
 * idempotency, access rules enforced through a bind mount (EROFS even for root, files
 * untouched), snapshots as point-in-time copies, connection info.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ferryError, instance, launchLocalFs, makeTestDir, mountsUnder, removeTestDir, type LocalFsProcess } from './launcher.js';

const rule = (id: string, level: 'rw' | 'ro', type = 'ip', to = '10.0.0.0/24') => ({ accessRuleId: id, accessType: type, accessTo: to, accessLevel: level, accessKey: '' });

describe('localfs shares', () => {
  let dir: string;
  let root: string;
  let plugin: LocalFsProcess;

  before(async () => {
    dir = makeTestDir('lfs-sh-');
    root = join(dir, 'root');
    plugin = await launchLocalFs({ dir, config: { root } });
  });
  after(async () => {
    await plugin?.stop();
    removeTestDir(dir);
  });

  test('ListPools reports real capacity, the capabilities and the root as migration peer info', async () => {
    const res = await plugin.pool.listPools({});
    assert.deepEqual(res.pools.map((p) => p.name).sort(), ['pool1', 'pool2']);
    const pool1 = res.pools.find((p) => p.name === 'pool1')!;
    assert.ok(pool1.totalCapacityGib > 0 && pool1.freeCapacityGib > 0 && pool1.freeCapacityGib <= pool1.totalCapacityGib);
    assert.equal(pool1.capabilities.snapshot_support, 'true');
    assert.equal(pool1.capabilities.driver_handles_share_servers, 'false');
    assert.equal(pool1.availabilityZone, 'nova');
    assert.deepEqual(res.migrationPeerInfo, { root });
    const probe = await plugin.identity.probe({});
    assert.deepEqual(probe, { ready: true, message: '' });
  });

  test('CreateShareInstance is idempotent, refuses other parameters, and DeleteShareInstance of an unknown id succeeds', async () => {
    const first = await plugin.share.createShareInstance({ shareInstance: instance('c1'), sourceSnapshotInstance: undefined, shareServer: undefined });
    assert.deepEqual(first.exportLocations.map((e) => e.path), [join(root, 'exports', 'c1')]);
    assert.ok(statSync(join(root, 'pools/pool1/shares/c1/data')).isDirectory());
    writeFileSync(join(root, 'pools/pool1/shares/c1/data/kept'), 'x');
    const replay = await plugin.share.createShareInstance({ shareInstance: instance('c1'), sourceSnapshotInstance: undefined, shareServer: undefined });
    assert.deepEqual(replay, first);
    assert.ok(existsSync(join(root, 'pools/pool1/shares/c1/data/kept')), 'a replay must not recreate the data');
    const other = await ferryError(plugin.share.createShareInstance({ shareInstance: instance('c1', { sizeGib: 2 }), sourceSnapshotInstance: undefined, shareServer: undefined }));
    assert.equal(other.code, 'ALREADY_EXISTS');
    assert.equal(other.reason, 'ALREADY_EXISTS_INCOMPATIBLE');
    const badPool = await ferryError(plugin.share.createShareInstance({ shareInstance: instance('c2', { pool: 'nope' }), sourceSnapshotInstance: undefined, shareServer: undefined }));
    assert.equal(badPool.reason, 'POOL_NOT_FOUND');
    const badProto = await ferryError(plugin.share.createShareInstance({ shareInstance: instance('c2', { shareProto: 'HDFS' }), sourceSnapshotInstance: undefined, shareServer: undefined }));
    assert.equal(badProto.reason, 'INVALID_FIELD');

    await plugin.share.deleteShareInstance({ shareInstance: instance('c1'), shareServer: undefined });
    assert.ok(!existsSync(join(root, 'pools/pool1/shares/c1')));
    assert.ok(!existsSync(join(root, 'exports/c1')));
    await plugin.share.deleteShareInstance({ shareInstance: instance('c1'), shareServer: undefined });
    await plugin.share.deleteShareInstance({ shareInstance: instance('never'), shareServer: undefined });
  });

  test('access rules: rw export writable, read-only cast fails writes with EROFS as root without touching files, revert makes it writable, no rules leave an empty read-only export', async () => {
    await plugin.share.createShareInstance({ shareInstance: instance('a1'), sourceSnapshotInstance: undefined, shareServer: undefined });
    const exported = join(root, 'exports/a1');
    const data = join(root, 'pools/pool1/shares/a1/data');
    assert.throws(() => writeFileSync(join(exported, 'stray'), 'x'), { code: 'EROFS' }, 'no rules: a write fails instead of landing beside the share');

    const rw = await plugin.share.updateAccess({ shareInstance: instance('a1'), accessRules: [rule('r1', 'rw'), rule('r2', 'ro', 'cert', 'cn')], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined });
    assert.equal(rw.accessRuleUpdates.r1?.state, 1, 'ip rule active');
    assert.equal(rw.accessRuleUpdates.r2?.state, 2, 'cert rule in error');
    assert.deepEqual(mountsUnder(exported), [exported]);
    writeFileSync(join(exported, 'file'), 'hello');
    mkdirSync(join(exported, 'sub'));
    symlinkSync('file', join(exported, 'link'));
    assert.equal(readFileSync(join(data, 'file'), 'utf8'), 'hello', 'the export is the data directory');
    const before = statSync(join(data, 'file'));
    const beforeDir = statSync(data);

    await plugin.share.updateAccess({ shareInstance: instance('a1'), accessRules: [rule('r1', 'ro')], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: true, shareServer: undefined });
    assert.equal(process.getuid?.(), 0, 'these tests run as root');
    assert.throws(() => writeFileSync(join(exported, 'file'), 'changed'), { code: 'EROFS' });
    assert.throws(() => writeFileSync(join(exported, 'new'), 'x'), { code: 'EROFS' });
    const after = statSync(join(data, 'file'));
    assert.equal(after.mode, before.mode);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.equal(after.ctimeMs, before.ctimeMs, 'a read-only bind mount changes nothing on the files');
    assert.equal(statSync(data).mode, beforeDir.mode);
    assert.equal(readFileSync(join(exported, 'file'), 'utf8'), 'hello');

    await plugin.share.updateAccess({ shareInstance: instance('a1'), accessRules: [rule('r1', 'rw')], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined });
    writeFileSync(join(exported, 'file'), 'again');
    assert.equal(readFileSync(join(data, 'file'), 'utf8'), 'again');

    await plugin.share.updateAccess({ shareInstance: instance('a1'), accessRules: [rule('r1', 'ro')], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined });
    assert.throws(() => writeFileSync(join(exported, 'file'), 'x'), { code: 'EROFS' }, 'all rules ro: read-only');

    await plugin.share.updateAccess({ shareInstance: instance('a1'), accessRules: [], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined });
    assert.throws(() => writeFileSync(join(exported, 'stray'), 'x'), { code: 'EROFS' }, 'no rules: read-only again');
    assert.deepEqual(readdirSync(exported), [], 'no rules: the data is not exported');

    const unknown = await ferryError(plugin.share.updateAccess({ shareInstance: instance('zz'), accessRules: [], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined }));
    assert.equal(unknown.reason, 'SHARE_INSTANCE_NOT_FOUND');

    // Delete unmounts a mounted export.
    await plugin.share.updateAccess({ shareInstance: instance('a1'), accessRules: [rule('r1', 'rw')], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined });
    await plugin.share.deleteShareInstance({ shareInstance: instance('a1'), shareServer: undefined });
    assert.deepEqual(mountsUnder(exported), []);
    assert.ok(!existsSync(exported));
  });

  test('a snapshot is a point-in-time copy; a share created from it has its content; delete refuses while snapshots exist', async () => {
    await plugin.share.createShareInstance({ shareInstance: instance('s1'), sourceSnapshotInstance: undefined, shareServer: undefined });
    const data = join(root, 'pools/pool1/shares/s1/data');
    writeFileSync(join(data, 'a'), 'before');
    mkdirSync(join(data, 'd'));
    writeFileSync(join(data, 'd/b'), 'nested');
    const snap = { snapshotInstanceId: 'snap1', snapshotId: 'S1', shareInstanceId: 's1', sizeGib: 1, providerLocation: '', exportLocations: [] };
    const created = await plugin.share.createSnapshotInstance({ snapshotInstance: snap, shareInstance: instance('s1'), shareServer: undefined });
    assert.equal(created.providerLocation, join(root, 'pools/pool1/snapshots/snap1'));
    assert.deepEqual(await plugin.share.createSnapshotInstance({ snapshotInstance: snap, shareInstance: instance('s1'), shareServer: undefined }), created);

    writeFileSync(join(data, 'a'), 'after');
    writeFileSync(join(data, 'later'), 'new');
    const snapData = join(root, 'pools/pool1/snapshots/snap1/data');
    assert.equal(readFileSync(join(snapData, 'a'), 'utf8'), 'before');
    assert.equal(readFileSync(join(snapData, 'd/b'), 'utf8'), 'nested');
    assert.ok(!existsSync(join(snapData, 'later')));

    const inUse = await ferryError(plugin.share.deleteShareInstance({ shareInstance: instance('s1'), shareServer: undefined }));
    assert.equal(inUse.reason, 'RESOURCE_IN_USE');

    await plugin.share.createShareInstance({ shareInstance: instance('s2'), sourceSnapshotInstance: snap, shareServer: undefined });
    assert.equal(readFileSync(join(root, 'pools/pool1/shares/s2/data/a'), 'utf8'), 'before');

    await plugin.share.deleteSnapshotInstance({ snapshotInstance: snap, shareInstance: instance('s1'), shareServer: undefined });
    await plugin.share.deleteSnapshotInstance({ snapshotInstance: snap, shareInstance: instance('s1'), shareServer: undefined });
    assert.ok(!existsSync(join(root, 'pools/pool1/snapshots/snap1')));
    await plugin.share.deleteShareInstance({ shareInstance: instance('s1'), shareServer: undefined });
    await plugin.share.deleteShareInstance({ shareInstance: instance('s2'), shareServer: undefined });
  });

  test('extend and shrink keep their contract; shrink below the used space is refused', async () => {
    await plugin.share.createShareInstance({ shareInstance: instance('x1', { sizeGib: 2 }), sourceSnapshotInstance: undefined, shareServer: undefined });
    await plugin.share.extendShareInstance({ shareInstance: instance('x1', { sizeGib: 2 }), newSizeGib: 3, shareServer: undefined });
    await plugin.share.extendShareInstance({ shareInstance: instance('x1', { sizeGib: 2 }), newSizeGib: 3, shareServer: undefined });
    await plugin.share.shrinkShareInstance({ shareInstance: instance('x1', { sizeGib: 3 }), newSizeGib: 1, shareServer: undefined });
    const record = JSON.parse(readFileSync(join(root, 'pools/pool1/shares/x1/instance.json'), 'utf8')) as { sizeGib: number };
    assert.equal(record.sizeGib, 1);
    const below = await ferryError(plugin.share.extendShareInstance({ shareInstance: instance('x1'), newSizeGib: 0, shareServer: undefined }));
    assert.equal(below.reason, 'INVALID_FIELD');
    await plugin.share.deleteShareInstance({ shareInstance: instance('x1'), shareServer: undefined });
  });

  test('GetConnectionInfo gives the data directory plus bind-mount argv templates', async () => {
    await plugin.share.createShareInstance({ shareInstance: instance('h1'), sourceSnapshotInstance: undefined, shareServer: undefined });
    const { connectionInfo } = await plugin.share.getConnectionInfo({ shareInstance: instance('h1'), shareServer: undefined });
    assert.equal(connectionInfo?.localPath, join(root, 'pools/pool1/shares/h1/data'));
    assert.deepEqual(connectionInfo?.mountArgv, ['mount', '--bind', '{export}', '{path}']);
    assert.deepEqual(connectionInfo?.unmountArgv, ['umount', '{path}']);
    assert.deepEqual(connectionInfo?.accessMapping, { ip: { protocols: ['nfs'] } });
    const missing = await ferryError(plugin.share.getConnectionInfo({ shareInstance: instance('h9'), shareServer: undefined }));
    assert.equal(missing.reason, 'SHARE_INSTANCE_NOT_FOUND');
    await plugin.share.deleteShareInstance({ shareInstance: instance('h1'), shareServer: undefined });
  });
});
