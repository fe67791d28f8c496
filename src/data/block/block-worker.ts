/**
 * The block copy's piscina worker: one range per task (range-copy.ts). Failures are returned
 * as plain BlockFailure records, never thrown, because Error subclasses do not survive the
 * thread boundary on Node 20; the copier rebuilds the typed error.
 */
import { initHashing } from '../verify.js';
import { copyRange, RangeFailure } from './range-copy.js';
import type { BlockTask, BlockTaskResult } from './types.js';

// xxh128 hashers compile their WebAssembly once per thread.
await initHashing();

export default function run(task: BlockTask): BlockTaskResult {
  if (task.kind === 'warm') return { ok: true, index: -1 };
  try {
    return copyRange(task);
  } catch (error) {
    if (error instanceof RangeFailure) return error.failure;
    return { ok: false, reason: 'COPY_FAILED', message: `unexpected volume copy failure: ${(error as Error)?.stack ?? String(error)}`, path: '', offset: -1 };
  }
}
