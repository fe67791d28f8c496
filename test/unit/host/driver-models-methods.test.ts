import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError, FerryError } from '../../../src/domain/errors.js';
import { PluginCapability } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { toBackendStatus } from '../../../src/host/backend-status.js';
import { BACKEND_DRIVER_METHODS, capabilityNames, LONG_CALL_TIMEOUT_MS, METHOD_SPECS, QUICK_CALL_TIMEOUT_MS, resolveTimeouts } from '../../../src/host/driver-methods.js';
import type { PluginStatus } from '../../../src/host/index.js';

describe('resolveTimeouts', () => {
  it('gives reads and polls 30 s and calls that create, copy or delete 5 min by default', () => {
    const timeouts = resolveTimeouts({});
    for (const method of ['listPools', 'getConnectionInfo', 'getExportLocations', 'migrationCheckCompatibility', 'migrationContinue', 'migrationGetProgress'] as const) {
      assert.equal(timeouts[method], QUICK_CALL_TIMEOUT_MS, method);
    }
    for (const method of ['createShareInstance', 'deleteShareInstance', 'createSnapshotInstance', 'migrationStart', 'migrationComplete', 'migrationCancel', 'migrationUpdateModel', 'setupShareServer', 'teardownShareServer'] as const) {
      assert.equal(timeouts[method], LONG_CALL_TIMEOUT_MS, method);
    }
    assert.equal(Object.keys(timeouts).length, BACKEND_DRIVER_METHODS.length);
  });

  it('lets per-method timeouts win over defaultTimeoutMs, which replaces every built-in default', () => {
    const timeouts = resolveTimeouts({ defaultTimeoutMs: 1000, timeouts: { migrationComplete: 5000 } });
    assert.equal(timeouts.migrationComplete, 5000);
    assert.equal(timeouts.listPools, 1000);
    assert.equal(timeouts.createShareInstance, 1000);
  });

  it('refuses unknown methods and malformed values, naming the option', () => {
    const refuses = (options: Parameters<typeof resolveTimeouts>[0], message: string) =>
      assert.throws(() => resolveTimeouts(options), (e: unknown) => e instanceof InvalidArgumentError && e.message === message);
    refuses({ defaultTimeoutMs: 0 }, 'defaultTimeoutMs: must be a whole number of milliseconds >= 1, got 0');
    refuses({ timeouts: { listPool: 10 } as never }, 'timeouts.listPool: is not a BackendDriver method that calls the plugin');
    refuses({ timeouts: { status: 10 } as never }, 'timeouts.status: is not a BackendDriver method that calls the plugin');
    refuses({ timeouts: { listPools: 1.5 } }, 'timeouts.listPools: must be a whole number of milliseconds >= 1, got 1.5');
    refuses({ timeouts: { listPools: Number.NaN } }, 'timeouts.listPools: must be a whole number of milliseconds >= 1, got null');
  });
});

describe('METHOD_SPECS', () => {
  it('gates the migration RPCs on SHARE_DRIVER_MIGRATION and leaves MigrationUpdateModel ungated', () => {
    for (const method of ['migrationCheckCompatibility', 'migrationStart', 'migrationContinue', 'migrationComplete', 'migrationCancel', 'migrationGetProgress'] as const) {
      assert.deepEqual(METHOD_SPECS[method].anyOf, [PluginCapability.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION], method);
    }
    assert.deepEqual(METHOD_SPECS.migrationUpdateModel.anyOf, []);
    assert.deepEqual(METHOD_SPECS.getConnectionInfo.anyOf, [PluginCapability.PLUGIN_CAPABILITY_SHARE_HOST_ASSISTED_MIGRATION]);
    assert.deepEqual(METHOD_SPECS.listPools.anyOf, [PluginCapability.PLUGIN_CAPABILITY_SHARES, PluginCapability.PLUGIN_CAPABILITY_VOLUMES]);
  });
});

describe('toBackendStatus', () => {
  const status = (overrides: Partial<PluginStatus> = {}): PluginStatus => ({
    name: 'dummy1',
    state: 'ready',
    mode: 'launch',
    pid: 4242,
    target: 'unix:/tmp/x/plugin.sock',
    restarts: 2,
    lastError: undefined,
    identity: {
      info: { name: 'ferry.dummy', vendorVersion: '1.2.3', contractVersion: 'v1', manifest: {} },
      capabilities: [PluginCapability.PLUGIN_CAPABILITY_SHARES, PluginCapability.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION, 99 as PluginCapability],
    },
    ...overrides,
  });

  it('names capabilities without the PLUGIN_CAPABILITY_ prefix and drops values this build does not know', () => {
    assert.deepEqual(toBackendStatus(status()), {
      name: 'dummy1',
      state: 'ready',
      identity: { pluginName: 'ferry.dummy', vendorVersion: '1.2.3', capabilities: ['SHARES', 'SHARE_DRIVER_MIGRATION'] },
      pid: 4242,
      restarts: 2,
      lastError: '',
    });
    assert.deepEqual(capabilityNames([PluginCapability.PLUGIN_CAPABILITY_UNSPECIFIED]), []);
  });

  it('keeps every state name and shows the last error as its message', () => {
    for (const state of ['starting', 'ready', 'restarting', 'failed', 'stopped'] as const) assert.equal(toBackendStatus(status({ state })).state, state);
    const down = toBackendStatus(status({ state: 'restarting', identity: undefined, pid: undefined, lastError: new FerryError({ code: 'UNAVAILABLE', reason: 'PLUGIN_UNAVAILABLE', message: 'plugin dummy1 is unavailable: exited' }) }));
    assert.deepEqual([down.identity, down.pid, down.lastError], [undefined, undefined, 'plugin dummy1 is unavailable: exited']);
  });
});
