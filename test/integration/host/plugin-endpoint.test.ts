import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { describe, it } from 'node:test';
import { IdentityServiceService } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { MAGIC_COOKIE } from '../../../src/host/index.js';
import { fixturePlugin, isAlive, newHost, tempDir, waitForStatus } from '../../helpers/plugin-host-harness.js';

interface RunningPlugin {
  readonly pid: number;
  readonly network: string;
  readonly address: string;
  readonly socketDir: string;
  stop(): Promise<void>;
}

/** Runs the good fixture outside any host, as an operator would run a plugin service. */
async function runPlugin(t: { after(fn: () => unknown): void }, config: Record<string, unknown> = {}, socketDir = path.join(tempDir(t), 'plugin')): Promise<RunningPlugin> {
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  rmSync(path.join(socketDir, 'plugin.sock'), { force: true });
  const child = spawn(process.execPath, [fixturePlugin('good')], {
    env: { ...process.env, FERRY_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE, FERRY_PLUGIN_CONTRACT_VERSIONS: 'v1', FERRY_PLUGIN_SOCKET_DIR: socketDir, FERRY_PLUGIN_NAME: 'ext', FERRY_PLUGIN_CONFIG: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  t.after(stop);
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    void exited.then(() => reject(new Error('the fixture exited before its handshake')));
  });
  const handshake = JSON.parse(line) as { network: string; address: string; pid: number };
  return { pid: handshake.pid, network: handshake.network, address: handshake.address, socketDir, stop };
}

describe('connecting to an already running plugin', () => {
  it('checks and uses a plugin at a unix:// endpoint without managing its process', async (t) => {
    const plugin = await runPlugin(t);
    const { host } = newHost(t, [{ name: 'ext', endpoint: { address: `unix://${plugin.address}` } }]);
    await host.start();
    const status = host.plugin('ext').status();
    assert.equal(status.state, 'ready');
    assert.equal(status.mode, 'endpoint');
    assert.equal(status.pid, undefined);
    assert.equal(status.identity?.info.name, 'ferry.test-fixture');
    assert.deepEqual(await host.plugin('ext').call(IdentityServiceService.probe, {}), { ready: true, message: '' });
    await host.close();
    assert.ok(isAlive(plugin.pid), 'the host does not stop a plugin it did not start');
  });

  it('checks and uses a plugin at a host:port endpoint', async (t) => {
    const plugin = await runPlugin(t, { tcp: true });
    assert.equal(plugin.network, 'tcp');
    const { host } = newHost(t, [{ name: 'remote', endpoint: { address: plugin.address } }]);
    await host.start();
    assert.equal(host.plugin('remote').status().target, plugin.address);
    assert.equal((await host.plugin('remote').service('identity').probe({})).ready, true);
  });

  it('fails calls fast while the endpoint is gone and reconnects when it is back', async (t) => {
    const first = await runPlugin(t);
    const { host } = newHost(t, [
      { name: 'ext', endpoint: { address: `unix:${first.address}` }, healthIntervalMs: 50, healthFailureThreshold: 1, startTimeoutMs: 3000, restart: { initialBackoffMs: 20, maxBackoffMs: 100 } },
    ]);
    await host.start();
    const down = waitForStatus(host, 'ext', (s) => s.state === 'restarting');
    await first.stop();
    await down;
    await assert.rejects(host.plugin('ext').call(IdentityServiceService.probe, {}), { code: 'UNAVAILABLE', reason: 'PLUGIN_UNAVAILABLE' });
    await runPlugin(t, {}, first.socketDir);
    const back = await waitForStatus(host, 'ext', (s) => s.state === 'ready');
    assert.ok(back.restarts >= 1);
    assert.deepEqual(await host.plugin('ext').call(IdentityServiceService.probe, {}), { ready: true, message: '' });
  });
});
