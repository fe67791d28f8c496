import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkDriver, refusalFor } from '../../../plugins/sdk/capability-gate.js';
import { CONTRACT_METHODS, CONTRACT_SERVICES } from '../../../plugins/sdk/services.js';
import { PluginCapability as C } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { secretFields } from '../../../src/contract/gen/secret-fields.js';
import { UnimplementedError } from '../../../src/domain/errors.js';

const method = (key: string) => {
  const spec = CONTRACT_METHODS.get(key);
  assert.ok(spec, `no contract method ${key}`);
  return spec;
};
const fn = () => ({});
/** A driver literal with arbitrary methods (avoids excess-property checks on GatedDriver). */
const driver = (d: { capabilities: C[] } & Record<string, unknown>): { capabilities: C[] } => d;
const shareMethods = { listPools: fn, createShareInstance: fn, deleteShareInstance: fn, updateAccess: fn, getExportLocations: fn };

describe('the contract service table', () => {
  it('registers every generated ferry.driver.v1 service', () => {
    assert.deepEqual(
      CONTRACT_SERVICES.map((s) => s.name),
      ['IdentityService', 'PoolService', 'ShareService', 'ShareMigrationService', 'ShareServerService', 'VolumeService'].map((n) => `ferry.driver.v1.${n}`),
    );
  });

  it('knows the request and response type of every RPC, so redaction applies to each payload', () => {
    for (const spec of CONTRACT_METHODS.values()) {
      assert.ok(secretFields[spec.requestType], `${spec.method}: ${spec.requestType} not in secret-fields`);
      assert.ok(secretFields[spec.responseType], `${spec.method}: ${spec.responseType} not in secret-fields`);
      assert.equal(spec.streaming, false, `${spec.method} is streaming`);
    }
  });

  it('gates RPCs as identity.proto and the service comments say', () => {
    assert.deepEqual(method('createShareInstance').gate, { anyOf: [C.PLUGIN_CAPABILITY_SHARES], required: true });
    assert.deepEqual(method('createSnapshotInstance').gate.anyOf, [C.PLUGIN_CAPABILITY_SHARE_SNAPSHOTS]);
    assert.deepEqual(method('shrinkShareInstance').gate.anyOf, [C.PLUGIN_CAPABILITY_SHARE_RESIZE]);
    assert.deepEqual(method('getConnectionInfo').gate.anyOf, [C.PLUGIN_CAPABILITY_SHARE_HOST_ASSISTED_MIGRATION]);
    assert.deepEqual(method('migrationStart').gate.anyOf, [C.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION]);
    assert.deepEqual(method('migrationUpdateModel').gate, { anyOf: [], required: false });
    assert.deepEqual(method('setupShareServer').gate.anyOf, [C.PLUGIN_CAPABILITY_SHARE_SERVERS]);
    assert.deepEqual(method('shareServerMigrationStart').gate.anyOf, [C.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION]);
    assert.deepEqual(method('listPools').gate, { anyOf: [C.PLUGIN_CAPABILITY_SHARES, C.PLUGIN_CAPABILITY_VOLUMES], required: true });
    assert.deepEqual(method('updateMigratedVolume').gate, { anyOf: [C.PLUGIN_CAPABILITY_VOLUMES], required: false });
    assert.deepEqual(method('migrateVolume').gate.anyOf, [C.PLUGIN_CAPABILITY_VOLUME_DRIVER_MIGRATION]);
    assert.deepEqual(method('retypeVolume').gate.anyOf, [C.PLUGIN_CAPABILITY_VOLUME_RETYPE]);
    assert.deepEqual(method('probe').gate, { anyOf: [], required: false });
  });
});

describe('checkDriver', () => {
  it('accepts a driver that implements every RPC its capabilities require', () => {
    assert.deepEqual(checkDriver({ capabilities: [C.PLUGIN_CAPABILITY_SHARES], ...shareMethods }, CONTRACT_SERVICES), { errors: [], unadvertised: [] });
  });

  it('names each method an advertised capability requires but the driver lacks', () => {
    const { errors } = checkDriver(driver({ capabilities: [C.PLUGIN_CAPABILITY_SHARES, C.PLUGIN_CAPABILITY_SHARE_RESIZE], ...shareMethods, extendShareInstance: fn }), CONTRACT_SERVICES);
    assert.deepEqual(errors, [
      'the driver advertises PLUGIN_CAPABILITY_SHARE_RESIZE but does not implement shrinkShareInstance (ShareService/ShrinkShareInstance); implement them or stop advertising the capability',
    ]);
  });

  it('does not require optional RPCs (UpdateMigratedVolume) of an advertised capability', () => {
    const volumes = { listPools: fn, createVolume: fn, deleteVolume: fn, attachVolume: fn, detachVolume: fn };
    assert.deepEqual(checkDriver({ capabilities: [C.PLUGIN_CAPABILITY_VOLUMES], ...volumes }, CONTRACT_SERVICES).errors, []);
  });

  it('rejects UNSPECIFIED and unknown capability values', () => {
    const { errors } = checkDriver({ capabilities: [C.PLUGIN_CAPABILITY_UNSPECIFIED, 99 as C] }, CONTRACT_SERVICES);
    assert.deepEqual(errors, ['capabilities contains PLUGIN_CAPABILITY_UNSPECIFIED, which is never advertised', 'capabilities contains 99, which is not a PluginCapability value']);
  });

  it('warns about implemented methods whose capability is not advertised', () => {
    const { errors, unadvertised } = checkDriver(driver({ capabilities: [], retypeVolume: fn }), CONTRACT_SERVICES);
    assert.deepEqual(errors, []);
    assert.deepEqual(unadvertised, ['retypeVolume (VolumeService/RetypeVolume) needs PLUGIN_CAPABILITY_VOLUME_RETYPE, which the driver does not advertise; it answers UNIMPLEMENTED']);
  });
});

describe('refusalFor', () => {
  it('refuses an unadvertised RPC with UNIMPLEMENTED, CAPABILITY_NOT_SUPPORTED and the capability', () => {
    const refusal = refusalFor(method('retypeVolume'), driver({ capabilities: [], retypeVolume: fn }));
    assert.ok(refusal instanceof UnimplementedError);
    assert.equal(refusal.code, 'UNIMPLEMENTED');
    assert.equal(refusal.reason, 'CAPABILITY_NOT_SUPPORTED');
    assert.deepEqual(refusal.metadata, { capability: 'PLUGIN_CAPABILITY_VOLUME_RETYPE' });
  });

  it('refuses an advertised but unimplemented optional RPC, and an ungated unimplemented one', () => {
    assert.ok(refusalFor(method('updateMigratedVolume'), { capabilities: [C.PLUGIN_CAPABILITY_VOLUMES] }) instanceof UnimplementedError);
    assert.ok(refusalFor(method('migrationUpdateModel'), { capabilities: [] }) instanceof UnimplementedError);
  });

  it('serves advertised and implemented RPCs, the SDK-answered identity RPCs and the defaulted Probe', () => {
    assert.equal(refusalFor(method('createShareInstance'), driver({ capabilities: [C.PLUGIN_CAPABILITY_SHARES], createShareInstance: fn })), undefined);
    assert.equal(refusalFor(method('listPools'), driver({ capabilities: [C.PLUGIN_CAPABILITY_VOLUMES], listPools: fn })), undefined);
    assert.equal(refusalFor(method('getPluginInfo'), { capabilities: [] }), undefined);
    assert.equal(refusalFor(method('probe'), { capabilities: [] }), undefined);
  });
});
