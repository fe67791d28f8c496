/**
 * One lock per key (a share id): operator actions and the migration runner on the same share
 * take turns, so a check-then-write never races another writer of that share. The store's
 * transactions make each write atomic; this makes each decision see the latest state.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    try {
      await previous;
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Holds every key's lock (taken in sorted order, so two callers never deadlock) while fn runs. */
  async runAll<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const take = (index: number): Promise<T> => (index === sorted.length ? fn() : this.run(sorted[index]!, () => take(index + 1)));
    return take(0);
  }
}
