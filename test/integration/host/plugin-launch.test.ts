import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FerryError } from '../../../src/domain/errors.js';
import { IdentityServiceService, PluginCapability } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { fixtureLaunch, isAlive, newHost, tempDir, waitForStatus } from '../../helpers/plugin-host-harness.js';

describe('launching a plugin', () => {
  it('starts a plugin, reads its handshake and reports it ready with its identity', async (t) => {
    const { host, socketRoot } = newHost(t, [{ name: 'good1', launch: fixtureLaunch('good'), config: { tag: 'x' } }]);
    await host.start();
    const status = host.plugin('good1').status();
    assert.equal(status.state, 'ready');
    assert.equal(status.mode, 'launch');
    assert.equal(status.restarts, 0);
    assert.ok(status.pid !== undefined && isAlive(status.pid));
    assert.equal(status.target, `unix:${path.join(socketRoot, 'p-good1', 'plugin.sock')}`);
    assert.equal(status.identity?.info.name, 'ferry.test-fixture');
    assert.equal(status.identity?.info.contractVersion, 'v1');
    assert.deepEqual(status.identity?.capabilities, [PluginCapability.PLUGIN_CAPABILITY_SHARES, PluginCapability.PLUGIN_CAPABILITY_SHARE_HOST_ASSISTED_MIGRATION]);
    assert.deepEqual(host.plugins().map((s) => s.name), ['good1']);

    assert.equal(statSync(socketRoot).mode & 0o777, 0o700);
    assert.equal(statSync(path.join(socketRoot, 'p-good1')).mode & 0o777, 0o700);

    assert.deepEqual(await host.plugin('good1').call(IdentityServiceService.probe, {}), { ready: true, message: '' });
    assert.equal((await host.plugin('good1').service('identity').getPluginInfo({})).vendorVersion, '0.0.1');
  });

  it('refuses a plugin whose contract version it does not speak, naming the versions that fit', async (t) => {
    const { host } = newHost(t, [{ name: 'future', launch: fixtureLaunch('broken-contract-v9') }]);
    await assert.rejects(host.start(), (error: unknown) => {
      assert.ok(error instanceof FerryError);
      assert.equal(error.reason, 'CONTRACT_VERSION_MISMATCH');
      assert.equal(error.code, 'FAILED_PRECONDITION');
      assert.equal(error.message, 'plugin future speaks contract version "v9", but this host speaks v1; install a plugin build that supports one of: v1');
      return true;
    });
    const status = host.plugin('future').status();
    assert.equal(status.state, 'failed');
    assert.equal(status.pid, undefined);
    await assert.rejects(host.plugin('future').call(IdentityServiceService.probe, {}), { code: 'UNAVAILABLE', reason: 'PLUGIN_UNAVAILABLE' });
  });

  it('refuses a malformed handshake line with a protocol error quoting it', async (t) => {
    const { host } = newHost(t, [{ name: 'chatty', launch: fixtureLaunch('broken-malformed-handshake') }]);
    await assert.rejects(host.start(), {
      reason: 'PLUGIN_PROTOCOL_ERROR',
      message: 'plugin chatty: malformed handshake line "plugin listening on /tmp/plugin.sock": not JSON; the first line on stdout must be the handshake, logs go to stderr',
    });
    assert.equal(host.plugin('chatty').status().state, 'failed');
  });

  it('gives up on a plugin that does not handshake within the start timeout, and kills it', async (t) => {
    const { host } = newHost(t, [{ name: 'mute', launch: fixtureLaunch('broken-no-handshake'), startTimeoutMs: 500, restart: { maxRestarts: 0 } }]);
    const spawned = waitForStatus(host, 'mute', (s) => s.state === 'starting' && s.pid !== undefined);
    await assert.rejects(host.start(), {
      code: 'UNAVAILABLE',
      reason: 'PLUGIN_UNAVAILABLE',
      message: 'plugin mute is unavailable: no handshake line on stdout within the start timeout (500 ms)',
    });
    assert.equal(isAlive((await spawned).pid!), false);
    await waitForStatus(host, 'mute', (s) => s.state === 'failed');
  });

  it('reports a plugin that exits before its handshake, quoting its stderr', async (t) => {
    const { host, log } = newHost(t, [{ name: 'dying', launch: fixtureLaunch('broken-exit-stderr'), restart: { maxRestarts: 0 } }]);
    await assert.rejects(host.start(), {
      reason: 'PLUGIN_UNAVAILABLE',
      message: 'plugin dying is unavailable: exited (code 3) before its handshake; last stderr: fatal: cannot open back end /nonexistent/pool: no such directory',
    });
    const forwarded = await log.waitFor((r) => typeof r.msg === 'string' && r.msg.startsWith('fatal: cannot open back end'));
    assert.equal(forwarded.plugin, 'dying');
  });

  it('reports output on stdout after the handshake as a contract violation', async (t) => {
    const { host, log } = newHost(t, [{ name: 'stray', launch: fixtureLaunch('broken-stray-stdout') }]);
    await host.start();
    const record = await log.waitFor((r) => r.msg === 'plugin broke the contract: output on stdout');
    assert.equal(record.plugin, 'stray');
    assert.equal(record.level, 50);
    const status = await waitForStatus(host, 'stray', (s) => s.lastError !== undefined);
    assert.equal(status.lastError?.reason, 'PLUGIN_PROTOCOL_ERROR');
    assert.equal(status.lastError?.message, 'plugin stray: wrote to stdout after the handshake (stdout is reserved; log to stderr): "debug: listening happily"');
    assert.equal(status.state, 'ready');
  });

  it('forwards stderr into the host log with the plugin name bound, at the plugin level', async (t) => {
    const { host, log } = newHost(t, [{ name: 'talker', launch: fixtureLaunch('good') }]);
    await host.start();
    const structured = await log.waitFor((r) => r.msg === 'fixture listening');
    assert.equal(structured.plugin, 'talker');
    assert.equal(structured.level, 30);
    assert.equal(structured.answer, 42);
    assert.equal(structured.pluginPid, host.plugin('talker').status().pid);
    const plain = await log.waitFor((r) => r.msg === 'plain line from the fixture');
    assert.equal(plain.plugin, 'talker');
    assert.equal(plain.level, 30);
  });

  it('removes stale sockets a previous run left in the socket root', async (t) => {
    const socketRoot = path.join(tempDir(t), 'sockets');
    mkdirSync(path.join(socketRoot, 'p-old'), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(socketRoot, 'p-old', 'plugin.sock'), '');
    const { host } = newHost(t, [{ name: 'fresh', launch: fixtureLaunch('good') }], { socketRoot });
    await host.start();
    assert.deepEqual(readdirSync(socketRoot), ['p-fresh']);
    assert.equal(statSync(socketRoot).mode & 0o777, 0o700);
    await host.close();
    assert.equal(existsSync(socketRoot), false);
  });
});
