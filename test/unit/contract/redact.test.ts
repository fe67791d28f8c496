// Tests src/contract/redact.ts (kept under test/unit/host/ for now: the host is its only user).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, redact, type SecretTable } from '../../../src/contract/redact.js';
import { secretFields } from '../../../src/contract/gen/secret-fields.js';

const table: SecretTable = {
  'x.Outer': { secret: ['token', 'labels'], nested: { inner: 'x.Inner', items: 'x.Inner', byName: 'x.Outer.ByNameEntry', plain: 'x.Outer.PlainEntry', entry: 'x.LogEntry' } },
  'x.Outer.ByNameEntry': { secret: [], nested: { value: 'x.Inner' } },
  'x.Outer.PlainEntry': { secret: [], nested: {} },
  'x.Inner': { secret: ['password'], nested: {} },
  'x.LogEntry': { secret: ['key'], nested: {} },
};

describe('redact with a table', () => {
  it('replaces secret fields in the message, nested messages, repeated fields and map values', () => {
    const value = {
      name: 'a',
      token: 't0ken',
      labels: { k: 'v' },
      inner: { user: 'u', password: 'p1' },
      items: [{ password: 'p2' }, { user: 'v' }],
      byName: { one: { password: 'p3', user: 'w' } },
      plain: { k: 'not secret' },
      entry: { key: 'k1', text: 'x' },
    };
    assert.deepEqual(redact('x.Outer', value, table), {
      name: 'a',
      token: REDACTED,
      labels: REDACTED,
      inner: { user: 'u', password: REDACTED },
      items: [{ password: REDACTED }, { user: 'v' }],
      byName: { one: { password: REDACTED, user: 'w' } },
      plain: { k: 'not secret' },
      entry: { key: REDACTED, text: 'x' },
    });
  });

  it('leaves the input untouched and unset fields unset', () => {
    const value = { inner: { password: 'p' } };
    const copy = redact('x.Outer', value, table);
    assert.deepEqual(value, { inner: { password: 'p' } });
    assert.deepEqual(copy, { inner: { password: REDACTED } });
    assert.equal('token' in copy, false);
  });

  it('returns values of unknown types and non-objects as they are', () => {
    assert.deepEqual(redact('x.Unknown', { password: 'p' }, table), { password: 'p' });
    assert.equal(redact('x.Outer', null, table), null);
  });
});

describe('redact with the generated secret-fields table', () => {
  it('redacts the access key of access rules inside an UpdateAccessRequest', () => {
    assert.deepEqual(secretFields['ferry.driver.v1.AccessRule']?.secret, ['accessKey'], 'AccessRule.access_key must be marked secret in the proto');
    const request = {
      shareInstance: { shareInstanceId: 's1' },
      accessRules: [{ accessRuleId: 'r1', accessType: 'cephx', accessTo: 'alice', accessLevel: 'rw', accessKey: 'AQD-secret' }],
      addRules: [],
      deleteRules: [],
    };
    const redacted = redact('ferry.driver.v1.UpdateAccessRequest', request);
    assert.equal(redacted.accessRules[0]?.accessKey, REDACTED);
    assert.equal(redacted.accessRules[0]?.accessTo, 'alice');
    assert.equal(request.accessRules[0]?.accessKey, 'AQD-secret');
  });

  it('redacts map values that are messages with secrets (UpdateAccessResponse.access_rule_updates)', () => {
    const response = { accessRuleUpdates: { r1: { state: 1, accessKey: 'AQD-generated', message: '' } } };
    assert.deepEqual(redact('ferry.driver.v1.UpdateAccessResponse', response), {
      accessRuleUpdates: { r1: { state: 1, accessKey: REDACTED, message: '' } },
    });
  });

  it('redacts every field marked secret in the table, whatever its message', () => {
    const marked = Object.entries(secretFields).filter(([, m]) => m.secret.length > 0);
    assert.ok(marked.length > 0, 'the generated table marks no field secret');
    for (const [typeName, { secret }] of marked) {
      const value = Object.fromEntries(secret.map((field) => [field, 'hunter2']));
      const redacted = redact(typeName, value);
      for (const field of secret) assert.equal(redacted[field], REDACTED, `${typeName}.${field}`);
    }
  });
});
