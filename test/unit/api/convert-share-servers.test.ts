import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MigrationOutcome, ShareServerStatus, TaskState } from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import { ShareServersMigrationCheckRequest, ShareServersMigrationStartRequest } from '../../../src/contract/gen/ferry/admin/v1/share_server_migration.js';
import {
  serverMigrationCheckToProto, serverMigrationProgressToProto, serverMigrationStartRequestFromProto, shareServerToProto,
} from '../../../src/api/convert-share-servers.js';
import { FerryError } from '../../../src/domain/errors.js';
import type { ShareServerMigration } from '../../../src/domain/resources.js';
import type { ShareServerView } from '../../../src/orchestrator/ferry-api.js';
import { T1, T2 } from './sample-records.js';

const migration: ShareServerMigration = {
  id: 'smig-1', sourceShareServerId: 'srv', destinationShareServerId: 'dst',
  request: { destinationHost: 'n@b2', writable: false, nondisruptive: false, preserveSnapshots: true, shareNetworkId: 'net2', newShareNetworkGiven: true },
  capabilities: { compatible: true, writable: true, nondisruptive: false, preserveSnapshots: true, migrationCancel: true, migrationGetProgress: false, shareNetworkId: 'net2', reasons: ['r'] },
  networkChange: true, taskState: 'migration_driver_phase1_done', phase: 'driver_phase1_done', outcome: null, active: true, error: '', errorReason: '',
  createdAt: T1, updatedAt: T2, finishedAt: null,
};

const server: ShareServerView = {
  id: 'srv', host: 'n@b', status: 'server_migrating', taskState: 'migration_driver_phase1_done', shareNetworkId: 'net', shareNetworkSubnetIds: ['sub'],
  availabilityZone: 'nova', identifier: 'x', backendDetails: { vserver: 'svm7', password: 'hunter2' }, sourceShareServerId: null, isAutoDeletable: true,
  createdAt: T1, updatedAt: T2,
  networkAllocations: [{ id: 'a', shareNetworkSubnetId: 'sub', ipAddress: '10.0.0.9', ipVersion: 4, cidr: '10.0.0.0/24', gateway: '', mtu: 1500, networkType: 'flat', segmentationId: 0, macAddress: '', label: 'user' }],
  shareIds: ['share-1', 'share-2'], shareInstanceIds: ['si-1', 'si-2'], migration,
};

describe('convert-share-servers: domain -> proto', () => {
  it('shows a server with its shares, task_state, allocations and latest migration', () => {
    const message = shareServerToProto(server);
    assert.equal(message.status, ShareServerStatus.SHARE_SERVER_STATUS_SERVER_MIGRATING);
    assert.equal(message.taskState, TaskState.TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE);
    assert.equal(message.sourceShareServerId, '');
    assert.equal(message.networkAllocations[0]?.ipAddress, '10.0.0.9');
    assert.deepEqual([message.shareIds, message.shareInstanceIds], [['share-1', 'share-2'], ['si-1', 'si-2']]);
    assert.deepEqual(message.createdAt, { seconds: Date.parse(T1) / 1000, nanos: 0 });
    const shown = message.migration!;
    assert.deepEqual([shown.id, shown.sourceShareServerId, shown.destinationShareServerId, shown.phase, shown.active], ['smig-1', 'srv', 'dst', 'driver_phase1_done', true]);
    assert.deepEqual(shown.request, { host: 'n@b2', writable: false, nondisruptive: false, preserveSnapshots: true, shareNetworkId: 'net2', newShareNetworkGiven: true });
    assert.deepEqual(shown.capabilities, { compatible: true, writable: true, nondisruptive: false, preserveSnapshots: true, migrationCancel: true, migrationGetProgress: false, shareNetworkId: 'net2', reasons: ['r'] });
    assert.equal(shown.networkChange, true);
    assert.equal(shown.taskState, TaskState.TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE);
    assert.equal(shown.outcome, MigrationOutcome.MIGRATION_OUTCOME_UNSPECIFIED);
    assert.equal(shown.finishedAt, undefined);
  });

  it('never shows backend details values (secrets in the driver contract), only their names, sorted', () => {
    const message = shareServerToProto(server);
    assert.deepEqual(message.backendDetails, {});
    assert.deepEqual(message.backendDetailKeys, ['password', 'vserver']);
    assert.ok(!JSON.stringify(message).includes('hunter2'));
    assert.ok(!JSON.stringify(message).includes('svm7'));
  });

  it('leaves migration and capabilities unset when there are none', () => {
    assert.equal(shareServerToProto({ ...server, migration: null }).migration, undefined);
    const finished = shareServerToProto({ ...server, migration: { ...migration, capabilities: null, outcome: 'cancelled', finishedAt: T2, destinationShareServerId: null } }).migration!;
    assert.equal(finished.capabilities, undefined);
    assert.equal(finished.outcome, MigrationOutcome.MIGRATION_OUTCOME_CANCELLED);
    assert.equal(finished.destinationShareServerId, '');
    assert.ok(finished.finishedAt);
  });

  it('shows progress with the destination task_state, whole percents and null states as UNSPECIFIED', () => {
    const message = serverMigrationProgressToProto({
      shareServerId: 'srv', migrationId: 'smig-1', totalProgress: 49.9, taskState: null, sourceTaskState: 'migration_in_progress', destinationShareServerId: '',
      details: { copied_bytes: '1' }, error: '', errorReason: '',
    });
    assert.equal(message.totalProgress, 49);
    assert.equal(message.taskState, TaskState.TASK_STATE_UNSPECIFIED);
    assert.equal(message.sourceTaskState, TaskState.TASK_STATE_MIGRATION_IN_PROGRESS);
    assert.deepEqual(message.details, { copied_bytes: '1' });
    assert.equal(serverMigrationProgressToProto({ ...progressBase(), totalProgress: 140 }).totalProgress, 100);
  });

  it('answers a check with Manila\'s requested and supported capabilities and ferry\'s blockers', () => {
    const message = serverMigrationCheckToProto({
      compatible: false,
      requested: { host: 'n@b2', writable: true, nondisruptive: false, preserveSnapshots: false, shareNetworkId: null },
      supported: { writable: false, nondisruptive: false, preserveSnapshots: true, shareNetworkId: 'net', migrationCancel: true, migrationGetProgress: true },
      blockers: [{ reason: 'SHARE_SERVER_MIGRATION_INCOMPATIBLE', message: 'writable was requested' }],
    });
    assert.deepEqual(message, {
      compatible: false,
      requestedCapabilities: { writable: true, nondisruptive: false, preserveSnapshots: false, shareNetworkId: '', host: 'n@b2' },
      supportedCapabilities: { writable: false, nondisruptive: false, preserveSnapshots: true, shareNetworkId: 'net', migrationCancel: true, migrationGetProgress: true },
      blockers: [{ reason: 'SHARE_SERVER_MIGRATION_INCOMPATIBLE', message: 'writable was requested' }],
    });
  });
});

describe('convert-share-servers: proto -> domain', () => {
  it('keeps absent flags undefined and an empty host as is, so ferry reports them after the server lookup', () => {
    assert.deepEqual(serverMigrationStartRequestFromProto(ShareServersMigrationStartRequest.fromPartial({ shareServerId: 'srv', nondisruptive: false })), {
      shareServerId: 'srv', host: '', writable: undefined, nondisruptive: false, preserveSnapshots: undefined, newShareNetworkId: undefined,
    });
  });

  it('reads a check request like a start request', () => {
    const fields = { shareServerId: 'srv', host: 'n@b2', writable: true, nondisruptive: false, preserveSnapshots: true, newShareNetworkId: 'net2' };
    assert.deepEqual(serverMigrationStartRequestFromProto(ShareServersMigrationCheckRequest.fromPartial(fields)), serverMigrationStartRequestFromProto(ShareServersMigrationStartRequest.fromPartial(fields)));
  });

  it('refuses a request without share_server_id', () => {
    assert.throws(() => serverMigrationStartRequestFromProto(ShareServersMigrationStartRequest.fromPartial({ host: 'n@b2' })), (error: unknown) => error instanceof FerryError && error.reason === 'MISSING_FIELD');
  });
});

function progressBase() {
  return { shareServerId: 'srv', migrationId: 'm', totalProgress: 0, taskState: null, sourceTaskState: null, destinationShareServerId: '', details: {}, error: '', errorReason: '' };
}
