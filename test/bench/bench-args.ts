/**
 * The command line both benchmarks share. `npm run bench` hands the same arguments to
 * data-bench.js and then block-bench.js, so each accepts every flag and uses its own; anything
 * else (a typo, a missing or malformed value) stops with the usage and exit code 2 before a
 * data set is built, instead of running a quarter of an hour with the flag ignored.
 */

export const DATA_SETS = ['big', 'small', 'mixed', 'empty'] as const;
export const BLOCK_SETS = ['sparse', 'dense'] as const;

export interface BenchArgs {
  readonly json: boolean;
  readonly runs: number;
  readonly threads: number;
  readonly dataSets: readonly (typeof DATA_SETS)[number][];
  readonly blockSets: readonly (typeof BLOCK_SETS)[number][];
}

export const BENCH_USAGE = `usage: npm run bench -- [options]
       node dist/test/bench/data-bench.js [options]    (the data engine only)
       node dist/test/bench/block-bench.js [options]   (the volume copy only)

  --json                 one JSON object per benchmark on stdout instead of its table
                         (progress lines stay on stderr)
  --runs N               timed runs per tool; figures are medians (default 3)
  --threads N            ferry's worker threads (default 2)
  --sets LIST            data sets, comma-separated: ${DATA_SETS.join(',')} (default all)
  --block-sets LIST      volume images, comma-separated: ${BLOCK_SETS.join(',')} (default all)
  --help                 this text`;

export class BenchUsageError extends Error {}

/** Parses argv (without node and the script); throws BenchUsageError naming the bad flag. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs | 'help' {
  let json = false;
  let runs = 3;
  let threads = 2;
  let dataSets: BenchArgs['dataSets'] = DATA_SETS;
  let blockSets: BenchArgs['blockSets'] = BLOCK_SETS;
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new BenchUsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--help':
      case '-h':
        return 'help';
      case '--json':
        json = true;
        break;
      case '--runs':
        runs = positiveInteger(name, value());
        break;
      case '--threads':
        threads = positiveInteger(name, value());
        break;
      case '--sets':
        dataSets = listOf(name, value(), DATA_SETS);
        break;
      case '--block-sets':
        blockSets = listOf(name, value(), BLOCK_SETS);
        break;
      default:
        throw new BenchUsageError(`unknown argument ${JSON.stringify(name)}`);
    }
  }
  return { json, runs, threads, dataSets, blockSets };
}

/** parseBenchArgs for a script's main: prints the usage and exits on --help (0) or bad input (2). */
export function benchArgsOrExit(argv: readonly string[]): BenchArgs {
  try {
    const parsed = parseBenchArgs(argv);
    if (parsed !== 'help') return parsed;
    process.stdout.write(`${BENCH_USAGE}\n`);
    process.exit(0);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n${BENCH_USAGE}\n`);
    process.exit(2);
  }
}

function positiveInteger(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new BenchUsageError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function listOf<T extends string>(name: string, raw: string, known: readonly T[]): T[] {
  const items = raw.split(',').filter((s) => s !== '');
  const unknown = items.filter((s) => !(known as readonly string[]).includes(s));
  if (items.length === 0 || unknown.length > 0) throw new BenchUsageError(`${name} takes a comma-separated list of ${known.join(', ')}; got ${JSON.stringify(raw)}`);
  return [...new Set(items)] as T[];
}
