import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logPluginLine } from '../../../src/host/plugin-log.js';
import { captureLog } from '../../helpers/plugin-host-harness.js';

describe('logPluginLine', () => {
  it('re-logs a pino line at its level with its fields, keeping the host binding of plugin', async () => {
    const log = captureLog('trace');
    const logger = log.logger.child({ plugin: 'localfs1' });
    logPluginLine(JSON.stringify({ level: 40, time: 1, pid: 77, hostname: 'h', msg: 'disk nearly full', plugin: 'spoofed', freeGib: 3 }), logger);
    const record = await log.waitFor((r) => r.msg === 'disk nearly full');
    assert.equal(record.level, 40);
    assert.equal(record.plugin, 'localfs1');
    assert.equal(record.freeGib, 3);
    assert.equal(record.pluginPid, 77);
    assert.notEqual(record.pid, 77);
  });

  it('accepts level labels as well as numbers', async () => {
    const log = captureLog('trace');
    logPluginLine(JSON.stringify({ level: 'error', msg: 'boom' }), log.logger);
    assert.equal((await log.waitFor((r) => r.msg === 'boom')).level, 50);
  });

  it('logs a plain line at info as the message', async () => {
    const log = captureLog('trace');
    logPluginLine('hello {not json', log.logger);
    const record = await log.waitFor((r) => r.msg === 'hello {not json');
    assert.equal(record.level, 30);
    assert.equal(record.stream, 'stderr');
  });
});
