/**
 * `npm run bench`: checks the arguments once (so --help prints one usage and a typo fails
 * before anything is built), then runs the data-engine benchmark and the volume-copy
 * benchmark one after the other with the same arguments. Exits with the first failure's code.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchArgsOrExit } from './bench-args.js';

const args = process.argv.slice(2);
benchArgsOrExit(args);
for (const script of ['data-bench.js', 'block-bench.js']) {
  const { status, signal } = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? (signal === null ? 1 : 128));
}
