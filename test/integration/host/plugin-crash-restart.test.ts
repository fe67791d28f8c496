import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdentityServiceService } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { fixtureLaunch, isAlive, newHost, waitForStatus } from '../../helpers/plugin-host-harness.js';

describe('supervising a plugin', () => {
  it('restarts a plugin killed with SIGKILL, failing calls fast while it is down', async (t) => {
    const { host, log } = newHost(t, [{ name: 'crashy', launch: fixtureLaunch('good'), restart: { initialBackoffMs: 300, maxBackoffMs: 1000 } }]);
    await host.start();
    const handle = host.plugin('crashy');
    const firstPid = handle.status().pid!;

    const down = waitForStatus(host, 'crashy', (s) => s.state === 'restarting');
    process.kill(firstPid, 'SIGKILL');
    const downStatus = await down;
    assert.equal(downStatus.lastError?.message, 'plugin crashy is unavailable: exited unexpectedly (signal SIGKILL)');

    await assert.rejects(handle.call(IdentityServiceService.probe, {}), (error: { code: string; reason: string; message: string }) => {
      assert.equal(error.code, 'UNAVAILABLE');
      assert.equal(error.reason, 'PLUGIN_UNAVAILABLE');
      assert.match(error.message, /^plugin crashy is unavailable: it is restarting \(last error: plugin crashy is unavailable: exited unexpectedly \(signal SIGKILL\)\)$/);
      return true;
    });
    const atRejection = handle.status();
    assert.deepEqual([atRejection.state, atRejection.restarts], ['restarting', 0], 'the call failed before the restart began instead of waiting for it');

    const ready = await waitForStatus(host, 'crashy', (s) => s.state === 'ready' && s.restarts === 1);
    assert.notEqual(ready.pid, firstPid);
    assert.equal(isAlive(firstPid), false);
    assert.deepEqual(await handle.call(IdentityServiceService.probe, {}), { ready: true, message: '' });
    const scheduled = await log.waitFor((r) => r.msg === 'plugin restart scheduled');
    assert.equal(scheduled.backoffMs, 300);
  });

  it('backs off exponentially while restarts keep failing, up to the limit', async (t) => {
    const { host, log } = newHost(t, [
      { name: 'hopeless', launch: fixtureLaunch('broken-exit-stderr'), restart: { initialBackoffMs: 20, maxBackoffMs: 50, maxRestarts: 3 } },
    ]);
    await assert.rejects(host.start(), { reason: 'PLUGIN_UNAVAILABLE' });
    const failed = await waitForStatus(host, 'hopeless', (s) => s.state === 'failed');
    assert.equal(failed.restarts, 3);
    const backoffs = log.records.filter((r) => r.msg === 'plugin restart scheduled').map((r) => r.backoffMs);
    assert.deepEqual(backoffs, [20, 40, 50]);
    await log.waitFor((r) => r.msg === 'plugin failed; restart limit reached');
  });

  it('restarts a plugin that keeps failing its health checks', async (t) => {
    const { host, log } = newHost(t, [
      { name: 'sickly', launch: fixtureLaunch('good'), healthIntervalMs: 50, healthFailureThreshold: 2, restart: { initialBackoffMs: 20 } },
    ]);
    await host.start();
    const firstPid = host.plugin('sickly').status().pid!;
    process.kill(firstPid, 'SIGUSR2'); // the fixture now reports NOT_SERVING
    const ready = await waitForStatus(host, 'sickly', (s) => s.state === 'ready' && s.restarts === 1);
    assert.notEqual(ready.pid, firstPid);
    assert.equal(isAlive(firstPid), false);
    assert.equal(ready.lastError?.message, 'plugin sickly is unavailable: stopped answering health checks (2 in a row; last: health status NOT_SERVING)');
    const warnings = log.records.filter((r) => r.msg === 'plugin health check failed');
    assert.deepEqual(warnings.slice(-2).map((r) => [r.failures, r.problem]), [[1, 'health status NOT_SERVING'], [2, 'health status NOT_SERVING']]);
  });
});
