/**
 * What an operator does to a share migration: check, start, complete, cancel, progress, watch
 * and reset_task_state (manila-migration-behaviour 4.1-4.4 and 6). Every action validates and
 * records under the share's lock; the runner does the work.
 */
import { backendOf } from '../../domain/host.js';
import type { MigrationPhase } from '../../domain/migration-phases.js';
import type { ShareMigration } from '../../domain/resources.js';
import { isBusy, type TaskState } from '../../domain/statuses.js';
import type { OrchestratorContext } from '../context.js';
import { ferryError, invalidField } from '../errors.js';
import type { MigrationCheckResult, MigrationProgress, MigrationStartRequest, MigrationStartResult, ShareView, WatchOptions } from '../ferry-api.js';
import { validateResettableTaskState } from '../shares.js';
import { watchUntilResting } from '../watch.js';
import { loadShareView, requireShare } from '../views.js';
import { toDriverInstance, toPeerInfo } from '../driver-models.js';
import { compatibilityProblem } from './driver-steps.js';
import { applyEvent, type MigrationRunner } from './runner.js';
import { CANCELLABLE_TASK_STATES, COMPLETABLE_TASK_STATES, RESTING_PHASES, derivedProgress, livePercent } from './states.js';
import { loadScope, migrationPair } from './scope.js';
import { describe, fallbackRefusal, type PathInput } from './step.js';
import { evaluateStart, type StartEvaluation } from './validate.js';

export class ShareMigrations {
  constructor(private readonly ctx: OrchestratorContext, private readonly runner: MigrationRunner) {}

  async start(request: MigrationStartRequest): Promise<MigrationStartResult> {
    const ctx = this.ctx;
    return ctx.locks.run(request.shareId, async () => {
      const evaluation = await evaluateStart(ctx, request, false);
      const { share, source } = evaluation;
      const at = ctx.now();
      if (evaluation.noop) {
        await ctx.store.updateShare(share.id, { taskState: 'migration_success', updatedAt: at });
        ctx.logger.info({ shareId: share.id }, 'migration to the current host, type and network: nothing to do');
        return { noop: true, migrationId: '', share: await loadShareView(ctx, share.id) };
      }
      const migration: ShareMigration = {
        id: ctx.newId(), shareId: share.id, sourceInstanceId: source.id, destinationInstanceId: null, request: evaluation.request, method: null,
        capabilities: null, taskState: 'migration_starting', phase: 'accepted', outcome: null, pendingAction: null, active: true, fallbackReason: '',
        error: '', errorReason: '', checkpointPath: '', createdAt: at, updatedAt: at, finishedAt: null,
      };
      const notice = await ctx.store.transaction(async (tx) => {
        await tx.insertMigration(migration);
        await tx.updateShare(share.id, { taskState: 'migration_starting', updatedAt: at });
        await tx.updateShareInstance(source.id, { status: 'migrating', updatedAt: at });
        return tx.appendMigrationEvent({ migrationId: migration.id, taskState: 'migration_starting', message: '', at });
      });
      ctx.events.publish({ ...notice, shareId: share.id });
      ctx.logger.info({ shareId: share.id, migrationId: migration.id, host: request.host, force: evaluation.request.forceHostAssistedMigration }, 'migration started');
      this.runner.kick(migration.id);
      return { noop: false, migrationId: migration.id, share: await loadShareView(ctx, share.id) };
    });
  }

  /** The pre-flight ferry adds: would start accept this, which path would run, what blocks each. */
  async check(request: MigrationStartRequest): Promise<MigrationCheckResult> {
    const evaluation = await evaluateStart(this.ctx, request, true);
    const blockers = [...evaluation.blockers];
    if (evaluation.noop) return { accepted: blockers.length === 0, noop: true, path: null, blockers, driverCompatibility: null };
    const input: PathInput = { migration: { request: evaluation.request }, share: evaluation.share, snapshots: evaluation.snapshots };
    const hostClosed = fallbackRefusal(input);
    if (hostClosed !== undefined) blockers.push({ reason: 'HOST_ASSISTED_NOT_ALLOWED', message: hostClosed, blocks: 'host_assisted' });
    const driver = await this.checkDriverPath(evaluation, input);
    if (driver.blocker) blockers.push(driver.blocker);
    const accepted = !blockers.some((blocker) => blocker.blocks === 'migration');
    const driverOpen = !blockers.some((blocker) => blocker.blocks === 'driver_assisted');
    const hostOpen = !blockers.some((blocker) => blocker.blocks === 'host_assisted');
    const path = !accepted ? null : driverOpen ? 'driver_assisted' : hostOpen ? 'host_assisted' : null;
    return { accepted, noop: false, path, blockers, driverCompatibility: driver.answer };
  }

  private async checkDriverPath(evaluation: StartEvaluation, input: PathInput): Promise<{ blocker?: MigrationCheckResult['blockers'][number]; answer: MigrationCheckResult['driverCompatibility'] }> {
    const closed = (message: string) => ({ blocker: { reason: 'DRIVER_ASSISTED_NOT_POSSIBLE', message, blocks: 'driver_assisted' as const }, answer: null });
    if (evaluation.request.forceHostAssistedMigration) return closed('force_host_assisted_migration skips the driver-assisted path');
    const backend = backendOf(evaluation.source.host);
    const destinationBackend = backendOf(evaluation.request.destinationHost);
    const status = this.ctx.drivers.backend(backend).status();
    if (!status.identity?.capabilities.includes('SHARE_DRIVER_MIGRATION')) return closed(`source back end ${backend} does not offer driver-assisted migration`);
    const destination = { ...evaluation.source, id: `${evaluation.source.id}-check`, host: evaluation.request.destinationHost, shareTypeId: evaluation.newType.id, exportLocations: [], providerLocation: '', backendDetails: {} };
    try {
      const sourceType = await this.ctx.store.getShareType(evaluation.source.shareTypeId);
      const answer = await this.ctx.drivers.backend(backend).migrationCheckCompatibility({
        source: toDriverInstance(evaluation.source, evaluation.share, sourceType),
        destination: toDriverInstance(destination, evaluation.share, evaluation.newType),
        destinationPeer: toPeerInfo(await this.ctx.store.getBackend(destinationBackend), destinationBackend),
      });
      const summary = { compatible: answer.compatible, writable: answer.writable, preserveMetadata: answer.preserveMetadata, nondisruptive: answer.nondisruptive, preserveSnapshots: answer.preserveSnapshots };
      const problem = compatibilityProblem(input, answer);
      return problem === undefined ? { answer: summary } : { blocker: { reason: 'DRIVER_ASSISTED_NOT_POSSIBLE', message: problem, blocks: 'driver_assisted' }, answer: summary };
    } catch (error) {
      return closed(`the source driver's compatibility check failed: ${describe(error).message}`);
    }
  }

  async complete(shareId: string): Promise<ShareView> {
    return this.operatorEvent(shareId, 'complete', (taskState) => {
      if (!COMPLETABLE_TASK_STATES.has(taskState)) throw ferryError('MIGRATION_PHASE1_NOT_DONE', `First migration phase of share ${shareId} not completed yet.`, { shareId, taskState });
    });
  }

  async cancel(shareId: string): Promise<ShareView> {
    return this.operatorEvent(shareId, 'cancel', (taskState) => {
      if (!CANCELLABLE_TASK_STATES.has(taskState)) throw ferryError('MIGRATION_NOT_CANCELLABLE', `Migration of share ${shareId} cannot be cancelled at this moment (task_state ${taskState}).`, { shareId, taskState });
    });
  }

  private async operatorEvent(shareId: string, action: 'complete' | 'cancel', allowed: (taskState: TaskState) => void): Promise<ShareView> {
    const ctx = this.ctx;
    const migrationId = await ctx.locks.run(shareId, async () => {
      const share = await requireShare(ctx.store, shareId);
      const taskState = share.taskState;
      if (taskState === null || taskState === 'migration_error') throw ferryError('MIGRATION_NOT_IN_PROGRESS', `There is no migration being performed for share ${shareId} at this moment.`, { shareId, taskState: taskState ?? '' });
      if (taskState === 'migration_success') throw ferryError('MIGRATION_ALREADY_COMPLETED', `Migration of share ${shareId} has already completed.`, { shareId });
      if (taskState === 'migration_cancelled') throw ferryError('MIGRATION_ALREADY_CANCELLED', `Migration of share ${shareId} was already cancelled.`, { shareId });
      allowed(taskState);
      const migration = (await ctx.store.listMigrations({ shareId, active: true }))[0];
      if (migration === undefined) throw ferryError('MIGRATION_NOT_IN_PROGRESS', `share ${shareId} has task_state ${taskState} but no migration ferry drives (it was reset); reset the task state`, { shareId, taskState });
      const applied = await ctx.store.transaction((tx) => applyEvent(ctx, tx, migration.id, migration.phase, { type: action === 'complete' ? 'complete_requested' : 'cancel_requested' }));
      if (applied === undefined) throw ferryError('MIGRATION_NOT_CANCELLABLE', `migration ${migration.id} moved on; retry`, { shareId });
      if (applied.notice) ctx.events.publish(applied.notice);
      ctx.logger.info({ shareId, migrationId: migration.id, action }, `migration ${action} requested`);
      return migration.id;
    });
    this.runner.supersede(migrationId);
    this.runner.kick(migrationId);
    return loadShareView(ctx, shareId);
  }

  async progress(shareId: string): Promise<MigrationProgress> {
    const ctx = this.ctx;
    const share = await requireShare(ctx.store, shareId);
    const migration = (await ctx.store.listMigrations({ shareId })).at(-1);
    const taskState = share.taskState;
    if (taskState === null) throw ferryError('MIGRATION_NOT_IN_PROGRESS', `There is no migration being performed for share ${shareId} at this moment.`, { shareId });
    const base = {
      shareId, migrationId: migration?.id ?? '', taskState, method: migration?.method ?? null, copy: null, details: {},
      error: migration?.error ?? '', errorReason: migration?.errorReason ?? '', fallbackReason: migration?.fallbackReason ?? '',
    };
    if (migration?.active && taskState === 'data_copying_in_progress') {
      const copy = this.runner.copyProgress(migration.id);
      if (copy) {
        const { totalProgress, ...details } = copy;
        return { ...base, totalProgress, copy: details };
      }
      return { ...base, totalProgress: 0 };
    }
    if (migration?.active && taskState === 'migration_driver_in_progress' && migration.phase === 'driver_poll') {
      try {
        const scope = await loadScope(ctx, migration.id);
        const answer = await ctx.drivers.backend(scope.sourceBackend).migrationGetProgress(await migrationPair(ctx, scope));
        const details: Record<string, string> = { ...answer.details };
        if (answer.totalBytes > 0) Object.assign(details, { copied_bytes: String(answer.copiedBytes), total_bytes: String(answer.totalBytes) });
        return { ...base, totalProgress: livePercent(answer.totalProgress), details };
      } catch (error) {
        // Manila answers 500; ferry answers the derived value and says why it is not live.
        return { ...base, totalProgress: derivedProgress(taskState), details: { progress_error: describe(error).message } };
      }
    }
    return { ...base, totalProgress: derivedProgress(taskState) };
  }

  async *watch(shareId: string, options: WatchOptions = {}): AsyncGenerator<MigrationProgress> {
    await requireShare(this.ctx.store, shareId);
    yield* watchUntilResting({
      subscribe: (wake) => this.ctx.events.subscribe((notice) => {
        if (notice.shareId === shareId) wake();
      }),
      read: () => this.progress(shareId),
      resting: () => this.resting(shareId),
    }, options);
  }

  private async resting(shareId: string): Promise<boolean> {
    const migration = (await this.ctx.store.listMigrations({ shareId, active: true }))[0];
    return migration === undefined || RESTING_PHASES.has(migration.phase);
  }

  /**
   * Manila's reset_task_state writes the task_state only; pollers react on their next tick.
   * ferry's equivalent: a busy value moves the active migration to the phase that runs in it
   * (so the runner resumes there), any other value ends the migration where it stands, leaving
   * its instances for the operator (as Manila does).
   */
  async resetTaskState(shareId: string, taskState: TaskState | null): Promise<ShareView> {
    const ctx = this.ctx;
    const resume = await ctx.locks.run(shareId, async () => {
      await requireShare(ctx.store, shareId); // Manila 6: an unknown share is NOT_FOUND before a bad value
      validateResettableTaskState(taskState);
      const migration = (await ctx.store.listMigrations({ shareId, active: true }))[0];
      const at = ctx.now();
      const phase = migration && taskState !== null && isBusy(taskState) ? phaseFor(taskState, migration) : undefined;
      // Manila lets a reset put a migration on the other path's states; ferry would then drive a
      // step that never began (poll a driver that never started, copy for a driver migration).
      if (migration && taskState !== null && isBusy(taskState) && !fitsPath(taskState, migration)) {
        throw invalidField('task_state', `${taskState} does not belong to migration ${migration.id}'s ${migration.method ?? 'undecided'} path`, 'INVALID_TASK_STATE', { migrationId: migration.id });
      }
      const entry = await ctx.store.transaction(async (tx) => {
        await tx.updateShare(shareId, { taskState, updatedAt: at });
        if (migration === undefined) return undefined;
        if (phase !== undefined) {
          await tx.updateMigration(migration.id, { phase, taskState: taskState!, updatedAt: at });
        } else {
          await tx.updateMigration(migration.id, {
            phase: 'finished', active: false, finishedAt: at, outcome: taskState === 'migration_success' ? 'success' : taskState === 'migration_cancelled' ? 'cancelled' : 'error',
            error: migration.error || `task_state reset to ${taskState ?? 'null'} by an operator; instances left as they were`, updatedAt: at,
          });
        }
        return taskState === null ? undefined : tx.appendMigrationEvent({ migrationId: migration.id, taskState, message: 'reset by an operator', at });
      });
      // Published like every committed task_state change: watchers wake at once and
      // onMigrationEvent listeners see the reset (it was recorded in the history only).
      if (entry !== undefined) ctx.events.publish({ ...entry, shareId });
      ctx.logger.warn({ shareId, taskState, migrationId: migration?.id, phase }, 'task_state reset by operator');
      return migration?.id;
    });
    if (resume !== undefined) {
      this.runner.supersede(resume);
      this.runner.kick(resume);
    }
    return loadShareView(ctx, shareId);
  }
}

/** Whether a busy task_state belongs to the migration's path (the common states fit both). */
function fitsPath(taskState: TaskState, migration: ShareMigration): boolean {
  if (taskState.startsWith('migration_driver_')) return migration.method === 'driver_assisted';
  if (taskState.startsWith('data_copying_')) return migration.method === 'host_assisted';
  return true;
}

/** The phase whose step runs in `taskState`, for a migration whose path is known. */
function phaseFor(taskState: TaskState, migration: ShareMigration): MigrationPhase {
  const host = migration.method === 'host_assisted';
  switch (taskState) {
    case 'migration_starting': return 'accepted';
    case 'migration_in_progress': return host ? 'host_prepare' : 'driver_prepare';
    case 'migration_driver_starting': return 'driver_start';
    case 'migration_driver_in_progress': return 'driver_poll';
    case 'migration_driver_phase1_done': return 'driver_phase1_done';
    case 'migration_completing': return host ? 'host_complete' : 'driver_complete';
    case 'data_copying_starting':
    case 'data_copying_in_progress':
    case 'data_copying_completing': return 'data_copy';
    case 'data_copying_completed': return 'data_copy_done';
    default: return migration.phase;
  }
}
