/** The volume-migration table: complete, deterministic, and consistent with what the runner does. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VOLUME_MIGRATION_PHASES } from '../../../../src/domain/volumes.js';
import { ABORTABLE_PHASES, decideVolume, IllegalVolumeTransitionError, VOLUME_TRANSITIONS } from '../../../../src/orchestrator/volume-migration/transitions.js';

describe('volume migration transitions', () => {
  it('has exactly one row per (phase, event) and leaves every phase but finished', () => {
    const keys = VOLUME_TRANSITIONS.map((t) => `${t.from}:${t.event}`);
    assert.equal(new Set(keys).size, keys.length, 'no duplicate rows');
    for (const phase of VOLUME_MIGRATION_PHASES) {
      const leaving = VOLUME_TRANSITIONS.filter((t) => t.from === phase);
      if (phase === 'finished') assert.equal(leaving.length, 0, 'finished is final');
      else assert.ok(leaving.length > 0, `${phase} has a way out`);
    }
  });

  it('reaches finished from every phase, and every phase is reachable from accepted', () => {
    const closure = (start: string): Set<string> => {
      const seen = new Set([start]);
      for (let size = 0; size !== seen.size;) {
        size = seen.size;
        for (const t of VOLUME_TRANSITIONS) if (seen.has(t.from)) seen.add(t.to);
      }
      return seen;
    };
    assert.deepEqual([...closure('accepted')].sort(), [...VOLUME_MIGRATION_PHASES].sort());
    for (const phase of VOLUME_MIGRATION_PHASES) assert.ok(closure(phase).has('finished'), `${phase} can finish`);
  });

  it('every abortable phase has an aborted row into rollback with outcome cancelled', () => {
    for (const phase of ABORTABLE_PHASES) {
      const next = decideVolume({ phase, migrationStatus: 'migrating', outcome: null }, 'aborted');
      assert.deepEqual(next, { phase: 'rollback', migrationStatus: 'migrating', outcome: 'cancelled' });
    }
    assert.throws(() => decideVolume({ phase: 'complete', migrationStatus: 'completing', outcome: null }, 'aborted'), IllegalVolumeTransitionError);
  });

  it('follows Cinder\'s migration_status through the generic path and ends a roll-back in error', () => {
    let state = { phase: 'accepted' as const, migrationStatus: 'starting' as const, outcome: null } as Parameters<typeof decideVolume>[0];
    const seen: (string | null)[] = [];
    for (const event of ['generic', 'target_created', 'copied', 'completed', 'old_deleted'] as const) {
      state = decideVolume(state, event);
      seen.push(state.migrationStatus);
    }
    assert.deepEqual(seen, ['migrating', 'migrating', 'completing', 'success', 'success']);
    assert.deepEqual(state, { phase: 'finished', migrationStatus: 'success', outcome: 'success' });
    const failed = decideVolume(decideVolume({ phase: 'host_copy', migrationStatus: 'migrating', outcome: null }, 'failed'), 'rolled_back');
    assert.deepEqual(failed, { phase: 'finished', migrationStatus: 'error', outcome: 'error' });
    assert.deepEqual(decideVolume({ phase: 'delete_old', migrationStatus: 'success', outcome: null }, 'old_delete_failed'), { phase: 'finished', migrationStatus: 'deleting', outcome: 'success' });
  });
});
