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
      // copy offload a third faster per byte here
      recordStep(state, step, step === 'offload' ? 6 * MiB : 8 * MiB, 8 * MiB);
    }
    assert.deepEqual([...seen].sort(), ['offload', 'readwrite']);
    const picks = Array.from({ length: 64 }, () => chooseStep(state));
    const offload = picks.filter((s) => s === 'offload').length;
    assert.ok(offload >= 60 && offload < 64, `offload picked ${offload} of 64`);
    assert.match(describeChoice(state) ?? '', /preferred copy_file_range/);
  });

  it('stops sampling a method that is clearly slower early and probes it rarely', () => {
    const state = new SharedState(createSharedState());
    const picks: string[] = [];
    for (let i = 0; i < 600; i++) {
      const step = chooseStep(state);
      picks.push(step);
      // small files: read/write three times as fast per byte
      recordStep(state, step, step === 'offload' ? 3 * 64 * 1024 : 64 * 1024, 64 * 1024);
    }
    const offload = picks.filter((s) => s === 'offload').length;
    // 2 MiB of 64 KiB samples is 32 files, then one probe in 256.
    assert.ok(offload >= 32 && offload <= 36, `offload picked ${offload} of 600`);
    assert.match(describeChoice(state) ?? '', /preferred read\/write/);
  });
});
