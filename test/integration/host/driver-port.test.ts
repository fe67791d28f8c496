/**
 * The DriverPort over a real plugin host and real plugin processes: every BackendDriver method
 * against the dummy plugin (two back ends, a driver-assisted migration from one to the other),
 * and the example memory plugin, which leaves out MigrationUpdateModel and per-rule access
 * results. Failure paths are in driver-port-failures.test.ts, localfs in driver-port-localfs.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createDriverPort, type PluginHost } from '../../../src/host/index.js';
import type { BackendDriver, DriverShareInstance, DriverSnapshotInstance, MigrationPair, PeerInfo } from '../../../src/orchestrator/driver-port.js';
import { newHost, tempDir, type CapturedLog } from '../../helpers/plugin-host-harness.js';
import { DUMMY_MAIN } from '../dummy/launch-dummy.js';

const MEMORY_MAIN = fileURLToPath(new URL('../../../plugins/examples/memory/main.js', import.meta.url));
const ALL_CAPABILITIES = [
  'SHARES', 'SHARE_SNAPSHOTS', 'SHARE_RESIZE', 'SHARE_HOST_ASSISTED_MIGRATION', 'SHARE_DRIVER_MIGRATION', 'SHARE_SERVERS',
  'SHARE_SERVER_MIGRATION', 'VOLUMES', 'VOLUME_DRIVER_MIGRATION', 'VOLUME_RETYPE', 'SHARE_REPLICAS_MIGRATION', 'VOLUME_SNAPSHOTS',
];

const instance = (id: string, backend: string, pool = 'alpha', overrides: Partial<DriverShareInstance> = {}): DriverShareInstance => ({
  shareInstanceId: id,
  shareId: `share-${id}`,
  pool,
  host: `h@${backend}#${pool}`,
  sizeGib: 2,
  shareProto: 'NFS',
  exportLocations: [],
  shareTypeExtraSpecs: { driver_handles_share_servers: 'false' },
  shareServerId: '',
  providerLocation: '',
  backendDetails: {},
  availabilityZone: 'nova',
  ...overrides,
});

const snapshot = (id: string, shareInstanceId: string): DriverSnapshotInstance => ({ snapshotInstanceId: id, snapshotId: 'snap-1', shareInstanceId, sizeGib: 2, providerLocation: '', exportLocations: [] });

/** The PeerInfo ferry builds from a back end's identity and ListPools answer. */
async function peerOf(driver: BackendDriver): Promise<PeerInfo> {
  const identity = driver.status().identity!;
  const { migrationPeerInfo } = await driver.listPools();
  return { backend: `h@${driver.name}`, pluginName: identity.pluginName, vendorVersion: identity.vendorVersion, properties: migrationPeerInfo };
}

describe('DriverPort over real plugins', () => {
  const cleanups: (() => unknown)[] = [];
  const t = { after: (fn: () => unknown) => cleanups.push(fn) };
  let host: PluginHost;
  let log: CapturedLog;
  let dataRoot2: string;

  before(async () => {
    dataRoot2 = path.join(tempDir(t, 'fy-dp-'), 'data2');
    ({ host, log } = newHost(t, [
      { name: 'dummy1', launch: { command: process.execPath, args: [DUMMY_MAIN] } },
      { name: 'dummy2', launch: { command: process.execPath, args: [DUMMY_MAIN] }, config: { dataRoot: dataRoot2 } },
      { name: 'memory', launch: { command: process.execPath, args: [MEMORY_MAIN] } },
    ], { level: 'debug' }));
    await host.start();
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('lists the back ends in configuration order and refuses an unknown one with BACKEND_NOT_FOUND', () => {
    const port = createDriverPort(host);
    assert.deepEqual(port.backendNames(), ['dummy1', 'dummy2', 'memory']);
    assert.equal(port.backend('dummy1'), port.backend('dummy1'), 'one driver per back end');
    assert.throws(() => port.backend('nope'), { code: 'NOT_FOUND', reason: 'BACKEND_NOT_FOUND', message: 'back end nope not found', metadata: { backend: 'nope' } });
  });

  it('status() shows the state, pid, restarts and identity with capability names', () => {
    const port = createDriverPort(host);
    assert.deepEqual(port.backend('dummy1').status(), {
      name: 'dummy1',
      state: 'ready',
      identity: { pluginName: 'ferry.dummy', vendorVersion: host.plugin('dummy1').status().identity!.info.vendorVersion, capabilities: ALL_CAPABILITIES },
      pid: host.plugin('dummy1').status().pid,
      restarts: 0,
      lastError: '',
    });
    assert.deepEqual(port.backend('memory').status().identity, { pluginName: 'example.memory', vendorVersion: '1.0.0', capabilities: ['SHARES'] });
  });

  it('listPools returns the pools and the migration peer info', async () => {
    const pools = await createDriverPort(host).backend('dummy2').listPools();
    assert.deepEqual(pools.pools.map((p) => [p.name, p.totalCapacityGib, p.availabilityZone, p.capabilities.snapshot_support]), [['alpha', 1000, 'nova', 'true'], ['beta', 1000, 'nova', 'true']]);
    assert.equal(pools.migrationPeerInfo.dataRoot, dataRoot2);
    assert.match(pools.migrationPeerInfo.dummyBackendId ?? '', /./);
  });

  it('runs a share instance through create, resize, snapshots, access, connection info, export locations and delete', async () => {
    const dummy1 = createDriverPort(host).backend('dummy1');
    const si = instance('life-1', 'dummy1');
    const created = await dummy1.createShareInstance({ instance: si });
    assert.deepEqual(created, { exportLocations: [{ path: '/path/to/fake/share/life-1', isAdminOnly: false, metadata: {} }], providerLocation: 'dummy://share/life-1', backendDetails: { pool: 'alpha' } });
    const live = { ...si, exportLocations: created.exportLocations, providerLocation: created.providerLocation };
    assert.deepEqual(await dummy1.getExportLocations({ instance: live }), created.exportLocations);

    await dummy1.extendShareInstance({ instance: live, newSizeGib: 5 });
    await dummy1.shrinkShareInstance({ instance: { ...live, sizeGib: 5 }, newSizeGib: 3 });
    const allocated = (await dummy1.listPools()).pools.find((p) => p.name === 'alpha')!.allocatedCapacityGib;
    assert.equal(allocated, 3, 'the back end holds the new size');

    const snap = await dummy1.createSnapshotInstance({ snapshot: snapshot('life-snap', 'life-1'), instance: { ...live, sizeGib: 3 } });
    assert.deepEqual(snap, { providerLocation: '/path/to/fake/snapshot/life-snap', exportLocations: [], sizeGib: 3 });
    await dummy1.deleteSnapshotInstance({ snapshot: snapshot('life-snap', 'life-1'), instance: live });

    const rules = [
      { accessRuleId: 'r-ip', accessType: 'ip', accessTo: '10.0.0.0/24', accessLevel: 'rw', accessKey: '' },
      { accessRuleId: 'r-cephx', accessType: 'cephx', accessTo: 'alice', accessLevel: 'rw', accessKey: '' },
    ];
    assert.deepEqual(await dummy1.updateAccess({ instance: live, rules, castRulesToReadonly: true }), {
      'r-ip': { state: 'active', accessKey: '', message: '' },
      'r-cephx': { state: 'error', accessKey: '', message: 'access type "cephx" is not supported; use ip, user, cert' },
    });

    assert.deepEqual(await dummy1.getConnectionInfo({ instance: live }), {
      mountArgv: ['mount', '-t', 'nfs', '{options}', '{export}', '{path}'],
      unmountArgv: ['umount', '{path}'],
      accessMapping: { ip: ['nfs'] },
      localPath: '',
      mountEnvironment: {},
    });

    await dummy1.deleteShareInstance({ instance: live });
    await dummy1.deleteShareInstance({ instance: live }); // idempotent: an instance the back end no longer has
    await assert.rejects(dummy1.getExportLocations({ instance: live }), { code: 'NOT_FOUND', reason: 'SHARE_INSTANCE_NOT_FOUND' });
  });

  it('gives local_path as connection info for a back end with a data root', async () => {
    const dummy2 = createDriverPort(host).backend('dummy2');
    const si = instance('local-1', 'dummy2');
    await dummy2.createShareInstance({ instance: si });
    const info = await dummy2.getConnectionInfo({ instance: si });
    assert.deepEqual([info.localPath, info.mountArgv, info.accessMapping], [path.join(dataRoot2, 'local-1'), [], {}]);
    await dummy2.deleteShareInstance({ instance: si });
  });

  it('migrates a share driver-assisted from dummy1 to dummy2, and the destination adopts it in MigrationUpdateModel', async () => {
    const port = createDriverPort(host);
    const [dummy1, dummy2] = [port.backend('dummy1'), port.backend('dummy2')];
    const source = instance('mig-src', 'dummy1');
    await dummy1.createShareInstance({ instance: source });
    await dummy1.createSnapshotInstance({ snapshot: snapshot('ss-1', 'mig-src'), instance: source });
    const destination = instance('mig-dst', 'dummy2', 'beta');
    const pair: MigrationPair = {
      migrationId: 'm-1',
      source,
      destination,
      destinationPeer: await peerOf(dummy2),
      sourceSnapshots: [snapshot('ss-1', 'mig-src')],
      snapshotMappings: { 'ss-1': snapshot('ds-1', 'mig-dst') },
    };

    assert.deepEqual(await dummy1.migrationCheckCompatibility({ source, destination, destinationPeer: pair.destinationPeer }), {
      compatible: true,
      writable: true,
      preserveMetadata: true,
      nondisruptive: false,
      preserveSnapshots: true,
      incompatibilityReasons: [],
    });
    await dummy1.migrationStart(pair);
    assert.equal((await dummy1.migrationGetProgress(pair)).totalProgress, 0);
    assert.equal(await dummy1.migrationContinue(pair), false);
    assert.equal(await dummy1.migrationContinue(pair), true);
    const progress = await dummy1.migrationGetProgress(pair);
    assert.deepEqual([progress.totalProgress, progress.copiedBytes, progress.totalBytes], [100, 2 * 2 ** 30, 2 * 2 ** 30]);

    const completed = await dummy1.migrationComplete(pair);
    assert.deepEqual(completed, {
      exportLocations: [
        { path: '/path/to/fake/share/mig-dst', isAdminOnly: false, metadata: {} },
        { path: path.join(dataRoot2, 'mig-dst'), isAdminOnly: true, metadata: { local: 'true' } },
      ],
      snapshotUpdates: { 'ds-1': { providerLocation: '/path/to/fake/snapshot/ds-1', exportLocations: [] } },
    });

    const model = await dummy2.migrationUpdateModel({
      migrationId: 'm-1',
      method: 'driver_assisted',
      source,
      destination: { ...destination, exportLocations: completed.exportLocations },
      destinationSnapshots: [{ ...snapshot('ds-1', 'mig-dst'), providerLocation: '/path/to/fake/snapshot/ds-1' }],
      sourcePeer: await peerOf(dummy1),
    });
    assert.equal(model.unchanged, false);
    assert.deepEqual(model.exportLocations.map((e) => [e.path, e.isAdminOnly]), [['/path/to/fake/share/mig-dst', false], [path.join(dataRoot2, 'mig-dst'), true]]);
    assert.deepEqual([model.backendDetails, Object.keys(model.snapshotUpdates)], [{ pool: 'beta' }, ['ds-1']]);
    assert.ok(existsSync(path.join(dataRoot2, 'mig-dst')), 'the destination back end holds the instance now');
    await assert.rejects(dummy1.getExportLocations({ instance: source }), { reason: 'SHARE_INSTANCE_NOT_FOUND' }, 'the source is gone from dummy1');
  });

  it('cancels a driver-assisted migration; the finished id then answers MIGRATION_WRONG_PHASE', async () => {
    const port = createDriverPort(host);
    const dummy1 = port.backend('dummy1');
    const source = instance('cancel-src', 'dummy1');
    await dummy1.createShareInstance({ instance: source });
    const pair: MigrationPair = { migrationId: 'm-cancel', source, destination: instance('cancel-dst', 'dummy2'), destinationPeer: await peerOf(port.backend('dummy2')), sourceSnapshots: [], snapshotMappings: {} };
    await dummy1.migrationStart(pair);
    await dummy1.migrationCancel(pair);
    await dummy1.migrationCancel(pair); // a replay returns OK
    await assert.rejects(dummy1.migrationContinue(pair), { code: 'FAILED_PRECONDITION', reason: 'MIGRATION_WRONG_PHASE', domain: 'driver.ferry.dev' });
    assert.deepEqual((await dummy1.getExportLocations({ instance: source })).length, 1, 'the source is untouched');
  });

  it('sets up and tears down a share server', async () => {
    const dummy1 = createDriverPort(host).backend('dummy1');
    const allocation = { id: 'na-1', shareNetworkSubnetId: 'sub-1', ipAddress: '10.0.0.21', ipVersion: 4, cidr: '10.0.0.0/24', gateway: '10.0.0.1', mtu: 1500, networkType: 'flat', segmentationId: 0, macAddress: '', label: 'user' };
    const server = { shareServerId: 'srv-1', host: 'h@dummy1', shareNetworkId: 'net-1', shareNetworkSubnetIds: ['sub-1'], availabilityZone: 'nova', networkAllocations: [allocation], backendDetails: {}, identifier: '' };
    const setUp = await dummy1.setupShareServer({ server, metadata: { migration_destination: 'true', source_share_server_id: 'srv-0', request_host: 'h@dummy1' } });
    assert.deepEqual(setUp, { identifier: 'dummy-server-srv-1', backendDetails: { dummy_server: 'srv-1', migration_destination: 'true' }, networkAllocations: [allocation] });
    const onServer = instance('on-srv', 'dummy1', 'alpha', { shareServerId: 'srv-1' });
    const placed = { ...server, identifier: setUp.identifier, backendDetails: setUp.backendDetails };
    await dummy1.createShareInstance({ instance: onServer, server: placed });
    await assert.rejects(dummy1.teardownShareServer({ server: placed }), { code: 'FAILED_PRECONDITION', reason: 'RESOURCE_IN_USE' });
    await dummy1.deleteShareInstance({ instance: onServer, server: placed });
    await dummy1.teardownShareServer({ server: placed });
  });

  it('memory plugin: MigrationUpdateModel answers UNIMPLEMENTED, which resolves as an unchanged model', async () => {
    const memory = createDriverPort(host).backend('memory');
    const destination = instance('mem-dst', 'memory', 'memory');
    const model = await memory.migrationUpdateModel({
      migrationId: 'm-mem',
      method: 'host_assisted',
      source: instance('mem-src', 'dummy1'),
      destination,
      destinationSnapshots: [],
      sourcePeer: { backend: '', pluginName: '', vendorVersion: '', properties: {} },
    });
    assert.deepEqual(model, { exportLocations: [], providerLocation: '', backendDetails: {}, snapshotUpdates: {}, unchanged: true });
    await log.waitFor((r) => r.plugin === 'memory' && r.msg === 'driver call refused' && r.reason === 'CAPABILITY_NOT_SUPPORTED'); // the plugin was asked, and said no
  });

  it('memory plugin: rules the UpdateAccess answer does not mention are active', async () => {
    const memory = createDriverPort(host).backend('memory');
    const si = instance('mem-1', 'memory', 'memory');
    await memory.createShareInstance({ instance: si });
    const rules = [
      { accessRuleId: 'a', accessType: 'ip', accessTo: '10.0.0.1', accessLevel: 'rw', accessKey: '' },
      { accessRuleId: 'b', accessType: 'user', accessTo: 'bob', accessLevel: 'ro', accessKey: 'kept-key' },
    ];
    assert.deepEqual(await memory.updateAccess({ instance: si, rules, castRulesToReadonly: false }), {
      a: { state: 'active', accessKey: '', message: '' },
      b: { state: 'active', accessKey: 'kept-key', message: '' },
    });
  });
});
