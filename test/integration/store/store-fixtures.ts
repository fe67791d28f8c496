/**
 * Test helpers for the store: a fresh temp directory per store, and builders for every record
 * with realistic values (nested maps, lists, nulls) so round trips exercise every column codec.
 * Each builder takes overrides; createdAt values increase, so list order is predictable.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  AccessRule, AccessRuleMapping, Backend, Pool, Share, ShareInstance, ShareMigration, ShareNetwork, ShareServer, ShareType,
  Snapshot, SnapshotInstance,
} from '../../../src/domain/resources.js';
import type { Volume, VolumeGroup, VolumeMigration, VolumeSnapshot, VolumeType } from '../../../src/domain/volumes.js';
import type { StorePort } from '../../../src/orchestrator/store-port.js';
import { createSqliteStore } from '../../../src/store/index.js';

const dirs: string[] = [];

/** A new directory under the OS temp dir; removeTempDirs() deletes them all. */
export function tempDir(prefix = 'ferry-store-'): string {
  const dir = fs.mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** A store on a new file; the caller closes it. */
export async function openTempStore(): Promise<{ store: StorePort; path: string }> {
  const path = join(tempDir(), 'ferry.db');
  return { store: await createSqliteStore({ path }), path };
}

let clock = Date.UTC(2026, 0, 1);
let counter = 0;
/** A later ISO time on each call. */
export function nextTime(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}
function nextId(kind: string): string {
  counter += 1;
  return `${kind}-${String(counter).padStart(4, '0')}`;
}

export function backend(overrides: Partial<Backend> = {}): Backend {
  const name = overrides.name ?? nextId('backend');
  return {
    name, host: `node1@${name}`, pluginName: 'localfs', vendorVersion: '1.2.3',
    capabilities: ['SHARE_DRIVER_MIGRATION', 'SNAPSHOTS'], driverHandlesShareServers: false,
    migrationPeerInfo: { root: '/srv/ferry', token: 's3cret' }, updatedAt: nextTime(), ...overrides,
  };
}

export function pool(backendName: string, poolName: string, overrides: Partial<Pool> = {}): Pool {
  return {
    host: `node1@${backendName}#${poolName}`, backend: backendName, name: poolName, totalCapacityGib: 100.5,
    freeCapacityGib: 80.25, allocatedCapacityGib: 20, capabilities: { thin_provisioning: 'true', dedupe: 'false' },
    availabilityZone: 'az1', updatedAt: nextTime(), ...overrides,
  };
}

export function shareType(overrides: Partial<ShareType> = {}): ShareType {
  const id = overrides.id ?? nextId('type');
  return {
    id, name: `name-${id}`, description: 'gold', isPublic: true, createdAt: nextTime(),
    extraSpecs: { driver_handles_share_servers: 'false', snapshot_support: 'true', availability_zones: 'az1,az2' },
    ...overrides,
  };
}

export function shareNetwork(overrides: Partial<ShareNetwork> = {}): ShareNetwork {
  const id = overrides.id ?? nextId('net');
  return {
    id, name: `name-${id}`, description: 'tenant network', status: 'active', createdAt: nextTime(),
    subnets: [
      { id: `${id}-default`, shareNetworkId: id, availabilityZone: null, neutronNetId: 'nn-1', neutronSubnetId: 'ns-1', createdAt: nextTime() },
      { id: `${id}-az1`, shareNetworkId: id, availabilityZone: 'az1', neutronNetId: 'nn-2', neutronSubnetId: 'ns-2', createdAt: nextTime() },
    ],
    ...overrides,
  };
}

export function share(shareTypeId: string, overrides: Partial<Share> = {}): Share {
  const at = nextTime();
  return {
    id: nextId('share'), name: 'data', description: 'team data', shareProto: 'NFS', sizeGib: 10, shareTypeId,
    shareNetworkId: null, availabilityZone: 'az1', taskState: null, metadata: { owner: 'alice', 'dept:code': '42' },
    snapshotSupport: true, createShareFromSnapshotSupport: false, revertToSnapshotSupport: true, mountSnapshotSupport: false,
    createdAt: at, updatedAt: at, ...overrides,
  };
}

export function shareInstance(shareRecord: Share, overrides: Partial<ShareInstance> = {}): ShareInstance {
  const at = nextTime();
  return {
    id: nextId('instance'), shareId: shareRecord.id, status: 'available', host: 'node1@alpha#fast',
    shareTypeId: shareRecord.shareTypeId, shareNetworkId: shareRecord.shareNetworkId, shareServerId: null,
    availabilityZone: 'az1', castRulesToReadonly: false, accessRulesStatus: 'active', progress: '100%', replicaState: null,
    exportLocations: [
      { path: '10.0.0.1:/exports/a', isAdminOnly: false, metadata: { preferred: 'true' } },
      { path: '10.0.0.2:/exports/a', isAdminOnly: true, metadata: {} },
    ],
    providerLocation: '/srv/alpha/fast/a', backendDetails: { inode: '12345' }, createdAt: at, updatedAt: at, ...overrides,
  };
}

export function accessRule(shareId: string, overrides: Partial<AccessRule> = {}): AccessRule {
  return {
    id: nextId('rule'), shareId, accessType: 'ip', accessTo: '10.0.0.0/24', accessLevel: 'rw', accessKey: '',
    forDataService: false, createdAt: nextTime(), ...overrides,
  };
}

export function accessMapping(accessRuleId: string, shareInstanceId: string, overrides: Partial<AccessRuleMapping> = {}): AccessRuleMapping {
  return { accessRuleId, shareInstanceId, state: 'active', message: '', updatedAt: nextTime(), ...overrides };
}

export function snapshot(shareId: string, overrides: Partial<Snapshot> = {}): Snapshot {
  return { id: nextId('snap'), shareId, name: 'nightly', description: 'before upgrade', sizeGib: 10, createdAt: nextTime(), ...overrides };
}

export function snapshotInstance(snapshotId: string, shareInstanceId: string, overrides: Partial<SnapshotInstance> = {}): SnapshotInstance {
  const at = nextTime();
  return {
    id: nextId('snapinst'), snapshotId, shareInstanceId, status: 'available', progress: '100%', providerLocation: '/snap/1',
    exportLocations: [{ path: '10.0.0.1:/snap/1', isAdminOnly: false, metadata: { ro: 'true' } }], createdAt: at, updatedAt: at,
    ...overrides,
  };
}

export function shareServer(shareNetworkId: string, overrides: Partial<ShareServer> = {}): ShareServer {
  const at = nextTime();
  return {
    id: nextId('server'), host: 'node1@alpha', status: 'active', taskState: null, shareNetworkId,
    shareNetworkSubnetIds: [`${shareNetworkId}-default`], availabilityZone: 'az1', identifier: 'vserver-7',
    backendDetails: { vserver: 'svm7' },
    networkAllocations: [{
      id: 'alloc-1', shareNetworkSubnetId: `${shareNetworkId}-default`, ipAddress: '10.0.0.7', ipVersion: 4, cidr: '10.0.0.0/24',
      gateway: '10.0.0.1', mtu: 1500, networkType: 'vlan', segmentationId: 101, macAddress: 'fa:16:3e:00:00:07', label: 'user',
    }],
    sourceShareServerId: null, isAutoDeletable: true, createdAt: at, updatedAt: at, ...overrides,
  };
}

export function migration(shareRecord: Share, sourceInstanceId: string, overrides: Partial<ShareMigration> = {}): ShareMigration {
  const at = nextTime();
  return {
    id: nextId('migration'), shareId: shareRecord.id, sourceInstanceId, destinationInstanceId: null,
    request: {
      destinationHost: 'node1@beta#slow', writable: true, preserveMetadata: true, preserveSnapshots: false, nondisruptive: false,
      forceHostAssistedMigration: false, newShareTypeId: shareRecord.shareTypeId, newShareNetworkId: null,
    },
    method: null, capabilities: null, taskState: 'migration_starting', phase: 'accepted', outcome: null, pendingAction: null,
    active: true, fallbackReason: '', error: '', errorReason: '', checkpointPath: '', createdAt: at, updatedAt: at, finishedAt: null,
    ...overrides,
  };
}

/** A store with one share type, one network and one share on it: the parents most records need. */
export async function seedShare(store: StorePort): Promise<{ type: ShareType; network: ShareNetwork; share: Share }> {
  const type = shareType();
  const network = shareNetwork();
  await store.insertShareType(type);
  await store.insertShareNetwork(network);
  const record = share(type.id, { shareNetworkId: network.id });
  await store.insertShare(record);
  return { type, network, share: record };
}

export function volumeType(overrides: Partial<VolumeType> = {}): VolumeType {
  const id = overrides.id ?? nextId('vtype');
  return {
    id, name: `name-${id}`, description: 'fast block', isPublic: true, createdAt: nextTime(),
    extraSpecs: { volume_backend_name: 'lvm1', 'RESKEY:availability_zones': 'az1,az2' },
    qosSpecs: { read_iops_sec: '2000', consumer: 'back-end' },
    ...overrides,
  };
}

export function volumeGroup(overrides: Partial<VolumeGroup> = {}): VolumeGroup {
  return { id: nextId('vgroup'), name: 'db-volumes', description: 'consistency group of the database', createdAt: nextTime(), ...overrides };
}

/** An in-use volume with two attachments; nullable fields null unless overridden. */
export function volume(volumeTypeId: string, overrides: Partial<Volume> = {}): Volume {
  const at = nextTime();
  return {
    id: nextId('volume'), name: 'db-data', description: 'postgres data', sizeGib: 20, volumeTypeId, status: 'in-use',
    migrationStatus: null, previousStatus: null, host: 'node1@lvm1#pool1', availabilityZone: 'az1', nameId: null,
    providerLocation: '/dev/vg1/volume-1', groupId: null,
    attachments: [
      { id: 'att-1', instanceUuid: 'inst-1', attachedHost: 'compute1', mountpoint: '/dev/vdb', attachedAt: at },
      { id: 'att-2', instanceUuid: 'inst-2', attachedHost: 'compute2', mountpoint: '/dev/vdc', attachedAt: at },
    ],
    createdAt: at, updatedAt: at, ...overrides,
  };
}

export function volumeSnapshot(volumeId: string, overrides: Partial<VolumeSnapshot> = {}): VolumeSnapshot {
  return {
    id: nextId('vsnap'), volumeId, name: 'before-upgrade', sizeGib: 20, status: 'available', providerLocation: '/dev/vg1/snap-1',
    createdAt: nextTime(), ...overrides,
  };
}

/** A migration just accepted: nullable fields null, counters zero. */
export function volumeMigration(volumeRecord: Volume, overrides: Partial<VolumeMigration> = {}): VolumeMigration {
  const at = nextTime();
  return {
    id: nextId('vmigration'), volumeId: volumeRecord.id,
    request: {
      kind: 'migrate', destinationHost: 'node1@lvm2#pool1', forceHostCopy: false, lockVolume: true, newVolumeTypeId: null,
      migrationPolicy: null,
    },
    sourceHost: volumeRecord.host, originalStatus: 'in-use', originalVolumeTypeId: volumeRecord.volumeTypeId, method: null,
    transferMode: null, temporaryVolumeId: null, phase: 'accepted', outcome: null, abortRequested: false, active: true,
    bytesCopied: 0, bytesTotal: 0, fallbackReason: '', error: '', errorReason: '', checkpointPath: '', createdAt: at,
    updatedAt: at, finishedAt: null, ...overrides,
  };
}

/** A store with one volume type and one volume of it: the parents volume records need. */
export async function seedVolume(store: StorePort): Promise<{ type: VolumeType; volume: Volume }> {
  const type = volumeType();
  await store.insertVolumeType(type);
  const record = volume(type.id);
  await store.insertVolume(record);
  return { type, volume: record };
}
