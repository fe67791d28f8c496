import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CAPABILITIES, DummyConfigError, parseBehaviourRules, parseDummyConfig } from '../../../plugins/dummy/config.js';
import { PluginCapability } from '../../../src/contract/gen/ferry/driver/v1/identity.js';

function rejects(config: unknown, message: RegExp): void {
  assert.throws(() => parseDummyConfig(config), (error: unknown) => {
    assert.ok(error instanceof DummyConfigError, `expected DummyConfigError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

test('an empty config gets the documented defaults', () => {
  const config = parseDummyConfig({});
  assert.equal(config.name, 'ferry.dummy');
  assert.deepEqual(config.pools.map((p) => [p.name, p.totalCapacityGib, p.freeCapacityGib, p.availabilityZone]), [
    ['alpha', 1000, 1000, 'nova'],
    ['beta', 1000, 1000, 'nova'],
  ]);
  assert.deepEqual(config.capabilities, ALL_CAPABILITIES);
  assert.ok(!config.capabilities.includes(PluginCapability.PLUGIN_CAPABILITY_UNSPECIFIED));
  assert.equal(config.progressStep, 50);
  assert.deepEqual(config.behaviour, {});
  assert.equal(config.dataRoot, undefined);
});

test('a full config is accepted, capabilities by full or short name', () => {
  const config = parseDummyConfig({
    name: 'ferry.dummy2',
    pools: [{ name: 'p1', totalCapacityGib: 10, freeCapacityGib: 5, availabilityZone: 'az1', capabilities: { thin_provisioning: 'true' } }],
    dataRoot: '/tmp/x',
    stateFile: '/tmp/x.json',
    capabilities: ['PLUGIN_CAPABILITY_SHARES', 'SHARE_SNAPSHOTS', 'SHARES'],
    controlFile: '/tmp/c.json',
    progressStep: 25,
    behaviour: { migrationStart: { delayMs: 5, fail: { code: 'UNAVAILABLE', reason: 'PEER_UNAVAILABLE', metadata: { backend: 'b' } }, failTimes: 2 }, '*': { enteredFile: '/tmp/e' } },
  });
  assert.deepEqual(config.capabilities, [PluginCapability.PLUGIN_CAPABILITY_SHARES, PluginCapability.PLUGIN_CAPABILITY_SHARE_SNAPSHOTS]);
  assert.equal(config.behaviour.migrationStart?.fail?.code, 'UNAVAILABLE');
  assert.equal(config.behaviour.migrationStart?.failTimes, 2);
  assert.equal(config.progressStep, 25);
});

test('unknown keys are errors naming the key, at every level', () => {
  rejects({ pool: [] }, /dummy config: pool is not a known key; use one of name, pools/);
  rejects({ pools: [{ name: 'a', totalCapacityGib: 1, freeCapacityGib: 1, availabilityZone: 'z', size: 3 }] }, /pools\[0\]\.size is not a known key/);
  rejects({ behaviour: { probe: { delay: 5 } } }, /behaviour\.probe\.delay is not a known key; use one of delayMs/);
  rejects({ behaviour: { probe: { fail: { code: 'INTERNAL', why: 'x' } } } }, /behaviour\.probe\.fail\.why is not a known key/);
});

test('wrong values name the field and show what was given', () => {
  rejects({ pools: [{ name: 'a', freeCapacityGib: 1, availabilityZone: 'z' }] }, /pools\[0\]\.totalCapacityGib is missing; it must be a number >= 0$/);
  rejects({ pools: [{ name: 'a', totalCapacityGib: 'lots', freeCapacityGib: 1, availabilityZone: 'z' }] }, /pools\[0\]\.totalCapacityGib must be a number >= 0, got "lots"/);
  rejects({ pools: [{ name: 'a', totalCapacityGib: 1, freeCapacityGib: 2, availabilityZone: 'z' }] }, /pools\[0\]\.freeCapacityGib must be <= totalCapacityGib \(1\), got 2/);
  rejects({ pools: [] }, /pools must be a non-empty array/);
  const pool = { totalCapacityGib: 1, freeCapacityGib: 1, availabilityZone: 'z' };
  rejects({ pools: [{ name: 'a', ...pool }, { name: 'a', ...pool }] }, /pools\[1\]\.name duplicates an earlier pool name/);
  rejects({ capabilities: ['SHARES', 'TELEPORT'] }, /capabilities\[1\] is not a PluginCapability name; use one of PLUGIN_CAPABILITY_SHARES/);
  rejects({ capabilities: ['UNSPECIFIED'] }, /capabilities\[0\] is not a PluginCapability name/);
  rejects({ progressStep: 0 }, /progressStep must be an integer >= 1 and <= 100, got 0/);
  rejects({ name: '' }, /name must be a non-empty string, got ""/);
  rejects({ dataRoot: 7 }, /dataRoot must be a non-empty string, got 7/);
  rejects([], /config must be a JSON object/);
});

test('behaviour rules: method names, fail codes and reasons, failTimes need a fail', () => {
  rejects({ behaviour: { migrationStrat: {} } }, /behaviour\.migrationStrat is not an RPC of the contract; use "\*" or a lowerCamel RPC name/);
  rejects({ behaviour: { getPluginInfo: {} } }, /behaviour\.getPluginInfo is not an RPC/);
  rejects({ behaviour: { probe: { fail: { code: 'OK' } } } }, /behaviour\.probe\.fail\.code must be a gRPC code name other than OK/);
  rejects({ behaviour: { probe: { fail: { code: 'INTERNAL', reason: 'backend error' } } } }, /behaviour\.probe\.fail\.reason must be UPPER_SNAKE/);
  rejects({ behaviour: { probe: { failTimes: 2 } } }, /behaviour\.probe\.failTimes needs a fail to inject/);
  rejects({ behaviour: { probe: { failTimes: 0, fail: { code: 'INTERNAL' } } } }, /behaviour\.probe\.failTimes must be an integer >= 1, got 0/);
  rejects({ behaviour: { probe: { delayMs: 1.5 } } }, /behaviour\.probe\.delayMs must be an integer >= 0, got 1.5/);
  rejects({ behaviour: { probe: { crash: 'yes' } } }, /behaviour\.probe\.crash must be true or false, got "yes"/);
  rejects({ behaviour: { probe: { result: [1] } } }, /behaviour\.probe\.result must be a JSON object/);
  assert.throws(() => parseBehaviourRules({ nope: {} }, '/tmp/control.json'), /\/tmp\/control\.json\.nope is not an RPC/);
  assert.deepEqual(parseBehaviourRules({ '*': { delayMs: 0 } }, 'x'), { '*': { delayMs: 0 } });
});
