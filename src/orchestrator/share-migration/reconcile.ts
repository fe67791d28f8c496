/**
 * After a start (or a kill -9): drive every migration that was under way on from its recorded
 * phase. Because each phase's step is idempotent, resuming is re-running it: a host copy picks
 * up its checkpoint, a driver migration resumes polling, a half-done rollback finishes.
 * QUIRK(Manila): a restarted data service marks copying shares data_copying_error; ferry resumes.
 */
import type { OrchestratorContext } from '../context.js';
import type { MigrationRunner } from './runner.js';

export async function resumeMigrations(ctx: OrchestratorContext, runner: MigrationRunner): Promise<number> {
  const active = await ctx.store.listMigrations({ active: true });
  for (const migration of active) {
    ctx.logger.info({ migrationId: migration.id, shareId: migration.shareId, phase: migration.phase, taskState: migration.taskState }, 'resuming migration');
    runner.kick(migration.id);
  }
  return active.length;
}
