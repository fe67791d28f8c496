// The admin gRPC API over a real ferry (createFerry with real localfs and dummy plugin
// processes and a real SQLite store), called through the generated clients on a real socket:
// request validation and its order, error statuses with ErrorInfo and BadRequest, and a whole
// host-assisted migration followed with WatchMigration.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AccessLevel, AccessType, MigrationMethod, MigrationOutcome, ShareStatus, TaskState } from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import type { ListPoolsResponse } from '../../../src/contract/gen/ferry/admin/v1/catalog.js';
import type {
  CreateShareResponse, GetShareResponse, GrantAccessResponse, ListAccessRulesResponse, ListSharesResponse, ResetTaskStateResponse,
} from '../../../src/contract/gen/ferry/admin/v1/shares.js';
import type {
  GetMigrationHistoryResponse, MigrationCheckResponse, MigrationCompleteResponse, MigrationStartResponse, WatchMigrationResponse,
} from '../../../src/contract/gen/ferry/admin/v1/share_migration.js';
import { startAdminServer } from './admin-server.js';
import { adminClients, call, collect, failure } from './grpc-clients.js';

const FLAGS_FALSE = { writable: false, preserveMetadata: false, preserveSnapshots: false, nondisruptive: false };

describe('admin API over gRPC', () => {
  it('serves shares and access rules, and refuses malformed requests with field violations in Manila order', async (t) => {
    const { address } = await startAdminServer(t);
    const { shares, catalog } = adminClients(t, address);

    const pools = await call<ListPoolsResponse>((cb) => catalog.listPools({ backend: 'localfs1' }, cb));
    assert.deepEqual(pools.pools.map((pool) => pool.host).sort(), ['ferry@localfs1#pool1', 'ferry@localfs1#pool2']);

    const created = await call<CreateShareResponse>((cb) => shares.createShare({ shareProto: 'NFS', sizeGib: 1, host: 'ferry@localfs1#pool1', name: 'docs', description: '', shareType: '', shareNetworkId: '', availabilityZone: '', metadata: {} }, cb));
    const shareId = created.share!.id;
    assert.equal(created.share!.status, ShareStatus.SHARE_STATUS_AVAILABLE);
    assert.equal(created.share!.taskState, TaskState.TASK_STATE_UNSPECIFIED);

    const missingSize = await failure((cb) => shares.createShare({ shareProto: 'NFS', sizeGib: 0, host: '', name: '', description: '', shareType: '', shareNetworkId: '', availabilityZone: '', metadata: {} }, cb));
    assert.equal(missingSize.code, 'INVALID_ARGUMENT');
    assert.equal(missingSize.reason, 'MISSING_FIELD');
    assert.deepEqual(missingSize.fieldViolations.map((violation) => violation.field), ['size_gib']);

    assert.equal((await call<GetShareResponse>((cb) => shares.getShare({ shareId }, cb))).share!.name, 'docs');
    const available = await call<ListSharesResponse>((cb) => shares.listShares({ status: ShareStatus.SHARE_STATUS_AVAILABLE, host: '' }, cb));
    assert.deepEqual(available.shares.map((share) => share.id), [shareId]);
    const badFilter = await failure((cb) => shares.listShares({ status: 99 as ShareStatus, host: '' }, cb));
    assert.equal(badFilter.reason, 'INVALID_FIELD');
    assert.deepEqual(badFilter.fieldViolations.map((violation) => violation.field), ['status']);

    const granted = await call<GrantAccessResponse>((cb) => shares.grantAccess({ shareId, accessType: AccessType.ACCESS_TYPE_IP, accessTo: '10.0.0.0/24', accessLevel: AccessLevel.ACCESS_LEVEL_UNSPECIFIED }, cb));
    assert.equal(granted.accessRule!.accessLevel, AccessLevel.ACCESS_LEVEL_RW, 'read-write by default, as in Manila');
    const rules = await call<ListAccessRulesResponse>((cb) => shares.listAccessRules({ shareId }, cb));
    assert.deepEqual(rules.accessRules.map((rule) => rule.accessTo), ['10.0.0.0/24']);

    // MigrationStart: an unknown share is reported before the missing flags (4.1 checks 1, 3).
    const unknown = await failure((cb) => shares.migrationStart({ shareId: 'no-such-share', host: 'ferry@localfs2#pool1', forceHostAssistedMigration: false, newShareTypeId: '', newShareNetworkId: '' }, cb));
    assert.equal(unknown.code, 'NOT_FOUND');
    assert.equal(unknown.reason, 'SHARE_NOT_FOUND');
    const missingFlags = await failure((cb) => shares.migrationStart({ shareId, host: 'ferry@localfs2#pool1', writable: true, forceHostAssistedMigration: false, newShareTypeId: '', newShareNetworkId: '' }, cb));
    assert.equal(missingFlags.code, 'INVALID_ARGUMENT');
    assert.equal(missingFlags.reason, 'MISSING_FIELD');
    assert.deepEqual(missingFlags.fieldViolations.map((violation) => violation.field).sort(), ['nondisruptive', 'preserve_metadata', 'preserve_snapshots']);
    const combination = await failure((cb) => shares.migrationStart({ shareId, host: 'ferry@localfs2#pool1', ...FLAGS_FALSE, writable: true, forceHostAssistedMigration: true, newShareTypeId: '', newShareNetworkId: '' }, cb));
    assert.equal(combination.reason, 'INVALID_PARAMETER_COMBINATION');

    // ResetTaskState: absent is "must specify task_state", after the share lookup (section 6).
    const noState = await failure((cb) => shares.resetTaskState({ shareId }, cb));
    assert.equal(noState.code, 'INVALID_ARGUMENT');
    assert.equal(noState.reason, 'MISSING_FIELD');
    assert.match(noState.message, /must specify task_state/);
    assert.equal((await failure((cb) => shares.resetTaskState({ shareId: 'no-such-share' }, cb))).reason, 'SHARE_NOT_FOUND');
    assert.equal((await failure((cb) => shares.resetTaskState({ shareId, taskState: 99 as TaskState }, cb))).reason, 'INVALID_FIELD');
    const errored = await call<ResetTaskStateResponse>((cb) => shares.resetTaskState({ shareId, taskState: TaskState.TASK_STATE_MIGRATION_ERROR }, cb));
    assert.equal(errored.share!.taskState, TaskState.TASK_STATE_MIGRATION_ERROR);
    const cleared = await call<ResetTaskStateResponse>((cb) => shares.resetTaskState({ shareId, taskState: TaskState.TASK_STATE_UNSPECIFIED }, cb));
    assert.equal(cleared.share!.taskState, TaskState.TASK_STATE_UNSPECIFIED, 'UNSPECIFIED clears the task_state (Manila null)');

    const noProgress = await failure((cb) => shares.migrationGetProgress({ shareId }, cb));
    assert.equal(noProgress.code, 'FAILED_PRECONDITION');
    assert.equal(noProgress.reason, 'MIGRATION_NOT_IN_PROGRESS');
    assert.equal((await failure((cb) => shares.getMigrationHistory({ migrationId: '', shareId }, cb))).reason, 'MIGRATION_NOT_FOUND');
    assert.equal((await failure((cb) => shares.getMigrationHistory({ migrationId: '', shareId: '' }, cb))).reason, 'MISSING_FIELD');
  });

  it('migrates a share host-assisted: check, start, watch to phase 1 done, complete, watch to success, history', async (t) => {
    const { address, ferry } = await startAdminServer(t);
    const { shares } = adminClients(t, address);
    const created = await call<CreateShareResponse>((cb) => shares.createShare({ shareProto: 'NFS', sizeGib: 1, host: 'ferry@localfs1#pool1', name: '', description: '', shareType: '', shareNetworkId: '', availabilityZone: '', metadata: {} }, cb));
    const shareId = created.share!.id;
    writeFileSync(join((await ferry.getShare(shareId)).instances[0]!.providerLocation, 'data', 'a'), 'alpha');
    const request = { shareId, host: 'ferry@localfs2#pool1', ...FLAGS_FALSE, forceHostAssistedMigration: true, newShareTypeId: '', newShareNetworkId: '' };

    const check = await call<MigrationCheckResponse>((cb) => shares.migrationCheck(request, cb));
    assert.equal(check.accepted, true, JSON.stringify(check.blockers));
    assert.equal(check.path, MigrationMethod.MIGRATION_METHOD_HOST_ASSISTED);

    const started = await call<MigrationStartResponse>((cb) => shares.migrationStart(request, cb));
    assert.equal(started.noop, false);
    assert.notEqual(started.migrationId, '');

    const phase1 = await collect<WatchMigrationResponse>(shares.watchMigration({ shareId, intervalMs: 100 }));
    const last = phase1.at(-1)!.progress!;
    assert.equal(last.taskState, TaskState.TASK_STATE_DATA_COPYING_COMPLETED, last.error);
    assert.equal(last.totalProgress, 100);
    assert.equal(last.method, MigrationMethod.MIGRATION_METHOD_HOST_ASSISTED);
    assert.ok(phase1.every((event) => event.progress!.migrationId === started.migrationId));

    const completing = await call<MigrationCompleteResponse>((cb) => shares.migrationComplete({ shareId }, cb));
    assert.ok([TaskState.TASK_STATE_MIGRATION_COMPLETING, TaskState.TASK_STATE_MIGRATION_SUCCESS].includes(completing.share!.taskState));
    const phase2 = await collect<WatchMigrationResponse>(shares.watchMigration({ shareId, intervalMs: 0 }));
    assert.equal(phase2.at(-1)!.progress!.taskState, TaskState.TASK_STATE_MIGRATION_SUCCESS);

    const history = await call<GetMigrationHistoryResponse>((cb) => shares.getMigrationHistory({ migrationId: '', shareId }, cb));
    assert.equal(history.migrationId, started.migrationId);
    assert.deepEqual(history.events.map((event) => TaskState[event.taskState]), [
      'TASK_STATE_MIGRATION_STARTING', 'TASK_STATE_MIGRATION_IN_PROGRESS', 'TASK_STATE_DATA_COPYING_STARTING', 'TASK_STATE_DATA_COPYING_IN_PROGRESS',
      'TASK_STATE_DATA_COPYING_COMPLETING', 'TASK_STATE_DATA_COPYING_COMPLETED', 'TASK_STATE_MIGRATION_COMPLETING', 'TASK_STATE_MIGRATION_SUCCESS',
    ]);
    const after = (await call<GetShareResponse>((cb) => shares.getShare({ shareId }, cb))).share!;
    assert.equal(after.host, 'ferry@localfs2#pool1');
    assert.equal(after.migration?.outcome, MigrationOutcome.MIGRATION_OUTCOME_SUCCESS);
    assert.equal(after.instances.length, 1);
  });
});
