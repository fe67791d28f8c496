/** The reference plugins the kit runs against when given no command (`npm run conformance`). */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pluginsDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface PluginUnderTest {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly config: Readonly<Record<string, unknown>>;
}

export const referencePlugins: readonly PluginUnderTest[] = [
  { label: 'localfs', command: process.execPath, args: [join(pluginsDir, 'localfs', 'main.js')], config: { root: '{tmp}/backend' } },
  { label: 'dummy', command: process.execPath, args: [join(pluginsDir, 'dummy', 'main.js')], config: { dataRoot: '{tmp}/data' } },
];
