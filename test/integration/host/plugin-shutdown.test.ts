import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { IdentityServiceService } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { fixtureLaunch, fixturePlugin, isAlive, newHost, tempDir } from '../../helpers/plugin-host-harness.js';

describe('closing the host', () => {
  it('stops plugins gracefully and leaves no process or socket behind; close is idempotent', async (t) => {
    const { host, socketRoot } = newHost(t, [
      { name: 'a', launch: fixtureLaunch('good') },
      { name: 'b', launch: fixtureLaunch('good') },
    ]);
    await host.start();
    const pids = host.plugins().map((s) => s.pid!);
    const socket = path.join(socketRoot, 'p-a', 'plugin.sock');
    assert.ok(existsSync(socket));
    await Promise.all([host.close(), host.close()]);
    await host.close();
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} is gone`);
    assert.equal(existsSync(socketRoot), false);
    assert.deepEqual(host.plugins().map((s) => [s.state, s.pid]), [['stopped', undefined], ['stopped', undefined]]);
    await assert.rejects(host.plugin('a').call(IdentityServiceService.probe, {}), { reason: 'PLUGIN_UNAVAILABLE', message: 'plugin a is unavailable: it is stopped' });
  });

  it('kills a plugin that ignores SIGTERM once the grace period is over', async (t) => {
    const { host, log } = newHost(t, [{ name: 'stubborn', launch: fixtureLaunch('good'), config: { ignoreSigterm: true }, shutdownGraceMs: 300 }]);
    await host.start();
    const pid = host.plugin('stubborn').status().pid!;
    await host.close();
    await log.waitFor((r) => r.msg === 'ignoring SIGTERM');
    assert.equal(isAlive(pid), false);
  });

  it('stops a plugin that is still starting', async (t) => {
    const { host, log } = newHost(t, [{ name: 'mute', launch: fixtureLaunch('broken-no-handshake'), startTimeoutMs: 30_000 }]);
    const starting = host.start();
    const pid = (await log.waitFor((r) => r.msg === 'thinking about it')).pluginPid as number;
    await host.close();
    await assert.rejects(starting, { message: 'plugin mute is unavailable: the host is closing' });
    assert.equal(isAlive(pid), false);
    assert.equal(host.plugin('mute').status().state, 'stopped');
  });

  it('leaves no orphan when the host process is killed: the plugin exits on stdin EOF', async (t) => {
    const hostProcess = spawn(process.execPath, [fixturePlugin('run-host'), path.join(tempDir(t), 'sockets')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const hostExited = new Promise((resolve) => hostProcess.once('exit', resolve));
    t.after(() => hostProcess.kill('SIGKILL'));
    const pidLine = await new Promise<string>((resolve) => readline.createInterface({ input: hostProcess.stdout! }).once('line', resolve));
    const pluginPid = Number(pidLine);
    assert.ok(isAlive(pluginPid));
    hostProcess.kill('SIGKILL');
    await hostExited;
    // The plugin is not our child, so there is no exit event to await: poll until it is gone.
    const deadline = Date.now() + 10_000;
    while (isAlive(pluginPid) && Date.now() < deadline) await sleep(20);
    assert.equal(isAlive(pluginPid), false, `plugin pid ${pluginPid} outlived its host`);
  });
});
