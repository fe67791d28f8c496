// Plain domain records for the convert-* tests: one of each, with every nullable field set,
// and helpers to null them out. Values are arbitrary but distinct, so a swapped field shows.
import type { ShareInstance, ShareMigration, SnapshotInstance } from '../../../src/domain/resources.js';
import type { AccessRuleView, ShareView, SnapshotView } from '../../../src/orchestrator/ferry-api.js';

export const T1 = '2024-05-01T10:00:00.000Z';
export const T2 = '2024-05-01T10:05:30.250Z';

export const sourceInstance: ShareInstance = {
  id: 'inst-src', shareId: 'share-1', status: 'migrating', host: 'node1@localfs1#pool1', shareTypeId: 'type-1', shareNetworkId: null,
  shareServerId: null, availabilityZone: 'nova', castRulesToReadonly: true, accessRulesStatus: 'active', progress: '100%', replicaState: null,
  exportLocations: [{ path: '/srv/a', isAdminOnly: false, metadata: { preferred: 'true' } }], providerLocation: 'loc-a', backendDetails: { k: 'v' },
  createdAt: T1, updatedAt: T2,
};

export const destinationInstance: ShareInstance = {
  ...sourceInstance, id: 'inst-dst', status: 'migrating_to', host: 'node1@localfs2#pool2', castRulesToReadonly: false, progress: '0%',
  exportLocations: [], providerLocation: '', backendDetails: {},
};

export const migration: ShareMigration = {
  id: 'mig-1', shareId: 'share-1', sourceInstanceId: 'inst-src', destinationInstanceId: 'inst-dst',
  request: {
    destinationHost: 'node1@localfs2#pool2', writable: false, preserveMetadata: true, preserveSnapshots: false, nondisruptive: false,
    forceHostAssistedMigration: false, newShareTypeId: 'type-1', newShareNetworkId: null,
  },
  method: 'driver_assisted',
  capabilities: { compatible: true, writable: false, preserveMetadata: true, nondisruptive: false, preserveSnapshots: true, reasons: [] },
  taskState: 'migration_driver_in_progress', phase: 'driver_poll', outcome: null, pendingAction: null, active: true, fallbackReason: '', error: '', errorReason: '',
  checkpointPath: '/tmp/ck', createdAt: T1, updatedAt: T2, finishedAt: null,
};

export const share: ShareView = {
  id: 'share-1', name: 'docs', description: 'team docs', shareProto: 'NFS', sizeGib: 3, shareTypeId: 'type-1', shareNetworkId: null,
  availabilityZone: 'nova', taskState: 'migration_driver_in_progress', metadata: { owner: 'ops' }, snapshotSupport: true,
  createShareFromSnapshotSupport: false, revertToSnapshotSupport: true, mountSnapshotSupport: false, createdAt: T1, updatedAt: T2,
  status: 'migrating', host: 'node1@localfs1#pool1', shareServerId: null, accessRulesStatus: 'active',
  exportLocations: sourceInstance.exportLocations, instances: [sourceInstance, destinationInstance], migration,
};

export const accessRule: AccessRuleView = {
  id: 'rule-1', shareId: 'share-1', accessType: 'ip', accessTo: '10.0.0.0/24', accessLevel: 'ro', accessKey: '', forDataService: false,
  createdAt: T1, state: 'active', instanceStates: { 'inst-src': 'active', 'inst-dst': 'queued_to_apply' },
};

const snapshotInstance: SnapshotInstance = {
  id: 'snapi-1', snapshotId: 'snap-1', shareInstanceId: 'inst-src', status: 'migrating', progress: '100%', providerLocation: 'p',
  exportLocations: [], createdAt: T1, updatedAt: T2,
};

export const snapshot: SnapshotView = {
  id: 'snap-1', shareId: 'share-1', name: 's', description: '', sizeGib: 3, createdAt: T1, status: 'migrating', instances: [snapshotInstance],
};
