/**
 * `npm start`: the ferry daemon on its embedded default (see default-config.ts). Prints the
 * address it listens on and each back end's state; stops cleanly on SIGINT or SIGTERM.
 */
import { pino } from 'pino';
import { configFromEnvironment } from './default-config.js';
import { startDaemon } from './daemon.js';

const logger = pino({ level: process.env.FERRY_LOG_LEVEL ?? 'info' });
const config = configFromEnvironment(process.env, process.cwd());

try {
  const daemon = await startDaemon(config, logger);
  for (const status of daemon.plugins.plugins()) {
    logger.info({ plugin: status.name, state: status.state, pluginPid: status.pid, lastError: status.lastError?.message }, 'back end');
  }
  logger.info({ address: daemon.address, dataDir: config.dataDir }, 'ferry daemon listening');
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
  process.exitCode = 1;
}
