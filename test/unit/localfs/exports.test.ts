import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exportStateFor, parseMountInfo, ruleProblem } from '../../../plugins/localfs/exports.js';

const rule = (level: string, type = 'ip', to = '10.0.0.1') => ({ id: `${type}-${level}-${to}`, type, to, level });

describe('localfs export state', () => {
  test('no valid rule: none; any rw: rw; all ro or cast: ro', () => {
    assert.equal(exportStateFor([], false), 'none');
    assert.equal(exportStateFor([rule('rw', 'cert', 'cn')], false), 'none', 'an unsupported rule grants nothing');
    assert.equal(exportStateFor([rule('ro'), rule('rw', 'user', 'alice')], false), 'rw');
    assert.equal(exportStateFor([rule('ro'), rule('ro', 'user', 'alice')], false), 'ro');
    assert.equal(exportStateFor([rule('rw')], true), 'ro');
  });

  test('rule problems name what is wrong', () => {
    assert.equal(ruleProblem(rule('rw')), undefined);
    assert.equal(ruleProblem(rule('rw', 'ip', 'fd00::/8')), undefined);
    assert.match(ruleProblem(rule('rw', 'cert', 'cn'))!, /access type "cert" is not supported/);
    assert.match(ruleProblem(rule('rx'))!, /access level "rx"/);
    assert.match(ruleProblem(rule('rw', 'ip', 'example.com'))!, /not an IPv4\/IPv6 address/);
  });

  test('parseMountInfo decodes escaped mount points and the per-mount ro flag', () => {
    const text = [
      '22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
      '40 22 252:0 /srv/a/data /srv/exports/with\\040space ro,relatime shared:1 - ext4 /dev/vda rw',
      '',
    ].join('\n');
    assert.deepEqual(parseMountInfo(text), [
      { mountPoint: '/', readOnly: false, source: '/dev/vda' },
      { mountPoint: '/srv/exports/with space', readOnly: true, source: '/dev/vda' },
    ]);
  });
});
