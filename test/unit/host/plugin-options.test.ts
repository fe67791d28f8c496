import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/domain/errors.js';
import { createPluginHost } from '../../../src/host/index.js';
import { normalisePluginOptions, type PluginOptions } from '../../../src/host/plugin-options.js';

const launch = { command: '/usr/bin/plugin' };

function rejects(options: Partial<PluginOptions>, message: string): void {
  assert.throws(
    () => normalisePluginOptions({ name: 'p1', ...options } as PluginOptions, 'plugins[0]'),
    (error: unknown) => error instanceof InvalidArgumentError && error.message === message,
  );
}

describe('normalisePluginOptions', () => {
  it('fills every default', () => {
    assert.deepEqual(normalisePluginOptions({ name: 'localfs1', launch }, 'plugins[0]'), {
      name: 'localfs1',
      launch: { command: '/usr/bin/plugin', args: [], env: {}, cwd: undefined },
      endpoint: undefined,
      config: {},
      startTimeoutMs: 10000,
      callTimeoutMs: 30000,
      healthIntervalMs: 2000,
      healthFailureThreshold: 3,
      restart: { initialBackoffMs: 200, maxBackoffMs: 30000, maxRestarts: Infinity },
      shutdownGraceMs: 5000,
      logLevel: 'info',
    });
  });

  it('names the wrong field in its message', () => {
    rejects({ name: '../etc', launch }, 'plugins[0].name: must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
    rejects({}, 'plugins[0].launch: set exactly one of launch or endpoint');
    rejects({ launch, endpoint: { address: 'x:1' } }, 'plugins[0].launch: set exactly one of launch or endpoint');
    rejects({ launch: { command: '' } }, 'plugins[0].launch.command: must be a non-empty string');
    rejects({ launch: { ...launch, env: { FERRY_PLUGIN_NAME: 'x' } } }, 'plugins[0].launch.env.FERRY_PLUGIN_NAME: FERRY_* variables are reserved for the host');
    rejects({ endpoint: { address: '' } }, 'plugins[0].endpoint.address: must be unix:///path or host:port');
    rejects({ endpoint: { address: 'h:1', tls: { certFile: 'c.pem' } } }, 'plugins[0].endpoint.tls.certFile: certFile and keyFile go together');
    rejects({ launch, startTimeoutMs: 0 }, 'plugins[0].startTimeoutMs: must be an integer >= 1, got 0');
    rejects({ launch, callTimeoutMs: 1.5 }, 'plugins[0].callTimeoutMs: must be an integer >= 1, got 1.5');
    rejects({ launch, restart: { initialBackoffMs: 500, maxBackoffMs: 100 } }, 'plugins[0].restart.maxBackoffMs: must be >= restart.initialBackoffMs');
    rejects({ launch, restart: { maxRestarts: -1 } }, 'plugins[0].restart.maxRestarts: must be an integer >= 0, got -1');
    rejects({ launch, logLevel: 'loud' }, 'plugins[0].logLevel: must be one of trace, debug, info, warn, error, fatal, silent');
  });
});

describe('createPluginHost options', () => {
  it('refuses duplicate plugin names, naming the second', () => {
    assert.throws(
      () => createPluginHost({ plugins: [{ name: 'a', launch }, { name: 'a', launch }] }),
      (error: unknown) => error instanceof InvalidArgumentError && error.message === 'plugins[1].name: duplicate plugin name "a"',
    );
  });

  it('throws NOT_FOUND for an unknown plugin name', () => {
    const host = createPluginHost({ plugins: [] });
    assert.throws(() => host.plugin('nope'), { code: 'NOT_FOUND', message: 'plugin nope not found' });
  });
});
