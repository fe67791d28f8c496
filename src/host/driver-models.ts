/**
 * Domain -> contract: the DriverPort's camelCase models (src/orchestrator/driver-port.ts) as the
 * generated ferry.driver.v1 messages the plugins receive. Pure. Every map and list is copied,
 * because the domain models are readonly and the generated types are not. The way back
 * (answers -> domain) is in driver-answers.ts.
 */
import type { ExportLocation, NetworkAllocation, StringMap } from '../domain/resources.js';
import { InvalidArgumentError } from '../domain/errors.js';
import type {
  AccessRule,
  ExportLocation as ContractExportLocation,
  NetworkAllocation as ContractNetworkAllocation,
  PeerInfo as ContractPeerInfo,
  ShareInstance,
  ShareServer,
  SnapshotInstance,
} from '../contract/gen/ferry/driver/v1/common.js';
import { MigrationMethod, type MigrationStartRequest } from '../contract/gen/ferry/driver/v1/share_migration.js';
import type {
  NetworkInfo,
  SetupShareServerRequest,
  ShareServerMigrationCheckCompatibilityRequest,
  ShareServerMigrationStartRequest,
} from '../contract/gen/ferry/driver/v1/share_server.js';
import type {
  DriverAccessRule,
  DriverShareInstance,
  DriverShareServer,
  DriverSnapshotInstance,
  MigrationPair,
  PeerInfo,
  ServerCompatibilityRequest,
  ServerMigrationCall,
} from '../orchestrator/driver-port.js';

export function toContractExportLocations(locations: readonly ExportLocation[]): ContractExportLocation[] {
  return locations.map((l) => ({ path: l.path, isAdminOnly: l.isAdminOnly, metadata: { ...l.metadata } }));
}

export function toContractShareInstance(instance: DriverShareInstance): ShareInstance {
  return {
    shareInstanceId: instance.shareInstanceId,
    shareId: instance.shareId,
    pool: instance.pool,
    host: instance.host,
    sizeGib: instance.sizeGib,
    shareProto: instance.shareProto,
    exportLocations: toContractExportLocations(instance.exportLocations),
    shareTypeExtraSpecs: { ...instance.shareTypeExtraSpecs },
    shareServerId: instance.shareServerId,
    providerLocation: instance.providerLocation,
    backendDetails: { ...instance.backendDetails },
    availabilityZone: instance.availabilityZone,
  };
}

export function toContractSnapshotInstance(snapshot: DriverSnapshotInstance): SnapshotInstance {
  return {
    snapshotInstanceId: snapshot.snapshotInstanceId,
    snapshotId: snapshot.snapshotId,
    shareInstanceId: snapshot.shareInstanceId,
    sizeGib: snapshot.sizeGib,
    providerLocation: snapshot.providerLocation,
    exportLocations: toContractExportLocations(snapshot.exportLocations),
  };
}

export function toContractNetworkAllocation(allocation: NetworkAllocation): ContractNetworkAllocation {
  return {
    networkAllocationId: allocation.id,
    shareNetworkSubnetId: allocation.shareNetworkSubnetId,
    ipAddress: allocation.ipAddress,
    ipVersion: allocation.ipVersion,
    cidr: allocation.cidr,
    gateway: allocation.gateway,
    mtu: allocation.mtu,
    networkType: allocation.networkType,
    segmentationId: allocation.segmentationId,
    macAddress: allocation.macAddress,
    label: allocation.label,
  };
}

/** An absent server stays absent: the contract's "Unset otherwise" for non-DHSS back ends. */
export function toContractShareServer(server: DriverShareServer | undefined): ShareServer | undefined {
  if (server === undefined) return undefined;
  return {
    shareServerId: server.shareServerId,
    host: server.host,
    shareNetworkId: server.shareNetworkId,
    shareNetworkSubnetIds: [...server.shareNetworkSubnetIds],
    availabilityZone: server.availabilityZone,
    networkAllocations: server.networkAllocations.map(toContractNetworkAllocation),
    backendDetails: { ...server.backendDetails },
    identifier: server.identifier,
  };
}

export function toContractAccessRule(rule: DriverAccessRule): AccessRule {
  return { accessRuleId: rule.accessRuleId, accessType: rule.accessType, accessTo: rule.accessTo, accessLevel: rule.accessLevel, accessKey: rule.accessKey };
}

/**
 * A peer without a back-end name is "no peer": the port's PeerInfo is not optional, but the
 * contract's MigrationUpdateModelRequest.source_peer is unset for other-vendor and host-assisted
 * migrations, which the orchestrator can only express as an empty PeerInfo.
 */
export function toContractPeerInfo(peer: PeerInfo | undefined): ContractPeerInfo | undefined {
  if (peer === undefined || peer.backend === '') return undefined;
  return { backend: peer.backend, pluginName: peer.pluginName, vendorVersion: peer.vendorVersion, properties: { ...peer.properties } };
}

/**
 * The request of every share-migration call of one migration id. Start, Continue, Complete,
 * Cancel and GetProgress carry the same fields (share_migration.proto: "As in
 * MigrationStartRequest"), so one builder serves all five.
 */
export function toMigrationRequest(pair: MigrationPair): MigrationStartRequest {
  const snapshotMappings: Record<string, SnapshotInstance> = {};
  for (const [sourceId, destination] of Object.entries(pair.snapshotMappings)) snapshotMappings[sourceId] = toContractSnapshotInstance(destination);
  return {
    migrationId: pair.migrationId,
    sourceShareInstance: toContractShareInstance(pair.source),
    destinationShareInstance: toContractShareInstance(pair.destination),
    destinationPeer: toContractPeerInfo(pair.destinationPeer),
    sourceSnapshotInstances: pair.sourceSnapshots.map(toContractSnapshotInstance),
    snapshotMappings,
    sourceShareServer: toContractShareServer(pair.sourceServer),
    destinationShareServer: toContractShareServer(pair.destinationServer),
  };
}

export function toContractMigrationMethod(method: 'driver_assisted' | 'host_assisted'): MigrationMethod {
  return method === 'driver_assisted' ? MigrationMethod.MIGRATION_METHOD_DRIVER_ASSISTED : MigrationMethod.MIGRATION_METHOD_HOST_ASSISTED;
}

/**
 * The keys of setupShareServer's `metadata`: Manila's setup_server metadata, spelled as the
 * SetupShareServerRequest fields they fill (the orchestrator already sends `request_host`).
 * Unknown keys are refused so a typo never silently sets up a normal server instead of a
 * migration destination.
 */
export const SETUP_METADATA_KEYS = ['request_host', 'migration_destination', 'source_share_server_id'] as const;

/** SetupShareServerRequest from the server record; network_info as toNetworkInfo builds it. */
export function toSetupShareServerRequest(server: DriverShareServer, metadata: StringMap): SetupShareServerRequest {
  for (const key of Object.keys(metadata)) {
    if (!(SETUP_METADATA_KEYS as readonly string[]).includes(key)) throw new InvalidArgumentError(`metadata.${key}`, `is not a share server setup option; use ${SETUP_METADATA_KEYS.join(', ')}`);
  }
  const migrationDestination = metadata.migration_destination ?? 'false';
  if (migrationDestination !== 'true' && migrationDestination !== 'false') {
    throw new InvalidArgumentError('metadata.migration_destination', `must be "true" or "false", got ${JSON.stringify(migrationDestination)}`);
  }
  return {
    shareServer: toContractShareServer(server),
    networkInfo: toNetworkInfo(server),
    migrationDestination: migrationDestination === 'true',
    sourceShareServerId: metadata.source_share_server_id ?? '',
    requestHost: metadata.request_host ?? '',
  };
}

/**
 * The contract's per-subnet network_info of a server. The port only has the server's
 * allocations, so each subnet's entry is built from them: its user allocations, its admin allocations (label "admin"; those of a subnet the server is not
 * plugged into go to the first entry, Manila's separate admin network), and the network facts
 * (type, segmentation, cidr, gateway, ip version, mtu) of its first allocation. Neutron ids and
 * security services are not in the port and are sent empty.
 */
export function toNetworkInfo(server: DriverShareServer): NetworkInfo[] {
  const user = server.networkAllocations.filter((a) => a.label !== 'admin');
  const admin = server.networkAllocations.filter((a) => a.label === 'admin');
  const subnetIds = [...new Set([...server.shareNetworkSubnetIds, ...user.map((a) => a.shareNetworkSubnetId)])];
  const networkInfo = subnetIds.map((subnetId): NetworkInfo => {
    const own = user.filter((a) => a.shareNetworkSubnetId === subnetId);
    const facts = own[0];
    return {
      shareNetworkSubnetId: subnetId,
      neutronNetId: '',
      neutronSubnetId: '',
      networkType: facts?.networkType ?? '',
      segmentationId: facts?.segmentationId ?? 0,
      cidr: facts?.cidr ?? '',
      gateway: facts?.gateway ?? '',
      ipVersion: facts?.ipVersion ?? 0,
      mtu: facts?.mtu ?? 0,
      networkAllocations: own.map(toContractNetworkAllocation),
      adminNetworkAllocations: admin.filter((a) => a.shareNetworkSubnetId === subnetId).map(toContractNetworkAllocation),
      securityServices: [],
    };
  });
  const homeless = admin.filter((a) => !subnetIds.includes(a.shareNetworkSubnetId));
  if (homeless.length > 0 && networkInfo[0] !== undefined) networkInfo[0].adminNetworkAllocations.push(...homeless.map(toContractNetworkAllocation));
  return networkInfo;
}

export function toServerMigrationCall(call: ServerMigrationCall): ShareServerMigrationStartRequest {
  return {
    migrationId: call.migrationId,
    sourceShareServer: toContractShareServer(call.sourceServer),
    destinationShareServer: toContractShareServer(call.destinationServer),
    shareInstances: call.shareInstances.map(toContractShareInstance),
    snapshotInstances: call.snapshotInstances.map(toContractSnapshotInstance),
    sourcePeer: toContractPeerInfo(call.sourcePeer),
  };
}

export function toServerCompatibilityRequest(request: ServerCompatibilityRequest): ShareServerMigrationCheckCompatibilityRequest {
  return {
    shareServer: toContractShareServer(request.server),
    destHost: request.destinationHost,
    oldShareNetworkId: request.oldShareNetworkId,
    newShareNetworkId: request.newShareNetworkId,
    sharesRequestSpec: {
      sharesSizeGib: request.sharesSizeGib,
      snapshotsSizeGib: request.snapshotsSizeGib,
      sharesReqSpec: request.shares.map((spec) => ({
        shareId: spec.instance.shareId,
        shareInstance: toContractShareInstance(spec.instance),
        shareTypeId: spec.shareTypeId,
        shareTypeName: spec.shareTypeName,
        shareProperties: { ...spec.shareProperties },
      })),
    },
    sourcePeer: toContractPeerInfo(request.sourcePeer),
  };
}
