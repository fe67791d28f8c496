import { setTimeout as delay } from 'node:timers/promises';
import { PluginCapability } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { MigrationMethod, ShareMigrationServiceService } from '../../../src/contract/gen/ferry/driver/v1/share_migration.js';
import { MigrationUpdateModelRequest, type MigrationStartRequest } from '../../../src/contract/gen/ferry/driver/v1/share_migration.js';
import { ShareServiceService } from '../../../src/contract/gen/ferry/driver/v1/share.js';
import { FerryError } from '../../../src/domain/errors.js';
import { ShareInstance } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import { check, expectError, expectOk, newId, type CaseContext, type ConformanceCase } from '../case.js';
import { peerInfo, shareInstance } from '../requests.js';
import { createdInstance } from './shares.js';

const SHARES = PluginCapability.PLUGIN_CAPABILITY_SHARES;
const DRIVER_MIGRATION = PluginCapability.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION;
/** How long a small (empty) share's phase 1 may take before the kit gives up. */
const PHASE1_BUDGET_MS = 30_000;
const POLL_INTERVAL_MS = 100;
const M = ShareMigrationServiceService;

/** A migration request from a fresh source instance on the subject to a destination on the peer. */
async function migrationRequest(ctx: CaseContext): Promise<MigrationStartRequest> {
  const peer = ctx.peer;
  if (peer === undefined || ctx.peerInfo === undefined || ctx.peerPools === undefined) throw new Error('peer not running');
  const source = await createdInstance(ctx);
  const destination = ShareInstance.fromPartial({ ...shareInstance(ctx.peerPools, peer.name), shareId: source.shareId, sizeGib: source.sizeGib, shareProto: source.shareProto });
  // After a completed migration the destination belongs to the peer; delete it there (unknown id = OK).
  ctx.defer(() => peer.call(ShareServiceService.deleteShareInstance, { shareInstance: destination, shareServer: undefined }));
  return {
    migrationId: newId('migration'),
    sourceShareInstance: source,
    destinationShareInstance: destination,
    destinationPeer: peerInfo(peer.name, ctx.peerInfo, ctx.peerPools),
    sourceSnapshotInstances: [],
    snapshotMappings: {},
    sourceShareServer: undefined,
    destinationShareServer: undefined,
  };
}

/** Polls MigrationContinue until phase1_done, as ferry's poller does. */
async function untilPhase1Done(ctx: CaseContext, request: MigrationStartRequest): Promise<void> {
  const started = Date.now();
  for (;;) {
    const answer = await expectOk(ctx.subject.call(M.migrationContinue, request), 'MigrationContinue', 'share_migration.proto MigrationContinue');
    if (answer.phase1Done) return;
    check(Date.now() - started < PHASE1_BUDGET_MS, `phase 1 of an empty share did not finish within ${PHASE1_BUDGET_MS / 1000} s of MigrationContinue polling`, 'share_migration.proto MigrationContinue');
    await delay(POLL_INTERVAL_MS);
  }
}

const unknownMigration = async (ctx: CaseContext): Promise<MigrationStartRequest> => ({ ...(await migrationRequest(ctx)), migrationId: newId('never-started') });

export const shareMigrationCases: ConformanceCase[] = [
  {
    suite: 'share-migration',
    name: 'MigrationCheckCompatibility with a peer of the same plugin answers compatible',
    requires: [SHARES, DRIVER_MIGRATION],
    needsPeer: true,
    async run(ctx) {
      const request = await migrationRequest(ctx);
      const answer = await expectOk(ctx.subject.call(M.migrationCheckCompatibility, request), 'MigrationCheckCompatibility', 'share_migration.proto MigrationCheckCompatibility');
      check(answer.compatible, `a peer running the same plugin was judged incompatible: ${answer.incompatibilityReasons.join('; ') || '(no reasons given)'}`, 'share_migration.proto MigrationCheckCompatibilityResponse.compatible');
    },
  },
  {
    suite: 'share-migration',
    name: 'Continue, GetProgress and Complete of a migration id never started fail with NOT_FOUND (MIGRATION_NOT_FOUND); Cancel is OK',
    requires: [SHARES, DRIVER_MIGRATION],
    needsPeer: true,
    async run(ctx) {
      const request = await unknownMigration(ctx);
      const rule = 'share_migration.proto: "Id never started or record gone"';
      await expectError(ctx.subject.call(M.migrationContinue, request), 'NOT_FOUND', 'MIGRATION_NOT_FOUND', 'MigrationContinue of an unknown migration_id', rule);
      await expectError(ctx.subject.call(M.migrationGetProgress, request), 'NOT_FOUND', 'MIGRATION_NOT_FOUND', 'MigrationGetProgress of an unknown migration_id', rule);
      await expectError(ctx.subject.call(M.migrationComplete, request), 'NOT_FOUND', 'MIGRATION_NOT_FOUND', 'MigrationComplete of an unknown migration_id', rule);
      await expectOk(ctx.subject.call(M.migrationCancel, request), 'MigrationCancel of an unknown migration_id', 'share_migration.proto MigrationCancel: an unknown id returns OK');
    },
  },
  {
    suite: 'share-migration',
    name: 'Start, Continue until phase 1 is done, progress 100, Complete, UpdateModel on the destination; replays are safe and late calls are refused',
    requires: [SHARES, DRIVER_MIGRATION],
    needsPeer: true,
    async run(ctx) {
      const request = await migrationRequest(ctx);
      await expectOk(ctx.subject.call(M.migrationStart, request), 'MigrationStart', 'share_migration.proto MigrationStart');
      await expectOk(ctx.subject.call(M.migrationStart, request), 'replayed MigrationStart', 'share_migration.proto MigrationStart: a replay returns OK');
      await untilPhase1Done(ctx, request);
      const progress = await expectOk(ctx.subject.call(M.migrationGetProgress, request), 'MigrationGetProgress after phase 1', 'share_migration.proto MigrationGetProgress');
      check(progress.totalProgress === 100, `total_progress is ${progress.totalProgress} after phase 1 finished; it must be exactly 100`, 'share_migration.proto MigrationGetProgressResponse.total_progress');
      const completed = await expectOk(ctx.subject.call(M.migrationComplete, request), 'MigrationComplete', 'share_migration.proto MigrationComplete');
      const replay = await expectOk(ctx.subject.call(M.migrationComplete, request), 'replayed MigrationComplete', 'share_migration.proto MigrationComplete: a replay after success returns the same response');
      const paths = (r: { exportLocations: { path: string }[] }) => JSON.stringify(r.exportLocations.map((e) => e.path).sort());
      check(paths(replay) === paths(completed), `replayed MigrationComplete returned ${paths(replay)}, the first ${paths(completed)}`, 'share_migration.proto MigrationComplete: a replay returns the same response');
      await expectError(ctx.subject.call(M.migrationContinue, request), 'FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'MigrationContinue after MigrationComplete', 'share_migration.proto MigrationContinue errors');
      const peer = ctx.peer!;
      const updateModel = MigrationUpdateModelRequest.fromPartial({
        migrationId: request.migrationId,
        method: MigrationMethod.MIGRATION_METHOD_DRIVER_ASSISTED,
        sourceShareInstance: request.sourceShareInstance,
        destinationShareInstance: { ...request.destinationShareInstance, exportLocations: completed.exportLocations },
      });
      try {
        const model = await peer.call(M.migrationUpdateModel, updateModel);
        check(model.exportLocations.length > 0 || completed.exportLocations.length > 0, 'neither MigrationComplete nor MigrationUpdateModel gave the destination an export location', 'share_migration.proto MigrationUpdateModelResponse.export_locations');
      } catch (error) {
        // UNIMPLEMENTED means "keep the model ferry already has" (share_migration.proto MigrationUpdateModel).
        if (!(error instanceof FerryError && error.code === 'UNIMPLEMENTED')) {
          check(false, `MigrationUpdateModel on the destination back end failed: ${error instanceof Error ? error.message : String(error)}`, 'share_migration.proto MigrationUpdateModel');
        }
      }
    },
  },
  {
    suite: 'share-migration',
    name: 'Cancel during phase 1 stops the migration: a replay is OK and a later Continue is refused',
    requires: [SHARES, DRIVER_MIGRATION],
    needsPeer: true,
    async run(ctx) {
      const request = await migrationRequest(ctx);
      await expectOk(ctx.subject.call(M.migrationStart, request), 'MigrationStart', 'share_migration.proto MigrationStart');
      await expectOk(ctx.subject.call(M.migrationCancel, request), 'MigrationCancel', 'share_migration.proto MigrationCancel');
      await expectOk(ctx.subject.call(M.migrationCancel, request), 'replayed MigrationCancel', 'share_migration.proto MigrationCancel: a replay returns OK');
      await expectError(ctx.subject.call(M.migrationContinue, request), 'FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'MigrationContinue after MigrationCancel', 'share_migration.proto MigrationContinue errors');
      await expectError(ctx.subject.call(M.migrationComplete, request), 'FAILED_PRECONDITION', 'MIGRATION_WRONG_PHASE', 'MigrationComplete after MigrationCancel', 'share_migration.proto MigrationComplete errors: id already cancelled');
    },
  },
];
