/**
 * startDaemon: composes the plugin host and the gRPC server. Today the server carries
 * grpc.health.v1: "" is SERVING once the daemon is up, and each back end has its own
 * service name `ferry.backend.<name>` that follows its plugin (SERVING while ready). The
 * admin API services join this server as they are built.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { createPluginHost, type PluginHost } from '../host/index.js';
import type { DaemonConfig } from './default-config.js';

export interface RunningDaemon {
  /** The address the server bound, e.g. 127.0.0.1:41235. */
  readonly address: string;
  readonly plugins: PluginHost;
  /** Stops the server and every plugin. Idempotent. */
  close(): Promise<void>;
}

export const backendHealthName = (backend: string) => `ferry.backend.${backend}`;

export async function startDaemon(config: DaemonConfig, logger: Logger): Promise<RunningDaemon> {
  mkdirSync(config.dataDir, { recursive: true });
  const plugins = createPluginHost({ plugins: config.plugins, socketRoot: join(config.dataDir, 'run', 'plugins'), logger });
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  for (const plugin of config.plugins) health.setStatus(backendHealthName(plugin.name), 'NOT_SERVING');
  plugins.onStatus((status) => health.setStatus(backendHealthName(status.name), status.state === 'ready' ? 'SERVING' : 'NOT_SERVING'));

  const server = new Server();
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(config.listen, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  const host = config.listen.slice(0, config.listen.lastIndexOf(':'));
  const address = `${host}:${port}`;

  try {
    await plugins.start();
  } catch (error) {
    // A back end that fails to start keeps restarting with backoff; the daemon still serves the others.
    logger.error({ err: error }, 'a back end did not start');
  }
  health.setStatus('', 'SERVING');

  let closing: Promise<void> | undefined;
  return {
    address,
    plugins,
    close: () =>
      (closing ??= (async () => {
        health.setStatus('', 'NOT_SERVING');
        await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        await plugins.close();
      })()),
  };
}
