/**
 * What every part of the orchestrator works with: the three ports, the configuration, the
 * per-share lock, the event bus, a clock and an id source. Built once by createOrchestrator.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataPort, HashAlgorithm } from './data-port.js';
import type { DriverPort } from './driver-port.js';
import type { MigrationEventBus, ServerMigrationEventBus, VolumeMigrationEventBus } from './event-bus.js';
import type { KeyedMutex } from './keyed-mutex.js';
import type { StorePort } from './store-port.js';

/** The data service options of Manila's [DEFAULT] section, in ferry's spelling. */
export interface DataServiceSettings {
  /** check_hash: verify every copied file; ferry's default is sha256 (Manila's is off). */
  readonly checkHash: HashAlgorithm;
  /** migration_ignore_files: bare names skipped at any depth. */
  readonly migrationIgnoreFiles: readonly string[];
  /** data_node_access_ips: identities granted for access type ip. */
  readonly dataNodeAccessIps: readonly string[];
  /** data_node_access_admin_user: identity for access type user ('' = unset). */
  readonly dataNodeAccessAdminUser: string;
  /** data_node_access_cert: identity for access type cert ('' = unset). */
  readonly dataNodeAccessCert: string;
  /**
   * share_mount_template / share_unmount_template per back end: argv with {path}, {export} and
   * {options}; when set they replace the driver's connection info (and its local path).
   */
  readonly mountTemplates?: Readonly<Record<string, { readonly mount: readonly string[]; readonly unmount: readonly string[] }>>;
}

export interface OrchestratorSettings {
  /** The `host` part of every `host@backend#pool` this ferry serves. */
  readonly nodeName: string;
  /** migration_driver_continue_update_interval, in ms. */
  readonly driverContinueIntervalMs: number;
  /** server_migration_driver_continue_update_interval, in ms. */
  readonly serverContinueIntervalMs: number;
  /** How often back ends' pool reports are refreshed, in ms. */
  readonly poolRefreshIntervalMs: number;
  /** Where host-assisted copies keep their checkpoints. */
  readonly workDir: string;
  readonly dataService: DataServiceSettings;
}

export interface OrchestratorContext {
  readonly store: StorePort;
  readonly drivers: DriverPort;
  readonly data: DataPort;
  readonly logger: Logger;
  readonly settings: OrchestratorSettings;
  readonly locks: KeyedMutex;
  readonly events: MigrationEventBus;
  readonly serverEvents: ServerMigrationEventBus;
  readonly volumeEvents: VolumeMigrationEventBus;
  now(): string;
  newId(): string;
}

export function defaultIdSource(): string {
  return randomUUID();
}
