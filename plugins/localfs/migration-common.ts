/**
 * What localfs's two migration services share. Share migration (the SOURCE plugin copies into
 * a peer's tree) and share-server migration (the DESTINATION plugin copies out of a peer's
 * tree) both keep one durable record per migration id, run phase 1 as background copies that
 * resume from checkpoints after a restart, and answer the contract's phase errors the same way.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { createKeyedOperations, pathExists } from '../sdk/index.js';
import type { LocalFsBackend } from './backend.js';
import { AlreadyExistsError, FailedPreconditionError, InternalError, MissingFieldError, NotFoundError } from '../../src/domain/errors.js';
import type { CopyPhase, TreeCopier, TreeCopyJob } from './copier.js';
import { apparentBytes } from './disk.js';
import { checkName } from './layout.js';
import { readJson, writeJsonAtomic, type CopySummary, type MigrationPhase } from './metadata-store.js';

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
  /** `step` is the step that failed (undefined when the run failed before any). */
  failed(error: Error, step: CopyStep | undefined): Promise<void>;
}

/** A step's failure, carrying the step so the caller can name its paths. */
class StepError extends Error {
  constructor(
    readonly step: CopyStep,
    readonly error: Error,
  ) {
    super(error.message);
  }
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

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
        (error: unknown) => {
          if (controller.signal.aborted) return undefined;
          return error instanceof StepError ? outcome.failed(error.error, error.step) : outcome.failed(asError(error), undefined);
        },
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
      if (await pathExists(step.checkpointPath)) summary.resumed = true;
      let job: TreeCopyJob;
      let result;
      try {
        for (let attempt = 1; ; attempt += 1) {
          job = this.copier.copyTree(
            { source: step.source, destination: step.destination, verify: 'xxh128', checkpointPath: step.checkpointPath, bandwidthBytesPerSecond: this.bandwidthBytesPerSecond, ignore: [] },
            signal,
          );
          run.current = { job, index };
          try {
            result = await job.done;
            break;
          } catch (error) {
            // The source stays writable during phase 1, so a file may be deleted between its
            // listing and its copy. The engine rightly fails on that; here the next
            // (incremental, checkpointed) pass simply no longer sees it.
            if (!isVanished(error) || attempt >= VANISHED_RETRIES || signal.aborted) throw error;
          }
        }
        await step.finish?.();
      } catch (error) {
        throw new StepError(step, asError(error));
      }
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

/** Passes of one copy step before a source that keeps losing files counts as a failure. */
const VANISHED_RETRIES = 5;

function isVanished(error: unknown): boolean {
  return (error as { reason?: unknown } | null)?.reason === 'SOURCE_VANISHED';
}

/** What both kinds of migration record say about phase 1. */
export interface PhaseOneRecord extends MigrationRecordBase {
  /** Identifies Start's arguments; a replay with others is ALREADY_EXISTS. */
  readonly fingerprint: string;
  readonly phase: MigrationPhase;
  readonly phase1Attempts: number;
  readonly phase1?: CopySummary;
  readonly error?: string;
}

/**
 * Continue's answer from the record: true once phase 1 is done (and stays so), INTERNAL
 * BACKEND_ERROR for a failed copy, MIGRATION_WRONG_PHASE once finished; `whileCopying` runs
 * while the copy is under way (to check the peer, or restart a copy that is not running).
 */
export async function continueAnswer(record: PhaseOneRecord, call: string, whileCopying: () => Promise<void>): Promise<boolean> {
  switch (record.phase) {
    case 'completed':
    case 'cancelled':
      throw wrongPhase(record.migrationId, record.phase, call);
    case 'failed':
      throw new InternalError(record.error ?? `migration ${record.migrationId} phase 1 failed`, { reason: 'BACKEND_ERROR', metadata: { migrationId: record.migrationId } });
    case 'phase1_done':
    case 'completing':
      return true;
    case 'copying':
      await whileCopying();
      return false;
  }
}

/** GetProgress's answer: the running copy's real bytes and files, 100 only once phase 1 is done. */
export function progressAnswer(record: PhaseOneRecord, running: CopyRunProgress | undefined, call: string): { totalProgress: number; copiedBytes: number; totalBytes: number; details: Record<string, string> } {
  const details: Record<string, string> = { phase: record.phase, phase1_attempts: String(record.phase1Attempts) };
  switch (record.phase) {
    case 'completed':
    case 'cancelled':
      throw wrongPhase(record.migrationId, record.phase, call);
    case 'phase1_done':
    case 'completing': {
      const p = record.phase1;
      if (p !== undefined) Object.assign(details, { files_copied: String(p.filesCopied), files_skipped: String(p.filesSkipped), resumed: String(p.resumed) });
      return { totalProgress: 100, copiedBytes: p?.bytesTotal ?? 0, totalBytes: p?.bytesTotal ?? 0, details };
    }
    case 'failed':
    case 'copying': {
      if (record.error !== undefined) details.error = record.error;
      if (running === undefined) return { totalProgress: 0, copiedBytes: 0, totalBytes: 0, details };
      Object.assign(details, { files_done: String(running.filesDone), files_total: String(running.filesTotal), copy_phase: running.copyPhase });
      if (running.steps > 1) details.step = `${running.step}/${running.steps}`;
      if (running.etaSeconds !== null) details.eta_seconds = String(Math.round(running.etaSeconds));
      return { totalProgress: running.totalProgress, copiedBytes: running.bytesDone, totalBytes: running.bytesTotal, details };
    }
  }
}

/**
 * The base of both migration services: their records, their background copies, one keyed call
 * at a time per migration id, resuming phase 1 at plugin start, and the Continue and
 * GetProgress answers that follow from the record.
 */
export abstract class PhaseOneMigrations<R extends PhaseOneRecord> {
  protected readonly ops = createKeyedOperations();
  protected readonly records: MigrationRecords<R>;
  protected readonly copies: BackgroundCopies;

  constructor(
    protected readonly backend: LocalFsBackend,
    recordsDir: string,
    private readonly kind: string,
  ) {
    this.records = new MigrationRecords<R>(recordsDir);
    this.copies = new BackgroundCopies(backend.copier, backend.config.migrationBandwidthBytesPerSecond, backend.logger);
  }

  /** At plugin start: resume every phase-1 copy a previous process left running; drop old finished records. */
  async resume(): Promise<void> {
    const records = await this.records.list();
    for (const record of records) {
      if (record.phase !== 'copying') continue;
      this.backend.logger.info({ migrationId: record.migrationId }, `resuming ${this.kind} phase 1 from its checkpoint`);
      await this.startPhase1(record);
    }
    await this.records.expire(records);
  }

  /** Stops background copies (plugin shutdown); their checkpoints let the next start resume. */
  close(): Promise<void> {
    return this.copies.close();
  }

  /** Starts (or resumes from its checkpoints) the background phase-1 copy of a migration. */
  protected abstract startPhase1(record: R): Promise<void>;

  /** UNAVAILABLE (PEER_UNAVAILABLE) when the other back end's root cannot be reached. */
  protected abstract requirePeer(record: R): Promise<void>;

  /**
   * Start of an id that has a record: other arguments are ALREADY_EXISTS, a finished one
   * MIGRATION_WRONG_PHASE; otherwise a replay, which only restarts a copy that is not running.
   */
  protected async replayStart(existing: R, fingerprint: string, call: string): Promise<void> {
    const { migrationId } = existing;
    if (existing.fingerprint !== fingerprint) throw new AlreadyExistsError(`${this.kind} ${migrationId} was started with other arguments`, { migrationId });
    if (existing.phase === 'completed' || existing.phase === 'cancelled') throw wrongPhase(migrationId, existing.phase, call);
    if (existing.phase === 'copying') await this.restartPhase1IfIdle(migrationId);
  }

  /**
   * Starts phase 1 again when no copy of the migration runs and its record still says copying.
   * The record is re-read after the run check, never taken from before it: a run leaves
   * `copies` only after its outcome is recorded, so a copy that finished while the caller was
   * awaiting shows as phase1_done here instead of being started a second time.
   */
  private async restartPhase1IfIdle(migrationId: string): Promise<void> {
    if (this.copies.has(migrationId)) return;
    const current = await this.records.require(migrationId);
    if (current.phase === 'copying') await this.startPhase1(current);
  }

  /** Continue: see continueAnswer; a copy that is not running (it failed to start) is started again. */
  protected continuePhase1(rawId: string, call: string): Promise<boolean> {
    const migrationId = migrationIdOf(rawId);
    return this.ops.run(migrationId, async () => {
      const record = await this.records.require(migrationId);
      return continueAnswer(record, call, async () => {
        await this.requirePeer(record);
        await this.restartPhase1IfIdle(migrationId);
      });
    });
  }

  /** GetProgress: see progressAnswer. */
  protected async progressOf(rawId: string, call: string): Promise<{ record: R; answer: ReturnType<typeof progressAnswer> }> {
    const migrationId = migrationIdOf(rawId);
    const record = await this.records.require(migrationId);
    return { record, answer: progressAnswer(record, this.copies.progress(migrationId), call) };
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

