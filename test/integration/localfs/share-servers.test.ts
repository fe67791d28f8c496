/**
 * localfs with driverHandlesShareServers, as a real plugin process: share servers set up and
 * torn down per the contract, instances created on them, servers surviving kill -9; and the same
 * plugin without the key, where nothing about share servers is offered.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PluginCapability } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { ferryError, instance, launchLocalFs, makeTestDir, networkInfo, removeTestDir, shareServer, type LocalFsProcess } from './launcher.js';

const SERVER_CAPABILITIES = [PluginCapability.PLUGIN_CAPABILITY_SHARE_SERVERS, PluginCapability.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION];

describe('localfs share servers (driverHandlesShareServers)', () => {
  let dir: string;
  let root: string;
  let plugin: LocalFsProcess;
  const config = () => ({ root, driverHandlesShareServers: true });

  before(async () => {
    dir = makeTestDir('lfs-srv-');
    root = join(dir, 'root');
    plugin = await launchLocalFs({ dir, config: config(), name: 'localfsS' });
  });
  after(async () => {
    await plugin?.stop();
    removeTestDir(dir);
  });

  const setup = (id: string, overrides: Parameters<typeof shareServer>[1] = {}, info = [networkInfo()]) =>
    plugin.server.setupShareServer({ shareServer: shareServer(id, overrides), networkInfo: info, migrationDestination: false, sourceShareServerId: '', requestHost: '' });
  const teardown = (id: string) => plugin.server.teardownShareServer({ shareServer: shareServer(id), securityServices: [] });
  const create = (id: string, serverId: string | undefined) =>
    plugin.share.createShareInstance({ shareInstance: instance(id, { shareServerId: serverId ?? '' }), sourceSnapshotInstance: undefined, shareServer: serverId === undefined ? undefined : shareServer(serverId) });

  test('advertises the share-server capabilities and reports driver_handles_share_servers "true" on every pool', async () => {
    const { capabilities } = await plugin.identity.getPluginCapabilities({});
    for (const c of SERVER_CAPABILITIES) assert.ok(capabilities.includes(c), PluginCapability[c]);
    const { pools, migrationPeerInfo } = await plugin.pool.listPools({});
    assert.deepEqual(pools.map((p) => p.capabilities.driver_handles_share_servers), ['true', 'true']);
    assert.deepEqual(migrationPeerInfo, { root, readOnlyEnforcement: 'bind-mount' });
  });

  test('SetupShareServer records the server durably; a replay answers the same; other networks are ALREADY_EXISTS', async () => {
    const first = await setup('srv-a');
    assert.equal(first.identifier, 'localfs-srv-a');
    assert.deepEqual(first.backendDetails, { root, server_dir: join(root, 'servers/srv-a') });
    const record = JSON.parse(readFileSync(join(root, 'servers/srv-a/server.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(record.shareNetworkId, 'net-1');
    assert.deepEqual(record.shareNetworkSubnetIds, ['subnet-1']);
    assert.deepEqual(record.ipAddresses, ['10.0.0.21']);
    assert.deepEqual(await setup('srv-a'), first, 'a replay returns the same response');
    const otherNetwork = await ferryError(setup('srv-a', { shareNetworkId: 'net-2' }));
    assert.equal(otherNetwork.code, 'ALREADY_EXISTS');
    assert.equal(otherNetwork.reason, 'ALREADY_EXISTS_INCOMPATIBLE');
    const otherSubnet = await ferryError(setup('srv-a', { shareNetworkSubnetIds: ['subnet-2'] }, [networkInfo('subnet-2')]));
    assert.equal(otherSubnet.reason, 'ALREADY_EXISTS_INCOMPATIBLE');
  });

  test('SetupShareServer validates its fields first', async () => {
    assert.equal((await ferryError(setup('srv-x', {}, []))).reason, 'MISSING_FIELD');
    assert.equal((await ferryError(setup('srv-x', { shareNetworkId: '' }))).reason, 'MISSING_FIELD');
    assert.equal((await ferryError(setup('../escape'))).reason, 'INVALID_FIELD');
    assert.ok(!existsSync(join(root, 'servers/srv-x')));
  });

  test('CreateShareInstance needs an existing share server and records it; the server cannot be torn down while it holds the instance', async () => {
    const missing = await ferryError(create('i-none', undefined));
    assert.equal(missing.code, 'INVALID_ARGUMENT');
    assert.equal(missing.reason, 'MISSING_FIELD');
    const unknown = await ferryError(create('i-unknown', 'srv-never'));
    assert.equal(unknown.code, 'NOT_FOUND');
    assert.equal(unknown.reason, 'SHARE_SERVER_NOT_FOUND');
    assert.ok(!existsSync(join(root, 'pools/pool1/shares/i-unknown/instance.json')));

    await setup('srv-b');
    const created = await create('i-b', 'srv-b');
    assert.deepEqual(created.exportLocations.map((e) => e.path), [join(root, 'exports/i-b')]);
    const record = JSON.parse(readFileSync(join(root, 'pools/pool1/shares/i-b/instance.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(record.shareServerId, 'srv-b');
    await create('i-b', 'srv-b'); // replay
    await setup('srv-c');
    assert.equal((await ferryError(create('i-b', 'srv-c'))).reason, 'ALREADY_EXISTS_INCOMPATIBLE', 'the same id on another server');

    const inUse = await ferryError(teardown('srv-b'));
    assert.equal(inUse.code, 'FAILED_PRECONDITION');
    assert.equal(inUse.reason, 'RESOURCE_IN_USE');
    assert.match(inUse.message, /i-b/);
    assert.ok(existsSync(join(root, 'servers/srv-b/server.json')), 'a refused teardown keeps the server');

    await plugin.share.deleteShareInstance({ shareInstance: instance('i-b'), shareServer: shareServer('srv-b') });
    await teardown('srv-b');
    assert.ok(!existsSync(join(root, 'servers/srv-b')));
    await teardown('srv-b'); // replay
    await teardown('srv-never'); // unknown: OK
    assert.equal((await ferryError(create('i-after', 'srv-b'))).reason, 'SHARE_SERVER_NOT_FOUND', 'a torn-down server takes no instance');
  });

  test('kill -9: servers and the instances on them survive a restart', async () => {
    const before = await setup('srv-k');
    await create('i-k', 'srv-k');
    await plugin.kill9();
    plugin = await launchLocalFs({ dir, config: config(), name: 'localfsS' });
    assert.deepEqual(await setup('srv-k'), before, 'the server is still set up, with the same identifier');
    assert.equal((await ferryError(teardown('srv-k'))).reason, 'RESOURCE_IN_USE');
    const exported = await plugin.share.getExportLocations({ shareInstance: instance('i-k'), shareServer: shareServer('srv-k') });
    assert.deepEqual(exported.exportLocations.map((e) => e.path), [join(root, 'exports/i-k')]);
    await plugin.share.deleteShareInstance({ shareInstance: instance('i-k'), shareServer: shareServer('srv-k') });
    await teardown('srv-k');
  });
});

describe('localfs without driverHandlesShareServers', () => {
  let dir: string;
  let plugin: LocalFsProcess;

  before(async () => {
    dir = makeTestDir('lfs-nosrv-');
    plugin = await launchLocalFs({ dir, config: { root: join(dir, 'root') }, name: 'localfsN' });
  });
  after(async () => {
    await plugin?.stop();
    removeTestDir(dir);
  });

  test('offers no share servers: capabilities, pool capability "false", ShareServerService UNIMPLEMENTED, instances need no server', async () => {
    const { capabilities } = await plugin.identity.getPluginCapabilities({});
    for (const c of SERVER_CAPABILITIES) assert.ok(!capabilities.includes(c), PluginCapability[c]);
    const { pools } = await plugin.pool.listPools({});
    assert.ok(pools.every((p) => p.capabilities.driver_handles_share_servers === 'false'));
    const refused = await ferryError(plugin.server.setupShareServer({ shareServer: shareServer('s'), networkInfo: [networkInfo()], migrationDestination: false, sourceShareServerId: '', requestHost: '' }));
    assert.equal(refused.code, 'UNIMPLEMENTED');
    assert.equal(refused.reason, 'CAPABILITY_NOT_SUPPORTED');
    assert.equal((await ferryError(plugin.server.shareServerMigrationContinue({ migrationId: 'm', sourceShareServer: undefined, destinationShareServer: undefined, shareInstances: [], snapshotInstances: [], sourcePeer: undefined }))).code, 'UNIMPLEMENTED');
    await plugin.share.createShareInstance({ shareInstance: instance('plain'), sourceSnapshotInstance: undefined, shareServer: undefined });
    assert.ok(!plugin.stderr().includes('does not advertise'), 'no warning about implemented but unadvertised RPCs');
    assert.ok(!existsSync(join(dir, 'root/servers')), 'no share-server layout');
    await plugin.share.deleteShareInstance({ shareInstance: instance('plain'), shareServer: undefined });
  });
});
