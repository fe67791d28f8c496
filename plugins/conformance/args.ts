/** Command-line arguments of `npm run conformance`. */
import { readFileSync } from 'node:fs';
import { referencePlugins, type PluginUnderTest } from './reference-plugins.js';

export const USAGE = `usage: npm run conformance -- [options] [--] <command> [args...]

Runs the ferry driver conformance kit against the plugin started by <command>
(a second instance serves as the migration peer). Without a command it runs
against plugins/localfs (also with driverHandlesShareServers), plugins/block
and plugins/dummy.

options:
  --config JSON         FERRY_PLUGIN_CONFIG for the plugin; "{tmp}" becomes a fresh temp dir
  --config-file PATH    the same, read from a file
  --peer-config JSON    config of the peer instance (default: --config, its own {tmp})
  --suite NAME          run only this suite (repeatable): lifecycle, identity, pools, shares,
                        resize, access, snapshots, connection-info, share-migration,
                        share-server-migration, volumes
  --json                print the reports as one JSON object instead of text
  -h, --help            this text`;

export interface CliOptions {
  readonly plugins: readonly PluginUnderTest[];
  readonly peerConfig?: Record<string, unknown>;
  readonly suites?: string[];
  readonly json: boolean;
}

export class UsageError extends Error {}

function parseJsonObject(text: string, flag: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag}: not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${flag}: must be a JSON object`);
  return value as Record<string, unknown>;
}

export function parseArgs(argv: readonly string[]): CliOptions | 'help' {
  let config: Record<string, unknown> | undefined;
  let peerConfig: Record<string, unknown> | undefined;
  const suites: string[] = [];
  let json = false;
  let i = 0;
  const value = (flag: string) => {
    const next = argv[++i];
    if (next === undefined) throw new UsageError(`${flag} needs a value`);
    return next;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-')) break;
    if (arg === '-h' || arg === '--help') return 'help';
    else if (arg === '--config') config = parseJsonObject(value(arg), arg);
    else if (arg === '--config-file') config = parseJsonObject(readFileSync(value(arg), 'utf8'), arg);
    else if (arg === '--peer-config') peerConfig = parseJsonObject(value(arg), arg);
    else if (arg === '--suite') suites.push(value(arg));
    else if (arg === '--json') json = true;
    else throw new UsageError(`unknown option ${arg}`);
  }
  const command = argv.slice(i);
  const plugins = command.length === 0
    ? referencePlugins
    : [{ label: command.join(' '), command: command[0]!, args: command.slice(1), config: config ?? {} }];
  if (command.length === 0 && config !== undefined) throw new UsageError('--config needs a plugin command');
  return { plugins, peerConfig, suites: suites.length > 0 ? suites : undefined, json };
}
