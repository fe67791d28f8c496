import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { IdentityServiceClient, PluginCapability } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { connect, healthStatus, launchPlugin, unary, type PluginProcess } from './plugin-process.js';

describe('SDK plugin launch and handshake', () => {
  let plugin: PluginProcess;
  let handshake: Record<string, unknown>;

  before(async () => {
    plugin = launchPlugin();
    handshake = await plugin.handshake;
  });
  after(() => plugin.close());

  it('writes one handshake line with the doc fields, a socket inside FERRY_PLUGIN_SOCKET_DIR and its own pid', () => {
    assert.deepEqual(Object.keys(handshake).sort(), ['address', 'contract_version', 'ferry_plugin', 'network', 'pid']);
    assert.equal(handshake.ferry_plugin, 1);
    assert.equal(handshake.contract_version, 'v1');
    assert.equal(handshake.network, 'unix');
    assert.equal(handshake.pid, plugin.child.pid);
    assert.equal(dirname(String(handshake.address)), plugin.socketDir);
    assert.ok(existsSync(String(handshake.address)));
  });

  it('reports SERVING on grpc.health.v1 for the plugin and for each contract service', async () => {
    assert.equal(await healthStatus(String(handshake.address)), 'SERVING');
    assert.equal(await healthStatus(String(handshake.address), 'ferry.driver.v1.ShareService'), 'SERVING');
  });

  it('answers GetPluginInfo from driver.info with the negotiated contract version', async () => {
    const client = connect(IdentityServiceClient, String(handshake.address));
    try {
      const info = await unary(client.getPluginInfo.bind(client), {}).response;
      assert.deepEqual(info, { name: 'test.echo', vendorVersion: '1.2.3', contractVersion: 'v1', manifest: { fixture: 'echo' } });
      const caps = await unary(client.getPluginCapabilities.bind(client), {}).response;
      assert.deepEqual(caps.capabilities, [PluginCapability.PLUGIN_CAPABILITY_SHARES]);
      const probe = await unary(client.probe.bind(client), {}).response;
      assert.deepEqual(probe, { ready: true, message: 'echo ready' });
    } finally {
      client.close();
    }
  });

  it('logs JSON to stderr with the plugin name bound and warns about the implemented but unadvertised RPC', async () => {
    const serving = await plugin.waitForStderr((l) => l.json?.msg === 'plugin serving', 'plugin serving');
    assert.equal(serving.json?.plugin, 'echo1');
    const warning = await plugin.waitForStderr((l) => String(l.json?.msg ?? '').startsWith('extendShareInstance'), 'unadvertised warning');
    assert.match(String(warning.json?.msg), /PLUGIN_CAPABILITY_SHARE_RESIZE/);
  });

  it('keeps stdout to the handshake line although the driver printed with console.log and stdout.write', async () => {
    // Probe ran console.log above; both pre-serve writes ran at start. Stop the plugin so stdout is complete.
    await plugin.waitForStderr((l) => l.raw.includes('console.log inside a handler'), 'console.log on stderr');
    assert.ok(plugin.stderr().some((l) => l.raw.includes('process.stdout.write must not reach stdout')));
    plugin.child.kill('SIGTERM');
    assert.deepEqual(await plugin.exited, { code: 0, signal: null });
    assert.equal(plugin.stdout(), `${JSON.stringify(handshake)}\n`);
  });
});

describe('SDK plugin environment checks', () => {
  it('refuses to run by hand: without the magic cookie it prints why and exits 1, writing nothing to stdout', async () => {
    const plugin = launchPlugin({ env: { FERRY_PLUGIN_MAGIC_COOKIE: undefined } });
    try {
      assert.deepEqual(await plugin.exited, { code: 1, signal: null });
      assert.equal(plugin.stdout(), '');
      assert.ok(plugin.stderr().some((l) => l.raw === 'This program is a ferry driver plugin. It is started by ferry, not by hand.'));
    } finally {
      await plugin.close();
    }
  });

  it('picks the first offered contract version it speaks', async () => {
    const plugin = launchPlugin({ offered: 'v3, v1' });
    try {
      assert.equal((await plugin.handshake).contract_version, 'v1');
    } finally {
      await plugin.close();
    }
  });

  it('answers an offer it cannot speak ("v9") with its own version, so the host can refuse it clearly', async () => {
    const plugin = launchPlugin({ offered: 'v9' });
    try {
      assert.equal((await plugin.handshake).contract_version, 'v1');
      const logged = await plugin.waitForStderr((l) => l.json?.level === 50 && Array.isArray(l.json.offered), 'version mismatch error');
      assert.deepEqual(logged.json?.offered, ['v9']);
    } finally {
      await plugin.close();
    }
  });
});
