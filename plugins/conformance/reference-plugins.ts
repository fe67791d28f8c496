/** The reference plugins the kit runs against when given no command (`npm run conformance`). */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pluginsDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface PluginUnderTest {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly config: Readonly<Record<string, unknown>>;
  /** Only these suites (the lifecycle case always runs). @default every suite */
  readonly suites?: readonly string[];
}

const localfsMain = join(pluginsDir, 'localfs', 'main.js');

export const referencePlugins: readonly PluginUnderTest[] = [
  { label: 'localfs', command: process.execPath, args: [localfsMain], config: { root: '{tmp}/backend' } },
  {
    label: 'localfs-dhss',
    command: process.execPath,
    args: [localfsMain],
    config: { root: '{tmp}/backend', driverHandlesShareServers: true },
    // The share suites create instances without a share server, which a back end that handles
    // share servers refuses by contract (INVALID_ARGUMENT, MISSING_FIELD).
    suites: ['identity', 'pools', 'share-server-migration'],
  },
  // Two pools, so the volume suite's driver migration between pools runs.
  { label: 'block', command: process.execPath, args: [join(pluginsDir, 'block', 'main.js')], config: { root: '{tmp}/backend', pools: ['pool1', 'pool2'] } },
  { label: 'dummy', command: process.execPath, args: [join(pluginsDir, 'dummy', 'main.js')], config: { dataRoot: '{tmp}/data' } },
];
