import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PluginCapability } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { parseConfig } from '../../../plugins/localfs/config.js';
import { pluginCapabilities } from '../../../plugins/localfs/identity.js';

describe('localfs parseConfig', () => {
  test('fills the defaults: two pools, zone nova, bind-mount enforcement as root', () => {
    assert.deepEqual(parseConfig({ root: '/srv/ferry/l1/' }, { isRoot: true }), {
      root: '/srv/ferry/l1',
      pools: ['pool1', 'pool2'],
      availabilityZone: 'nova',
      readOnlyEnforcement: 'bind-mount',
      capacityGib: {},
      migrationBandwidthBytesPerSecond: 0,
      copyThreads: 2,
      driverHandlesShareServers: false,
    });
  });

  test('driverHandlesShareServers: off by default, a boolean when given, and it decides the share-server capabilities', () => {
    const off = parseConfig({ root: '/r' }, { isRoot: true });
    const on = parseConfig({ root: '/r', driverHandlesShareServers: true }, { isRoot: true });
    assert.equal(off.driverHandlesShareServers, false);
    assert.equal(on.driverHandlesShareServers, true);
    assert.equal(parseConfig({ root: '/r', driverHandlesShareServers: false }, { isRoot: true }).driverHandlesShareServers, false);
    const serverCapabilities = [PluginCapability.PLUGIN_CAPABILITY_SHARE_SERVERS, PluginCapability.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION];
    assert.ok(serverCapabilities.every((c) => !pluginCapabilities(off).includes(c)), 'not advertised without share servers');
    assert.ok(serverCapabilities.every((c) => pluginCapabilities(on).includes(c)), 'advertised with share servers');
    assert.deepEqual(pluginCapabilities(on).filter((c) => !serverCapabilities.includes(c)), [...pluginCapabilities(off)], 'the share capabilities stay the same');
  });

  test('defaults to no read-only enforcement when not root, and refuses the root-only ones', () => {
    assert.equal(parseConfig({ root: '/r' }, { isRoot: false }).readOnlyEnforcement, 'none');
    assert.throws(() => parseConfig({ root: '/r', readOnlyEnforcement: 'bind-mount' }, { isRoot: false }), /^InvalidArgumentError: readOnlyEnforcement: bind-mount needs the plugin to run as root/);
    assert.equal(parseConfig({ root: '/r', readOnlyEnforcement: 'immutable' }, { isRoot: true }).readOnlyEnforcement, 'immutable');
  });

  test('names the field in every error', () => {
    const cases: [unknown, RegExp][] = [
      [{}, /^root: is required/],
      [{ root: 'relative' }, /^root: must be an absolute directory path/],
      [{ root: '/r', colour: 'blue' }, /^colour: unknown configuration key/],
      [{ root: '/r', pools: [] }, /^pools: must be a non-empty array/],
      [{ root: '/r', pools: ['ok', '../x'] }, /^pools\[1\]: must be a name/],
      [{ root: '/r', pools: ['a', 'a'] }, /^pools: duplicate pool name "a"/],
      [{ root: '/r', readOnlyEnforcement: 'chmod' }, /^readOnlyEnforcement: must be one of bind-mount, immutable, none/],
      [{ root: '/r', capacityGib: { pool9: 1 } }, /^capacityGib\.pool9: is not a configured pool/],
      [{ root: '/r', capacityGib: { pool1: -1 } }, /^capacityGib\.pool1: must be a positive number/],
      [{ root: '/r', availabilityZone: '' }, /^availabilityZone: must be a non-empty string/],
      [{ root: '/r', copyThreads: 0 }, /^copyThreads: must be at least 1/],
      [{ root: '/r', driverHandlesShareServers: 'yes' }, /^driverHandlesShareServers: must be true or false/],
      [{ root: '/r', driverHandlesShareServers: 1 }, /^driverHandlesShareServers: must be true or false/],
      [{ root: '/r', driverHandlesShareServers: null }, /^driverHandlesShareServers: must be true or false/],
      [[], /^config: must be a JSON object/],
    ];
    for (const [raw, message] of cases) {
      assert.throws(() => parseConfig(raw, { isRoot: true }), (error: Error) => message.test(error.message), JSON.stringify(raw));
    }
  });
});
