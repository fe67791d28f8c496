/**
 * Suite 'share-server-migration': share servers (SetupShareServer, TeardownShareServer) and
 * share-server migration. As ferry does, every ShareServerMigration* RPC goes to the plugin
 * under test, the DESTINATION; the peer instance is the source back end, holding a server with
 * one share. Where the share's export locations are local directories the kit can write (a
 * local-directory back end, the dummy's dataRoot), the kit also checks that data written before
 * Start is there after Complete.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ExportLocation, ShareInstance, ShareServer } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import { PluginCapability } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { ShareServiceService } from '../../../src/contract/gen/ferry/driver/v1/share.js';
import {
  ShareServerServiceService,
  type ShareServerMigrationCheckCompatibilityRequest,
  type ShareServerMigrationCompleteRequest,
  type ShareServerMigrationStartRequest,
} from '../../../src/contract/gen/ferry/driver/v1/share_server.js';
import type { PluginHandle } from '../../../src/host/index.js';
import { check, expectError, expectOk, newId, type CaseContext, type ConformanceCase } from '../case.js';
import { BACKEND_HOST, ipRule, networkInfo, peerInfo, shareInstance, shareServer } from '../requests.js';

const SHARES = PluginCapability.PLUGIN_CAPABILITY_SHARES;
const SHARE_SERVERS = PluginCapability.PLUGIN_CAPABILITY_SHARE_SERVERS;
const SERVER_MIGRATION = PluginCapability.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION;
const MIGRATION_CAPABILITIES = [SHARES, SHARE_SERVERS, SERVER_MIGRATION];
/** How long phase 1 of a server with one small share may take before the kit gives up. */
const PHASE1_BUDGET_MS = 30_000;
const POLL_INTERVAL_MS = 100;
const S = ShareServerServiceService;
const SUITE = 'share-server-migration';

let addresses = 0;
const nextAddress = (): string => `10.254.0.${10 + (addresses++ % 200)}`;

/** Sets up `server` on `plugin` and tears it down after the case; returns it as ferry then holds it. */
async function setUpServer(ctx: CaseContext, plugin: PluginHandle, server: ShareServer, sourceShareServerId = ''): Promise<ShareServer> {
  const answer = await expectOk(
    plugin.call(S.setupShareServer, { shareServer: server, networkInfo: [networkInfo(server, nextAddress())], migrationDestination: sourceShareServerId !== '', sourceShareServerId, requestHost: '' }),
    'SetupShareServer',
    'share_server.proto SetupShareServer',
  );
  const held = { ...server, identifier: answer.identifier, backendDetails: answer.backendDetails };
  ctx.defer(() => plugin.call(S.teardownShareServer, { shareServer: held, securityServices: [] }));
  return held;
}

/** Creates a share instance on `server` (deleted after the case) and lets clients write to it. */
async function createOnServer(ctx: CaseContext, plugin: PluginHandle, server: ShareServer): Promise<ShareInstance> {
  const pools = plugin === ctx.subject ? ctx.pools : (ctx.peerPools ?? ctx.pools);
  const instance = shareInstance(pools, plugin.name, { shareServerId: server.shareServerId, shareTypeExtraSpecs: { driver_handles_share_servers: 'true' } });
  const created = await expectOk(plugin.call(ShareServiceService.createShareInstance, { shareInstance: instance, sourceSnapshotInstance: undefined, shareServer: server }), 'CreateShareInstance on a share server', 'share.proto CreateShareInstance: REQUIRED share_server on DHSS back ends');
  ctx.defer(() => plugin.call(ShareServiceService.deleteShareInstance, { shareInstance: instance, shareServer: server }));
  const model = { ...instance, exportLocations: created.exportLocations, providerLocation: created.providerLocation, backendDetails: created.backendDetails };
  await allowWrites(plugin, model, server);
  return model;
}

const WRITER = ipRule('10.254.0.250', 'rw');

function allowWrites(plugin: PluginHandle, instance: ShareInstance, server: ShareServer): Promise<unknown> {
  return expectOk(
    plugin.call(ShareServiceService.updateAccess, { shareInstance: instance, accessRules: [WRITER], addRules: [WRITER], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: server }),
    'UpdateAccess with one rw rule',
    'share.proto UpdateAccess',
  );
}

/** The first export location that is a directory on this machine, or undefined. */
function localDirectory(locations: readonly ExportLocation[]): string | undefined {
  return locations.map((l) => l.path).find((path) => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  });
}

/** A file written into the share through a local export, or undefined when the kit cannot write one. */
function writeMarker(locations: readonly ExportLocation[]): { name: string; content: string } | undefined {
  const dir = localDirectory(locations);
  if (dir === undefined) return undefined;
  const marker = { name: `conformance-marker-${randomUUID()}.txt`, content: `written before ShareServerMigrationStart ${randomUUID()}\n` };
  try {
    writeFileSync(join(dir, marker.name), marker.content);
    return marker;
  } catch {
    return undefined;
  }
}

interface Fixture {
  readonly request: ShareServerMigrationStartRequest;
  readonly instance: ShareInstance;
  readonly sourceServer: ShareServer;
  readonly destinationServer: ShareServer;
  readonly marker: { name: string; content: string } | undefined;
  /** The instance's pool on the destination once Complete said so (for the clean-up). */
  destinationPool: string | undefined;
}

/** A server with one share on the peer (the source), a destination server set up on the subject, and the Start request. */
async function serverMigration(ctx: CaseContext): Promise<Fixture> {
  const peer = ctx.peer;
  if (peer === undefined || ctx.peerInfo === undefined || ctx.peerPools === undefined) throw new Error('peer not running');
  const network = newId('share-network');
  const sourceServer = await setUpServer(ctx, peer, shareServer(peer.name, network));
  const instance = await createOnServer(ctx, peer, sourceServer);
  const marker = writeMarker(instance.exportLocations);
  const destinationServer = await setUpServer(ctx, ctx.subject, shareServer(ctx.subject.name, network), sourceServer.shareServerId);
  const request: ShareServerMigrationStartRequest = {
    migrationId: newId('server-migration'),
    sourceShareServer: sourceServer,
    destinationShareServer: destinationServer,
    shareInstances: [instance],
    snapshotInstances: [],
    sourcePeer: peerInfo(peer.name, ctx.peerInfo, ctx.peerPools),
  };
  const fixture: Fixture = { request, instance, sourceServer, destinationServer, marker, destinationPool: undefined };
  // After Complete the instance lives on the subject; before, these are no-ops (unknown id = OK).
  ctx.defer(() => ctx.subject.call(ShareServiceService.deleteShareInstance, { shareInstance: { ...instance, pool: fixture.destinationPool ?? instance.pool }, shareServer: destinationServer }));
  ctx.defer(() => ctx.subject.call(S.shareServerMigrationCancel, request));
  return fixture;
}

function checkRequest(ctx: CaseContext, fixture: Fixture): ShareServerMigrationCheckCompatibilityRequest {
  const { instance, sourceServer, request } = fixture;
  return {
    shareServer: sourceServer,
    destHost: `${BACKEND_HOST}@${ctx.subject.name}`,
    oldShareNetworkId: sourceServer.shareNetworkId,
    newShareNetworkId: sourceServer.shareNetworkId,
    sharesRequestSpec: { sharesSizeGib: instance.sizeGib, snapshotsSizeGib: 0, sharesReqSpec: [{ shareId: instance.shareId, shareInstance: instance, shareTypeId: 'conformance-share-type', shareTypeName: '', shareProperties: {} }] },
    sourcePeer: request.sourcePeer,
  };
}

const completeRequest = (fixture: Fixture): ShareServerMigrationCompleteRequest => ({ ...fixture.request, newNetworkInfo: [networkInfo(fixture.destinationServer, nextAddress())] });

/** Polls ShareServerMigrationContinue until phase1_done, as ferry's poller does. */
async function untilPhase1Done(ctx: CaseContext, request: ShareServerMigrationStartRequest): Promise<void> {
  const started = Date.now();
  for (;;) {
    const answer = await expectOk(ctx.subject.call(S.shareServerMigrationContinue, request), 'ShareServerMigrationContinue', 'share_server.proto ShareServerMigrationContinue');
    if (answer.phase1Done) return;
    check(Date.now() - started < PHASE1_BUDGET_MS, `phase 1 of a server with one small share did not finish within ${PHASE1_BUDGET_MS / 1000} s of ShareServerMigrationContinue polling`, 'share_server.proto ShareServerMigrationContinue');
    await delay(POLL_INTERVAL_MS);
  }
}

/** A started migration and what the check promised (ferry calls Cancel and GetProgress only when it did). */
async function started(ctx: CaseContext): Promise<{ fixture: Fixture; offers: { cancel: boolean; progress: boolean } }> {
  const fixture = await serverMigration(ctx);
  const answer = await expectOk(ctx.subject.call(S.shareServerMigrationCheckCompatibility, checkRequest(ctx, fixture)), 'ShareServerMigrationCheckCompatibility', 'share_server.proto ShareServerMigrationCheckCompatibility');
  check(answer.compatible, `a source running the same plugin was judged incompatible: ${answer.incompatibilityReasons.join('; ') || '(no reasons given)'}`, 'share_server.proto ShareServerMigrationCheckCompatibilityResponse.compatible');
  await expectOk(ctx.subject.call(S.shareServerMigrationStart, fixture.request), 'ShareServerMigrationStart', 'share_server.proto ShareServerMigrationStart');
  return { fixture, offers: { cancel: answer.migrationCancel, progress: answer.migrationGetProgress } };
}

const paths = (locations: readonly ExportLocation[]): string => JSON.stringify(locations.map((e) => e.path).sort());

export const shareServerMigrationCases: ConformanceCase[] = [
  {
    suite: SUITE,
    name: 'SetupShareServer is idempotent: a replay answers the same, the same id on another share network is ALREADY_EXISTS',
    requires: [SHARE_SERVERS],
    async run(ctx) {
      const server = shareServer(ctx.subject.name);
      const info = [networkInfo(server, nextAddress())];
      const setup = (s: ShareServer) => ctx.subject.call(S.setupShareServer, { shareServer: s, networkInfo: info, migrationDestination: false, sourceShareServerId: '', requestHost: '' });
      ctx.defer(() => ctx.subject.call(S.teardownShareServer, { shareServer: server, securityServices: [] }));
      const first = await expectOk(setup(server), 'SetupShareServer', 'share_server.proto SetupShareServer');
      const replay = await expectOk(setup(server), 'replayed SetupShareServer', 'share_server.proto SetupShareServer: a replay returns the same response');
      check(replay.identifier === first.identifier, `replayed SetupShareServer returned identifier ${JSON.stringify(replay.identifier)}, the first ${JSON.stringify(first.identifier)}`, 'share_server.proto SetupShareServer: a replay returns the same response');
      await expectError(setup({ ...server, shareNetworkId: newId('other-network') }), 'ALREADY_EXISTS', 'ALREADY_EXISTS_INCOMPATIBLE', 'SetupShareServer of the same id on another share network', 'share_server.proto SetupShareServer errors: same id set up with other networks');
    },
  },
  {
    suite: SUITE,
    name: 'TeardownShareServer refuses a server holding a share instance (RESOURCE_IN_USE), then tears it down; a replay and an unknown id are OK',
    requires: [SHARES, SHARE_SERVERS],
    async run(ctx) {
      const server = await setUpServer(ctx, ctx.subject, shareServer(ctx.subject.name));
      const instance = await createOnServer(ctx, ctx.subject, server);
      const teardown = (s: ShareServer) => ctx.subject.call(S.teardownShareServer, { shareServer: s, securityServices: [] });
      await expectError(teardown(server), 'FAILED_PRECONDITION', 'RESOURCE_IN_USE', 'TeardownShareServer of a server holding a share instance', 'share_server.proto TeardownShareServer errors: server still holds share instances');
      await expectOk(ctx.subject.call(ShareServiceService.deleteShareInstance, { shareInstance: instance, shareServer: server }), 'DeleteShareInstance', 'share.proto DeleteShareInstance');
      await expectOk(teardown(server), 'TeardownShareServer of an empty server', 'share_server.proto TeardownShareServer');
      await expectOk(teardown(server), 'replayed TeardownShareServer', 'share_server.proto TeardownShareServer: a replay returns OK');
      await expectOk(teardown(shareServer(ctx.subject.name)), 'TeardownShareServer of a server never set up', 'share_server.proto TeardownShareServer: an unknown server returns OK');
    },
  },
  {
    suite: SUITE,
    name: 'ShareServerMigrationCheckCompatibility with a source peer of the same plugin answers compatible',
    requires: MIGRATION_CAPABILITIES,
    needsPeer: true,
    async run(ctx) {
      const fixture = await serverMigration(ctx);
      const answer = await expectOk(ctx.subject.call(S.shareServerMigrationCheckCompatibility, checkRequest(ctx, fixture)), 'ShareServerMigrationCheckCompatibility', 'share_server.proto ShareServerMigrationCheckCompatibility');
      check(answer.compatible, `a source running the same plugin was judged incompatible: ${answer.incompatibilityReasons.join('; ') || '(no reasons given)'}`, 'share_server.proto ShareServerMigrationCheckCompatibilityResponse.compatible');
      const network = fixture.sourceServer.shareNetworkId;
      check(answer.shareNetworkId === '' || answer.shareNetworkId === network, `share_network_id is ${JSON.stringify(answer.shareNetworkId)}; the request asked for ${network}`, 'share_server.proto ShareServerMigrationCheckCompatibilityResponse.share_network_id');
    },
  },
  {
    suite: SUITE,
    name: 'ShareServerMigrationContinue, GetProgress and Complete of a migration id never started fail with NOT_FOUND (MIGRATION_NOT_FOUND); Cancel is OK',
    requires: MIGRATION_CAPABILITIES,
    needsPeer: true,
    async run(ctx) {
      const fixture = await serverMigration(ctx);
      const unknown = { ...fixture, request: { ...fixture.request, migrationId: newId('never-started') } };
      const rule = 'share_server.proto: "Id never started or record gone"';
      await expectError(ctx.subject.call(S.shareServerMigrationContinue, unknown.request), 'NOT_FOUND', 'MIGRATION_NOT_FOUND', 'ShareServerMigrationContinue of an unknown migration_id', rule);
      await expectError(ctx.subject.call(S.shareServerMigrationGetProgress, unknown.request), 'NOT_FOUND', 'MIGRATION_NOT_FOUND', 'ShareServerMigrationGetProgress of an unknown migration_id', rule);
      await expectError(ctx.subject.call(S.shareServerMigrationComplete, completeRequest(unknown)), 'NOT_FOUND', 'MIGRATION_NOT_FOUND', 'ShareServerMigrationComplete of an unknown migration_id', rule);
      await expectOk(ctx.subject.call(S.shareServerMigrationCancel, unknown.request), 'ShareServerMigrationCancel of an unknown migration_id', 'share_server.proto ShareServerMigrationCancel: an unknown id returns OK');
    },
  },
  {
    suite: SUITE,
    name: 'Start, Continue until phase 1 is done, Complete: the share is served by the destination with its data; replays are safe and late calls are refused',
    requires: MIGRATION_CAPABILITIES,
    needsPeer: true,
    async run(ctx) {
      const { fixture, offers } = await started(ctx);
      const { request, instance } = fixture;
      await expectOk(ctx.subject.call(S.shareServerMigrationStart, request), 'replayed ShareServerMigrationStart', 'share_server.proto ShareServerMigrationStart: a replay while phase 1 runs or is done returns the same response');
      await untilPhase1Done(ctx, request);
      if (offers.progress) {
        const progress = await expectOk(ctx.subject.call(S.shareServerMigrationGetProgress, request), 'ShareServerMigrationGetProgress after phase 1', 'share_server.proto ShareServerMigrationGetProgress');
        check(progress.totalProgress === 100, `total_progress is ${progress.totalProgress} after phase 1 finished; it must be exactly 100`, 'share_server.proto ShareServerMigrationGetProgressResponse.total_progress');
      }

      const completed = await expectOk(ctx.subject.call(S.shareServerMigrationComplete, completeRequest(fixture)), 'ShareServerMigrationComplete', 'share_server.proto ShareServerMigrationComplete');
      const update = completed.shareUpdates[instance.shareInstanceId];
      fixture.destinationPool = update?.poolName || instance.pool;
      const replay = await expectOk(ctx.subject.call(S.shareServerMigrationComplete, completeRequest(fixture)), 'replayed ShareServerMigrationComplete', 'share_server.proto ShareServerMigrationComplete: a replay after success returns the same response');
      const again = replay.shareUpdates[instance.shareInstanceId];
      check(
        paths(again?.exportLocations ?? []) === paths(update?.exportLocations ?? []) && (again?.poolName ?? '') === (update?.poolName ?? ''),
        `replayed ShareServerMigrationComplete returned ${JSON.stringify(again)}, the first ${JSON.stringify(update)}`,
        'share_server.proto ShareServerMigrationComplete: a replay after success returns the same response',
      );
      const phaseRule = 'share_server.proto: "Id already completed or cancelled"';
      await expectError(ctx.subject.call(S.shareServerMigrationContinue, request), 'FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'ShareServerMigrationContinue after Complete', phaseRule);
      await expectError(ctx.subject.call(S.shareServerMigrationCancel, request), 'FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'ShareServerMigrationCancel after Complete', 'share_server.proto ShareServerMigrationCancel errors: id already completed');
      await expectError(ctx.subject.call(S.shareServerMigrationStart, request), 'FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'ShareServerMigrationStart after Complete', 'share_server.proto ShareServerMigrationStart errors: id already completed or cancelled');

      // The destination now serves the share (ferry re-applies its rules there, as the revert of read-only does).
      const moved = { ...instance, pool: fixture.destinationPool, shareServerId: fixture.destinationServer.shareServerId, exportLocations: update?.exportLocations.length ? update.exportLocations : instance.exportLocations };
      await allowWrites(ctx.subject, moved, fixture.destinationServer);
      const served = await expectOk(ctx.subject.call(ShareServiceService.getExportLocations, { shareInstance: moved, shareServer: fixture.destinationServer }), 'GetExportLocations on the destination after Complete', 'share_server.proto ShareServerMigrationComplete: after it returns, the shares are served by the destination server');
      check(served.exportLocations.length > 0, 'the destination reports no export location for the migrated share', 'share.proto GetExportLocations');
      const dir = localDirectory(moved.exportLocations);
      if (fixture.marker !== undefined && dir !== undefined) {
        let content: string | undefined;
        try {
          content = readFileSync(join(dir, fixture.marker.name), 'utf8');
        } catch {
          content = undefined;
        }
        check(content === fixture.marker.content, `${fixture.marker.name}, written into the share before ShareServerMigrationStart, is ${content === undefined ? 'missing from' : 'different in'} the destination export ${dir}`, 'share_server.proto ShareServerMigrationComplete: the shares move with their data');
      }
    },
  },
  {
    suite: SUITE,
    name: 'Cancel during phase 1 leaves the source untouched and the destination clean; a replay is OK',
    requires: MIGRATION_CAPABILITIES,
    needsPeer: true,
    async run(ctx) {
      const { fixture, offers } = await started(ctx);
      const { request, instance } = fixture;
      if (!offers.cancel) return; // migration_cancel = false: ferry never cancels, nothing to check
      await expectOk(ctx.subject.call(S.shareServerMigrationCancel, request), 'ShareServerMigrationCancel', 'share_server.proto ShareServerMigrationCancel');
      await expectOk(ctx.subject.call(S.shareServerMigrationCancel, request), 'replayed ShareServerMigrationCancel', 'share_server.proto ShareServerMigrationCancel: a replay returns OK');
      const rule = 'share_server.proto ShareServerMigrationCancel: removes what it created on this back end; the source server and its shares stay untouched';
      const source = await expectOk(ctx.peer!.call(ShareServiceService.getExportLocations, { shareInstance: instance, shareServer: fixture.sourceServer }), 'GetExportLocations of the share on the source after Cancel', rule);
      check(paths(source.exportLocations) === paths(instance.exportLocations), `the source now reports ${paths(source.exportLocations)}, before the migration ${paths(instance.exportLocations)}`, rule);
      const dir = localDirectory(instance.exportLocations);
      if (fixture.marker !== undefined && dir !== undefined) {
        const kept = readFileSync(join(dir, fixture.marker.name), 'utf8') === fixture.marker.content;
        check(kept, `${fixture.marker.name} changed in the source export ${dir} after Cancel`, rule);
        writeFileSync(join(dir, `${fixture.marker.name}.after-cancel`), 'the source is writable again');
      }
      await expectError(ctx.subject.call(ShareServiceService.getExportLocations, { shareInstance: instance, shareServer: fixture.destinationServer }), 'NOT_FOUND', 'SHARE_INSTANCE_NOT_FOUND', 'GetExportLocations of the share on the destination after Cancel', rule);
      await expectOk(ctx.subject.call(S.teardownShareServer, { shareServer: fixture.destinationServer, securityServices: [] }), 'TeardownShareServer of the destination server after Cancel (it must hold nothing)', rule);
    },
  },
  {
    suite: SUITE,
    name: 'Calls in the wrong phase fail with FAILED_PRECONDITION (MIGRATION_WRONG_PHASE); Start of the same id with other arguments with ALREADY_EXISTS',
    requires: MIGRATION_CAPABILITIES,
    needsPeer: true,
    async run(ctx) {
      const { fixture, offers } = await started(ctx);
      const { request } = fixture;
      const otherDestination = { ...request, destinationShareServer: shareServer(ctx.subject.name, fixture.sourceServer.shareNetworkId) };
      await expectError(ctx.subject.call(S.shareServerMigrationStart, otherDestination), 'ALREADY_EXISTS', 'ALREADY_EXISTS_INCOMPATIBLE', 'ShareServerMigrationStart of a running id with another destination server', 'share_server.proto ShareServerMigrationStart errors: same id started with other arguments');
      if (!offers.cancel) return; // the wrong phases below are reached through Cancel
      await expectOk(ctx.subject.call(S.shareServerMigrationCancel, request), 'ShareServerMigrationCancel', 'share_server.proto ShareServerMigrationCancel');
      const rule = 'share_server.proto: "Id already completed or cancelled"';
      await expectError(ctx.subject.call(S.shareServerMigrationContinue, request), 'FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'ShareServerMigrationContinue after Cancel', rule);
      if (offers.progress) await expectError(ctx.subject.call(S.shareServerMigrationGetProgress, request), 'FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'ShareServerMigrationGetProgress after Cancel', rule);
      await expectError(ctx.subject.call(S.shareServerMigrationComplete, completeRequest(fixture)), 'FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'ShareServerMigrationComplete after Cancel', 'share_server.proto ShareServerMigrationComplete errors: id already cancelled');
      await expectError(ctx.subject.call(S.shareServerMigrationStart, request), 'FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'ShareServerMigrationStart after Cancel', 'share_server.proto ShareServerMigrationStart errors: id already completed or cancelled');
    },
  },
];
