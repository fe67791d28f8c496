import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlockedPath, MigrationMethod, MigrationOutcome, PendingAction, TaskState } from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import { MigrationCheckRequest, MigrationStartRequest } from '../../../src/contract/gen/ferry/admin/v1/share_migration.js';
import {
  migrationCheckToProto, migrationEventToProto, migrationProgressToProto, migrationStartRequestFromProto, shareMigrationToProto,
} from '../../../src/api/convert-migration.js';
import { FerryError } from '../../../src/domain/errors.js';
import type { MigrationProgress } from '../../../src/orchestrator/ferry-api.js';
import { migration, T2 } from './sample-records.js';

const progress: MigrationProgress = {
  shareId: 'share-1', migrationId: 'mig-1', taskState: 'data_copying_in_progress', totalProgress: 42.7, method: 'host_assisted',
  copy: { bytesDone: 10, bytesTotal: 100, filesDone: 1, filesTotal: 4, currentFiles: ['a/b'], throughputBytesPerSecond: 5.5, etaSeconds: 17.6 },
  details: {}, error: '', errorReason: '', fallbackReason: 'driver said incompatible',
};

describe('convert-migration: proto -> domain', () => {
  it('keeps absent preservation flags undefined so ferry reports them in Manila order', () => {
    const request = MigrationStartRequest.fromPartial({ shareId: 's', host: 'n@b#p', writable: false });
    assert.deepEqual(migrationStartRequestFromProto(request), {
      shareId: 's', host: 'n@b#p', writable: false, preserveMetadata: undefined, preserveSnapshots: undefined, nondisruptive: undefined,
      forceHostAssistedMigration: false, newShareTypeId: undefined, newShareNetworkId: undefined,
    });
  });

  it('passes an empty host on: its check comes after the share lookup', () => {
    assert.equal(migrationStartRequestFromProto(MigrationStartRequest.fromPartial({ shareId: 's' })).host, '');
  });

  it('reads MigrationCheckRequest like MigrationStartRequest', () => {
    const fields = { shareId: 's', host: 'n@b#p', writable: true, preserveMetadata: true, preserveSnapshots: false, nondisruptive: false, newShareTypeId: 't' };
    assert.deepEqual(migrationStartRequestFromProto(MigrationCheckRequest.fromPartial(fields)), migrationStartRequestFromProto(MigrationStartRequest.fromPartial(fields)));
  });

  it('refuses a request without share_id', () => {
    assert.throws(() => migrationStartRequestFromProto(MigrationStartRequest.fromPartial({ host: 'n@b#p' })), (error: unknown) => error instanceof FerryError && error.reason === 'MISSING_FIELD');
  });
});

describe('convert-migration: domain -> proto', () => {
  it('shows a migration record with its resolved request and capabilities', () => {
    const message = shareMigrationToProto({ ...migration, pendingAction: 'cancel', outcome: 'cancelled', phase: 'driver_cancel' });
    assert.equal(message.phase, 'driver_cancel');
    assert.equal(message.outcome, MigrationOutcome.MIGRATION_OUTCOME_CANCELLED);
    assert.equal(message.method, MigrationMethod.MIGRATION_METHOD_DRIVER_ASSISTED);
    assert.equal(message.taskState, TaskState.TASK_STATE_MIGRATION_DRIVER_IN_PROGRESS);
    assert.equal(message.pendingAction, PendingAction.PENDING_ACTION_CANCEL);
    assert.equal(message.request?.host, 'node1@localfs2#pool2');
    assert.equal(message.request?.newShareNetworkId, '');
    assert.equal(message.capabilities?.preserveSnapshots, true);
    assert.equal(message.finishedAt, undefined);
    assert.deepEqual(message.updatedAt, { seconds: 1714557930, nanos: 250_000_000 });
  });

  it('reports live host-copy progress in whole percents with its copy details', () => {
    const message = migrationProgressToProto(progress);
    assert.equal(message.totalProgress, 42);
    assert.equal(message.method, MigrationMethod.MIGRATION_METHOD_HOST_ASSISTED);
    assert.deepEqual(message.details?.hostCopy, {
      bytesDone: 10, bytesTotal: 100, filesDone: 1, filesTotal: 4, currentFiles: ['a/b'], throughputBytesPerSecond: 5.5, etaSeconds: 18,
    });
    assert.equal(message.fallbackReason, 'driver said incompatible');
  });

  it('leaves eta_seconds unset while unknown and copy details unset outside a copy', () => {
    assert.equal(migrationProgressToProto({ ...progress, copy: { ...progress.copy!, etaSeconds: null } }).details?.hostCopy?.etaSeconds, undefined);
    const driver = migrationProgressToProto({ ...progress, copy: null, method: 'driver_assisted', details: { copied_bytes: '7' }, totalProgress: 100.4, taskState: null });
    assert.equal(driver.details?.hostCopy, undefined);
    assert.deepEqual(driver.details?.driver, { copied_bytes: '7' });
    assert.equal(driver.totalProgress, 100);
    assert.equal(driver.taskState, TaskState.TASK_STATE_UNSPECIFIED);
  });

  it('lists check blockers with the path each one closes', () => {
    const message = migrationCheckToProto({
      accepted: false, noop: false, path: null, driverCompatibility: null,
      blockers: [{ reason: 'SHARE_HAS_SNAPSHOTS', message: 'm', blocks: 'host_assisted' }, { reason: 'SHARE_BUSY', message: 'b', blocks: 'migration' }],
    });
    assert.equal(message.path, MigrationMethod.MIGRATION_METHOD_UNSPECIFIED);
    assert.equal(message.driverCompatibility, undefined);
    assert.deepEqual(message.blockers.map((blocker) => [blocker.reason, blocker.blocks]), [
      ['SHARE_HAS_SNAPSHOTS', BlockedPath.BLOCKED_PATH_HOST_ASSISTED],
      ['SHARE_BUSY', BlockedPath.BLOCKED_PATH_MIGRATION],
    ]);
  });

  it('shows a history event with its timestamp', () => {
    assert.deepEqual(migrationEventToProto({ migrationId: 'mig-1', sequence: 3, taskState: 'migration_success', message: 'done', at: T2 }), {
      migrationId: 'mig-1', sequence: 3, taskState: TaskState.TASK_STATE_MIGRATION_SUCCESS, message: 'done', at: { seconds: 1714557930, nanos: 250_000_000 },
    });
  });
});
