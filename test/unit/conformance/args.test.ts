import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../../../plugins/conformance/args.js';
import { expandTmp } from '../../../plugins/conformance/kit.js';

describe('conformance arguments', () => {
  test('no command means the reference plugins', () => {
    const options = parseArgs([]);
    assert.notEqual(options, 'help');
    if (options === 'help') return;
    assert.deepEqual(options.plugins.map((p) => p.label), ['localfs', 'localfs-dhss', 'block', 'dummy']);
    assert.deepEqual(options.plugins[1]?.config, { root: '{tmp}/backend', driverHandlesShareServers: true });
  });

  test('everything after the options is the plugin command', () => {
    const options = parseArgs(['--config', '{"root":"{tmp}"}', '--suite', 'shares', 'python3', 'plugin.py', '--verbose']);
    assert.notEqual(options, 'help');
    if (options === 'help') return;
    assert.equal(options.plugins.length, 1);
    assert.equal(options.plugins[0]?.command, 'python3');
    assert.deepEqual(options.plugins[0]?.args, ['plugin.py', '--verbose']);
    assert.deepEqual(options.plugins[0]?.config, { root: '{tmp}' });
    assert.deepEqual(options.suites, ['shares']);
  });

  test('a command may start with a dash after --', () => {
    const options = parseArgs(['--', '-weird', 'x']);
    assert.ok(options !== 'help' && options.plugins[0]?.command === '-weird');
  });

  test('bad input is a UsageError naming the flag', () => {
    assert.throws(() => parseArgs(['--config', '[1]', 'node']), new UsageError('--config: must be a JSON object'));
    assert.throws(() => parseArgs(['--suite']), new UsageError('--suite needs a value'));
    assert.throws(() => parseArgs(['--frobnicate']), new UsageError('unknown option --frobnicate'));
    assert.throws(() => parseArgs(['--config', '{}']), new UsageError('--config needs a plugin command'));
  });
});

describe('expandTmp', () => {
  test('replaces every {tmp} with one directory per config, deeply', () => {
    let n = 0;
    const expanded = expandTmp({ root: '{tmp}/a', nested: { list: ['{tmp}/b', 3] }, keep: 'x' }, () => `/t${n++}`);
    assert.deepEqual(expanded, { root: '/t0/a', nested: { list: ['/t0/b', 3] }, keep: 'x' });
    assert.equal(n, 1);
  });
});
