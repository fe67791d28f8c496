import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { IdentityServiceService } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { fixtureLaunch, newHost, tempDir } from '../../helpers/plugin-host-harness.js';

describe('calling a plugin', () => {
  it('cancels a call on the plugin when its deadline passes, and reports DEADLINE_EXCEEDED', async (t) => {
    const cancelFile = path.join(tempDir(t), 'cancelled.txt');
    const { host, log } = newHost(t, [{ name: 'slow', launch: fixtureLaunch('good'), config: { hang: true, cancelFile } }]);
    await host.start();
    await assert.rejects(host.plugin('slow').call(IdentityServiceService.probe, {}, { deadlineMs: 1000 }), {
      code: 'DEADLINE_EXCEEDED',
      reason: 'PLUGIN_DEADLINE_EXCEEDED',
      message: 'plugin slow did not answer IdentityService/Probe within 1000 ms; the call was cancelled',
      metadata: { plugin: 'slow', method: 'IdentityService/Probe', deadlineMs: '1000' },
    });
    await log.waitFor((r) => r.msg === 'probe hanging' && r.plugin === 'slow'); // it got the call before the deadline
    await log.waitFor((r) => r.msg === 'probe cancelled' && r.plugin === 'slow');
    assert.equal(readFileSync(cancelFile, 'utf8'), 'probe cancelled\n');
  });

  it('uses the plugin default deadline when the call sets none', async (t) => {
    const { host } = newHost(t, [{ name: 'slow2', launch: fixtureLaunch('good'), config: { hang: true }, callTimeoutMs: 150 }]);
    await host.start();
    await assert.rejects(host.plugin('slow2').service('identity').probe({}), { reason: 'PLUGIN_DEADLINE_EXCEEDED', metadata: { plugin: 'slow2', method: 'IdentityService/Probe', deadlineMs: '150' } });
  });

  it('cancels a call on the plugin when the caller aborts it', async (t) => {
    const cancelFile = path.join(tempDir(t), 'cancelled.txt');
    const { host, log } = newHost(t, [{ name: 'abortable', launch: fixtureLaunch('good'), config: { hang: true, cancelFile } }]);
    await host.start();
    const controller = new AbortController();
    const call = host.plugin('abortable').call(IdentityServiceService.probe, {}, { signal: controller.signal, deadlineMs: 60_000 });
    await log.waitFor((r) => r.msg === 'probe hanging'); // the plugin is inside the handler
    controller.abort();
    await assert.rejects(call, { code: 'CANCELLED', reason: 'CANCELLED', message: 'call IdentityService/Probe to plugin abortable was cancelled by the caller' });
    await log.waitFor((r) => r.msg === 'probe cancelled');
    assert.equal(readFileSync(cancelFile, 'utf8'), 'probe cancelled\n');
    await assert.rejects(host.plugin('abortable').call(IdentityServiceService.probe, {}, { signal: AbortSignal.abort() }), { code: 'CANCELLED' });
  });

  it('logs payloads only at debug, with the method and the plugin bound', async (t) => {
    const { host, log } = newHost(t, [{ name: 'verbose', launch: fixtureLaunch('good') }], { level: 'debug' });
    await host.start();
    await host.plugin('verbose').service('identity').getPluginInfo({});
    const answered = await log.waitFor((r) => r.msg === 'driver call answered' && r.method === 'IdentityService/GetPluginInfo');
    assert.equal(answered.level, 20);
    assert.equal(answered.plugin, 'verbose');
    assert.deepEqual(answered.payload, { name: 'ferry.test-fixture', vendorVersion: '0.0.1', contractVersion: 'v1', manifest: { fixture: 'true' } });
  });
});
