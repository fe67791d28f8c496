/**
 * The DriverPort against two real localfs processes on real trees: share lifecycle, snapshots,
 * access rules, connection info, and a driver-assisted migration whose data arrives in the
 * other back end's root. readOnlyEnforcement "none" keeps the test free of mounts (the
 * enforcement modes are localfs's own tests, test/integration/localfs).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createDriverPort, type PluginHost } from '../../../src/host/index.js';
import type { BackendDriver, DriverShareInstance, DriverSnapshotInstance, MigrationPair, PeerInfo } from '../../../src/orchestrator/driver-port.js';
import { newHost, tempDir } from '../../helpers/plugin-host-harness.js';

const LOCALFS_MAIN = fileURLToPath(new URL('../../../plugins/localfs/main.js', import.meta.url));

const instance = (id: string, backend: string, pool = 'pool1', overrides: Partial<DriverShareInstance> = {}): DriverShareInstance => ({
  shareInstanceId: id,
  shareId: `share-${id}`,
  pool,
  host: `h@${backend}#${pool}`,
  sizeGib: 1,
  shareProto: 'NFS',
  exportLocations: [],
  shareTypeExtraSpecs: { driver_handles_share_servers: 'false' },
  shareServerId: '',
  providerLocation: '',
  backendDetails: {},
  availabilityZone: 'nova',
  ...overrides,
});

const snapshot = (id: string, shareInstanceId: string): DriverSnapshotInstance => ({ snapshotInstanceId: id, snapshotId: `snap-${id}`, shareInstanceId, sizeGib: 1, providerLocation: '', exportLocations: [] });

async function peerOf(driver: BackendDriver): Promise<PeerInfo> {
  const identity = driver.status().identity!;
  return { backend: `h@${driver.name}`, pluginName: identity.pluginName, vendorVersion: identity.vendorVersion, properties: (await driver.listPools()).migrationPeerInfo };
}

describe('DriverPort over localfs', () => {
  const cleanups: (() => unknown)[] = [];
  const t = { after: (fn: () => unknown) => cleanups.push(fn) };
  let host: PluginHost;
  let root1: string;
  let root2: string;

  before(async () => {
    const dir = tempDir(t, 'fy-dpl-');
    [root1, root2] = [path.join(dir, 'root1'), path.join(dir, 'root2')];
    ({ host } = newHost(t, [
      { name: 'localfs1', launch: { command: process.execPath, args: [LOCALFS_MAIN] }, config: { root: root1, readOnlyEnforcement: 'none' } },
      { name: 'localfs2', launch: { command: process.execPath, args: [LOCALFS_MAIN] }, config: { root: root2, readOnlyEnforcement: 'none' } },
    ]));
    await host.start();
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('reports identity, pools and the root as peer info', async () => {
    const localfs1 = createDriverPort(host).backend('localfs1');
    assert.deepEqual(localfs1.status().identity?.capabilities, ['SHARES', 'SHARE_SNAPSHOTS', 'SHARE_RESIZE', 'SHARE_HOST_ASSISTED_MIGRATION', 'SHARE_DRIVER_MIGRATION']);
    const pools = await localfs1.listPools();
    assert.deepEqual(pools.pools.map((p) => p.name).sort(), ['pool1', 'pool2']);
    assert.deepEqual(pools.migrationPeerInfo, { root: root1 });
  });

  it('creates, resizes, snapshots, grants access to, connects to and deletes a share instance', async () => {
    const localfs1 = createDriverPort(host).backend('localfs1');
    const si = instance('lf-1', 'localfs1');
    const created = await localfs1.createShareInstance({ instance: si });
    assert.deepEqual(created.exportLocations.map((e) => e.path), [path.join(root1, 'exports', 'lf-1')]);
    const live = { ...si, exportLocations: created.exportLocations, providerLocation: created.providerLocation, backendDetails: created.backendDetails };
    assert.deepEqual(await localfs1.getExportLocations({ instance: live }), created.exportLocations);
    await localfs1.extendShareInstance({ instance: live, newSizeGib: 2 });

    const dataDir = path.join(root1, 'pools/pool1/shares/lf-1/data');
    writeFileSync(path.join(dataDir, 'kept.txt'), 'before the snapshot');
    const snap = await localfs1.createSnapshotInstance({ snapshot: snapshot('lf-snap', 'lf-1'), instance: { ...live, sizeGib: 2 } });
    assert.equal(readFileSync(path.join(root1, 'pools/pool1/snapshots/lf-snap/data/kept.txt'), 'utf8'), 'before the snapshot');
    assert.ok(snap.sizeGib >= 1);
    await localfs1.deleteSnapshotInstance({ snapshot: snapshot('lf-snap', 'lf-1'), instance: live });

    const rules = [
      { accessRuleId: 'r-ip', accessType: 'ip', accessTo: '10.0.0.0/24', accessLevel: 'rw', accessKey: '' },
      { accessRuleId: 'r-cert', accessType: 'cert', accessTo: 'client.example', accessLevel: 'ro', accessKey: '' },
    ];
    const results = await localfs1.updateAccess({ instance: live, rules, castRulesToReadonly: false });
    assert.deepEqual(results['r-ip'], { state: 'active', accessKey: '', message: '' });
    assert.equal(results['r-cert']?.state, 'error');
    assert.match(results['r-cert']?.message ?? '', /cert/);

    assert.deepEqual(await localfs1.getConnectionInfo({ instance: live }), {
      mountArgv: ['mount', '--bind', '{export}', '{path}'],
      unmountArgv: ['umount', '{path}'],
      accessMapping: { ip: ['nfs'] },
      localPath: dataDir,
      mountEnvironment: {},
    });

    await localfs1.deleteShareInstance({ instance: live });
    await assert.rejects(localfs1.getExportLocations({ instance: live }), { code: 'NOT_FOUND', reason: 'SHARE_INSTANCE_NOT_FOUND', domain: 'driver.ferry.dev' });
  });

  it('migrates a share driver-assisted to the other localfs, which adopts it with MigrationUpdateModel', async () => {
    const port = createDriverPort(host);
    const [localfs1, localfs2] = [port.backend('localfs1'), port.backend('localfs2')];
    const source = instance('mv-src', 'localfs1');
    await localfs1.createShareInstance({ instance: source });
    const sourceData = path.join(root1, 'pools/pool1/shares/mv-src/data');
    mkdirSync(path.join(sourceData, 'docs'));
    writeFileSync(path.join(sourceData, 'docs/readme.txt'), 'moved by the driver\n');

    const destination = instance('mv-dst', 'localfs2', 'pool2');
    const pair: MigrationPair = { migrationId: 'lf-m-1', source, destination, destinationPeer: await peerOf(localfs2), sourceSnapshots: [], snapshotMappings: {} };
    const answer = await localfs1.migrationCheckCompatibility({ source, destination, destinationPeer: pair.destinationPeer });
    assert.deepEqual([answer.compatible, answer.writable, answer.nondisruptive, answer.incompatibilityReasons], [true, true, false, []]);

    await localfs1.migrationStart(pair);
    const deadline = Date.now() + 30_000;
    // MigrationContinue is the contract's polling RPC (the orchestrator polls it the same way).
    while (!(await localfs1.migrationContinue(pair))) {
      assert.ok(Date.now() < deadline, 'phase 1 did not finish within 30 s');
      await sleep(20);
    }
    const progress = await localfs1.migrationGetProgress(pair);
    assert.equal(progress.totalProgress, 100);
    assert.ok(progress.copiedBytes >= 'moved by the driver\n'.length);

    const completed = await localfs1.migrationComplete(pair);
    assert.deepEqual(completed.exportLocations.map((e) => e.path), [path.join(root2, 'exports', 'mv-dst')]);
    const model = await localfs2.migrationUpdateModel({
      migrationId: 'lf-m-1',
      method: 'driver_assisted',
      source,
      destination: { ...destination, exportLocations: completed.exportLocations },
      destinationSnapshots: [],
      sourcePeer: await peerOf(localfs1),
    });
    assert.equal(model.unchanged, false);
    assert.deepEqual(model.exportLocations.map((e) => e.path), [path.join(root2, 'exports', 'mv-dst')]);
    const adopted = { ...destination, exportLocations: model.exportLocations, providerLocation: model.providerLocation, backendDetails: model.backendDetails };
    const info = await localfs2.getConnectionInfo({ instance: adopted });
    assert.equal(readFileSync(path.join(info.localPath, 'docs/readme.txt'), 'utf8'), 'moved by the driver\n');
    await assert.rejects(localfs1.getExportLocations({ instance: source }), { reason: 'SHARE_INSTANCE_NOT_FOUND' }, 'the source is gone');
  });

  it('answers compatible=false for a peer of another vendor (an answer, not an error)', async () => {
    const localfs1 = createDriverPort(host).backend('localfs1');
    const source = instance('cmp-src', 'localfs1');
    await localfs1.createShareInstance({ instance: source });
    const answer = await localfs1.migrationCheckCompatibility({
      source,
      destination: instance('cmp-dst', 'other'),
      destinationPeer: { backend: 'h@other', pluginName: 'ferry.other', vendorVersion: '1.0.0', properties: {} },
    });
    assert.equal(answer.compatible, false);
    assert.ok(answer.incompatibilityReasons.length > 0);
  });
});
