import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/domain/errors.js';
import type { NetworkAllocation } from '../../../src/domain/resources.js';
import { MigrationMethod, MigrationStartRequest } from '../../../src/contract/gen/ferry/driver/v1/share_migration.js';
import { SetupShareServerRequest } from '../../../src/contract/gen/ferry/driver/v1/share_server.js';
import {
  toContractMigrationMethod,
  toContractPeerInfo,
  toContractShareInstance,
  toContractShareServer,
  toMigrationRequest,
  toSetupShareServerRequest,
} from '../../../src/host/driver-models.js';
import type { DriverShareInstance, DriverShareServer, DriverSnapshotInstance, MigrationPair } from '../../../src/orchestrator/driver-port.js';

const instance = (id: string, overrides: Partial<DriverShareInstance> = {}): DriverShareInstance => ({
  shareInstanceId: id,
  shareId: 'share-1',
  pool: 'alpha',
  host: 'h@dummy1#alpha',
  sizeGib: 2,
  shareProto: 'NFS',
  exportLocations: [{ path: '10.0.0.5:/exports/x', isAdminOnly: true, metadata: { preferred: 'true' } }],
  shareTypeExtraSpecs: { driver_handles_share_servers: 'false' },
  shareServerId: '',
  providerLocation: 'loc-1',
  backendDetails: { k: 'v' },
  availabilityZone: 'nova',
  ...overrides,
});

const snapshot = (id: string, shareInstanceId: string): DriverSnapshotInstance => ({
  snapshotInstanceId: id,
  snapshotId: `snap-of-${id}`,
  shareInstanceId,
  sizeGib: 2,
  providerLocation: '',
  exportLocations: [],
});

const allocation = (id: string, subnet: string, label: string, overrides: Partial<NetworkAllocation> = {}): NetworkAllocation => ({
  id,
  shareNetworkSubnetId: subnet,
  ipAddress: `10.0.0.${id.length}`,
  ipVersion: 4,
  cidr: '10.0.0.0/24',
  gateway: '10.0.0.1',
  mtu: 1500,
  networkType: 'vlan',
  segmentationId: 101,
  macAddress: '',
  label,
  ...overrides,
});

const server = (overrides: Partial<DriverShareServer> = {}): DriverShareServer => ({
  shareServerId: 'srv-1',
  host: 'h@dummy1',
  shareNetworkId: 'net-1',
  shareNetworkSubnetIds: ['sub-a'],
  availabilityZone: 'nova',
  networkAllocations: [allocation('a1', 'sub-a', 'user')],
  backendDetails: { password: 'secret' },
  identifier: '',
  ...overrides,
});

const peer = { backend: 'h@dummy2', pluginName: 'ferry.dummy', vendorVersion: '1.0.0', properties: { dataRoot: '/d2' } };

describe('toContractShareInstance', () => {
  it('carries every field and survives a wire round trip unchanged', () => {
    const contract = toContractShareInstance(instance('si-1'));
    assert.deepEqual(contract, {
      shareInstanceId: 'si-1',
      shareId: 'share-1',
      pool: 'alpha',
      host: 'h@dummy1#alpha',
      sizeGib: 2,
      shareProto: 'NFS',
      exportLocations: [{ path: '10.0.0.5:/exports/x', isAdminOnly: true, metadata: { preferred: 'true' } }],
      shareTypeExtraSpecs: { driver_handles_share_servers: 'false' },
      shareServerId: '',
      providerLocation: 'loc-1',
      backendDetails: { k: 'v' },
      availabilityZone: 'nova',
    });
    const request = MigrationStartRequest.fromPartial({ sourceShareInstance: contract });
    assert.deepEqual(MigrationStartRequest.decode(MigrationStartRequest.encode(request).finish()).sourceShareInstance, contract);
  });

  it('copies maps and lists instead of sharing the readonly domain objects', () => {
    const domain = instance('si-1');
    const contract = toContractShareInstance(domain);
    assert.notEqual(contract.backendDetails, domain.backendDetails);
    assert.notEqual(contract.exportLocations[0]!.metadata, domain.exportLocations[0]!.metadata);
  });
});

describe('toContractShareServer', () => {
  it('leaves an absent server unset and renames the allocation id', () => {
    assert.equal(toContractShareServer(undefined), undefined);
    const contract = toContractShareServer(server());
    assert.equal(contract?.networkAllocations[0]?.networkAllocationId, 'a1');
    assert.deepEqual(contract?.backendDetails, { password: 'secret' });
  });
});

describe('toContractPeerInfo', () => {
  it('sends a peer with a back end, and leaves an empty peer unset (source_peer is optional on the wire)', () => {
    assert.deepEqual(toContractPeerInfo(peer), peer);
    assert.equal(toContractPeerInfo({ backend: '', pluginName: '', vendorVersion: '', properties: {} }), undefined);
  });
});

describe('toMigrationRequest', () => {
  it('builds the shared request of one migration id, snapshot mappings included', () => {
    const pair: MigrationPair = {
      migrationId: 'm-1',
      source: instance('src'),
      destination: instance('dst', { pool: 'beta', host: 'h@dummy2#beta', exportLocations: [] }),
      destinationPeer: peer,
      sourceSnapshots: [snapshot('ss-1', 'src')],
      snapshotMappings: { 'ss-1': snapshot('ds-1', 'dst') },
      sourceServer: undefined,
      destinationServer: server(),
    };
    const request = toMigrationRequest(pair);
    assert.equal(request.migrationId, 'm-1');
    assert.equal(request.sourceShareInstance?.shareInstanceId, 'src');
    assert.equal(request.destinationShareInstance?.pool, 'beta');
    assert.deepEqual(request.destinationPeer, peer);
    assert.deepEqual(request.sourceSnapshotInstances.map((s) => s.snapshotInstanceId), ['ss-1']);
    assert.equal(request.snapshotMappings['ss-1']?.snapshotInstanceId, 'ds-1');
    assert.equal(request.sourceShareServer, undefined);
    assert.equal(request.destinationShareServer?.shareServerId, 'srv-1');
    assert.deepEqual(MigrationStartRequest.decode(MigrationStartRequest.encode(request).finish()), request);
  });
});

describe('toContractMigrationMethod', () => {
  it('maps both paths', () => {
    assert.equal(toContractMigrationMethod('driver_assisted'), MigrationMethod.MIGRATION_METHOD_DRIVER_ASSISTED);
    assert.equal(toContractMigrationMethod('host_assisted'), MigrationMethod.MIGRATION_METHOD_HOST_ASSISTED);
  });
});

describe('toSetupShareServerRequest', () => {
  it('builds one NetworkInfo per subnet from the allocations, admin ports beside the user ports of their subnet', () => {
    const request = toSetupShareServerRequest(
      server({
        shareNetworkSubnetIds: ['sub-a', 'sub-b'],
        networkAllocations: [
          allocation('a1', 'sub-a', 'user'),
          allocation('b1', 'sub-b', 'user', { cidr: '10.1.0.0/24', gateway: '10.1.0.1', segmentationId: 202, mtu: 9000 }),
          allocation('adm1', 'sub-a', 'admin'),
          allocation('adm2', 'sub-admin', 'admin'),
        ],
      }),
      { request_host: 'h@dummy1', migration_destination: 'true', source_share_server_id: 'srv-0' },
    );
    assert.deepEqual(
      request.networkInfo.map((n) => [n.shareNetworkSubnetId, n.cidr, n.gateway, n.segmentationId, n.mtu, n.networkType, n.ipVersion]),
      [
        ['sub-a', '10.0.0.0/24', '10.0.0.1', 101, 1500, 'vlan', 4],
        ['sub-b', '10.1.0.0/24', '10.1.0.1', 202, 9000, 'vlan', 4],
      ],
    );
    assert.deepEqual(request.networkInfo.map((n) => n.networkAllocations.map((a) => a.networkAllocationId)), [['a1'], ['b1']]);
    assert.deepEqual(request.networkInfo.map((n) => n.adminNetworkAllocations.map((a) => a.networkAllocationId)), [['adm1', 'adm2'], []], 'an admin port of another subnet goes to the first entry');
    assert.deepEqual([request.migrationDestination, request.sourceShareServerId, request.requestHost], [true, 'srv-0', 'h@dummy1']);
    assert.deepEqual(SetupShareServerRequest.decode(SetupShareServerRequest.encode(request).finish()), request);
  });

  it('defaults to a normal server and refuses unknown or malformed metadata naming the key', () => {
    const plain = toSetupShareServerRequest(server(), {});
    assert.deepEqual([plain.migrationDestination, plain.sourceShareServerId, plain.requestHost], [false, '', '']);
    const bare = toSetupShareServerRequest(server({ networkAllocations: [] }), {});
    assert.deepEqual(bare.networkInfo.map((n) => [n.shareNetworkSubnetId, n.networkAllocations.length, n.cidr]), [['sub-a', 0, '']], 'a subnet without allocations still gets its entry');
    assert.throws(() => toSetupShareServerRequest(server(), { migrationDestination: 'true' }), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.equal(e.message, 'metadata.migrationDestination: is not a share server setup option; use request_host, migration_destination, source_share_server_id');
      return true;
    });
    assert.throws(() => toSetupShareServerRequest(server(), { migration_destination: 'yes' }), { message: 'metadata.migration_destination: must be "true" or "false", got "yes"' });
  });
});
