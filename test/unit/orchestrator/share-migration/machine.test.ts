import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MIGRATION_PHASES } from '../../../../src/domain/migration-phases.js';
import { TASK_STATES } from '../../../../src/domain/statuses.js';
import { decide, IllegalTransitionError, type MachineState } from '../../../../src/orchestrator/share-migration/machine.js';
import { derivedProgress, RESTING_PHASES } from '../../../../src/orchestrator/share-migration/states.js';
import { TRANSITIONS } from '../../../../src/orchestrator/share-migration/transitions.js';

const state = (phase: MachineState['phase'], taskState: MachineState['taskState'], outcome: MachineState['outcome'] = null, method: MachineState['method'] = 'driver_assisted'): MachineState => ({ phase, taskState, outcome, method });

describe('share-migration machine: every row of the transitions table', () => {
  for (const row of TRANSITIONS) {
    it(`${row.from} --${row.event}--> ${row.to}`, () => {
      const before = state(row.from, 'migration_in_progress', row.event === 'rolled_back' ? 'error' : null);
      const after = decide(before, { type: row.event, fallbackAllowed: false });
      if (row.event === 'cancel_failed' || row.event === 'rolled_back') return; // resolved by outcome, see below
      assert.equal(after.phase, row.to);
      assert.equal(after.taskState, row.taskState === 'keep' ? before.taskState : row.taskState);
    });
  }
});

describe('share-migration machine: decisions beyond the table', () => {
  it('starts on the driver unless forced, and records the method', () => {
    assert.deepEqual(decide(state('accepted', 'migration_starting', null, null), { type: 'begin_driver' }), state('driver_prepare', 'migration_in_progress', null, 'driver_assisted'));
    assert.deepEqual(decide(state('accepted', 'migration_starting', null, null), { type: 'begin_host' }), state('host_prepare', 'migration_in_progress', null, 'host_assisted'));
  });

  it('a refused driver path falls back to host-assisted only when allowed', () => {
    const refused = decide(state('driver_prepare', 'migration_in_progress'), { type: 'driver_refused', fallbackAllowed: true });
    assert.deepEqual(refused, state('driver_rollback', 'migration_in_progress', null));
    assert.deepEqual(decide(refused, { type: 'rolled_back' }), state('host_prepare', 'migration_in_progress', null, 'host_assisted'));
    const forbidden = decide(state('driver_prepare', 'migration_in_progress'), { type: 'driver_refused', fallbackAllowed: false });
    assert.deepEqual(decide(forbidden, { type: 'rolled_back' }), state('finished', 'migration_error', 'error'));
  });

  it('a failed MigrationContinue never falls back', () => {
    const failed = decide(state('driver_poll', 'migration_driver_in_progress'), { type: 'driver_failed', fallbackAllowed: true });
    assert.equal(failed.outcome, 'error');
    assert.deepEqual(decide(failed, { type: 'rolled_back' }), state('finished', 'migration_error', 'error'));
  });

  it('a cancelled copy ends in migration_cancelled (Manila: migration_success)', () => {
    const cancelled = decide(state('data_copy', 'data_copying_in_progress', null, 'host_assisted'), { type: 'cancel_requested' });
    assert.deepEqual(cancelled, state('host_rollback', 'data_copying_cancelled', 'cancelled', 'host_assisted'));
    assert.deepEqual(decide(cancelled, { type: 'rolled_back' }), state('finished', 'migration_cancelled', 'cancelled', 'host_assisted'));
  });

  it('a failed copy passes data_copying_error, then ends in migration_error', () => {
    const failed = decide(state('data_copy', 'data_copying_in_progress', null, 'host_assisted'), { type: 'copy_failed' });
    assert.equal(failed.taskState, 'data_copying_error');
    assert.equal(decide(failed, { type: 'rolled_back' }).taskState, 'migration_error');
  });

  it('a failed driver cancel returns to where the cancel was asked', () => {
    const fromPoll = decide(state('driver_poll', 'migration_driver_in_progress'), { type: 'cancel_requested' });
    assert.equal(decide(fromPoll, { type: 'cancel_failed' }).phase, 'driver_poll');
    const fromDone = decide(state('driver_phase1_done', 'migration_driver_phase1_done'), { type: 'cancel_requested' });
    assert.equal(decide(fromDone, { type: 'cancel_failed' }).phase, 'driver_phase1_done');
    assert.equal(decide(decide(fromDone, { type: 'cancelled' }), { type: 'rolled_back' }).taskState, 'migration_cancelled');
  });

  it('refuses an event the current phase does not take', () => {
    assert.throws(() => decide(state('driver_poll', 'migration_driver_in_progress'), { type: 'complete_requested' }), IllegalTransitionError);
    assert.throws(() => decide(state('finished', 'migration_success', 'success'), { type: 'cancel_requested' }), IllegalTransitionError);
  });

  it('every phase but the resting ones has a way out, and every phase is reachable', () => {
    for (const phase of MIGRATION_PHASES) {
      if (phase !== 'finished') assert.ok(TRANSITIONS.some((t) => t.from === phase), `${phase} has no transition out`);
      if (phase !== 'accepted' && phase !== 'host_prepare' && phase !== 'finished') assert.ok(TRANSITIONS.some((t) => t.to === phase), `${phase} is unreachable`);
    }
    assert.deepEqual([...RESTING_PHASES].sort(), ['data_copy_done', 'driver_phase1_done', 'finished']);
  });

  it('derives progress for every task_state (Manila 4.4)', () => {
    for (const taskState of TASK_STATES) assert.ok([0, 100].includes(derivedProgress(taskState)));
    assert.equal(derivedProgress('migration_in_progress'), 0);
    assert.equal(derivedProgress('migration_driver_phase1_done'), 100);
  });
});
