import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BLOCK_SETS, BenchUsageError, DATA_SETS, parseBenchArgs } from '../../bench/bench-args.js';

describe('benchmark arguments', () => {
  it('defaults, every flag, and --help', () => {
    assert.deepEqual(parseBenchArgs([]), { json: false, runs: 3, threads: 2, dataSets: DATA_SETS, blockSets: BLOCK_SETS });
    assert.deepEqual(parseBenchArgs(['--json', '--runs', '5', '--threads', '4', '--sets', 'small,big,small', '--block-sets', 'dense']), {
      json: true,
      runs: 5,
      threads: 4,
      dataSets: ['small', 'big'],
      blockSets: ['dense'],
    });
    assert.equal(parseBenchArgs(['--runs', '1', '--help']), 'help');
  });

  it('refuses unknown flags and malformed values, naming them', () => {
    const cases: [string[], RegExp][] = [
      [['--hepl'], /unknown argument "--hepl"/],
      [['big'], /unknown argument "big"/],
      [['--runs'], /--runs needs a value/],
      [['--runs', '--json'], /--runs needs a value/],
      [['--runs', '0'], /--runs must be a positive integer, got "0"/],
      [['--threads', '1.5'], /--threads must be a positive integer/],
      [['--sets', 'big,huge'], /--sets takes a comma-separated list of big, small, mixed, empty; got "big,huge"/],
      [['--block-sets', ','], /--block-sets takes/],
    ];
    for (const [argv, message] of cases) assert.throws(() => parseBenchArgs(argv), (error: unknown) => error instanceof BenchUsageError && message.test(error.message), argv.join(' '));
  });
});
