/**
 * reset_task_state (manila-migration-behaviour 6): only Manila's TASK_STATE_STATUSES and null
 * are accepted; null clears; ferry's equivalent of "the poller reacts on its next tick" is that
 * a busy value moves the active migration to the phase that runs in it and the runner resumes.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TaskState } from '../../../src/domain/statuses.js';
import { assertFerryError, dataDirOf, prepareDummyShare, startMigrationFerry, type MigrationFerry } from '../../helpers/migration-harness.js';

const COPIED = ['migration_starting', 'migration_in_progress', 'data_copying_starting', 'data_copying_in_progress', 'data_copying_completing', 'data_copying_completed'];

/** Resolves once the share's latest migration has recorded `count` task_states. */
async function waitForHistoryLength(h: MigrationFerry, shareId: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const history = await h.history(shareId);
    if (history.length >= count) return history;
    if (Date.now() > deadline) throw new Error(`history stayed ${history.join(' > ')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('share migration reset_task_state', () => {
  it('refuses values Manila does not accept with INVALID_ARGUMENT INVALID_TASK_STATE', async (t) => {
    const h = await startMigrationFerry(t);
    const share = await prepareDummyShare(h, { snapshot: false });
    for (const bogus of ['bogus', 'migration_driver_starting', 'migration_cancel_in_progress', '']) {
      const error = await assertFerryError(h.ferry.resetTaskState(share.id, bogus as TaskState), 'INVALID_ARGUMENT', 'INVALID_TASK_STATE');
      assert.deepEqual(error.fieldViolations.map((violation) => violation.field), ['task_state']);
    }
    assert.equal((await h.ferry.getShare(share.id)).taskState, null, 'nothing was written');
    await assertFerryError(h.ferry.resetTaskState('no-such-share', null), 'NOT_FOUND', 'SHARE_NOT_FOUND');
  });

  it('null clears a failed migration\'s task_state; the share can migrate again', async (t) => {
    const h = await startMigrationFerry(t);
    h.setRules('dummy2', { createShareInstance: { fail: { code: 'INTERNAL', reason: 'CREATE_BROKEN' } } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha', { forceHostAssistedMigration: true });
    await h.waitForTaskState(share.id, ['migration_error']);

    const cleared = await h.ferry.resetTaskState(share.id, null);
    assert.equal(cleared.taskState, null);
    assert.equal(cleared.status, 'available');
    await assertFerryError(h.ferry.migrationGetProgress(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_IN_PROGRESS');

    h.setRules('dummy2', {});
    await h.start(share.id, 'ferry@dummy2#alpha', { forceHostAssistedMigration: true });
    await h.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);
    assert.deepEqual(await h.history(share.id), COPIED, 'a new migration with its own history');
  });

  it('null during a running migration stops it where it stands, instances left for the operator', async (t) => {
    const h = await startMigrationFerry(t);
    const hold = h.holdFile('continue');
    h.setRules('dummy1', { migrationContinue: { holdUntilFile: hold } });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha');
    await h.entered('dummy1', 'migrationContinue');

    const events: string[] = [];
    const unsubscribe = h.ferry.onMigrationEvent((event) => events.push(event.taskState));
    t.after(unsubscribe);
    await h.ferry.resetTaskState(share.id, 'migration_error');
    assert.deepEqual(events, ['migration_error'], 'the reset is published like any task_state change');
    const { share: after, source, destination } = await h.instances(share.id);
    assert.equal(after.taskState, 'migration_error');
    assert.equal(after.migration?.active, false);
    assert.equal(after.migration?.outcome, 'error');
    assert.equal(source?.status, 'migrating', 'Manila: no clean-up on reset');
    assert.equal(destination?.status, 'migrating_to');
    await h.ferry.resetTaskState(share.id, null);
    assert.equal((await h.ferry.getShare(share.id)).taskState, null);
    await assertFerryError(h.ferry.migrationCancel(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_IN_PROGRESS');
  });

  it('a busy value resumes the runner in that phase: data_copying_starting copies again', async (t) => {
    const h = await startMigrationFerry(t);
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha', { forceHostAssistedMigration: true });
    await h.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);
    // Written on the back end after the first copy: only a second copy brings it over.
    writeFileSync(join(dataDirOf((await h.instances(share.id)).source!), 'late'), 'late');

    // A state of the other path is refused: ferry would poll a driver migration that never began.
    await assertFerryError(h.ferry.resetTaskState(share.id, 'migration_driver_in_progress'), 'INVALID_ARGUMENT', 'INVALID_TASK_STATE');
    assert.equal((await h.ferry.getShare(share.id)).taskState, 'data_copying_completed');

    await h.ferry.resetTaskState(share.id, 'data_copying_starting');
    const history = await waitForHistoryLength(h, share.id, COPIED.length + 4);
    assert.deepEqual(history, [...COPIED, 'data_copying_starting', 'data_copying_in_progress', 'data_copying_completing', 'data_copying_completed']);
    await h.waitForTaskState(share.id, ['data_copying_completed']);

    await h.ferry.migrationComplete(share.id);
    await h.waitForTaskState(share.id, ['migration_success', 'migration_error']);
    const after = await h.ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_success', after.migration?.error);
    assert.equal(readFileSync(join(dataDirOf(after.instances[0]!), 'late'), 'utf8'), 'late');
  });

  it('a busy value resumes the runner in that phase: migration_driver_in_progress polls the driver again', async (t) => {
    const h = await startMigrationFerry(t, { progressStep: 100 });
    const share = await prepareDummyShare(h, { snapshot: false });
    await h.start(share.id, 'ferry@dummy2#alpha');
    await h.waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']);
    const polls = h.enteredCount('dummy1', 'migrationContinue');

    await h.ferry.resetTaskState(share.id, 'migration_driver_in_progress');
    const history = await waitForHistoryLength(h, share.id, 7);
    assert.deepEqual(history.slice(4), ['migration_driver_phase1_done', 'migration_driver_in_progress', 'migration_driver_phase1_done']);
    assert.ok(h.enteredCount('dummy1', 'migrationContinue') > polls, 'MigrationContinue was called again');
    await h.waitForTaskState(share.id, ['migration_driver_phase1_done']);
    await h.ferry.migrationComplete(share.id);
    await h.waitForTaskState(share.id, ['migration_success', 'migration_error']);
    assert.equal((await h.ferry.getShare(share.id)).host, 'ferry@dummy2#alpha');
  });
});
