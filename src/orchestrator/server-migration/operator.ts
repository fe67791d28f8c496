/**
 * What an operator does to a share server and its migration: check, start, complete, cancel,
 * progress, watch, reset_status and reset_task_state (manila-migration-behaviour 4.6, 5, 6).
 * Every action validates and records under the source server's lock; the runner does the work.
 */
import type { ServerMigrationPhase } from '../../domain/migration-phases.js';
import type { ShareServerMigration } from '../../domain/resources.js';
import { RESETTABLE_SERVER_TASK_STATES, SHARE_SERVER_STATUSES, type ShareServerStatus, type TaskState } from '../../domain/statuses.js';
import type { OrchestratorContext } from '../context.js';
import { ferryError, invalidField } from '../errors.js';
import type {
  ServerMigrationCheckResult, ServerMigrationProgress, ServerMigrationStartRequest, ServerMigrationStartResult, ShareServerFilterRequest, ShareServerView, WatchOptions,
} from '../ferry-api.js';
import { derivedProgress, livePercent } from '../share-migration/states.js';
import { describe } from '../share-migration/step.js';
import { askCompatibility } from './compatibility.js';
import { applyServerEvent, type ServerMigrationRunner } from './runner.js';
import { loadServerScope, serverMigrationCall, destinationDriver } from './scope.js';
import { SERVER_RESTING_PHASES } from './transitions.js';
import { watchUntilResting } from '../watch.js';
import { evaluateServerStart, nondisruptiveNetworkProblem, requireShareServer } from './validate.js';

/** Task states in which a server migration is under way (the server refuses a new one). */
const SERVER_BUSY: ReadonlySet<TaskState> = new Set<TaskState>([
  'migration_starting', 'migration_in_progress', 'migration_driver_starting', 'migration_driver_in_progress',
  'migration_driver_phase1_done', 'migration_completing', 'migration_cancel_in_progress',
]);

export class ShareServerMigrations {
  constructor(private readonly ctx: OrchestratorContext, private readonly runner: ServerMigrationRunner) {}

  async view(shareServerId: string): Promise<ShareServerView> {
    const server = await requireShareServer(this.ctx, shareServerId);
    const instances = await this.ctx.store.listShareInstances({ shareServerId });
    const migrations = [
      ...(await this.ctx.store.listServerMigrations({ sourceShareServerId: shareServerId })),
      ...(await this.ctx.store.listServerMigrations({ destinationShareServerId: shareServerId })),
    ].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return {
      ...server,
      shareIds: [...new Set(instances.map((instance) => instance.shareId))],
      shareInstanceIds: instances.map((instance) => instance.id),
      migration: migrations.at(-1) ?? null,
    };
  }

  async list(filter: ShareServerFilterRequest = {}): Promise<ShareServerView[]> {
    const servers = await this.ctx.store.listShareServers(filter);
    return Promise.all(servers.map((server) => this.view(server.id)));
  }

  async check(request: ServerMigrationStartRequest): Promise<ServerMigrationCheckResult> {
    const evaluation = await evaluateServerStart(this.ctx, request, true);
    const requested = {
      host: request.host, writable: evaluation.request.writable, nondisruptive: evaluation.request.nondisruptive,
      preserveSnapshots: evaluation.request.preserveSnapshots, shareNetworkId: request.newShareNetworkId || null,
    };
    const none = { writable: false, nondisruptive: false, preserveSnapshots: false, shareNetworkId: evaluation.request.shareNetworkId, migrationCancel: false, migrationGetProgress: false };
    const blockers = [...evaluation.blockers];
    const networkProblem = nondisruptiveNetworkProblem(evaluation);
    // Manila 4.6 migration_check: nondisruptive across a change of subnets is answered without the driver.
    if (networkProblem !== undefined) {
      blockers.push({ reason: networkProblem.reason, message: networkProblem.message });
      return { compatible: false, requested, supported: none, blockers };
    }
    const answer = await askCompatibility(this.ctx, evaluation.server, evaluation.shares, evaluation.request, evaluation.networkChange);
    blockers.push(...answer.blockers);
    const supported = answer.capabilities === null ? none : {
      writable: answer.capabilities.writable, nondisruptive: answer.capabilities.nondisruptive, preserveSnapshots: answer.capabilities.preserveSnapshots,
      shareNetworkId: answer.capabilities.shareNetworkId, migrationCancel: answer.capabilities.migrationCancel, migrationGetProgress: answer.capabilities.migrationGetProgress,
    };
    return { compatible: blockers.length === 0, requested, supported, blockers };
  }

  async start(request: ServerMigrationStartRequest): Promise<ServerMigrationStartResult> {
    const ctx = this.ctx;
    const server = await requireShareServer(ctx, request.shareServerId);
    const shareIds = (await ctx.store.listShareInstances({ shareServerId: server.id })).map((instance) => instance.shareId);
    // The shares' locks too: a share action must not slip between the checks and server_migrating.
    const migration = await ctx.locks.runAll([server.id, ...shareIds], async () => {
      const evaluation = await evaluateServerStart(ctx, request, false);
      const networkProblem = nondisruptiveNetworkProblem(evaluation);
      if (networkProblem !== undefined) throw networkProblem;
      const at = ctx.now();
      const record: ShareServerMigration = {
        id: ctx.newId(), sourceShareServerId: server.id, destinationShareServerId: null, request: evaluation.request, capabilities: null,
        networkChange: evaluation.networkChange, taskState: 'migration_starting', phase: 'accepted', outcome: null, active: true,
        error: '', errorReason: '', createdAt: at, updatedAt: at, finishedAt: null,
      };
      const notice = await ctx.store.transaction(async (tx) => {
        await tx.insertServerMigration(record);
        await tx.updateShareServer(server.id, { status: 'server_migrating', taskState: 'migration_starting', updatedAt: at });
        for (const { instance, snapshots } of evaluation.shares) {
          await tx.updateShareInstance(instance.id, { status: 'server_migrating', updatedAt: at });
          for (const snapshot of snapshots) await tx.updateSnapshotInstance(snapshot.instance.id, { status: 'server_migrating', updatedAt: at });
        }
        return tx.appendServerMigrationEvent({ migrationId: record.id, taskState: 'migration_starting', message: '', at });
      });
      ctx.serverEvents.publish({ ...notice, shareServerId: server.id });
      ctx.logger.info({ shareServerId: server.id, serverMigrationId: record.id, host: request.host }, 'share server migration started');
      return record;
    });
    this.runner.kick(migration.id);
    return { migrationId: migration.id, server: await this.view(server.id) };
  }

  /** The active migration of a source server, or the error Manila answers for its state. */
  private async activeMigration(shareServerId: string, action: string): Promise<ShareServerMigration> {
    const server = await requireShareServer(this.ctx, shareServerId);
    if (server.status !== 'server_migrating') {
      throw ferryError('INVALID_SHARE_SERVER_STATUS', `Migration of share server ${shareServerId} cannot be ${action} because the provided share server is not being migrated (status ${server.status}).`, { shareServerId, status: server.status });
    }
    const migration = (await this.ctx.store.listServerMigrations({ sourceShareServerId: shareServerId, active: true }))[0];
    if (migration === undefined) {
      throw ferryError('MIGRATION_NOT_IN_PROGRESS', `share server ${shareServerId} is server_migrating but no migration ferry drives (it was reset); reset its status and task state`, { shareServerId });
    }
    return migration;
  }

  async complete(shareServerId: string): Promise<{ destinationShareServerId: string; server: ShareServerView }> {
    const destinationShareServerId = await this.operatorEvent(shareServerId, 'completed', (migration) => {
      if (migration.taskState !== 'migration_driver_phase1_done') {
        throw ferryError('MIGRATION_PHASE1_NOT_DONE', `The first phase of migration has to finish to request the completion of server ${shareServerId}'s migration (task_state ${migration.taskState}).`, { shareServerId, taskState: migration.taskState });
      }
      return 'complete_requested';
    });
    return { destinationShareServerId, server: await this.view(shareServerId) };
  }

  async cancel(shareServerId: string): Promise<ShareServerView> {
    await this.operatorEvent(shareServerId, 'cancelled', (migration) => {
      if (migration.taskState !== 'migration_driver_phase1_done' && migration.taskState !== 'migration_driver_in_progress') {
        throw ferryError('MIGRATION_NOT_CANCELLABLE', `Migration of share server ${shareServerId} can be cancelled only after the driver already started the migration, or when the first phase of the migration gets completed (task_state ${migration.taskState}).`, { shareServerId, taskState: migration.taskState });
      }
      if (migration.capabilities?.migrationCancel !== true) {
        throw ferryError('MIGRATION_CANCEL_NOT_SUPPORTED', `the destination driver of share server ${shareServerId}'s migration does not support cancelling it (migration_cancel = false)`, { shareServerId });
      }
      return 'cancel_requested';
    });
    return this.view(shareServerId);
  }

  private async operatorEvent(shareServerId: string, action: string, allowed: (migration: ShareServerMigration) => 'complete_requested' | 'cancel_requested'): Promise<string> {
    const ctx = this.ctx;
    const migration = await ctx.locks.run(shareServerId, async () => {
      const active = await this.activeMigration(shareServerId, action);
      const event = allowed(active);
      const destination = active.destinationShareServerId ? await ctx.store.getShareServer(active.destinationShareServerId) : undefined;
      if (destination === undefined) throw ferryError('MIGRATION_NOT_IN_PROGRESS', `A destination share server wasn't found for source share server ${shareServerId}.`, { shareServerId });
      const applied = await ctx.store.transaction((tx) => applyServerEvent(ctx, tx, active.id, active.phase, { type: event }));
      if (applied === undefined) throw ferryError('MIGRATION_NOT_CANCELLABLE', `migration ${active.id} moved on; retry`, { shareServerId });
      if (applied.notice) ctx.serverEvents.publish(applied.notice);
      ctx.logger.info({ shareServerId, serverMigrationId: active.id, event }, 'share server migration action requested');
      return active;
    });
    this.runner.supersede(migration.id);
    this.runner.kick(migration.id);
    return migration.destinationShareServerId ?? '';
  }

  async progress(shareServerId: string): Promise<ServerMigrationProgress> {
    const ctx = this.ctx;
    const server = await ctx.store.getShareServer(shareServerId);
    const migration = (await ctx.store.listServerMigrations({ sourceShareServerId: shareServerId })).at(-1);
    if (server === undefined && migration === undefined) throw ferryError('SHARE_SERVER_NOT_FOUND', `share server ${shareServerId} not found`, { shareServerId });
    if (migration === undefined) throw ferryError('MIGRATION_NOT_IN_PROGRESS', `share server ${shareServerId} is not being migrated`, { shareServerId });
    const destination = migration.destinationShareServerId ? await ctx.store.getShareServer(migration.destinationShareServerId) : undefined;
    const base = {
      shareServerId, migrationId: migration.id, sourceTaskState: server?.taskState ?? migration.taskState,
      taskState: destination?.taskState ?? (migration.outcome === 'success' ? 'migration_success' : null),
      destinationShareServerId: migration.destinationShareServerId ?? '', details: {}, error: migration.error, errorReason: migration.errorReason,
    };
    const taskState = migration.taskState;
    const live = migration.active && migration.phase === 'driver_poll' && migration.capabilities?.migrationGetProgress === true;
    if (live) {
      try {
        const scope = await loadServerScope(ctx, migration.id);
        const answer = await destinationDriver(ctx, scope).shareServerMigrationGetProgress(await serverMigrationCall(ctx, scope));
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

  async history(migrationId: string) {
    if ((await this.ctx.store.getServerMigration(migrationId)) === undefined) throw ferryError('MIGRATION_NOT_FOUND', `share server migration ${migrationId} not found`, { migrationId });
    return this.ctx.store.listServerMigrationEvents(migrationId);
  }

  async *watch(shareServerId: string, options: WatchOptions = {}): AsyncGenerator<ServerMigrationProgress> {
    await this.progress(shareServerId); // unknown server or no migration: fail before streaming
    yield* watchUntilResting({
      subscribe: (wake) => this.ctx.serverEvents.subscribe((notice) => {
        if (notice.shareServerId === shareServerId) wake();
      }),
      read: () => this.progress(shareServerId),
      resting: () => this.resting(shareServerId),
    }, options);
  }

  private async resting(shareServerId: string): Promise<boolean> {
    const migration = (await this.ctx.store.listServerMigrations({ sourceShareServerId: shareServerId, active: true }))[0];
    return migration === undefined || SERVER_RESTING_PHASES.has(migration.phase);
  }

  /** Manila 6: writes the status only; no side effect. */
  async resetStatus(shareServerId: string, status: ShareServerStatus): Promise<ShareServerView> {
    await this.ctx.locks.run(shareServerId, async () => {
      await requireShareServer(this.ctx, shareServerId);
      if (!(SHARE_SERVER_STATUSES as readonly string[]).includes(status)) {
        throw invalidField('status', `Invalid status. Valid statuses: ${SHARE_SERVER_STATUSES.join(', ')}`, 'INVALID_STATUS');
      }
      await this.ctx.store.updateShareServer(shareServerId, { status, updatedAt: this.ctx.now() });
      this.ctx.logger.warn({ shareServerId, status }, 'share server status reset by operator');
    });
    return this.view(shareServerId);
  }

  /**
   * Manila 6 writes the task_state only; pollers react on their next tick. ferry's equivalent:
   * a value in which the migration runs moves the active migration to that phase (the runner
   * resumes there); any other value ends the migration where it stands, for the operator.
   */
  async resetTaskState(shareServerId: string, taskState: TaskState | null): Promise<ShareServerView> {
    const ctx = this.ctx;
    const resume = await ctx.locks.run(shareServerId, async () => {
      await requireShareServer(ctx, shareServerId);
      if (taskState !== null && !RESETTABLE_SERVER_TASK_STATES.includes(taskState)) {
        throw invalidField('task_state', `Invalid state. Valid states: ${RESETTABLE_SERVER_TASK_STATES.join(', ')}, null`, 'INVALID_TASK_STATE');
      }
      const migration = (await ctx.store.listServerMigrations({ sourceShareServerId: shareServerId, active: true }))[0];
      const at = ctx.now();
      const phase = migration && taskState !== null && SERVER_BUSY.has(taskState) ? phaseFor(taskState) : undefined;
      const entry = await ctx.store.transaction(async (tx) => {
        await tx.updateShareServer(shareServerId, { taskState, updatedAt: at });
        if (migration === undefined) return undefined;
        if (phase !== undefined) {
          await tx.updateServerMigration(migration.id, { phase, taskState: taskState!, updatedAt: at });
        } else {
          await tx.updateServerMigration(migration.id, {
            phase: 'finished', active: false, finishedAt: at, outcome: taskState === 'migration_success' ? 'success' : taskState === 'migration_cancelled' ? 'cancelled' : 'error',
            error: migration.error || `task_state reset to ${taskState ?? 'null'} by an operator; servers and shares left as they were`, updatedAt: at,
          });
        }
        return taskState === null ? undefined : tx.appendServerMigrationEvent({ migrationId: migration.id, taskState, message: 'reset by an operator', at });
      });
      if (entry !== undefined) ctx.serverEvents.publish({ ...entry, shareServerId });
      ctx.logger.warn({ shareServerId, taskState, serverMigrationId: migration?.id, phase }, 'share server task_state reset by operator');
      return phase === undefined ? undefined : migration?.id;
    });
    if (resume !== undefined) {
      this.runner.supersede(resume);
      this.runner.kick(resume);
    }
    return this.view(shareServerId);
  }
}

/** The phase whose step runs in a busy server task_state. */
function phaseFor(taskState: TaskState): ServerMigrationPhase {
  switch (taskState) {
    case 'migration_starting': return 'accepted';
    case 'migration_in_progress': return 'prepare';
    case 'migration_driver_starting': return 'driver_start';
    case 'migration_driver_phase1_done': return 'driver_phase1_done';
    case 'migration_completing': return 'driver_complete';
    case 'migration_cancel_in_progress': return 'driver_cancel';
    default: return 'driver_poll';
  }
}
