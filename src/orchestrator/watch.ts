/** The shared loop behind WatchMigration of shares and share servers. */
import type { WatchOptions } from './ferry-api.js';

export interface WatchSource<T> {
  /** Calls `wake` on every committed change of the watched migration; returns an unsubscribe. */
  subscribe(wake: () => void): () => void;
  /** The event to yield now. */
  read(): Promise<T>;
  /** Whether the migration rests (changes only on an operator's action). */
  resting(): Promise<boolean>;
}

/**
 * Yields an event at once, then on every change (and every `intervalMs` for live progress),
 * until the migration rests or the signal aborts. Resting is read before and after the event,
 * and the stream ends only when both agree: then the last event shows the resting state.
 * (Checking only after the yield ended the stream on a stale event whenever the migration came
 * to rest meanwhile.) A change after `wakeUp` was created resolves it, so the next round sees it.
 */
export async function* watchUntilResting<T>(source: WatchSource<T>, options: WatchOptions = {}): AsyncGenerator<T> {
  const interval = options.intervalMs ?? 1000;
  let wake: (() => void) | undefined;
  const unsubscribe = source.subscribe(() => wake?.());
  const onAbort = () => wake?.();
  options.signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      const wakeUp = new Promise<void>((resolve) => (wake = resolve));
      const restingBefore = await source.resting();
      const event = await source.read();
      const rests = restingBefore && (await source.resting());
      yield event;
      if (rests) return;
      const timer = setTimeout(() => wake?.(), interval);
      await wakeUp;
      clearTimeout(timer);
    }
  } finally {
    unsubscribe();
    options.signal?.removeEventListener('abort', onAbort);
  }
}
