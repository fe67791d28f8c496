/**
 * The phase machine of one migration id, shared by share and share-server migration
 * (share_migration.proto, share_server.proto): Start seeds progress 0, Continue adds the
 * configured step and reports phase 1 done at >= 100, Complete is allowed only after phase 1
 * and its result is replayed, Cancel is OK for unknown ids, and finished ids keep their record
 * so wrong-phase calls answer FAILED_PRECONDITION (MIGRATION_WRONG_PHASE).
 */
import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from '../../src/domain/errors.js';
import type { DummyState, MigrationRecord } from './state.js';

type Kind = MigrationRecord['kind'];

function wrongPhase(record: MigrationRecord, call: string): FailedPreconditionError {
  return new FailedPreconditionError('MIGRATION_WRONG_PHASE', `${call} is not allowed: migration ${record.migrationId} is ${record.phase}`, {
    migrationId: record.migrationId,
    phase: record.phase,
  });
}

/** The migration, or NOT_FOUND (MIGRATION_NOT_FOUND); an id of the other kind counts as unknown. */
export function requireMigration(state: DummyState, kind: Kind, migrationId: string): MigrationRecord {
  const record = state.data.migrations[migrationId];
  if (record === undefined || record.kind !== kind) throw new NotFoundError('migration', migrationId, 'MIGRATION_NOT_FOUND', 'migrationId');
  return record;
}

/**
 * Start's idempotency: returns the existing record for a compatible replay while phase 1 runs
 * or is done, throws ALREADY_EXISTS for other arguments and MIGRATION_WRONG_PHASE once
 * finished, and returns undefined for a new id (the caller validates and calls seedMigration).
 */
export function replayStart(state: DummyState, kind: Kind, migrationId: string, fingerprint: string): MigrationRecord | undefined {
  const record = state.data.migrations[migrationId];
  if (record === undefined) return undefined;
  if (record.kind !== kind || record.fingerprint !== fingerprint) {
    throw new AlreadyExistsError(`migration ${migrationId} was started with other arguments (${record.fingerprint}, now ${fingerprint})`, { migrationId });
  }
  if (record.phase === 'completed' || record.phase === 'cancelled') throw wrongPhase(record, 'start');
  return record;
}

export function seedMigration(state: DummyState, kind: Kind, migrationId: string, fingerprint: string, totalBytes: number): MigrationRecord {
  const record: MigrationRecord = { migrationId, kind, fingerprint, phase: 'in_progress', progress: 0, totalBytes };
  state.data.migrations[migrationId] = record;
  state.save();
  return record;
}

/** Continue: advances progress by `step`; phase 1 is done at >= 100 and stays done. */
export function continueMigration(state: DummyState, kind: Kind, migrationId: string, step: number): boolean {
  const record = requireMigration(state, kind, migrationId);
  if (record.phase === 'completed' || record.phase === 'cancelled') throw wrongPhase(record, 'continue');
  if (record.phase === 'in_progress') {
    record.progress = Math.min(100, record.progress + step);
    if (record.progress >= 100) record.phase = 'phase1_done';
    state.save();
  }
  return record.phase === 'phase1_done';
}

/** GetProgress: percent (100 only when phase 1 is done) and bytes scaled to the source size. */
export function progressOf(state: DummyState, kind: Kind, migrationId: string): { totalProgress: number; copiedBytes: number; totalBytes: number; details: Record<string, string> } {
  const record = requireMigration(state, kind, migrationId);
  if (record.phase === 'completed' || record.phase === 'cancelled') throw wrongPhase(record, 'get progress');
  const totalProgress = record.phase === 'phase1_done' ? 100 : Math.min(99, record.progress);
  return {
    totalProgress,
    copiedBytes: Math.floor((record.totalBytes * totalProgress) / 100),
    totalBytes: record.totalBytes,
    details: { phase: record.phase },
  };
}

/**
 * Complete: the stored result for a replay, MIGRATION_WRONG_PHASE before phase 1 is done or
 * after cancel, else runs `cutOver` once and remembers its result.
 */
export async function completeMigration<T>(state: DummyState, kind: Kind, migrationId: string, cutOver: () => Promise<T> | T): Promise<T> {
  const record = requireMigration(state, kind, migrationId);
  if (record.phase === 'completed') return record.completeResult as T;
  if (record.phase !== 'phase1_done') throw wrongPhase(record, 'complete');
  const result = await cutOver();
  record.phase = 'completed';
  record.completeResult = result;
  state.save();
  return result;
}

/** Cancel: OK for unknown and already cancelled ids; MIGRATION_WRONG_PHASE after complete. */
export function cancelMigration(state: DummyState, kind: Kind, migrationId: string): void {
  const record = state.data.migrations[migrationId];
  if (record === undefined || record.kind !== kind || record.phase === 'cancelled') return;
  if (record.phase === 'completed') throw wrongPhase(record, 'cancel');
  record.phase = 'cancelled';
  record.progress = 0;
  state.save();
}
