/** In-process fan-out of committed migration events to watchers and embedders. */
import type { MigrationEvent } from '../domain/resources.js';
import type { VolumeMigrationEvent } from '../domain/volumes.js';

export type MigrationNotice = MigrationEvent & { readonly shareId: string };
/** A share-server migration's event, keyed by its source server. */
export type ServerMigrationNotice = MigrationEvent & { readonly shareServerId: string };
/** A volume migration's event, keyed by the user's volume. */
export type VolumeMigrationNotice = VolumeMigrationEvent & { readonly volumeId: string };

export class EventBus<T> {
  private readonly listeners = new Set<(notice: T) => void>();

  subscribe(listener: (notice: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers to every listener; one listener's throw never stops the others or the caller. */
  publish(notice: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(notice);
      } catch {
        // A watcher's bug must not break the migration that emitted the event.
      }
    }
  }
}

export class MigrationEventBus extends EventBus<MigrationNotice> {}
export class ServerMigrationEventBus extends EventBus<ServerMigrationNotice> {}
export class VolumeMigrationEventBus extends EventBus<VolumeMigrationNotice> {}
