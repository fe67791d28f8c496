// ferry.admin.v1.ShareServers over a real gRPC socket, through the generated clients, against a
// real ferry whose two dummy back ends (real plugin processes) handle share servers: a whole
// share server migration (check, start, watch, complete, the deleted source's progress and
// history), a cancel, and the errors each RPC answers with their codes and ErrorInfo reasons.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CreateShareNetworkResponse, CreateShareTypeResponse, ListShareServersResponse } from '../../../src/contract/gen/ferry/admin/v1/catalog.js';
import { MigrationOutcome, ShareServerStatus, ShareStatus, TaskState } from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import type { ShareServerMigrationProgress } from '../../../src/contract/gen/ferry/admin/v1/share_server.js';
import type {
  ShareServersGetMigrationHistoryResponse, ShareServersMigrationCancelResponse, ShareServersMigrationCheckResponse, ShareServersMigrationCompleteResponse,
  ShareServersMigrationGetProgressResponse, ShareServersMigrationStartRequest, ShareServersMigrationStartResponse, ShareServersWatchMigrationRequest,
  ShareServersWatchMigrationResponse,
} from '../../../src/contract/gen/ferry/admin/v1/share_server_migration.js';
import type {
  ShareServersClient, ShareServersGetShareServerResponse, ShareServersListShareServersResponse, ShareServersResetStatusResponse, ShareServersResetTaskStateResponse,
} from '../../../src/contract/gen/ferry/admin/v1/share_servers.js';
import type { CreateShareResponse, GetShareResponse, SharesClient } from '../../../src/contract/gen/ferry/admin/v1/shares.js';
import { FerryError } from '../../../src/domain/errors.js';
import { startMigrationFerry } from '../../helpers/migration-harness.js';
import { serveAdminApi } from './admin-server.js';
import { adminClients, call, collect, failure } from './grpc-clients.js';

const FLAGS_FALSE = { writable: false, nondisruptive: false, preserveSnapshots: false };
const TO_DUMMY2: Omit<ShareServersMigrationStartRequest, 'shareServerId'> = { host: 'ferry@dummy2', ...FLAGS_FALSE, newShareNetworkId: '' };

/** Two DHSS dummies behind the admin API, and a share server on dummy1 holding two shares. */
async function serverWithTwoShares(t: { after(fn: () => unknown): void }) {
  const h = await serveAdminApi(t, await startMigrationFerry(t, { shareServers: ['dummy1', 'dummy2'] }));
  const clients = adminClients(t, h.address);
  const { catalog, shares } = clients;
  const type = await call<CreateShareTypeResponse>((cb) => catalog.createShareType({ name: 'servers', description: '', extraSpecs: { driver_handles_share_servers: 'true' } }, cb));
  const network = await call<CreateShareNetworkResponse>((cb) => catalog.createShareNetwork({ name: 'net', description: '', subnets: [{ availabilityZone: '', neutronNetId: 'n1', neutronSubnetId: 's1' }] }, cb));
  const create = () => call<CreateShareResponse>((cb) => shares.createShare({
    shareProto: 'NFS', sizeGib: 1, host: 'ferry@dummy1#alpha', shareType: type.shareType!.id, shareNetworkId: network.shareNetwork!.id, name: '', description: '', availabilityZone: '', metadata: {},
  }, cb));
  const first = (await create()).share!;
  const second = (await create()).share!;
  assert.notEqual(first.shareServerId, '', 'the dummy created a share server for the share');
  assert.equal(second.shareServerId, first.shareServerId, 'the second share reuses the network\'s server');
  return { h, ...clients, serverId: first.shareServerId, shareIds: [first.id, second.id], networkId: network.shareNetwork!.id };
}

function watch(shareServers: ShareServersClient, shareServerId: string): Promise<ShareServerMigrationProgress[]> {
  return collect<ShareServersWatchMigrationResponse>(shareServers.watchMigration({ shareServerId, intervalMs: 100 })).then((events) => events.map((event) => event.progress!));
}

async function getServer(shareServers: ShareServersClient, shareServerId: string) {
  return (await call<ShareServersGetShareServerResponse>((cb) => shareServers.getShareServer({ shareServerId }, cb))).shareServer!;
}

async function getShare(shares: SharesClient, shareId: string) {
  return (await call<GetShareResponse>((cb) => shares.getShare({ shareId }, cb))).share!;
}

/** The FerryError a WatchMigration stream ends with; fails the test when it ends OK. */
async function streamFailure(shareServers: ShareServersClient, request: ShareServersWatchMigrationRequest): Promise<FerryError> {
  const outcome = await collect(shareServers.watchMigration(request)).then((events) => events, (error: unknown) => error);
  assert.ok(outcome instanceof FerryError, `expected the stream to fail, it sent ${JSON.stringify(outcome)}`);
  return outcome;
}

function assertError(error: FerryError, code: string, reason: string, fields?: readonly string[]): void {
  assert.deepEqual([error.code, error.reason, error.domain], [code, reason, 'ferry.dev'], error.message);
  if (fields !== undefined) assert.deepEqual(error.fieldViolations.map((violation) => violation.field).sort(), [...fields].sort());
}

describe('ShareServers over gRPC', () => {
  it('migrates a share server between dummy back ends: check, start, watch to phase 1 done, complete, the deleted source\'s progress and history', async (t) => {
    const { shareServers, shares, catalog, serverId, shareIds, networkId } = await serverWithTwoShares(t);

    const source = await getServer(shareServers, serverId);
    assert.deepEqual([source.host, source.status, source.taskState], ['ferry@dummy1', ShareServerStatus.SHARE_SERVER_STATUS_ACTIVE, TaskState.TASK_STATE_UNSPECIFIED]);
    assert.deepEqual(source.shareIds, shareIds);
    assert.equal(source.shareInstanceIds.length, 2);
    assert.equal(source.shareNetworkId, networkId);
    assert.equal(source.migration, undefined);
    assert.deepEqual(source.backendDetails, {}, 'backend details are secrets: never shown');
    assert.deepEqual(source.backendDetailKeys, ['dummy_server', 'migration_destination']);
    const listed = await call<ShareServersListShareServersResponse>((cb) => shareServers.listShareServers({ host: 'ferry@dummy1', status: ShareServerStatus.SHARE_SERVER_STATUS_ACTIVE, sourceShareServerId: '' }, cb));
    assert.deepEqual(listed.shareServers, [source]);
    const catalogListed = await call<ListShareServersResponse>((cb) => catalog.listShareServers({ host: 'ferry@dummy1', status: ShareServerStatus.SHARE_SERVER_STATUS_ACTIVE, sourceShareServerId: '' }, cb));
    assert.deepEqual(catalogListed.shareServers, listed.shareServers, 'Catalog.ListShareServers answers the same');

    const check = await call<ShareServersMigrationCheckResponse>((cb) => shareServers.migrationCheck({ shareServerId: serverId, ...TO_DUMMY2 }, cb));
    assert.deepEqual(check, {
      compatible: true,
      requestedCapabilities: { writable: false, nondisruptive: false, preserveSnapshots: false, shareNetworkId: '', host: 'ferry@dummy2' },
      // The dummy answers as Manila's: nondisruptive never, the rest as compatible.
      supportedCapabilities: { writable: true, nondisruptive: false, preserveSnapshots: true, shareNetworkId: networkId, migrationCancel: true, migrationGetProgress: true },
      blockers: [],
    });
    const nondisruptive = await call<ShareServersMigrationCheckResponse>((cb) => shareServers.migrationCheck({ shareServerId: serverId, ...TO_DUMMY2, nondisruptive: true }, cb));
    assert.equal(nondisruptive.compatible, false);
    assert.deepEqual(nondisruptive.blockers.map((blocker) => blocker.reason), ['SHARE_SERVER_MIGRATION_INCOMPATIBLE']);
    assert.match(nondisruptive.blockers[0]!.message, /nondisruptive/);

    const started = await call<ShareServersMigrationStartResponse>((cb) => shareServers.migrationStart({ shareServerId: serverId, ...TO_DUMMY2 }, cb));
    assert.notEqual(started.migrationId, '');
    assert.deepEqual([started.shareServer!.status, started.shareServer!.taskState], [ShareServerStatus.SHARE_SERVER_STATUS_SERVER_MIGRATING, TaskState.TASK_STATE_MIGRATION_STARTING]);
    assert.equal(started.shareServer!.migration?.id, started.migrationId);

    const phase1 = await watch(shareServers, serverId);
    const rested = phase1.at(-1)!;
    assert.equal(rested.taskState, TaskState.TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE, rested.error);
    assert.equal(rested.sourceTaskState, TaskState.TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE);
    assert.equal(rested.totalProgress, 100);
    const destinationId = rested.destinationShareServerId;
    assert.ok(destinationId !== '' && destinationId !== serverId);
    assert.ok(phase1.every((event) => event.migrationId === started.migrationId && event.shareServerId === serverId));
    assert.ok(phase1.every((event, index) => index === 0 || event.totalProgress >= phase1[index - 1]!.totalProgress), 'progress never goes back');

    // Phase 1 done: the pair and the shares as Manila 5.5 shows them.
    const destination = await getServer(shareServers, destinationId);
    assert.deepEqual([destination.host, destination.status, destination.taskState, destination.sourceShareServerId], [
      'ferry@dummy2', ShareServerStatus.SHARE_SERVER_STATUS_SERVER_MIGRATING_TO, TaskState.TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE, serverId,
    ]);
    const destinations = await call<ShareServersListShareServersResponse>((cb) => shareServers.listShareServers({ sourceShareServerId: serverId, status: ShareServerStatus.SHARE_SERVER_STATUS_UNSPECIFIED, host: '' }, cb));
    assert.deepEqual(destinations.shareServers.map((server) => server.id), [destinationId]);
    for (const shareId of shareIds) assert.equal((await getShare(shares, shareId)).status, ShareStatus.SHARE_STATUS_SERVER_MIGRATING);
    const midway = (await call<ShareServersMigrationGetProgressResponse>((cb) => shareServers.migrationGetProgress({ shareServerId: serverId }, cb))).progress!;
    assert.deepEqual([midway.totalProgress, midway.taskState, midway.destinationShareServerId], [100, TaskState.TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE, destinationId]);

    const completed = await call<ShareServersMigrationCompleteResponse>((cb) => shareServers.migrationComplete({ shareServerId: serverId }, cb));
    assert.equal(completed.destinationShareServerId, destinationId);
    const phase2 = await watch(shareServers, serverId);
    assert.equal(phase2.at(-1)!.taskState, TaskState.TASK_STATE_MIGRATION_SUCCESS, phase2.at(-1)!.error);

    const moved = await getServer(shareServers, destinationId);
    assert.deepEqual([moved.host, moved.status, moved.taskState], ['ferry@dummy2', ShareServerStatus.SHARE_SERVER_STATUS_ACTIVE, TaskState.TASK_STATE_MIGRATION_SUCCESS]);
    assert.deepEqual(moved.shareIds, shareIds);
    assert.equal(moved.migration?.outcome, MigrationOutcome.MIGRATION_OUTCOME_SUCCESS);
    for (const shareId of shareIds) {
      const share = await getShare(shares, shareId);
      assert.deepEqual([share.status, share.host, share.shareServerId], [ShareStatus.SHARE_STATUS_AVAILABLE, 'ferry@dummy2#alpha', destinationId]);
    }

    // The source is gone; its progress and history still answer (Manila 4.6: total_progress 100, the destination's id).
    assertError(await failure((cb) => shareServers.getShareServer({ shareServerId: serverId }, cb)), 'NOT_FOUND', 'SHARE_SERVER_NOT_FOUND');
    const after = (await call<ShareServersMigrationGetProgressResponse>((cb) => shareServers.migrationGetProgress({ shareServerId: serverId }, cb))).progress!;
    assert.deepEqual([after.totalProgress, after.destinationShareServerId, after.taskState, after.migrationId], [100, destinationId, TaskState.TASK_STATE_MIGRATION_SUCCESS, started.migrationId]);
    const history = await call<ShareServersGetMigrationHistoryResponse>((cb) => shareServers.getMigrationHistory({ migrationId: '', shareServerId: serverId }, cb));
    assert.equal(history.migrationId, started.migrationId);
    assert.deepEqual(history.events.map((event) => TaskState[event.taskState]), [
      'TASK_STATE_MIGRATION_STARTING', 'TASK_STATE_MIGRATION_IN_PROGRESS', 'TASK_STATE_MIGRATION_DRIVER_STARTING', 'TASK_STATE_MIGRATION_DRIVER_IN_PROGRESS',
      'TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE', 'TASK_STATE_MIGRATION_COMPLETING', 'TASK_STATE_MIGRATION_SUCCESS',
    ]);
    const byDestination = await call<ShareServersGetMigrationHistoryResponse>((cb) => shareServers.getMigrationHistory({ migrationId: '', shareServerId: destinationId }, cb));
    assert.deepEqual(byDestination, history, 'the destination names the same migration');
    const ended = await watch(shareServers, serverId);
    assert.deepEqual(ended.map((event) => event.taskState), [TaskState.TASK_STATE_MIGRATION_SUCCESS], 'a rested migration: one event, then the stream ends');
    assertError(await failure((cb) => shareServers.migrationComplete({ shareServerId: serverId }, cb)), 'NOT_FOUND', 'SHARE_SERVER_NOT_FOUND');
  });

  it('refuses cancel and complete before phase 1 is done, then cancels: shares back on the source, destination inactive and torn down', async (t) => {
    const { h, shareServers, shares, serverId, shareIds } = await serverWithTwoShares(t);
    // Hold the destination's server set-up: the migration stays in migration_in_progress.
    const hold = h.holdFile('setup');
    h.setRules('dummy2', { setupShareServer: { holdUntilFile: hold } });
    const started = await call<ShareServersMigrationStartResponse>((cb) => shareServers.migrationStart({ shareServerId: serverId, ...TO_DUMMY2 }, cb));
    await h.entered('dummy2', 'setupShareServer');
    assert.equal((await getServer(shareServers, serverId)).taskState, TaskState.TASK_STATE_MIGRATION_IN_PROGRESS);

    assertError(await failure((cb) => shareServers.migrationCancel({ shareServerId: serverId }, cb)), 'FAILED_PRECONDITION', 'MIGRATION_NOT_CANCELLABLE');
    assertError(await failure((cb) => shareServers.migrationComplete({ shareServerId: serverId }, cb)), 'FAILED_PRECONDITION', 'MIGRATION_PHASE1_NOT_DONE');
    assertError(await failure((cb) => shareServers.migrationStart({ shareServerId: serverId, ...TO_DUMMY2 }, cb)), 'FAILED_PRECONDITION', 'INVALID_SHARE_SERVER_STATUS');
    const busy = await call<ShareServersMigrationCheckResponse>((cb) => shareServers.migrationCheck({ shareServerId: serverId, ...TO_DUMMY2 }, cb));
    assert.equal(busy.compatible, false);
    // Manila 4.6 step 7: the server's status, then each share's (server_migrating, not available).
    assert.deepEqual(busy.blockers.map((blocker) => blocker.reason), ['INVALID_SHARE_SERVER_STATUS', 'INVALID_SHARE_STATUS', 'INVALID_SHARE_STATUS']);
    // Its shares refuse what needs them available.
    assertError(await failure((cb) => shares.extendShare({ shareId: shareIds[0]!, newSizeGib: 2 }, cb)), 'FAILED_PRECONDITION', 'INVALID_SHARE_STATUS');

    h.release(hold);
    assert.equal((await watch(shareServers, serverId)).at(-1)!.taskState, TaskState.TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE);
    const destinationId = (await getServer(shareServers, serverId)).migration!.destinationShareServerId;
    const cancelling = await call<ShareServersMigrationCancelResponse>((cb) => shareServers.migrationCancel({ shareServerId: serverId }, cb));
    assert.equal(cancelling.shareServer!.taskState, TaskState.TASK_STATE_MIGRATION_CANCEL_IN_PROGRESS);
    const cancelled = (await watch(shareServers, serverId)).at(-1)!;
    assert.equal(cancelled.sourceTaskState, TaskState.TASK_STATE_MIGRATION_CANCELLED, cancelled.error);

    const source = await getServer(shareServers, serverId);
    assert.deepEqual([source.status, source.taskState, source.migration?.outcome], [
      ShareServerStatus.SHARE_SERVER_STATUS_ACTIVE, TaskState.TASK_STATE_MIGRATION_CANCELLED, MigrationOutcome.MIGRATION_OUTCOME_CANCELLED,
    ]);
    assert.deepEqual(source.shareIds, shareIds);
    // Manila 5.4: the destination is left inactive in migration_cancelled (ferry has its driver tear it down).
    const destination = await getServer(shareServers, destinationId);
    assert.deepEqual([destination.status, destination.taskState, destination.shareIds], [ShareServerStatus.SHARE_SERVER_STATUS_INACTIVE, TaskState.TASK_STATE_MIGRATION_CANCELLED, []]);
    assert.deepEqual(Object.keys((h.dummyState('dummy2') as unknown as { servers: Record<string, unknown> }).servers), [], 'torn down on dummy2');
    for (const shareId of shareIds) {
      const share = await getShare(shares, shareId);
      assert.deepEqual([share.status, share.host, share.shareServerId], [ShareStatus.SHARE_STATUS_AVAILABLE, 'ferry@dummy1#alpha', serverId]);
    }
    const history = await call<ShareServersGetMigrationHistoryResponse>((cb) => shareServers.getMigrationHistory({ migrationId: started.migrationId, shareServerId: '' }, cb));
    assert.deepEqual(history.events.map((event) => TaskState[event.taskState]).slice(-2), ['TASK_STATE_MIGRATION_CANCEL_IN_PROGRESS', 'TASK_STATE_MIGRATION_CANCELLED']);
    assertError(await failure((cb) => shareServers.migrationCancel({ shareServerId: serverId }, cb)), 'FAILED_PRECONDITION', 'INVALID_SHARE_SERVER_STATUS');
  });

  it('answers malformed requests, unknown ids and wrong states with the codes and reasons of its error tables', async (t) => {
    const { shareServers, serverId } = await serverWithTwoShares(t);

    assertError(await failure((cb) => shareServers.getShareServer({ shareServerId: '' }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['share_server_id']);
    assertError(await failure((cb) => shareServers.getShareServer({ shareServerId: 'no-such-server' }, cb)), 'NOT_FOUND', 'SHARE_SERVER_NOT_FOUND');
    assertError(await failure((cb) => shareServers.listShareServers({ status: 99 as ShareServerStatus, host: '', sourceShareServerId: '' }, cb)), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['status']);

    // MigrationStart in Manila's order (4.6): the server first, then the body.
    const start = (request: Partial<ShareServersMigrationStartRequest>) => failure((cb) => shareServers.migrationStart({ shareServerId: serverId, host: '', newShareNetworkId: '', ...request }, cb));
    assertError(await start({ shareServerId: 'no-such-server', host: 'ferry@dummy2#alpha' }), 'NOT_FOUND', 'SHARE_SERVER_NOT_FOUND');
    assertError(await start({ host: 'ferry@dummy2', writable: true }), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['nondisruptive', 'preserve_snapshots']);
    assertError(await start({ ...FLAGS_FALSE }), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['host']);
    assertError(await start({ ...FLAGS_FALSE, host: 'not a host' }), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['host']);
    assertError(await start({ ...FLAGS_FALSE, host: 'ferry@dummy2#alpha' }), 'INVALID_ARGUMENT', 'HOST_HAS_POOL', ['host']);
    assertError(await start({ ...FLAGS_FALSE, host: 'ferry@dummy2', newShareNetworkId: 'no-such-network' }), 'NOT_FOUND', 'SHARE_NETWORK_NOT_FOUND');
    assertError(await start({ ...FLAGS_FALSE, host: 'ferry@dummy1' }), 'FAILED_PRECONDITION', 'SHARE_SERVER_MIGRATION_NO_CHANGE');
    assertError(await start({ ...FLAGS_FALSE, host: 'ferry@nowhere' }), 'NOT_FOUND', 'BACKEND_NOT_FOUND');

    // MigrationCheck fails only on malformed input and unknown ids; the rest are blockers.
    const check = (request: Partial<ShareServersMigrationStartRequest>) => call<ShareServersMigrationCheckResponse>((cb) => shareServers.migrationCheck({ shareServerId: serverId, newShareNetworkId: '', ...FLAGS_FALSE, host: '', ...request }, cb));
    assertError(await failure((cb) => shareServers.migrationCheck({ shareServerId: serverId, host: 'ferry@dummy2#alpha', ...FLAGS_FALSE, newShareNetworkId: '' }, cb)), 'INVALID_ARGUMENT', 'HOST_HAS_POOL');
    assertError(await failure((cb) => shareServers.migrationCheck({ shareServerId: 'no-such-server', host: 'ferry@dummy2', ...FLAGS_FALSE, newShareNetworkId: '' }, cb)), 'NOT_FOUND', 'SHARE_SERVER_NOT_FOUND');
    const same = await check({ host: 'ferry@dummy1' });
    assert.equal(same.compatible, false);
    assert.equal(same.blockers[0]?.reason, 'SHARE_SERVER_MIGRATION_NO_CHANGE');

    // Nothing to complete, cancel or report on a server that never migrated.
    assertError(await failure((cb) => shareServers.migrationComplete({ shareServerId: serverId }, cb)), 'FAILED_PRECONDITION', 'INVALID_SHARE_SERVER_STATUS');
    assertError(await failure((cb) => shareServers.migrationCancel({ shareServerId: serverId }, cb)), 'FAILED_PRECONDITION', 'INVALID_SHARE_SERVER_STATUS');
    assertError(await failure((cb) => shareServers.migrationCancel({ shareServerId: '' }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['share_server_id']);
    assertError(await failure((cb) => shareServers.migrationGetProgress({ shareServerId: serverId }, cb)), 'FAILED_PRECONDITION', 'MIGRATION_NOT_IN_PROGRESS');
    assertError(await failure((cb) => shareServers.migrationGetProgress({ shareServerId: 'no-such-server' }, cb)), 'NOT_FOUND', 'SHARE_SERVER_NOT_FOUND');
    assertError(await streamFailure(shareServers, { shareServerId: serverId, intervalMs: 0 }), 'FAILED_PRECONDITION', 'MIGRATION_NOT_IN_PROGRESS');
    assertError(await streamFailure(shareServers, { shareServerId: serverId, intervalMs: -1 }), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['interval_ms']);
    assertError(await streamFailure(shareServers, { shareServerId: 'no-such-server', intervalMs: 0 }), 'NOT_FOUND', 'SHARE_SERVER_NOT_FOUND');
    assertError(await failure((cb) => shareServers.getMigrationHistory({ migrationId: '', shareServerId: serverId }, cb)), 'NOT_FOUND', 'MIGRATION_NOT_FOUND');
    assertError(await failure((cb) => shareServers.getMigrationHistory({ migrationId: '', shareServerId: '' }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD');
    assertError(await failure((cb) => shareServers.getMigrationHistory({ migrationId: 'm', shareServerId: serverId }, cb)), 'INVALID_ARGUMENT', 'INVALID_FIELD');
    assertError(await failure((cb) => shareServers.getMigrationHistory({ migrationId: 'no-such-migration', shareServerId: '' }, cb)), 'NOT_FOUND', 'MIGRATION_NOT_FOUND');

    // Resets: the server is looked up before the value is read (Manila section 6).
    assertError(await failure((cb) => shareServers.resetTaskState({ shareServerId: serverId }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['task_state']);
    assertError(await failure((cb) => shareServers.resetTaskState({ shareServerId: 'no-such-server' }, cb)), 'NOT_FOUND', 'SHARE_SERVER_NOT_FOUND');
    assertError(await failure((cb) => shareServers.resetTaskState({ shareServerId: serverId, taskState: 99 as TaskState }, cb)), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['task_state']);
    assertError(await failure((cb) => shareServers.resetTaskState({ shareServerId: serverId, taskState: TaskState.TASK_STATE_MIGRATION_DRIVER_STARTING }, cb)), 'INVALID_ARGUMENT', 'INVALID_TASK_STATE', ['task_state']);
    const errored = await call<ShareServersResetTaskStateResponse>((cb) => shareServers.resetTaskState({ shareServerId: serverId, taskState: TaskState.TASK_STATE_MIGRATION_ERROR }, cb));
    assert.equal(errored.shareServer!.taskState, TaskState.TASK_STATE_MIGRATION_ERROR);
    const cleared = await call<ShareServersResetTaskStateResponse>((cb) => shareServers.resetTaskState({ shareServerId: serverId, taskState: TaskState.TASK_STATE_UNSPECIFIED }, cb));
    assert.equal(cleared.shareServer!.taskState, TaskState.TASK_STATE_UNSPECIFIED, 'UNSPECIFIED clears the task_state (Manila null)');
    assertError(await failure((cb) => shareServers.resetStatus({ shareServerId: serverId, status: ShareServerStatus.SHARE_SERVER_STATUS_UNSPECIFIED }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['status']);
    assertError(await failure((cb) => shareServers.resetStatus({ shareServerId: 'no-such-server', status: ShareServerStatus.SHARE_SERVER_STATUS_UNSPECIFIED }, cb)), 'NOT_FOUND', 'SHARE_SERVER_NOT_FOUND');
    assertError(await failure((cb) => shareServers.resetStatus({ shareServerId: serverId, status: 99 as ShareServerStatus }, cb)), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['status']);
    const inError = await call<ShareServersResetStatusResponse>((cb) => shareServers.resetStatus({ shareServerId: serverId, status: ShareServerStatus.SHARE_SERVER_STATUS_ERROR }, cb));
    assert.equal(inError.shareServer!.status, ShareServerStatus.SHARE_SERVER_STATUS_ERROR);
    // A server in error does not migrate: MigrationStart says so, MigrationCheck lists it.
    assertError(await start({ ...FLAGS_FALSE, host: 'ferry@dummy2' }), 'FAILED_PRECONDITION', 'INVALID_SHARE_SERVER_STATUS');
    assert.deepEqual((await check({ host: 'ferry@dummy2' })).blockers.map((blocker) => blocker.reason), ['INVALID_SHARE_SERVER_STATUS']);
  });
});
