// The admin API as an operator uses it: the real `buf curl` with nothing but server reflection,
// against a real ferry with real localfs and dummy plugin processes. Every RPC of the three
// services is called, a whole host-assisted migration is driven, watched and verified, and so
// is a share server migration between two dummy back ends that handle share servers.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startMigrationFerry } from '../../helpers/migration-harness.js';
import { bufCurl, bufCurlError, bufCurlJson, serveAdminApi, startAdminServer } from './admin-server.js';

interface ShareJson {
  id: string;
  host: string;
  taskState?: string;
  status?: string;
  sizeGib?: string;
  exportLocations?: { path: string }[];
  migration?: { id: string; outcome?: string };
}

describe('buf curl walkthrough', () => {
  it('calls every Catalog and Shares RPC through buf curl by reflection only', async (t) => {
    const { address } = await startAdminServer(t);
    const curl = <T>(method: string, body: unknown = {}) => bufCurlJson<T>(address, method, body);

    assert.equal((await curl<{ backends: unknown[] }>('ferry.admin.v1.Catalog/ListBackends')).backends.length, 3);
    assert.ok((await curl<{ pools: unknown[] }>('ferry.admin.v1.Catalog/ListPools')).pools.length >= 4);
    const type = await curl<{ shareType: { id: string } }>('ferry.admin.v1.Catalog/CreateShareType', { name: 'gold', extra_specs: { driver_handles_share_servers: 'false', snapshot_support: 'true' } });
    assert.ok((await curl<{ shareTypes: { name: string }[] }>('ferry.admin.v1.Catalog/ListShareTypes')).shareTypes.some((candidate) => candidate.name === 'gold'));
    const network = await curl<{ shareNetwork: { id: string; status: string } }>('ferry.admin.v1.Catalog/CreateShareNetwork', { name: 'n1', subnets: [{ neutron_net_id: 'net', neutron_subnet_id: 'sub' }] });
    assert.equal(network.shareNetwork.status, 'SHARE_NETWORK_STATUS_ACTIVE');
    assert.equal((await curl<{ shareNetworks: unknown[] }>('ferry.admin.v1.Catalog/ListShareNetworks')).shareNetworks.length, 1);
    await curl('ferry.admin.v1.Catalog/DeleteShareNetwork', { share_network_id: network.shareNetwork.id });
    assert.deepEqual(await curl('ferry.admin.v1.Catalog/ListShareServers', { status: 'SHARE_SERVER_STATUS_ACTIVE' }), {});

    const { share } = await curl<{ share: ShareJson }>('ferry.admin.v1.Shares/CreateShare', { share_proto: 'NFS', size_gib: 1, host: 'ferry@localfs1#pool1', share_type: type.shareType.id });
    assert.equal(share.status, 'SHARE_STATUS_AVAILABLE');
    assert.equal((await curl<{ share: ShareJson }>('ferry.admin.v1.Shares/GetShare', { share_id: share.id })).share.id, share.id);
    assert.equal((await curl<{ shares: ShareJson[] }>('ferry.admin.v1.Shares/ListShares', { host: 'ferry@localfs1#pool1' })).shares.length, 1);
    assert.equal((await curl<{ share: ShareJson }>('ferry.admin.v1.Shares/ExtendShare', { share_id: share.id, new_size_gib: 2 })).share.sizeGib, '2');
    assert.equal((await curl<{ share: ShareJson }>('ferry.admin.v1.Shares/ShrinkShare', { share_id: share.id, new_size_gib: 1 })).share.sizeGib, '1');
    const rule = await curl<{ accessRule: { id: string; accessLevel: string } }>('ferry.admin.v1.Shares/GrantAccess', { share_id: share.id, access_type: 'ACCESS_TYPE_IP', access_to: '10.0.0.1', access_level: 'ACCESS_LEVEL_RO' });
    assert.equal(rule.accessRule.accessLevel, 'ACCESS_LEVEL_RO');
    assert.equal((await curl<{ accessRules: unknown[] }>('ferry.admin.v1.Shares/ListAccessRules', { share_id: share.id })).accessRules.length, 1);
    await curl('ferry.admin.v1.Shares/RevokeAccess', { share_id: share.id, access_id: rule.accessRule.id });
    const snapshot = await curl<{ snapshot: { id: string; status: string } }>('ferry.admin.v1.Shares/CreateSnapshot', { share_id: share.id, name: 'before' });
    assert.equal(snapshot.snapshot.status, 'SNAPSHOT_STATUS_AVAILABLE');
    assert.equal((await curl<{ snapshots: unknown[] }>('ferry.admin.v1.Shares/ListSnapshots', { share_id: share.id })).snapshots.length, 1);
    await curl('ferry.admin.v1.Shares/DeleteSnapshot', { snapshot_id: snapshot.snapshot.id });

    const check = await curl<{ accepted?: boolean; path?: string }>('ferry.admin.v1.Shares/MigrationCheck', {
      share_id: share.id, host: 'ferry@localfs2#pool2', writable: false, preserve_metadata: true, preserve_snapshots: false, nondisruptive: false,
    });
    assert.deepEqual([check.accepted, check.path], [true, 'MIGRATION_METHOD_DRIVER_ASSISTED']);
    const started = await curl<{ migrationId: string }>('ferry.admin.v1.Shares/MigrationStart', {
      share_id: share.id, host: 'ferry@localfs2#pool2', writable: false, preserve_metadata: true, preserve_snapshots: false, nondisruptive: false,
    });
    const progress = await curl<{ progress: { migrationId: string; taskState: string } }>('ferry.admin.v1.Shares/MigrationGetProgress', { share_id: share.id });
    assert.equal(progress.progress.migrationId, started.migrationId);
    await waitForTaskState(address, share.id, ['TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE']);
    await curl('ferry.admin.v1.Shares/MigrationCancel', { share_id: share.id });
    await waitForTaskState(address, share.id, ['TASK_STATE_MIGRATION_CANCELLED']);
    const history = await curl<{ events: { taskState: string }[] }>('ferry.admin.v1.Shares/GetMigrationHistory', { migration_id: started.migrationId });
    assert.equal(history.events.at(-1)?.taskState, 'TASK_STATE_MIGRATION_CANCELLED');
    const refused = await bufCurlError(address, 'ferry.admin.v1.Shares/MigrationComplete', { share_id: share.id });
    assert.equal(refused.code, 'failed_precondition');

    assert.equal((await curl<{ share: ShareJson }>('ferry.admin.v1.Shares/ResetTaskState', { share_id: share.id, task_state: 'TASK_STATE_UNSPECIFIED' })).share.taskState, undefined);
    assert.equal((await curl<{ share: ShareJson }>('ferry.admin.v1.Shares/ResetStatus', { share_id: share.id, status: 'SHARE_STATUS_AVAILABLE' })).share.status, 'SHARE_STATUS_AVAILABLE');
    await curl('ferry.admin.v1.Shares/DeleteShare', { share_id: share.id });
    assert.equal((await bufCurlError(address, 'ferry.admin.v1.Shares/GetShare', { share_id: share.id })).code, 'not_found');
    await curl('ferry.admin.v1.Catalog/DeleteShareType', { share_type: 'gold' });
  });

  it('drives a whole host-assisted migration: files written to the export arrive on the destination', async (t) => {
    const { address } = await startAdminServer(t);
    const { share } = await bufCurlJson<{ share: ShareJson }>(address, 'ferry.admin.v1.Shares/CreateShare', { share_proto: 'NFS', size_gib: 1, host: 'ferry@localfs1#pool1' });
    // localfs exports a share (a bind mount of its data) only while an access rule allows it.
    await bufCurlJson(address, 'ferry.admin.v1.Shares/GrantAccess', { share_id: share.id, access_type: 'ACCESS_TYPE_IP', access_to: '127.0.0.1' });
    writeFileSync(join(share.exportLocations![0]!.path, 'hello.txt'), 'hello from the source');

    const started = await bufCurlJson<{ migrationId: string; share: ShareJson }>(address, 'ferry.admin.v1.Shares/MigrationStart', {
      share_id: share.id, host: 'ferry@localfs2#pool1', writable: false, preserve_metadata: false, preserve_snapshots: false, nondisruptive: false,
      force_host_assisted_migration: true,
    });
    assert.equal(started.share.taskState, 'TASK_STATE_MIGRATION_STARTING');

    // WatchMigration streams JSON objects until the migration rests at phase 1 done.
    const watched = await bufCurl(address, '/ferry.admin.v1.Shares/WatchMigration', ['-d', JSON.stringify({ share_id: share.id, interval_ms: 100 })]);
    assert.equal(watched.exitCode, 0, watched.stderr);
    assert.equal(lastTaskState(watched.stdout), 'TASK_STATE_DATA_COPYING_COMPLETED');

    await bufCurlJson(address, 'ferry.admin.v1.Shares/MigrationComplete', { share_id: share.id });
    const completed = await bufCurl(address, '/ferry.admin.v1.Shares/WatchMigration', ['-d', JSON.stringify({ share_id: share.id })]);
    assert.equal(lastTaskState(completed.stdout), 'TASK_STATE_MIGRATION_SUCCESS');

    const history = await bufCurlJson<{ events: { taskState: string }[] }>(address, 'ferry.admin.v1.Shares/GetMigrationHistory', { share_id: share.id });
    assert.deepEqual(history.events.map((event) => event.taskState), [
      'TASK_STATE_MIGRATION_STARTING', 'TASK_STATE_MIGRATION_IN_PROGRESS', 'TASK_STATE_DATA_COPYING_STARTING', 'TASK_STATE_DATA_COPYING_IN_PROGRESS',
      'TASK_STATE_DATA_COPYING_COMPLETING', 'TASK_STATE_DATA_COPYING_COMPLETED', 'TASK_STATE_MIGRATION_COMPLETING', 'TASK_STATE_MIGRATION_SUCCESS',
    ]);
    const after = (await bufCurlJson<{ share: ShareJson }>(address, 'ferry.admin.v1.Shares/GetShare', { share_id: share.id })).share;
    assert.equal(after.host, 'ferry@localfs2#pool1');
    assert.equal(after.migration?.outcome, 'MIGRATION_OUTCOME_SUCCESS');
    assert.equal(readFileSync(join(after.exportLocations![0]!.path, 'hello.txt'), 'utf8'), 'hello from the source');
  });
});

describe('buf curl walkthrough: share servers', () => {
  it('calls every ShareServers RPC and migrates a share server with two shares from dummy1 to dummy2', async (t) => {
    const { address } = await serveAdminApi(t, await startMigrationFerry(t, { shareServers: ['dummy1', 'dummy2'] }));
    const curl = <T>(method: string, body: unknown = {}) => bufCurlJson<T>(address, method, body);

    // A share type whose shares live on share servers, a network, two shares: one server.
    await curl('ferry.admin.v1.Catalog/CreateShareType', { name: 'servers', extra_specs: { driver_handles_share_servers: 'true' } });
    const { shareNetwork } = await curl<{ shareNetwork: { id: string } }>('ferry.admin.v1.Catalog/CreateShareNetwork', { name: 'n1', subnets: [{ neutron_net_id: 'net', neutron_subnet_id: 'sub' }] });
    const shareIds: string[] = [];
    for (const name of ['a', 'b']) {
      const { share } = await curl<{ share: ShareJson & { shareServerId: string } }>('ferry.admin.v1.Shares/CreateShare', { name, share_proto: 'NFS', size_gib: 1, share_type: 'servers', share_network_id: shareNetwork.id, host: 'ferry@dummy1#alpha' });
      shareIds.push(share.id);
    }
    const { shareServers } = await curl<{ shareServers: ServerJson[] }>('ferry.admin.v1.ShareServers/ListShareServers', { host: 'ferry@dummy1' });
    assert.equal(shareServers.length, 1);
    const server = shareServers[0]!;
    assert.deepEqual([server.status, server.shareIds], ['SHARE_SERVER_STATUS_ACTIVE', shareIds]);
    assert.deepEqual((await curl<{ shareServer: ServerJson }>('ferry.admin.v1.ShareServers/GetShareServer', { share_server_id: server.id })).shareServer, server);

    const request = { share_server_id: server.id, host: 'ferry@dummy2', writable: false, nondisruptive: false, preserve_snapshots: false };
    const check = await curl<{ compatible?: boolean; supportedCapabilities: { migrationCancel?: boolean } }>('ferry.admin.v1.ShareServers/MigrationCheck', request);
    assert.deepEqual([check.compatible, check.supportedCapabilities.migrationCancel], [true, true]);
    const started = await curl<{ migrationId: string; shareServer: ServerJson }>('ferry.admin.v1.ShareServers/MigrationStart', request);
    assert.equal(started.shareServer.taskState, 'TASK_STATE_MIGRATION_STARTING');
    const phase1 = await bufCurl(address, '/ferry.admin.v1.ShareServers/WatchMigration', ['-d', JSON.stringify({ share_server_id: server.id, interval_ms: 100 })]);
    assert.equal(phase1.exitCode, 0, phase1.stderr);
    assert.equal(lastTaskState(phase1.stdout), 'TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE');
    const progress = await curl<{ progress: { totalProgress: number; destinationShareServerId: string } }>('ferry.admin.v1.ShareServers/MigrationGetProgress', { share_server_id: server.id });
    assert.equal(progress.progress.totalProgress, 100);

    const completed = await curl<{ destinationShareServerId: string }>('ferry.admin.v1.ShareServers/MigrationComplete', { share_server_id: server.id });
    assert.equal(completed.destinationShareServerId, progress.progress.destinationShareServerId);
    const phase2 = await bufCurl(address, '/ferry.admin.v1.ShareServers/WatchMigration', ['-d', JSON.stringify({ share_server_id: server.id })]);
    assert.equal(lastTaskState(phase2.stdout), 'TASK_STATE_MIGRATION_SUCCESS');
    const history = await curl<{ migrationId: string; events: { taskState: string }[] }>('ferry.admin.v1.ShareServers/GetMigrationHistory', { share_server_id: server.id });
    assert.deepEqual([history.migrationId, history.events.at(-1)?.taskState], [started.migrationId, 'TASK_STATE_MIGRATION_SUCCESS']);

    const destination = (await curl<{ shareServer: ServerJson }>('ferry.admin.v1.ShareServers/GetShareServer', { share_server_id: completed.destinationShareServerId })).shareServer;
    assert.deepEqual([destination.host, destination.status, destination.shareIds], ['ferry@dummy2', 'SHARE_SERVER_STATUS_ACTIVE', shareIds]);
    for (const shareId of shareIds) assert.equal((await curl<{ share: ShareJson }>('ferry.admin.v1.Shares/GetShare', { share_id: shareId })).share.host, 'ferry@dummy2#alpha');
    assert.equal((await bufCurlError(address, 'ferry.admin.v1.ShareServers/GetShareServer', { share_server_id: server.id })).code, 'not_found', 'the source is deleted');
    assert.equal((await bufCurlError(address, 'ferry.admin.v1.ShareServers/MigrationCancel', { share_server_id: server.id })).code, 'not_found');

    // The repair tools, by enum name; UNSPECIFIED clears the task_state.
    const reset = await curl<{ shareServer: ServerJson }>('ferry.admin.v1.ShareServers/ResetTaskState', { share_server_id: destination.id, task_state: 'TASK_STATE_UNSPECIFIED' });
    assert.equal(reset.shareServer.taskState, undefined);
    const status = await curl<{ shareServer: ServerJson }>('ferry.admin.v1.ShareServers/ResetStatus', { share_server_id: destination.id, status: 'SHARE_SERVER_STATUS_ERROR' });
    assert.equal(status.shareServer.status, 'SHARE_SERVER_STATUS_ERROR');
  });
});

interface ServerJson {
  id: string;
  host: string;
  status: string;
  taskState?: string;
  shareIds?: string[];
}

/** Follows WatchMigration (which ends at a resting state) until the share rests in one of `states`. */
async function waitForTaskState(address: string, shareId: string, states: readonly string[]): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const watched = await bufCurl(address, '/ferry.admin.v1.Shares/WatchMigration', ['-d', JSON.stringify({ share_id: shareId, interval_ms: 100 })]);
    const last = lastTaskState(watched.stdout);
    if (last !== undefined && states.includes(last)) return;
  }
  throw new Error(`share ${shareId} did not reach ${states.join('|')}`);
}

/** The task_state of the last event buf curl printed for a WatchMigration stream. */
function lastTaskState(stdout: string): string | undefined {
  return [...stdout.matchAll(/"taskState": "(\w+)"/g)].at(-1)?.[1];
}
