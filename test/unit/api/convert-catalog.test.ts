import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreateShareNetworkRequest, CreateShareTypeRequest } from '../../../src/contract/gen/ferry/admin/v1/catalog.js';
import { BackendState } from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import { backendToProto, createShareNetworkRequestFromProto, createShareTypeRequestFromProto } from '../../../src/api/convert-catalog.js';
import { FerryError } from '../../../src/domain/errors.js';
import { T1 } from './sample-records.js';

describe('convert-catalog', () => {
  it('shows a back end with its plugin state and never its migration peer info', () => {
    const message = backendToProto({
      name: 'localfs1', host: 'node1@localfs1', pluginName: 'ferry.localfs', vendorVersion: '1.0.0', capabilities: ['SHARES'], driverHandlesShareServers: false,
      migrationPeerInfo: { password: 'hunter2' }, updatedAt: T1,
      status: { name: 'localfs1', state: 'restarting', identity: undefined, pid: undefined, restarts: 2, lastError: 'exit 1' },
    });
    assert.equal(message.state, BackendState.BACKEND_STATE_RESTARTING);
    assert.equal(message.pid, 0);
    assert.equal(message.restarts, 2);
    assert.ok(!JSON.stringify(message).includes('hunter2'));
  });

  it('keeps is_public unset when not given (Manila defaults it to true)', () => {
    const request = createShareTypeRequestFromProto(CreateShareTypeRequest.fromPartial({ name: 'gold', extraSpecs: { driver_handles_share_servers: 'false' } }));
    assert.deepEqual(request, { name: 'gold', description: undefined, extraSpecs: { driver_handles_share_servers: 'false' }, isPublic: undefined });
    assert.throws(() => createShareTypeRequestFromProto(CreateShareTypeRequest.fromPartial({})), (error: unknown) => error instanceof FerryError && error.reason === 'MISSING_FIELD');
  });

  it('passes subnets on, an empty zone meaning the default subnet', () => {
    const request = CreateShareNetworkRequest.fromPartial({ name: 'n', subnets: [{ availabilityZone: 'az1', neutronNetId: 'net', neutronSubnetId: 'sub' }, { neutronNetId: 'n2', neutronSubnetId: 's2' }] });
    assert.deepEqual(createShareNetworkRequestFromProto(request), {
      name: 'n', description: undefined,
      subnets: [{ availabilityZone: 'az1', neutronNetId: 'net', neutronSubnetId: 'sub' }, { availabilityZone: null, neutronNetId: 'n2', neutronSubnetId: 's2' }],
    });
  });
});
