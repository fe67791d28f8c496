/**
 * What localfs's two migration services share. Share migration (the SOURCE plugin copies into
 * a peer's tree) and share-server migration (the DESTINATION plugin copies out of a peer's
 * tree) both keep one durable record per migration id, run phase 1 as background copies that
 * resume from checkpoints after a restart, and answer the contract's phase errors the same way.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { FailedPreconditionError, MissingFieldError, NotFoundError } from '../../src/domain/errors.js';
import type { CopyPhase, TreeCopier, TreeCopyJob } from './copier.js';
import { apparentBytes } from './disk.js';
import { checkName } from './layout.js';
import { readJson, writeJsonAtomic, type CopySummary } from './metadata-store.js';

/** Finished migration records older than this are removed at start (the contract asks for >= 24 h). */
export const FINISHED_RECORD_TTL_MS = 7 * 24 * 3600 * 1000;

/** Phases after which a migration id only answers replays and wrong-phase errors. */
const FINAL_PHASES: readonly string[] = ['completed', 'cancelled'];

/** The fields every migration record has, whatever its kind. */
export interface MigrationRecordBase {
  readonly migrationId: string;
  readonly phase: string;
  readonly updatedAt: string;
}

/**
 * The records of one kind of migration: `<dir>/<migrationId>.json` (written atomically, see
 * metadata-store.ts) and a work directory `<dir>/<migrationId>/` for copy checkpoints.
 */
export class MigrationRecords<R extends MigrationRecordBase> {
  constructor(readonly dir: string) {}

  file(migrationId: string): string {
    return join(this.dir, `${migrationId}.json`);
  }

  workDir(migrationId: string): string {
    return join(this.dir, migrationId);
  }

  read(migrationId: string): Promise<R | undefined> {
    return readJson<R>(this.file(migrationId));
  }

  write(record: R): Promise<void> {
    return writeJsonAtomic(this.file(record.migrationId), record);
  }

  /** The record, or NOT_FOUND (MIGRATION_NOT_FOUND). */
  async require(migrationId: string): Promise<R> {
    const record = await this.read(migrationId);
    if (record === undefined) throw new NotFoundError('migration', migrationId, 'MIGRATION_NOT_FOUND', 'migrationId');
    return record;
  }

  async update(record: R, changes: Partial<R>): Promise<R> {
    const updated = { ...record, ...changes, updatedAt: new Date().toISOString() } as R;
    await this.write(updated);
    return updated;
  }

  /** Updates the record only while it is still in `phase` (a cancel may have moved it on). */
  async updateIf(migrationId: string, phase: R['phase'], changes: Partial<R>): Promise<void> {
    const current = await this.read(migrationId);
    if (current?.phase === phase) await this.update(current, changes);
  }

  async list(): Promise<R[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    const records: R[] = [];
    for (const name of names) {
      const record = await this.read(name.slice(0, -'.json'.length));
      if (record !== undefined) records.push(record);
    }
    return records;
  }

  /** Drops finished records older than FINISHED_RECORD_TTL_MS, with their work directories. */
  async expire(records: readonly R[], now = Date.now()): Promise<void> {
    for (const record of records) {
      if (!FINAL_PHASES.includes(record.phase) || now - Date.parse(record.updatedAt) <= FINISHED_RECORD_TTL_MS) continue;
      await rm(this.file(record.migrationId), { force: true });
      await rm(this.workDir(record.migrationId), { recursive: true, force: true });
    }
  }
}

/** One tree phase 1 copies, resumable from its checkpoint. */
export interface CopyStep {
  readonly source: string;
  readonly destination: string;
  /** Must lie outside both trees; the same path resumes the step after a restart. */
  readonly checkpointPath: string;
  /** True when an earlier run already finished the step (e.g. renamed it into place): skipped. */
  readonly alreadyDone?: () => Promise<boolean>;
  /** Runs once the tree is copied (the root's own metadata, a rename into place). */
  readonly finish?: () => Promise<void>;
}

/** How to report a run's end; neither is called when the run was aborted. */
export interface CopyOutcome {
  done(summary: CopySummary): Promise<void>;
  failed(error: Error): Promise<void>;
}

/** Progress over all steps of a run. */
export interface CopyRunProgress {
  /** 0-99 while running (100 is for the caller to report once its record says done). */
  readonly totalProgress: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly copyPhase: CopyPhase;
  readonly etaSeconds: number | null;
  /** 1-based step being copied, of `steps`. */
  readonly step: number;
  readonly steps: number;
}

interface Run {
  readonly controller: AbortController;
  readonly steps: number;
  /** Size guesses per step (only for runs of several steps: the engine sizes one step at a time). */
  estimates: readonly number[];
  readonly finished: { readonly bytes: number; readonly files: number }[];
  current: { readonly job: TreeCopyJob; readonly index: number } | undefined;
  settled: Promise<void>;
}

/**
 * Phase-1 copies running in the background, one run per migration id, its steps one after
 * another (so the bandwidth limit holds for the whole migration). Each step is verified
 * (xxh128) and checkpointed; the outcome is handed to the caller, which records it.
 */
export class BackgroundCopies {
  private readonly runs = new Map<string, Run>();

  constructor(
    private readonly copier: TreeCopier,
    private readonly bandwidthBytesPerSecond: number,
    private readonly logger: Logger,
  ) {}

  has(key: string): boolean {
    return this.runs.has(key);
  }

  start(key: string, steps: readonly CopyStep[], outcome: CopyOutcome): void {
    const controller = new AbortController();
    const run: Run = { controller, steps: steps.length, estimates: [], finished: [], current: undefined, settled: Promise.resolve() };
    run.settled = this.copyAll(run, steps)
      .then(
        (summary) => (controller.signal.aborted ? undefined : outcome.done(summary)),
        (error: unknown) => (controller.signal.aborted ? undefined : outcome.failed(error instanceof Error ? error : new Error(String(error)))),
      )
      .catch((error: unknown) => this.logger.error({ key, err: error }, 'could not record the phase 1 outcome'))
      .finally(() => {
        if (this.runs.get(key) === run) this.runs.delete(key);
      });
    this.runs.set(key, run);
  }

  progress(key: string): CopyRunProgress | undefined {
    const run = this.runs.get(key);
    if (run === undefined) return undefined;
    const doneBytes = run.finished.reduce((sum, f) => sum + f.bytes, 0);
    const doneFiles = run.finished.reduce((sum, f) => sum + f.files, 0);
    const index = run.current?.index ?? run.finished.length;
    const p = run.current?.job.progress();
    const currentTotal = p === undefined ? 0 : p.phase === 'sizing' ? (run.estimates[index] ?? 0) : p.bytesTotal;
    const pending = run.estimates.slice(index + (p === undefined ? 0 : 1)).reduce((sum, b) => sum + b, 0);
    const bytesDone = doneBytes + (p?.bytesDone ?? 0);
    const bytesTotal = Math.max(bytesDone, doneBytes + currentTotal + pending);
    const filesDone = doneFiles + (p?.filesDone ?? 0);
    const filesTotal = doneFiles + (p?.filesTotal ?? 0);
    const ratio = bytesTotal > 0 ? bytesDone / bytesTotal : filesTotal > 0 ? filesDone / filesTotal : 0;
    const etaSeconds = p !== undefined && p.bytesPerSecond > 0 ? Math.ceil((bytesTotal - bytesDone) / p.bytesPerSecond) : null;
    return {
      totalProgress: Math.min(99, Math.floor(ratio * 100)),
      bytesDone,
      bytesTotal,
      filesDone,
      filesTotal,
      copyPhase: p?.phase ?? 'sizing',
      etaSeconds,
      step: Math.min(index + 1, run.steps),
      steps: run.steps,
    };
  }

  /** Stops the run and waits until it settled (its outcome is not reported). */
  async abort(key: string, reason: string): Promise<void> {
    const run = this.runs.get(key);
    if (run === undefined) return;
    run.controller.abort(new Error(reason));
    await run.settled;
  }

  /** Stops every run (plugin shutdown); their checkpoints let the next start resume. */
  async close(): Promise<void> {
    const runs = [...this.runs.values()];
    for (const run of runs) run.controller.abort(new Error('plugin stopping'));
    await Promise.allSettled(runs.map((r) => r.settled));
  }

  private async copyAll(run: Run, steps: readonly CopyStep[]): Promise<CopySummary> {
    const summary = { bytesCopied: 0, bytesTotal: 0, filesCopied: 0, filesSkipped: 0, resumed: false };
    const { signal } = run.controller;
    if (steps.length > 1) run.estimates = await Promise.all(steps.map((s) => apparentBytes(s.source)));
    for (const [index, step] of steps.entries()) {
      signal.throwIfAborted();
      if ((await step.alreadyDone?.()) === true) {
        run.finished.push({ bytes: run.estimates[index] ?? 0, files: 0 });
        summary.resumed = true;
        continue;
      }
      await mkdir(step.destination, { recursive: true, mode: 0o700 });
      await mkdir(dirname(step.checkpointPath), { recursive: true, mode: 0o700 });
      if (await exists(step.checkpointPath)) summary.resumed = true;
      const job = this.copier.copyTree(
        { source: step.source, destination: step.destination, verify: 'xxh128', checkpointPath: step.checkpointPath, bandwidthBytesPerSecond: this.bandwidthBytesPerSecond, ignore: [] },
        signal,
      );
      run.current = { job, index };
      const result = await job.done;
      await step.finish?.();
      const p = job.progress();
      run.finished.push({ bytes: p.bytesTotal, files: p.filesTotal });
      run.current = undefined;
      summary.bytesCopied += result.bytesCopied;
      summary.bytesTotal += p.bytesTotal;
      summary.filesCopied += result.filesCopied;
      summary.filesSkipped += result.filesSkipped;
    }
    return summary;
  }
}

/** FAILED_PRECONDITION (MIGRATION_WRONG_PHASE) for `call` on a migration in `phase`. */
export function wrongPhase(migrationId: string, phase: string, call: string): FailedPreconditionError {
  return new FailedPreconditionError('MIGRATION_WRONG_PHASE', `${call} is not allowed: migration ${migrationId} is ${phase}`, { migrationId, phase });
}

/** The request's migration_id: required, one safe path component. */
export function migrationIdOf(id: string): string {
  if (id === '') throw new MissingFieldError('migration_id');
  return checkName('migration_id', id);
}

/** A short stable digest of a Start's arguments; a replay with another digest is ALREADY_EXISTS. */
export function fingerprintOf(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
