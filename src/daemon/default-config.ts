/**
 * The embedded default the daemon runs with when given no configuration: two localfs back ends
 * with two pools each and the dummy back end, all under one data directory, so `npm start` on
 * a fresh machine gives an operator something real to migrate between.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PluginOptions } from '../host/index.js';

/** dist/plugins, found relative to this compiled file (dist/src/daemon). */
const pluginsDir = fileURLToPath(new URL('../../plugins/', import.meta.url));

export const DEFAULT_LISTEN = '127.0.0.1:7474';

export interface DaemonConfig {
  /** Where ferry keeps its state, plugin sockets and the default back ends' data. */
  readonly dataDir: string;
  /** Admin API address, `host:port`; port 0 picks a free port. */
  readonly listen: string;
  readonly plugins: readonly PluginOptions[];
}

export function defaultPlugins(dataDir: string): PluginOptions[] {
  const backends = join(dataDir, 'backends');
  const node = process.execPath;
  return [
    { name: 'localfs1', launch: { command: node, args: [join(pluginsDir, 'localfs', 'main.js')] }, config: { root: join(backends, 'localfs1'), pools: ['pool1', 'pool2'] } },
    { name: 'localfs2', launch: { command: node, args: [join(pluginsDir, 'localfs', 'main.js')] }, config: { root: join(backends, 'localfs2'), pools: ['pool1', 'pool2'] } },
    { name: 'dummy', launch: { command: node, args: [join(pluginsDir, 'dummy', 'main.js')] }, config: { dataRoot: join(backends, 'dummy', 'data'), stateFile: join(backends, 'dummy', 'state.json') } },
  ];
}

/** The configuration from the environment: FERRY_DATA_DIR (default ./.ferry) and FERRY_LISTEN. */
export function configFromEnvironment(env: NodeJS.ProcessEnv, cwd: string): DaemonConfig {
  const dataDir = env.FERRY_DATA_DIR ? env.FERRY_DATA_DIR : join(cwd, '.ferry');
  return { dataDir, listen: env.FERRY_LISTEN ? env.FERRY_LISTEN : DEFAULT_LISTEN, plugins: defaultPlugins(dataDir) };
}
