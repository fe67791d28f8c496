import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { IdentityServiceService } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { fixtureLaunch, isAlive, newHost } from '../../helpers/plugin-host-harness.js';

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
});
