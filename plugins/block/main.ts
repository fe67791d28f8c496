/**
 * The block plugin's executable: `node dist/plugins/block/main.js`, started by ferry's plugin
 * host with FERRY_PLUGIN_CONFIG = {"root": "/srv/ferry/block1", ...} (see config.ts and
 * README.md). Configuration is read here and nowhere else.
 */
// The SDK must be imported first: it keeps stdout for the handshake line.
import { serve } from '../sdk/index.js';
import { createBlockDriver } from './driver.js';

await serve(async (env, logger) => {
  const driver = createBlockDriver(env.config, env.name, logger);
  await driver.start();
  return driver;
});
