/**
 * ferry.admin.v1.ShareServers: one handler per RPC, each a thin translation to a Ferry method
 * (src/orchestrator/ferry-api.ts), with the same split of checks as shares-handlers.ts: the
 * wire's own problems here, everything else in the orchestrator, in Manila's order.
 */
import type { Logger } from 'pino';
import type * as pb from '../contract/gen/ferry/admin/v1/share_servers.js';
import type * as mig from '../contract/gen/ferry/admin/v1/share_server_migration.js';
import type { ShareServersServer } from '../contract/gen/ferry/admin/v1/share_servers.js';
import { FerryError } from '../domain/errors.js';
import type { Ferry } from '../orchestrator/ferry-api.js';
import { shareServerStatus, taskState } from './convert-enums.js';
import { migrationEventToProto } from './convert-migration.js';
import {
  serverMigrationCheckToProto, serverMigrationProgressToProto, serverMigrationStartRequestFromProto, shareServerToProto,
} from './convert-share-servers.js';
import { mapAsync, serverStream, unary, type CallContext } from './logged-call.js';
import { invalidField, missingField, noServerMigration, optional, required, watchIntervalMs } from './request-errors.js';

/** Both ListShareServers (ShareServers' and Catalog's older one) answer through this. */
export async function listShareServers(ferry: Ferry, request: { host: string; status: number; sourceShareServerId: string }): Promise<{ shareServers: ReturnType<typeof shareServerToProto>[] }> {
  const servers = await ferry.listShareServers({
    host: optional(request.host),
    status: shareServerStatus.fromProto(request.status, 'status'),
    sourceShareServerId: optional(request.sourceShareServerId),
  });
  return { shareServers: servers.map(shareServerToProto) };
}

export function createShareServersHandlers(ferry: Ferry, logger: Logger): ShareServersServer {
  const rpc = <Req, Res>(method: string, run: (request: Req, context: CallContext) => Promise<Res>) => unary(`ferry.admin.v1.ShareServers/${method}`, logger, run);

  return {
    listShareServers: rpc('ListShareServers', (request: pb.ShareServersListShareServersRequest): Promise<pb.ShareServersListShareServersResponse> => listShareServers(ferry, request)),
    getShareServer: rpc('GetShareServer', async (request: pb.ShareServersGetShareServerRequest): Promise<pb.ShareServersGetShareServerResponse> => ({
      shareServer: shareServerToProto(await ferry.getShareServer(required(request.shareServerId, 'share_server_id'))),
    })),
    resetStatus: rpc('ResetStatus', async (request: pb.ShareServersResetStatusRequest): Promise<pb.ShareServersResetStatusResponse> => {
      const shareServerId = required(request.shareServerId, 'share_server_id');
      const status = await afterServerLookup(ferry, shareServerId, () => {
        const value = shareServerStatus.fromProto(request.status, 'status');
        if (value === undefined) throw missingField('status', 'is required (must specify status)');
        return value;
      });
      return { shareServer: shareServerToProto(await ferry.resetShareServerStatus(shareServerId, status)) };
    }),
    resetTaskState: rpc('ResetTaskState', async (request: pb.ShareServersResetTaskStateRequest): Promise<pb.ShareServersResetTaskStateResponse> => {
      const shareServerId = required(request.shareServerId, 'share_server_id');
      const value = await afterServerLookup(ferry, shareServerId, () => {
        if (request.taskState === undefined) throw missingField('task_state', 'is required (must specify task_state; TASK_STATE_UNSPECIFIED clears it)');
        // TASK_STATE_UNSPECIFIED is Manila's null: clear the task.
        return taskState.fromProto(request.taskState, 'task_state') ?? null;
      });
      return { shareServer: shareServerToProto(await ferry.resetShareServerTaskState(shareServerId, value)) };
    }),

    migrationCheck: rpc('MigrationCheck', async (request: mig.ShareServersMigrationCheckRequest): Promise<mig.ShareServersMigrationCheckResponse> =>
      serverMigrationCheckToProto(await ferry.serverMigrationCheck(serverMigrationStartRequestFromProto(request)))),
    migrationStart: rpc('MigrationStart', async (request: mig.ShareServersMigrationStartRequest): Promise<mig.ShareServersMigrationStartResponse> => {
      const result = await ferry.serverMigrationStart(serverMigrationStartRequestFromProto(request));
      return { migrationId: result.migrationId, shareServer: shareServerToProto(result.server) };
    }),
    migrationComplete: rpc('MigrationComplete', async (request: mig.ShareServersMigrationCompleteRequest): Promise<mig.ShareServersMigrationCompleteResponse> => {
      const result = await ferry.serverMigrationComplete(required(request.shareServerId, 'share_server_id'));
      return { destinationShareServerId: result.destinationShareServerId, shareServer: shareServerToProto(result.server) };
    }),
    migrationCancel: rpc('MigrationCancel', async (request: mig.ShareServersMigrationCancelRequest): Promise<mig.ShareServersMigrationCancelResponse> => ({
      shareServer: shareServerToProto(await ferry.serverMigrationCancel(required(request.shareServerId, 'share_server_id'))),
    })),
    migrationGetProgress: rpc('MigrationGetProgress', async (request: mig.ShareServersMigrationGetProgressRequest): Promise<mig.ShareServersMigrationGetProgressResponse> => ({
      progress: serverMigrationProgressToProto(await ferry.serverMigrationGetProgress(required(request.shareServerId, 'share_server_id'))),
    })),
    getMigrationHistory: rpc('GetMigrationHistory', async (request: mig.ShareServersGetMigrationHistoryRequest): Promise<mig.ShareServersGetMigrationHistoryResponse> => {
      const migrationId = await serverMigrationIdOf(ferry, request);
      return { migrationId, events: (await ferry.serverMigrationHistory(migrationId)).map(migrationEventToProto) };
    }),
    watchMigration: serverStream('ferry.admin.v1.ShareServers/WatchMigration', logger, (request: mig.ShareServersWatchMigrationRequest, { signal }) => {
      const shareServerId = required(request.shareServerId, 'share_server_id');
      const intervalMs = watchIntervalMs(request.intervalMs);
      return mapAsync(ferry.watchServerMigration(shareServerId, { signal, intervalMs }), (progress): mig.ShareServersWatchMigrationResponse => ({ progress: serverMigrationProgressToProto(progress) }));
    }),
  };
}

/**
 * Manila looks the server up before it reads the body of reset_status / reset_task_state
 * (section 6), so a malformed value for an unknown server answers NOT_FOUND.
 */
async function afterServerLookup<T>(ferry: Ferry, shareServerId: string, decode: () => T): Promise<T> {
  try {
    return decode();
  } catch (error) {
    await ferry.getShareServer(shareServerId);
    throw error;
  }
}

/**
 * The migration GetMigrationHistory shows: the one named, or the server's latest. A source
 * server its successful migration deleted is known only to its migration records, which
 * MigrationGetProgress reads.
 */
async function serverMigrationIdOf(ferry: Ferry, request: mig.ShareServersGetMigrationHistoryRequest): Promise<string> {
  if (request.migrationId !== '' && request.shareServerId !== '') throw invalidField('share_server_id', 'give migration_id or share_server_id, not both');
  if (request.migrationId !== '') return request.migrationId;
  if (request.shareServerId === '') throw missingField('migration_id', 'is required (or share_server_id)');
  const server = await ferry.getShareServer(request.shareServerId).catch((error: unknown) => {
    if (error instanceof FerryError && error.reason === 'SHARE_SERVER_NOT_FOUND') return undefined;
    throw error;
  });
  if (server === undefined) return (await ferry.serverMigrationGetProgress(request.shareServerId)).migrationId;
  if (server.migration === null) throw noServerMigration(server.id);
  return server.migration.id;
}
