/**
 * The DriverPort's failure paths against real dummy plugin processes: a driver's error keeps
 * its code, reason and metadata; capabilities the plugin does not advertise are refused before
 * any call; a killed plugin is UNAVAILABLE; an aborted signal and a deadline cancel a held
 * call on the plugin. Holds use the dummy's enteredFile/holdUntilFile hooks, never sleeps.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DRIVER_ERROR_DOMAIN, FERRY_ERROR_DOMAIN, FerryError } from '../../../src/domain/errors.js';
import { createDriverPort, type PluginHost } from '../../../src/host/index.js';
import type { BackendStatus, DriverShareInstance, MigrationPair } from '../../../src/orchestrator/driver-port.js';
import { newHost, tempDir, type CapturedLog } from '../../helpers/plugin-host-harness.js';
import { DUMMY_MAIN, waitForFile, writeControlFile } from '../dummy/launch-dummy.js';

const dummy = { command: process.execPath, args: [DUMMY_MAIN] };

const instance = (id: string, backend = 'dummy1'): DriverShareInstance => ({
  shareInstanceId: id,
  shareId: `share-${id}`,
  pool: 'alpha',
  host: `h@${backend}#alpha`,
  sizeGib: 1,
  shareProto: 'NFS',
  exportLocations: [],
  shareTypeExtraSpecs: {},
  shareServerId: '',
  providerLocation: '',
  backendDetails: {},
  availabilityZone: 'nova',
});

const pair = (id: string, backend: string): MigrationPair => ({
  migrationId: id,
  source: instance(`${id}-src`, backend),
  destination: instance(`${id}-dst`, backend),
  destinationPeer: { backend: `h@${backend}`, pluginName: 'ferry.dummy', vendorVersion: '', properties: {} },
  sourceSnapshots: [],
  snapshotMappings: {},
});

describe('DriverPort failures', () => {
  const cleanups: (() => unknown)[] = [];
  const t = { after: (fn: () => unknown) => cleanups.push(fn) };
  let host: PluginHost;
  let log: CapturedLog;
  let dir: string;
  let control: string;

  before(async () => {
    dir = tempDir(t, 'fy-dpf-');
    control = path.join(dir, 'control.json');
    writeControlFile(control, {});
    ({ host, log } = newHost(t, [
      { name: 'dummy1', launch: dummy, config: { controlFile: control } },
      { name: 'limited', launch: dummy, config: { capabilities: ['SHARES'] } },
      {
        name: 'victim',
        launch: dummy,
        config: { behaviour: { listPools: { holdUntilFile: path.join(dir, 'never'), enteredFile: path.join(dir, 'victim-entered') } } },
        // Down long enough to see the fail-fast answer; close() cancels the pending restart.
        restart: { initialBackoffMs: 60_000, maxBackoffMs: 60_000 },
      },
    ], { level: 'debug' }));
    await host.start();
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("keeps an injected driver error's code, reason, message, metadata and domain", async () => {
    writeControlFile(control, { createShareInstance: { fail: { code: 'RESOURCE_EXHAUSTED', reason: 'INSUFFICIENT_CAPACITY', message: 'pool alpha is full', metadata: { pool: 'alpha' } } } });
    try {
      await assert.rejects(createDriverPort(host).backend('dummy1').createShareInstance({ instance: instance('full-1') }), (error: unknown) => {
        assert.ok(error instanceof FerryError);
        assert.deepEqual(
          [error.code, error.reason, error.message, error.metadata, error.domain],
          ['RESOURCE_EXHAUSTED', 'INSUFFICIENT_CAPACITY', 'pool alpha is full', { pool: 'alpha' }, DRIVER_ERROR_DOMAIN],
        );
        return true;
      });
    } finally {
      writeControlFile(control, {});
    }
  });

  it('refuses RPCs whose capability the plugin does not advertise, without calling it', async () => {
    const limited = createDriverPort(host).backend('limited');
    assert.deepEqual(limited.status().identity?.capabilities, ['SHARES']);
    await assert.rejects(limited.migrationStart(pair('m-gate', 'limited')), (error: unknown) => {
      assert.ok(error instanceof FerryError);
      assert.deepEqual([error.code, error.reason, error.domain], ['UNIMPLEMENTED', 'CAPABILITY_NOT_SUPPORTED', FERRY_ERROR_DOMAIN]);
      assert.deepEqual(error.metadata, { plugin: 'limited', method: 'ShareMigrationService/MigrationStart', capability: 'SHARE_DRIVER_MIGRATION' });
      assert.equal(error.message, 'back end limited (plugin ferry.dummy) does not advertise SHARE_DRIVER_MIGRATION, which ShareMigrationService/MigrationStart needs; ferry did not call it');
      return true;
    });
    await assert.rejects(limited.getConnectionInfo({ instance: instance('g-1', 'limited') }), { reason: 'CAPABILITY_NOT_SUPPORTED', metadata: { plugin: 'limited', method: 'ShareService/GetConnectionInfo', capability: 'SHARE_HOST_ASSISTED_MIGRATION' } });
    await assert.rejects(limited.extendShareInstance({ instance: instance('g-1', 'limited'), newSizeGib: 2 }), { reason: 'CAPABILITY_NOT_SUPPORTED', metadata: { plugin: 'limited', method: 'ShareService/ExtendShareInstance', capability: 'SHARE_RESIZE' } });
    await assert.rejects(limited.setupShareServer({ server: { shareServerId: 's', host: 'h@limited', shareNetworkId: 'n', shareNetworkSubnetIds: [], availabilityZone: '', networkAllocations: [], backendDetails: {}, identifier: '' }, metadata: {} }), { reason: 'CAPABILITY_NOT_SUPPORTED', metadata: { plugin: 'limited', method: 'ShareServerService/SetupShareServer', capability: 'SHARE_SERVERS' } });

    // The host logs every call it sends at debug: none of the refused ones went out, and the plugin refused nothing.
    const refused = ['ShareMigrationService/MigrationStart', 'ShareService/GetConnectionInfo', 'ShareService/ExtendShareInstance', 'ShareServerService/SetupShareServer'];
    const sent = log.records.filter((r) => r.plugin === 'limited' && r.msg === 'driver call').map((r) => String(r.method));
    assert.deepEqual(sent.filter((m) => refused.includes(m)), [], `sent to limited: ${sent.join(', ')}`);
    assert.deepEqual(log.records.filter((r) => r.plugin === 'limited' && r.msg === 'driver call refused'), []);
    // Control: an advertised RPC does go out and is logged the same way.
    await limited.createShareInstance({ instance: instance('g-ok', 'limited') });
    assert.ok(log.records.some((r) => r.plugin === 'limited' && r.msg === 'driver call' && r.method === 'ShareService/CreateShareInstance'));
  });

  it('cancels a held call on the plugin when the caller aborts, and the key is free again afterwards', async () => {
    const entered = path.join(dir, 'abort-entered');
    writeControlFile(control, { createShareInstance: { holdUntilFile: path.join(dir, 'abort-release'), enteredFile: entered } });
    const dummy1 = createDriverPort(host).backend('dummy1');
    const controller = new AbortController();
    const held = dummy1.createShareInstance({ instance: instance('abort-1') }, { signal: controller.signal });
    await waitForFile(entered, (content) => content.includes('createShareInstance abort-1\n'));
    controller.abort();
    await assert.rejects(held, { code: 'CANCELLED', reason: 'CANCELLED', metadata: { plugin: 'dummy1', method: 'ShareService/CreateShareInstance' } });
    await log.waitFor((r) => r.plugin === 'dummy1' && r.msg === 'driver call cancelled' && r.reason === 'CANCELLED'); // the plugin's handler stopped
    writeControlFile(control, {});
    assert.equal((await dummy1.createShareInstance({ instance: instance('abort-1') })).providerLocation, 'dummy://share/abort-1', 'not ABORTED: the cancelled call released its key');
    await assert.rejects(dummy1.listPools({ signal: AbortSignal.abort() }), { code: 'CANCELLED', metadata: { plugin: 'dummy1', method: 'PoolService/ListPools' } });
  });

  it('applies per-method deadlines from the options, and a call-level timeoutMs over them', async () => {
    writeControlFile(control, { createShareInstance: { holdUntilFile: path.join(dir, 'deadline-release') } });
    try {
      const dummy1 = createDriverPort(host, { defaultTimeoutMs: 60_000, timeouts: { createShareInstance: 300 } }).backend('dummy1');
      await assert.rejects(dummy1.createShareInstance({ instance: instance('late-1') }), {
        code: 'DEADLINE_EXCEEDED',
        reason: 'PLUGIN_DEADLINE_EXCEEDED',
        metadata: { plugin: 'dummy1', method: 'ShareService/CreateShareInstance', deadlineMs: '300' },
      });
      await assert.rejects(dummy1.createShareInstance({ instance: instance('late-2') }, { timeoutMs: 200 }), { reason: 'PLUGIN_DEADLINE_EXCEEDED', metadata: { plugin: 'dummy1', method: 'ShareService/CreateShareInstance', deadlineMs: '200' } });
      await assert.rejects(dummy1.listPools({ timeoutMs: 0 }), { code: 'INVALID_ARGUMENT', message: 'timeoutMs: must be a whole number of milliseconds >= 1, got 0' });
    } finally {
      writeControlFile(control, {});
    }
  });

  it('a killed plugin yields UNAVAILABLE (PLUGIN_UNAVAILABLE), for the call in flight and for calls while it is down', async () => {
    const port = createDriverPort(host);
    const victim = port.backend('victim');
    const statuses: BackendStatus[] = [];
    const stop = port.onStatus((status) => statuses.push(status));
    t.after(stop);
    const down = new Promise<BackendStatus>((resolve) => {
      const unsubscribe = port.onStatus((s) => {
        if (s.name !== 'victim' || s.state !== 'restarting') return;
        unsubscribe();
        resolve(s);
      });
    });

    const inFlight = victim.listPools();
    await waitForFile(path.join(dir, 'victim-entered'), (content) => content.includes('listPools'));
    process.kill(victim.status().pid!, 'SIGKILL');
    await assert.rejects(inFlight, { code: 'UNAVAILABLE', reason: 'PLUGIN_UNAVAILABLE', metadata: { plugin: 'victim' } });

    const status = await down;
    assert.equal(status.lastError, 'plugin victim is unavailable: exited unexpectedly (signal SIGKILL)');
    assert.equal(victim.status().state, 'restarting');
    await assert.rejects(victim.getExportLocations({ instance: instance('v-1', 'victim') }), {
      code: 'UNAVAILABLE',
      reason: 'PLUGIN_UNAVAILABLE',
      message: 'plugin victim is unavailable: it is restarting (last error: plugin victim is unavailable: exited unexpectedly (signal SIGKILL))',
    });
    assert.ok(statuses.some((s) => s.name === 'victim' && s.state === 'restarting' && s.identity?.pluginName === 'ferry.dummy'), 'onStatus got the change as a BackendStatus');
  });
});
