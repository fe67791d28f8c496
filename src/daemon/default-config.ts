/**
 * The embedded default the daemon runs with when given no configuration: two localfs back ends
 * with two pools each, two localfs back ends that handle share servers (servers1, servers2),
 * two block back ends with two pools each (block1, block2: volumes as sparse image files, see
 * plugins/block), and the dummy back end, all under one data directory, so `npm start` on a
 * fresh machine gives an operator something real to migrate shares, share servers and volumes
 * between (block1 -> block2 is a driver-assisted move; a forced host copy goes through the data
 * node).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PluginOptions } from '../host/index.js';

/** dist/plugins, found relative to this compiled file (dist/src/daemon). */
const pluginsDir = fileURLToPath(new URL('../../plugins/', import.meta.url));

export const DEFAULT_LISTEN = '127.0.0.1:7474';

export function defaultPlugins(dataDir: string): PluginOptions[] {
  const backends = join(dataDir, 'backends');
  const node = process.execPath;
  return [
    { name: 'localfs1', launch: { command: node, args: [join(pluginsDir, 'localfs', 'main.js')] }, config: { root: join(backends, 'localfs1'), pools: ['pool1', 'pool2'] } },
    { name: 'localfs2', launch: { command: node, args: [join(pluginsDir, 'localfs', 'main.js')] }, config: { root: join(backends, 'localfs2'), pools: ['pool1', 'pool2'] } },
    ...['servers1', 'servers2'].map((name): PluginOptions => ({
      name, launch: { command: node, args: [join(pluginsDir, 'localfs', 'main.js')] }, config: { root: join(backends, name), pools: ['pool1'], driverHandlesShareServers: true },
    })),
    ...['block1', 'block2'].map((name): PluginOptions => ({
      name, launch: { command: node, args: [join(pluginsDir, 'block', 'main.js')] }, config: { root: join(backends, name), pools: ['pool1', 'pool2'] },
    })),
    { name: 'dummy', launch: { command: node, args: [join(pluginsDir, 'dummy', 'main.js')] }, config: { dataRoot: join(backends, 'dummy', 'data'), stateFile: join(backends, 'dummy', 'state.json') } },
  ];
}
