/**
 * The localfs plugin's executable: `node dist/plugins/localfs/main.js`, started by ferry's
 * plugin host with FERRY_PLUGIN_CONFIG = {"root": "/srv/ferry/localfs1", ...} (see config.ts
 * and README.md). Configuration is read here and nowhere else.
 */
// The SDK must be imported first: it keeps stdout for the handshake line.
import { serve } from '../sdk/index.js';
import { createLocalFsDriver } from './driver.js';

await serve(async (env, logger) => {
  const driver = createLocalFsDriver(env.config, logger);
  await driver.start();
  return driver;
});
