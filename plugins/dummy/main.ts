/**
 * Entry point of the dummy plugin, run by ferry's plugin host:
 * `node dist/plugins/dummy/main.js` with FERRY_PLUGIN_CONFIG as described in config.ts.
 * A configuration error stops the plugin at start with a message naming the field.
 */
import { serve } from '../sdk/index.js';
import { parseDummyConfig } from './config.js';
import { createDummyDriver } from './driver.js';

await serve((env, logger) => createDummyDriver(parseDummyConfig(env.config), logger));
