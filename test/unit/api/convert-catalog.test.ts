import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreateShareNetworkRequest, CreateShareTypeRequest } from '../../../src/contract/gen/ferry/admin/v1/catalog.js';
import { BackendState, ShareServerStatus, TaskState } from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import { backendToProto, createShareNetworkRequestFromProto, createShareTypeRequestFromProto, shareServerToProto } from '../../../src/api/convert-catalog.js';
import { FerryError } from '../../../src/domain/errors.js';
import type { ShareServer } from '../../../src/domain/resources.js';
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

  it('shows a share server with its task_state and allocations', () => {
    const server: ShareServer = {
      id: 'srv', host: 'n@b', status: 'server_migrating', taskState: 'migration_driver_phase1_done', shareNetworkId: 'net', shareNetworkSubnetIds: ['sub'],
      availabilityZone: 'nova', identifier: 'x', backendDetails: {}, sourceShareServerId: null, isAutoDeletable: true, createdAt: T1, updatedAt: T1,
      networkAllocations: [{ id: 'a', shareNetworkSubnetId: 'sub', ipAddress: '10.0.0.9', ipVersion: 4, cidr: '10.0.0.0/24', gateway: '', mtu: 1500, networkType: 'flat', segmentationId: 0, macAddress: '', label: 'user' }],
    };
    const message = shareServerToProto(server);
    assert.equal(message.status, ShareServerStatus.SHARE_SERVER_STATUS_SERVER_MIGRATING);
    assert.equal(message.taskState, TaskState.TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE);
    assert.equal(message.sourceShareServerId, '');
    assert.equal(message.networkAllocations[0]?.ipAddress, '10.0.0.9');
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
