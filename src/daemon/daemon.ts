/**
 * startDaemon: ferry as a process. createFerry (store, plugins, data service, orchestrator)
 * plus one gRPC server carrying the admin API with reflection, and grpc.health.v1: "" is
 * SERVING once the daemon is up, and each back end has its own service name
 * `ferry.backend.<name>` that follows its plugin (SERVING while ready).
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { registerAdminApi } from '../api/index.js';
import { createFerry, type FerryInstance } from '../ferry/create-ferry.js';
import type { PluginHost } from '../host/index.js';
import type { DaemonConfig } from './config.js';

export interface RunningDaemon {
  /** The address the server bound, e.g. 127.0.0.1:41235. */
  readonly address: string;
  readonly ferry: FerryInstance;
  readonly plugins: PluginHost;
  /** Stops the server, the migrations' work (resumed on the next start), the plugins and the store. Idempotent. */
  close(): Promise<void>;
}

export const backendHealthName = (backend: string) => `ferry.backend.${backend}`;

export async function startDaemon(config: DaemonConfig, logger: Logger): Promise<RunningDaemon> {
  const ferry = await createFerry({ ...config.ferry, logger });
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  for (const backend of config.ferry.backends) health.setStatus(backendHealthName(backend.name), 'NOT_SERVING');
  const follow = (name: string, ready: boolean) => health.setStatus(backendHealthName(name), ready ? 'SERVING' : 'NOT_SERVING');
  for (const status of ferry.plugins.plugins()) follow(status.name, status.state === 'ready');
  ferry.plugins.onStatus((status) => follow(status.name, status.state === 'ready'));

  const server = new Server();
  health.addToServer(server);
  registerAdminApi(server, ferry, { logger });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(config.listen, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
    });
  } catch (error) {
    await ferry.close();
    throw error;
  }
  const host = config.listen.slice(0, config.listen.lastIndexOf(':'));
  health.setStatus('', 'SERVING');

  let closing: Promise<void> | undefined;
  return {
    address: `${host}:${port}`,
    ferry,
    plugins: ferry.plugins,
    close: () =>
      (closing ??= (async () => {
        health.setStatus('', 'NOT_SERVING');
        // Streams (WatchMigration) would hold tryShutdown open; give them a moment, then force.
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 2000);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        });
        await ferry.close();
      })()),
  };
}
