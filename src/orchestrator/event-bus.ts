/** In-process fan-out of committed migration events to watchers and embedders. */
import type { MigrationEvent } from '../domain/resources.js';

export type MigrationNotice = MigrationEvent & { readonly shareId: string };
export type MigrationListener = (notice: MigrationNotice) => void;

export class MigrationEventBus {
  private readonly listeners = new Set<MigrationListener>();

  subscribe(listener: MigrationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers to every listener; one listener's throw never stops the others or the caller. */
  publish(notice: MigrationNotice): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(notice);
      } catch {
        // A watcher's bug must not break the migration that emitted the event.
      }
    }
  }
}
