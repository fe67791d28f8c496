import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseStep, describeChoice, recordStep } from '../../../src/data/copy-method.js';
import { createSharedState, SharedState } from '../../../src/data/shared-state.js';

const MiB = 1024 * 1024;

describe("copyMethod 'auto'", () => {
  it('samples both methods, then prefers the faster one and still probes the other now and then', () => {
    const state = new SharedState(createSharedState());
    assert.equal(describeChoice(state), null);
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const step = chooseStep(state);
      seen.add(step);
      // copy offload twice as fast per byte here
      recordStep(state, step, step === 'offload' ? 4 * MiB : 8 * MiB, 8 * MiB);
    }
    assert.deepEqual([...seen].sort(), ['offload', 'readwrite']);
    const picks = Array.from({ length: 64 }, () => chooseStep(state));
    const offload = picks.filter((s) => s === 'offload').length;
    assert.ok(offload >= 60 && offload < 64, `offload picked ${offload} of 64`);
    assert.match(describeChoice(state) ?? '', /preferred copy_file_range/);
  });
});
