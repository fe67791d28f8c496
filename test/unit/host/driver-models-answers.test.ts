import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessRuleState } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import { fromAccessUpdates, fromConnectionInfo, fromListPools, fromMigrationComplete, fromModelUpdate, fromProgress, unchangedModel } from '../../../src/host/driver-answers.js';
import type { DriverAccessRule } from '../../../src/orchestrator/driver-port.js';

const rule = (id: string, accessKey = ''): DriverAccessRule => ({ accessRuleId: id, accessType: 'ip', accessTo: '10.0.0.0/24', accessLevel: 'rw', accessKey });

describe('fromAccessUpdates', () => {
  it('maps ACTIVE and ERROR per rule, with the driver message for errors', () => {
    const results = fromAccessUpdates([rule('r1'), rule('r2')], {
      accessRuleUpdates: {
        r1: { state: AccessRuleState.ACCESS_RULE_STATE_ACTIVE, accessKey: 'key-1', message: '' },
        r2: { state: AccessRuleState.ACCESS_RULE_STATE_ERROR, accessKey: '', message: 'cert not supported' },
      },
    });
    assert.deepEqual(results, {
      r1: { state: 'active', accessKey: 'key-1', message: '' },
      r2: { state: 'error', accessKey: '', message: 'cert not supported' },
    });
  });

  it('counts rules without an entry, and UNSPECIFIED entries, as active (share.proto: a rule without an entry is active)', () => {
    const results = fromAccessUpdates([rule('r1'), rule('r2')], { accessRuleUpdates: { r2: { state: AccessRuleState.ACCESS_RULE_STATE_UNSPECIFIED, accessKey: '', message: '' } } });
    assert.deepEqual(results, { r1: { state: 'active', accessKey: '', message: '' }, r2: { state: 'active', accessKey: '', message: '' } });
  });

  it('keeps the key ferry sent when the driver returns none, and ignores entries for rules that were not sent', () => {
    const results = fromAccessUpdates([rule('r1', 'old-key')], {
      accessRuleUpdates: { r1: { state: AccessRuleState.ACCESS_RULE_STATE_ACTIVE, accessKey: '', message: '' }, stray: { state: AccessRuleState.ACCESS_RULE_STATE_ERROR, accessKey: '', message: 'x' } },
    });
    assert.deepEqual(results, { r1: { state: 'active', accessKey: 'old-key', message: '' } });
  });

  it('treats a state this build does not know as error, saying so', () => {
    const results = fromAccessUpdates([rule('r1')], { accessRuleUpdates: { r1: { state: 7 as AccessRuleState, accessKey: '', message: 'queued' } } });
    assert.deepEqual(results.r1, { state: 'error', accessKey: '', message: 'the driver reported access rule state 7, which this ferry does not know: queued' });
  });
});

describe('fromConnectionInfo', () => {
  it('turns access_mapping into protocol lists per access type', () => {
    const info = fromConnectionInfo({
      mountArgv: ['mount', '-t', 'nfs', '{options}', '{export}', '{path}'],
      unmountArgv: ['umount', '{path}'],
      accessMapping: { ip: { protocols: ['nfs'] }, user: { protocols: ['cifs', 'nfs'] } },
      localPath: '',
      mountEnvironment: { PASSWD: 'p' },
    });
    assert.deepEqual(info, {
      mountArgv: ['mount', '-t', 'nfs', '{options}', '{export}', '{path}'],
      unmountArgv: ['umount', '{path}'],
      accessMapping: { ip: ['nfs'], user: ['cifs', 'nfs'] },
      localPath: '',
      mountEnvironment: { PASSWD: 'p' },
    });
  });
});

describe('other answers', () => {
  it('copies pools and peer info', () => {
    const answer = fromListPools({
      pools: [{ name: 'alpha', totalCapacityGib: 10, freeCapacityGib: 4, allocatedCapacityGib: 6, capabilities: { snapshot_support: 'true' }, availabilityZone: 'nova' }],
      migrationPeerInfo: { root: '/srv' },
    });
    assert.deepEqual(answer, {
      pools: [{ name: 'alpha', totalCapacityGib: 10, freeCapacityGib: 4, allocatedCapacityGib: 6, capabilities: { snapshot_support: 'true' }, availabilityZone: 'nova' }],
      migrationPeerInfo: { root: '/srv' },
    });
  });

  it('maps progress, complete and model answers', () => {
    assert.deepEqual(fromProgress({ totalProgress: 50, copiedBytes: 10, totalBytes: 20, details: { files: '3' } }), { totalProgress: 50, copiedBytes: 10, totalBytes: 20, details: { files: '3' } });
    const location = { path: '/x', isAdminOnly: false, metadata: {} };
    assert.deepEqual(fromMigrationComplete({ exportLocations: [location], snapshotUpdates: { 'ds-1': { providerLocation: 'p', exportLocations: [] } } }), {
      exportLocations: [location],
      snapshotUpdates: { 'ds-1': { providerLocation: 'p', exportLocations: [] } },
    });
    assert.deepEqual(fromModelUpdate({ exportLocations: [location], providerLocation: 'p', backendDetails: { pool: 'beta' }, snapshotUpdates: {} }), {
      exportLocations: [location],
      providerLocation: 'p',
      backendDetails: { pool: 'beta' },
      snapshotUpdates: {},
      unchanged: false,
    });
    assert.deepEqual(unchangedModel(), { exportLocations: [], providerLocation: '', backendDetails: {}, snapshotUpdates: {}, unchanged: true });
  });
});
