/**
 * `npm start` / `node dist/src/daemon/main.js [--config FILE]`: the ferry daemon, on its
 * embedded default without a file (see default-config.ts and docs/configuration.md). Prints
 * the address it listens on; stops cleanly on SIGINT or SIGTERM (migrations resume on the
 * next start).
 */
import { pino } from 'pino';
import { loadDaemonConfig } from './config.js';
import { startDaemon } from './daemon.js';

let config;
try {
  config = loadDaemonConfig(process.argv.slice(2), process.env, process.cwd());
} catch (error) {
  process.stderr.write(`ferry: invalid configuration: ${(error as Error).message}\n`);
  process.exit(2);
}
const logger = pino({ level: process.env.FERRY_LOG_LEVEL ?? config.logLevel });

try {
  const daemon = await startDaemon(config, logger);
  for (const status of daemon.plugins.plugins()) {
    logger.info({ plugin: status.name, state: status.state, pluginPid: status.pid, lastError: status.lastError?.message }, 'back end');
  }
  logger.info({ address: daemon.address, dataDir: config.dataDir, configFile: config.configFile ?? '(embedded default)' }, 'ferry daemon listening');
  // One plain line for people and scripts, after the structured logs.
  process.stderr.write(`ferry daemon listening on ${daemon.address} (data: ${config.dataDir})\n`);
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    daemon.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  logger.fatal({ err: error }, 'ferry daemon failed to start');
  process.stderr.write(`ferry: failed to start: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
