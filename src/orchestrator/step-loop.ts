/**
 * The loop both migration runners share: one driving loop per active migration that runs the
 * recorded phase's step, commits its event, and goes on until the migration rests. An
 * operator's action aborts the running step (supersede); the loop then runs the new phase.
 * A step that throws (rather than returning a failure event) hit something unexpected, such
 * as the store: it is retried a few times, then the phase is left for the next start.
 */
import type { Logger } from 'pino';

export interface StepLoopSpec<M extends { readonly phase: string }, E> {
  /** The migration as stored now; undefined when it is gone. */
  load(id: string): Promise<M | undefined>;
  /** True when nothing is left to run: inactive, or resting until an operator acts. */
  rests(migration: M): boolean;
  /** The logger with the migration's ids bound. */
  log(migration: M): Logger;
  /** Runs the phase's step and returns the event to commit. */
  step(migration: M, signal: AbortSignal, log: Logger): Promise<E>;
  /** Commits the event if the migration is still in the phase the step ran in; false when superseded. */
  commit(migration: M, event: E): Promise<boolean>;
  /** What the log line of a committed step says about its event. */
  describe(event: E): Record<string, unknown>;
  /** Records why the loop gave up on a phase after repeated crashes. */
  giveUp(migration: M, error: unknown): Promise<void>;
  /** Called when a migration's loop ends (to drop per-loop state). */
  ended?(id: string): void;
}

const CRASH_RETRIES = 3;

export class StepLoops<M extends { readonly phase: string }, E> {
  private readonly controllers = new Map<string, AbortController>();
  private readonly loops = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly spec: StepLoopSpec<M, E>, private readonly logger: Logger) {}

  /** Starts driving the migration unless a loop already does. */
  kick(id: string): void {
    if (this.closing || this.controllers.has(id)) return;
    this.controllers.set(id, new AbortController());
    const loop = this.drive(id)
      .catch((error: unknown) => this.logger.error({ migrationId: id, err: error }, 'migration runner stopped'))
      .finally(() => {
        this.controllers.delete(id);
        this.loops.delete(loop);
        this.spec.ended?.(id);
      });
    this.loops.add(loop);
  }

  /** Aborts the step running for this migration (its phase was changed by an operator). */
  supersede(id: string): void {
    this.controllers.get(id)?.abort();
  }

  /** Stops every loop; the store keeps each migration's phase for the next start. */
  async close(): Promise<void> {
    this.closing = true;
    for (const controller of this.controllers.values()) controller.abort();
    await Promise.allSettled([...this.loops]);
  }

  private async drive(id: string): Promise<void> {
    let crashes = 0;
    for (;;) {
      if (this.closing) return;
      const migration = await this.spec.load(id);
      if (migration === undefined || this.spec.rests(migration)) return;
      let controller = this.controllers.get(id)!;
      if (controller.signal.aborted) {
        controller = new AbortController();
        this.controllers.set(id, controller);
      }
      const log = this.spec.log(migration);
      let event: E;
      try {
        log.debug('step started');
        event = await this.spec.step(migration, controller.signal, log);
        crashes = 0;
      } catch (error) {
        crashes += 1;
        log.error({ err: error, attempt: crashes }, 'migration step crashed');
        if (crashes >= CRASH_RETRIES) {
          await this.spec.giveUp(migration, error);
          return;
        }
        await pause(1000 * crashes, controller.signal);
        continue;
      }
      if (this.closing) return;
      if (controller.signal.aborted) continue; // superseded: the phase changed; run the new one
      if (await this.spec.commit(migration, event)) log.info(this.spec.describe(event), 'migration step done');
    }
  }
}

/** Resolves after ms, or at once when the signal aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
