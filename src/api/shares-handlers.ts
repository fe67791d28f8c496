/**
 * ferry.admin.v1.Shares: one handler per RPC, each a thin translation to a Ferry method
 * (src/orchestrator/ferry-api.ts). Handlers validate what only the wire can get wrong (empty
 * REQUIRED fields, unknown enum numbers), then call ferry, which checks everything else in
 * Manila's order and throws FerryErrors; logged-call.ts converts them to statuses once.
 */
import type { Logger } from 'pino';
import type * as pb from '../contract/gen/ferry/admin/v1/shares.js';
import type * as mig from '../contract/gen/ferry/admin/v1/share_migration.js';
import type { SharesServer } from '../contract/gen/ferry/admin/v1/shares.js';
import type { Ferry } from '../orchestrator/ferry-api.js';
import { shareStatus, taskState } from './convert-enums.js';
import {
  migrationCheckToProto, migrationEventToProto, migrationProgressToProto, migrationStartRequestFromProto,
} from './convert-migration.js';
import { accessRuleToProto, createShareRequestFromProto, grantAccessRequestFromProto, shareToProto, snapshotToProto } from './convert-shares.js';
import { mapAsync, serverStream, unary, type CallContext } from './logged-call.js';
import { invalidField, missingField, noMigration, optional, required, watchIntervalMs } from './request-errors.js';

export function createSharesHandlers(ferry: Ferry, logger: Logger): SharesServer {
  const rpc = <Req, Res>(method: string, run: (request: Req, context: CallContext) => Promise<Res>) => unary(`ferry.admin.v1.Shares/${method}`, logger, run);

  return {
    createShare: rpc('CreateShare', async (request: pb.CreateShareRequest): Promise<pb.CreateShareResponse> => ({
      share: shareToProto(await ferry.createShare(createShareRequestFromProto(request))),
    })),
    getShare: rpc('GetShare', async (request: pb.GetShareRequest): Promise<pb.GetShareResponse> => ({
      share: shareToProto(await ferry.getShare(required(request.shareId, 'share_id'))),
    })),
    listShares: rpc('ListShares', async (request: pb.ListSharesRequest): Promise<pb.ListSharesResponse> => {
      const shares = await ferry.listShares({ status: shareStatus.fromProto(request.status, 'status'), host: optional(request.host) });
      return { shares: shares.map(shareToProto) };
    }),
    deleteShare: rpc('DeleteShare', async (request: pb.DeleteShareRequest): Promise<pb.DeleteShareResponse> => {
      await ferry.deleteShare(required(request.shareId, 'share_id'));
      return {};
    }),
    extendShare: rpc('ExtendShare', async (request: pb.ExtendShareRequest): Promise<pb.ExtendShareResponse> => ({
      share: shareToProto(await ferry.extendShare(required(request.shareId, 'share_id'), newSize(request.newSizeGib))),
    })),
    shrinkShare: rpc('ShrinkShare', async (request: pb.ShrinkShareRequest): Promise<pb.ShrinkShareResponse> => ({
      share: shareToProto(await ferry.shrinkShare(required(request.shareId, 'share_id'), newSize(request.newSizeGib))),
    })),
    grantAccess: rpc('GrantAccess', async (request: pb.GrantAccessRequest): Promise<pb.GrantAccessResponse> => ({
      accessRule: accessRuleToProto(await ferry.grantAccess(grantAccessRequestFromProto(request))),
    })),
    revokeAccess: rpc('RevokeAccess', async (request: pb.RevokeAccessRequest): Promise<pb.RevokeAccessResponse> => {
      await ferry.revokeAccess(required(request.shareId, 'share_id'), required(request.accessId, 'access_id'));
      return {};
    }),
    listAccessRules: rpc('ListAccessRules', async (request: pb.ListAccessRulesRequest): Promise<pb.ListAccessRulesResponse> => ({
      accessRules: (await ferry.listAccessRules(required(request.shareId, 'share_id'))).map(accessRuleToProto),
    })),
    createSnapshot: rpc('CreateSnapshot', async (request: pb.CreateSnapshotRequest): Promise<pb.CreateSnapshotResponse> => ({
      snapshot: snapshotToProto(
        await ferry.createSnapshot({ shareId: required(request.shareId, 'share_id'), name: optional(request.name), description: optional(request.description) }),
      ),
    })),
    deleteSnapshot: rpc('DeleteSnapshot', async (request: pb.DeleteSnapshotRequest): Promise<pb.DeleteSnapshotResponse> => {
      await ferry.deleteSnapshot(required(request.snapshotId, 'snapshot_id'));
      return {};
    }),
    listSnapshots: rpc('ListSnapshots', async (request: pb.ListSnapshotsRequest): Promise<pb.ListSnapshotsResponse> => ({
      snapshots: (await ferry.listSnapshots({ shareId: optional(request.shareId) })).map(snapshotToProto),
    })),
    resetStatus: rpc('ResetStatus', async (request: pb.ResetStatusRequest): Promise<pb.ResetStatusResponse> => {
      const shareId = required(request.shareId, 'share_id');
      const status = await afterShareLookup(ferry, shareId, () => {
        const value = shareStatus.fromProto(request.status, 'status');
        if (value === undefined) throw missingField('status', 'is required (must specify status)');
        return value;
      });
      return { share: shareToProto(await ferry.resetStatus(shareId, status)) };
    }),
    resetTaskState: rpc('ResetTaskState', async (request: pb.ResetTaskStateRequest): Promise<pb.ResetTaskStateResponse> => {
      const shareId = required(request.shareId, 'share_id');
      const value = await afterShareLookup(ferry, shareId, () => {
        if (request.taskState === undefined) throw missingField('task_state', 'is required (must specify task_state; TASK_STATE_UNSPECIFIED clears it)');
        // TASK_STATE_UNSPECIFIED is Manila's null: clear the task.
        return taskState.fromProto(request.taskState, 'task_state') ?? null;
      });
      return { share: shareToProto(await ferry.resetTaskState(shareId, value)) };
    }),

    migrationCheck: rpc('MigrationCheck', async (request: mig.MigrationCheckRequest): Promise<mig.MigrationCheckResponse> =>
      migrationCheckToProto(await ferry.migrationCheck(migrationStartRequestFromProto(request)))),
    migrationStart: rpc('MigrationStart', async (request: mig.MigrationStartRequest): Promise<mig.MigrationStartResponse> => {
      const result = await ferry.migrationStart(migrationStartRequestFromProto(request));
      return { noop: result.noop, migrationId: result.migrationId, share: shareToProto(result.share) };
    }),
    migrationComplete: rpc('MigrationComplete', async (request: mig.MigrationCompleteRequest): Promise<mig.MigrationCompleteResponse> => ({
      share: shareToProto(await ferry.migrationComplete(required(request.shareId, 'share_id'))),
    })),
    migrationCancel: rpc('MigrationCancel', async (request: mig.MigrationCancelRequest): Promise<mig.MigrationCancelResponse> => ({
      share: shareToProto(await ferry.migrationCancel(required(request.shareId, 'share_id'))),
    })),
    migrationGetProgress: rpc('MigrationGetProgress', async (request: mig.MigrationGetProgressRequest): Promise<mig.MigrationGetProgressResponse> => ({
      progress: migrationProgressToProto(await ferry.migrationGetProgress(required(request.shareId, 'share_id'))),
    })),
    getMigrationHistory: rpc('GetMigrationHistory', async (request: mig.GetMigrationHistoryRequest): Promise<mig.GetMigrationHistoryResponse> => {
      const migrationId = await migrationIdOf(ferry, request);
      return { migrationId, events: (await ferry.migrationHistory(migrationId)).map(migrationEventToProto) };
    }),
    watchMigration: serverStream('ferry.admin.v1.Shares/WatchMigration', logger, (request: mig.WatchMigrationRequest, { signal }) => {
      const shareId = required(request.shareId, 'share_id');
      const intervalMs = watchIntervalMs(request.intervalMs);
      return mapAsync(ferry.watchMigration(shareId, { signal, intervalMs }), (progress): mig.WatchMigrationResponse => ({ progress: migrationProgressToProto(progress) }));
    }),
  };
}

function newSize(value: number): number {
  if (value === 0) throw missingField('new_size_gib');
  if (!Number.isSafeInteger(value) || value < 0) throw invalidField('new_size_gib', `${value} is not a size in GiB (an integer >= 1)`);
  return value;
}

/**
 * Manila looks the share up before it reads the body of reset_status / reset_task_state
 * (section 6), so a malformed value for an unknown share answers NOT_FOUND: on a decoding
 * error, the lookup's NOT_FOUND (if any) wins.
 */
async function afterShareLookup<T>(ferry: Ferry, shareId: string, decode: () => T): Promise<T> {
  try {
    return decode();
  } catch (error) {
    await ferry.getShare(shareId);
    throw error;
  }
}

async function migrationIdOf(ferry: Ferry, request: mig.GetMigrationHistoryRequest): Promise<string> {
  if (request.migrationId !== '' && request.shareId !== '') throw invalidField('share_id', 'give migration_id or share_id, not both');
  if (request.migrationId !== '') return request.migrationId;
  if (request.shareId === '') throw missingField('migration_id', 'is required (or share_id)');
  const share = await ferry.getShare(request.shareId);
  if (share.migration === null || share.migration.id === '') throw noMigration(share.id);
  return share.migration.id;
}
