import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '../../../src/domain/errors.js';
import { parseConfig } from '../../../plugins/block/config.js';

const named = { backendName: 'block1' };

function rejects(raw: unknown, field: string, message: RegExp, options = named): void {
  assert.throws(() => parseConfig(raw, options), (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError);
    assert.equal(error.metadata.field, field);
    assert.match(error.message, message);
    return true;
  });
}

describe('block plugin configuration', () => {
  test('fills the defaults: one pool, zone nova, volume_backend_name from the back-end name', () => {
    assert.deepEqual(parseConfig({ root: '/srv/block1/' }, named), { root: '/srv/block1', pools: ['pool1'], capacityGib: {}, availabilityZone: 'nova', volumeBackendName: 'block1' });
  });

  test('takes every key', () => {
    const config = parseConfig({ root: '/srv/b', pools: ['gold', 'silver'], capacityGib: { gold: 10 }, availabilityZone: 'az2', volumeBackendName: 'array-1' }, named);
    assert.deepEqual(config, { root: '/srv/b', pools: ['gold', 'silver'], capacityGib: { gold: 10 }, availabilityZone: 'az2', volumeBackendName: 'array-1' });
  });

  test('names the key of every mistake', () => {
    rejects([], 'config', /must be a JSON object/);
    rejects({ root: '/srv/b', colour: 'blue' }, 'colour', /unknown configuration key; known keys: root, pools, capacityGib, availabilityZone, volumeBackendName/);
    rejects({}, 'root', /is required/);
    rejects({ root: 'relative/dir' }, 'root', /absolute/);
    rejects({ root: '/srv/b', pools: [] }, 'pools', /non-empty array/);
    rejects({ root: '/srv/b', pools: ['ok', '../up'] }, 'pools[1]', /letters, digits/);
    rejects({ root: '/srv/b', pools: ['a', 'a'] }, 'pools', /duplicate pool name "a"/);
    rejects({ root: '/srv/b', capacityGib: [] }, 'capacityGib', /object of pool name to GiB/);
    rejects({ root: '/srv/b', capacityGib: { pool9: 1 } }, 'capacityGib.pool9', /is not a configured pool \(pools: pool1\)/);
    rejects({ root: '/srv/b', capacityGib: { pool1: 0 } }, 'capacityGib.pool1', /positive number/);
    rejects({ root: '/srv/b', availabilityZone: '' }, 'availabilityZone', /non-empty string/);
    rejects({ root: '/srv/b', volumeBackendName: 7 }, 'volumeBackendName', /non-empty string/);
  });

  test('volumeBackendName is required only when the host gave no back-end name', () => {
    rejects({ root: '/srv/b' }, 'volumeBackendName', /is required when the host sets no FERRY_PLUGIN_NAME/, { backendName: '' });
    assert.equal(parseConfig({ root: '/srv/b', volumeBackendName: 'x' }, { backendName: '' }).volumeBackendName, 'x');
  });
});
