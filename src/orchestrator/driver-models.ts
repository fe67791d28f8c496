/** Domain records → the models the DriverPort takes. */
import { parseHost } from '../domain/host.js';
import type { AccessRule, Backend, Share, ShareInstance, ShareServer, ShareType, Snapshot, SnapshotInstance } from '../domain/resources.js';
import type { DriverAccessRule, DriverShareInstance, DriverShareServer, DriverSnapshotInstance, PeerInfo } from './driver-port.js';

export function toDriverInstance(instance: ShareInstance, share: Share, type: ShareType | undefined): DriverShareInstance {
  return {
    shareInstanceId: instance.id,
    shareId: share.id,
    pool: instance.host === '' ? '' : parseHost(instance.host).pool ?? '',
    host: instance.host,
    sizeGib: share.sizeGib,
    shareProto: share.shareProto,
    exportLocations: instance.exportLocations,
    shareTypeExtraSpecs: type?.extraSpecs ?? {},
    shareServerId: instance.shareServerId ?? '',
    providerLocation: instance.providerLocation,
    backendDetails: instance.backendDetails,
    availabilityZone: instance.availabilityZone,
  };
}

export function toDriverSnapshot(instance: SnapshotInstance, snapshot: Snapshot): DriverSnapshotInstance {
  return {
    snapshotInstanceId: instance.id,
    snapshotId: snapshot.id,
    shareInstanceId: instance.shareInstanceId,
    sizeGib: snapshot.sizeGib,
    providerLocation: instance.providerLocation,
    exportLocations: instance.exportLocations,
  };
}

export function toDriverServer(server: ShareServer): DriverShareServer {
  return {
    shareServerId: server.id,
    host: server.host,
    shareNetworkId: server.shareNetworkId,
    shareNetworkSubnetIds: server.shareNetworkSubnetIds,
    availabilityZone: server.availabilityZone,
    networkAllocations: server.networkAllocations,
    backendDetails: server.backendDetails,
    identifier: server.identifier,
  };
}

export function toDriverRule(rule: AccessRule): DriverAccessRule {
  return { accessRuleId: rule.id, accessType: rule.accessType, accessTo: rule.accessTo, accessLevel: rule.accessLevel, accessKey: rule.accessKey };
}

export function toPeerInfo(backend: Backend | undefined, name: string): PeerInfo {
  return {
    backend: name,
    pluginName: backend?.pluginName ?? '',
    vendorVersion: backend?.vendorVersion ?? '',
    properties: backend?.migrationPeerInfo ?? {},
  };
}
