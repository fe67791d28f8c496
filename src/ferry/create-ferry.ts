/**
 * createFerry: the embeddable ferry. Composes the real adapters — SQLite store, plugin host
 * with its driver port, the data service — with the orchestrator, and returns the Ferry
 * operations (src/orchestrator/ferry-api.ts). The daemon and the admin API are thin layers
 * over what this returns; a team embedding ferry calls it directly.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { createDataService } from '../data/share-copy.js';
import { createDriverPort, createPluginHost, type PluginHost, type PluginOptions } from '../host/index.js';
import type { DataServiceSettings } from '../orchestrator/context.js';
import type { Ferry } from '../orchestrator/ferry-api.js';
import { createOrchestrator } from '../orchestrator/orchestrator.js';
import { createSqliteStore } from '../store/index.js';

export interface DataServiceOptions extends Partial<DataServiceSettings> {
  /** mount_tmp_location: parent of the data service's mount points; default <tmpdir>/ferry-mounts. */
  readonly mountTmpLocation?: string;
  /** data_node_mount_options: extra mount options per protocol (lower-case keys). */
  readonly mountOptions?: Readonly<Record<string, string>>;
  /** Copy-engine worker threads; default: available parallelism. */
  readonly threads?: number;
  /** Bandwidth limit of one copy, bytes per second; 0 = unlimited. */
  readonly bandwidthBytesPerSecond?: number;
}

export interface FerryOptions {
  /** Where ferry keeps its store, plugin sockets and copy checkpoints. */
  readonly dataDir: string;
  /** The back ends: one plugin instance each. */
  readonly backends: readonly PluginOptions[];
  /** The `host` of every `host@backend#pool`; default "ferry". */
  readonly nodeName?: string;
  /** The SQLite file; default <dataDir>/ferry.db. */
  readonly storePath?: string;
  /** migration_driver_continue_update_interval in ms; default 3000 (Manila: 60 s). */
  readonly driverContinueIntervalMs?: number;
  /** server_migration_driver_continue_update_interval in ms; default 10000 (Manila: 900 s). */
  readonly serverContinueIntervalMs?: number;
  /** How often pool reports are refreshed, ms; default 60000. */
  readonly poolRefreshIntervalMs?: number;
  readonly dataService?: DataServiceOptions;
  /** pino logger; default: info to stderr. */
  readonly logger?: Logger;
}

export interface FerryInstance extends Ferry {
  /** The plugin host, for status and diagnostics. */
  readonly plugins: PluginHost;
}

export const DEFAULT_DATA_SERVICE: DataServiceSettings = {
  checkHash: 'sha256',
  migrationIgnoreFiles: ['lost+found'],
  dataNodeAccessIps: ['127.0.0.1'],
  dataNodeAccessAdminUser: '',
  dataNodeAccessCert: '',
};

export async function createFerry(options: FerryOptions): Promise<FerryInstance> {
  const logger = options.logger ?? pino({ level: 'info' }, pino.destination(2));
  mkdirSync(options.dataDir, { recursive: true });
  const store = await createSqliteStore({ path: options.storePath ?? join(options.dataDir, 'ferry.db'), logger });
  const plugins = createPluginHost({ plugins: options.backends, socketRoot: join(options.dataDir, 'run', 'plugins'), logger });
  const service = options.dataService ?? {};
  const data = createDataService({
    mountTmpLocation: service.mountTmpLocation ?? join(tmpdir(), 'ferry-mounts'),
    mountOptions: service.mountOptions ?? {},
    threads: service.threads,
    bandwidthBytesPerSecond: service.bandwidthBytesPerSecond,
    logger,
  });
  const orchestrator = createOrchestrator({
    store,
    drivers: createDriverPort(plugins),
    data,
    logger,
    settings: {
      nodeName: options.nodeName ?? 'ferry',
      driverContinueIntervalMs: options.driverContinueIntervalMs ?? 3000,
      serverContinueIntervalMs: options.serverContinueIntervalMs ?? 10_000,
      poolRefreshIntervalMs: options.poolRefreshIntervalMs ?? 60_000,
      workDir: options.dataDir,
      dataService: {
        checkHash: service.checkHash ?? DEFAULT_DATA_SERVICE.checkHash,
        migrationIgnoreFiles: service.migrationIgnoreFiles ?? DEFAULT_DATA_SERVICE.migrationIgnoreFiles,
        dataNodeAccessIps: service.dataNodeAccessIps ?? DEFAULT_DATA_SERVICE.dataNodeAccessIps,
        dataNodeAccessAdminUser: service.dataNodeAccessAdminUser ?? '',
        dataNodeAccessCert: service.dataNodeAccessCert ?? '',
        mountTemplates: service.mountTemplates,
      },
    },
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await orchestrator.close();
      await data.close();
      await plugins.close();
      await store.close();
    })());
  try {
    try {
      await plugins.start();
    } catch (error) {
      // A back end that fails to start keeps restarting with backoff; ferry serves the others.
      logger.error({ err: error }, 'a back end did not start');
    }
    await orchestrator.start();
  } catch (error) {
    await close();
    throw error;
  }
  return { ...orchestrator, plugins, close };
}
