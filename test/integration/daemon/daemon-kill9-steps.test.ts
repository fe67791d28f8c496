/**
 * kill -9 of the real daemon while migration steps run, between two dummy back ends. One daemon
 * takes thirteen shares to different points, the dummy holding a driver call where a step is
 * caught mid-way (holdUntilFile), then it is killed with SIGKILL and started again on the same
 * data directory. The new daemon must re-run each recorded step (the held call is entered again
 * on the new plugin process), and once the holds are released every share ends where the
 * operator can act: finished, rolled back with the source intact, or resting in phase 1 where
 * complete and cancel work.
 *
 *   share  killed in (phase)                         held call
 *   A      migration_in_progress (driver_prepare)    dummy1 MigrationCheckCompatibility
 *   B      migration_driver_starting (driver_start)  dummy1 MigrationStart
 *   C      migration_completing (driver_complete)    dummy2 MigrationUpdateModel, after dummy1's MigrationComplete succeeded
 *   D      migration_in_progress (host_prepare)      dummy2 CreateShareInstance
 *   E      driver_cancel at phase1_done              dummy1 MigrationCancel
 *   F      migration_completing (host_complete)      dummy1 DeleteShareInstance of the source
 *   G      host_rollback of a cancel after the copy  dummy2 DeleteShareInstance of the destination
 *   J      driver_rollback after MigrationContinue   dummy1 MigrationCancel (ferry's clean-up of the
 *          failed (migration_driver_in_progress)     destination; J's hold replaces E's in the rules)
 *   K      data_copying_starting (data_copy)         dummy2 GetConnectionInfo, before the data service reaches it
 *   L      host_rollback of a cancel after the copy  dummy1 UpdateAccess reverting the source's read-only cast
 *          (to localfs1, whose deletion of the destination is not held)
 *   M      migration_completing (host_complete)      as F (M's hold replaces F's in the rules), but the
 *          past the cut-over                         source's deletion finished on dummy1 before the kill
 *                                                    (done by the test while the daemon is down), and
 *                                                    dummy2's UpdateAccess is UNAVAILABLE after the restart
 *   H      migration_driver_phase1_done (resting)    -
 *   I      data_copying_completed (resting)          -
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AccessRulesStatus, ShareStatus } from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import type { Share } from '../../../src/contract/gen/ferry/admin/v1/share.js';
import { MigrationCheckRequest } from '../../../src/contract/gen/ferry/admin/v1/share_migration.js';
import type { AdminClient } from '../../helpers/admin-client.js';
import { createDaemonFixture, destinationOf, filesOf, taskStateName, until, waitForTaskState, type DaemonFixture, type DaemonProcess, type DummyName, type DummyRule } from '../../helpers/daemon-process.js';
import { assertSameTree, createShareWith, D1, D2, L1P1, history, readTree, startMigration, type FileFacts } from '../../helpers/daemon-migration.js';

const KEYS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M'] as const;
type Key = (typeof KEYS)[number];

/** The held call of each share caught mid-step (its hold file is fx.holdFile(share)). */
const HELD: Partial<Record<Key, { backend: DummyName; method: string }>> = {
  A: { backend: 'dummy1', method: 'migrationCheckCompatibility' },
  B: { backend: 'dummy1', method: 'migrationStart' },
  C: { backend: 'dummy2', method: 'migrationUpdateModel' },
  D: { backend: 'dummy2', method: 'createShareInstance' },
  E: { backend: 'dummy1', method: 'migrationCancel' },
  F: { backend: 'dummy1', method: 'deleteShareInstance' },
  G: { backend: 'dummy2', method: 'deleteShareInstance' },
  J: { backend: 'dummy1', method: 'migrationCancel' },
  K: { backend: 'dummy2', method: 'getConnectionInfo' },
  L: { backend: 'dummy1', method: 'updateAccess' },
  M: { backend: 'dummy1', method: 'deleteShareInstance' },
};

/** The order in which the shares are caught in their steps (each hold stays while the next is set). */
const HOLD_ORDER = ['F', 'M', 'G', 'C', 'E', 'J', 'B', 'A', 'K', 'D', 'L'] as const;

describe('daemon kill -9 while migration steps run (dummy back ends)', () => {
  const cleanups: (() => unknown)[] = [];
  let fx: DaemonFixture;
  let first: DaemonProcess;
  let second: DaemonProcess;
  let client: AdminClient;
  const shares = new Map<Key, Share>();
  const originals = new Map<Key, Map<string, FileFacts>>();
  const killedIn = new Map<Key, { taskState: string; phase: string }>();
  const destinations = new Map<Key, string>();
  const afterRestart = new Map<Key, string>();
  let orphans: number[] = [];
  const reentered = new Map<Key, boolean>();

  before(async () => {
    fx = createDaemonFixture({ after: (fn) => cleanups.push(fn) });
    first = await fx.start();
    const c = first.client;
    for (const key of KEYS) {
      const share = await createShareWith(c, D1, { 'a.txt': `alpha ${key}\n`, 'sub/b.txt': `beta ${key}\n`.repeat(100) });
      shares.set(key, share);
      originals.set(key, readTree(filesOf(share.instances[0]!)));
    }
    const id = (key: Key) => shares.get(key)!.id;
    const rules: Record<DummyName, Record<string, DummyRule>> = { dummy1: {}, dummy2: {} };
    /** Holds `key`'s call from now on, runs `action`, and waits until the dummy entered that call. */
    const holdWhile = async (key: Key, action: () => Promise<unknown>) => {
      const { backend, method } = HELD[key]!;
      rules[backend][method] = { holdUntilFile: fx.holdFile(key) };
      fx.setRules(backend, rules[backend]);
      const seen = fx.enteredCount(backend, method);
      await action();
      await fx.entered(backend, method, seen + 1);
    };

    // Phase 1 without holds: C, E, H driver-assisted; F, G, I, M (to dummy2) and L (to localfs1) host-assisted.
    for (const key of ['C', 'E', 'H'] as const) await startMigration(c, id(key), D2);
    for (const key of ['F', 'G', 'I', 'M'] as const) await startMigration(c, id(key), D2, { forceHostAssistedMigration: true });
    await startMigration(c, id('L'), L1P1, { forceHostAssistedMigration: true });
    for (const key of ['C', 'E', 'H'] as const) await waitForTaskState(c, id(key), ['migration_driver_phase1_done']);
    for (const key of ['F', 'G', 'I', 'L', 'M'] as const) await waitForTaskState(c, id(key), ['data_copying_completed']);

    // Then each caught in its step, one hold at a time (a held call keeps waiting when the rules change).
    const actions: Record<(typeof HOLD_ORDER)[number], () => Promise<unknown>> = {
      F: () => c.shares.migrationComplete({ shareId: id('F') }),
      M: () => c.shares.migrationComplete({ shareId: id('M') }),
      G: () => c.shares.migrationCancel({ shareId: id('G') }),
      C: () => c.shares.migrationComplete({ shareId: id('C') }),
      E: () => c.shares.migrationCancel({ shareId: id('E') }),
      // Phase 1 fails (MigrationContinue raises: no fallback, Manila 2.6) while nothing else
      // polls; the rollback's MigrationCancel is held.
      J: async () => {
        rules.dummy1.migrationContinue = { fail: { code: 'INTERNAL', reason: 'BACKEND_ERROR', message: 'injected continue failure' } };
        fx.setRules('dummy1', rules.dummy1);
        await startMigration(c, id('J'), D2);
      },
      B: () => startMigration(c, id('B'), D2),
      A: () => startMigration(c, id('A'), D2),
      K: () => startMigration(c, id('K'), D2, { forceHostAssistedMigration: true }),
      D: () => startMigration(c, id('D'), D2, { forceHostAssistedMigration: true }),
      L: () => c.shares.migrationCancel({ shareId: id('L') }),
    };
    for (const key of HOLD_ORDER) {
      await holdWhile(key, actions[key]);
      if (key === 'J') {
        delete rules.dummy1.migrationContinue;
        fx.setRules('dummy1', rules.dummy1);
      }
    }
    for (const key of KEYS) {
      const share = (await c.shares.getShare({ shareId: id(key) })).share!;
      killedIn.set(key, { taskState: taskStateName(share.taskState), phase: share.migration?.phase ?? '' });
      destinations.set(key, destinationOf(share)?.id ?? '');
    }

    const plugins = [...first.pluginPids.values()];
    await first.kill9();
    // The plugins notice their parent's death (stdin EOF) and exit, held calls included.
    await until(() => plugins.every((pid) => !fx.isOurs(pid)), () => 'the killed daemon\'s plugins to exit', 15_000).catch(() => undefined);
    orphans = plugins.filter((pid) => fx.isOurs(pid));

    // M: the source's deletion on dummy1 completed just before the kill (the dummy's own
    // handler would remove its record and data), so only the destination holds M's files.
    fx.editDummyState('dummy1', (state) => delete state.shares[shares.get('M')!.instances[0]!.id]);
    rmSync(filesOf(shares.get('M')!.instances[0]!), { recursive: true, force: true });
    // The restarted dummy2 is not ready to apply access rules yet (until C's hold is released).
    rules.dummy2.updateAccess = { fail: { code: 'UNAVAILABLE', message: 'injected: dummy2 is not ready' } };
    fx.setRules('dummy2', rules.dummy2);

    const entered = Object.fromEntries(HOLD_ORDER.map((key) => [key, fx.enteredCount(HELD[key]!.backend, HELD[key]!.method)]));
    second = await fx.start();
    client = second.client;
    for (const key of ['H', 'I'] as const) afterRestart.set(key, taskStateName((await client.shares.getShare({ shareId: id(key) })).share!.taskState));
    // Each interrupted step runs again: its held call reaches the new plugin process. Released
    // in the reverse order of the set-up: a hold set later may stand in the way of an earlier
    // share's step (C's MigrationUpdateModel hold delays F's completion), never the other way.
    for (const key of [...HOLD_ORDER].reverse()) {
      const held = HELD[key]!;
      if (key === 'C') {
        delete rules.dummy2.updateAccess;
        fx.setRules('dummy2', rules.dummy2);
      }
      // Asserted by each share's test, after its outcome (which says more when this fails).
      reentered.set(key, await fx.entered(held.backend, held.method, entered[key]! + 1, 10_000).then(() => true, () => false));
      fx.release(fx.holdFile(key));
    }
  });

  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  const id = (key: Key) => shares.get(key)!.id;

  /** The held call of the step `key` was caught in reached the new plugin process: the step ran again. */
  const assertRanAgain = (key: Key) => assert.equal(reentered.get(key), true, `share ${key}'s interrupted ${HELD[key]!.method} was not called again after the restart`);

  /** The matrix's rolled-back row: only the source is left, available, rules no longer read-only, files as they were. */
  async function assertSourceServes(key: Key, share: Share): Promise<void> {
    const source = shares.get(key)!.instances[0]!;
    assert.deepEqual(share.instances.map((instance) => instance.id), [source.id], 'only the source instance is left');
    const now = share.instances[0]!;
    assert.equal(now.status, ShareStatus.SHARE_STATUS_AVAILABLE, 'the source is available');
    assert.equal(now.castRulesToReadonly, false, 'the read-only cast is reverted');
    assert.equal(now.accessRulesStatus, AccessRulesStatus.ACCESS_RULES_STATUS_ACTIVE, 'the source\'s rules are in force');
    assert.equal((fx.dummyState('dummy1').shares[source.id] as { readOnly: boolean } | undefined)?.readOnly, false, 'dummy1 no longer enforces read-only');
    assert.equal(share.host, source.host);
    assertSameTree(readTree(filesOf(now)), originals.get(key)!, `share ${key}'s source`);
    assert.equal(fx.dummyState('dummy1').shares[source.id] !== undefined, true, 'the source is still on dummy1');
  }

  /** Migrated: one instance on dummy2, available, holding the files; the source gone from dummy1. */
  function assertMigrated(key: Key, share: Share, options: { mtimes: boolean }): void {
    assert.equal(share.host, D2);
    assert.equal(share.instances.length, 1, 'one instance');
    assert.equal(share.instances[0]!.status, ShareStatus.SHARE_STATUS_AVAILABLE);
    assertSameTree(readTree(filesOf(share.instances[0]!)), originals.get(key)!, `share ${key} on dummy2`, options);
    assert.equal(fx.dummyState('dummy1').shares[shares.get(key)!.instances[0]!.id], undefined, 'the source is gone from dummy1');
  }

  async function finish(key: Key, action: 'complete' | 'cancel', from: string): Promise<Share> {
    await waitForTaskState(client, id(key), [from]);
    if (action === 'complete') await client.shares.migrationComplete({ shareId: id(key) });
    else await client.shares.migrationCancel({ shareId: id(key) });
    return waitForTaskState(client, id(key), [action === 'complete' ? 'migration_success' : 'migration_cancelled', 'migration_error']);
  }

  it('the killed daemon\'s plugin processes exit by themselves (no orphans), and the new ones serve', () => {
    assert.deepEqual(orphans, [], 'plugin processes outlived the SIGKILLed daemon');
    for (const [name, pid] of second.pluginPids) assert.ok(fx.isOurs(pid), `the new ${name} plugin runs`);
  });

  it('A: killed in migration_in_progress during the compatibility check: the check runs again, phase 1 ends, complete works', async () => {
    assert.equal(killedIn.get('A')!.phase, 'driver_prepare');
    const done = await finish('A', 'complete', 'migration_driver_phase1_done');
    assert.equal(taskStateName(done.taskState), 'migration_success', done.migration?.error);
    assertMigrated('A', done, { mtimes: false });
    assertRanAgain('A');
  });

  it('B: killed in migration_driver_starting during MigrationStart: the start is sent again, phase 1 ends, cancel works', async () => {
    assert.deepEqual(killedIn.get('B'), { taskState: 'migration_driver_starting', phase: 'driver_start' });
    const done = await finish('B', 'cancel', 'migration_driver_phase1_done');
    assert.equal(taskStateName(done.taskState), 'migration_cancelled', done.migration?.error);
    await assertSourceServes('B', done);
    assertRanAgain('B');
  });

  it('C: killed in migration_completing after the driver\'s cut-over: the replayed complete finishes the migration', async () => {
    assert.deepEqual(killedIn.get('C'), { taskState: 'migration_completing', phase: 'driver_complete' });
    const done = await waitForTaskState(client, id('C'), ['migration_success', 'migration_error']);
    assert.equal(taskStateName(done.taskState), 'migration_success', done.migration?.error);
    assertMigrated('C', done, { mtimes: false });
    assertRanAgain('C');
  });

  it('D: killed in migration_in_progress while the destination is created: created again, the copy runs, complete works', async () => {
    assert.deepEqual(killedIn.get('D'), { taskState: 'migration_in_progress', phase: 'host_prepare' });
    const done = await finish('D', 'complete', 'data_copying_completed');
    assert.equal(taskStateName(done.taskState), 'migration_success', done.migration?.error);
    assertMigrated('D', done, { mtimes: true });
    assertRanAgain('D');
  });

  it('E: killed while the driver cancels: the cancel is sent again and the source is restored', async () => {
    assert.equal(killedIn.get('E')!.phase, 'driver_cancel');
    const done = await waitForTaskState(client, id('E'), ['migration_cancelled', 'migration_error']);
    assert.equal(taskStateName(done.taskState), 'migration_cancelled', done.migration?.error);
    await assertSourceServes('E', done);
    assertRanAgain('E');
  });

  it('F: killed in migration_completing while the source is deleted: the deletion finishes, migration_success', async () => {
    assert.deepEqual(killedIn.get('F'), { taskState: 'migration_completing', phase: 'host_complete' });
    const done = await waitForTaskState(client, id('F'), ['migration_success', 'migration_error']);
    assert.equal(taskStateName(done.taskState), 'migration_success', done.migration?.error);
    assertMigrated('F', done, { mtimes: true });
    assertRanAgain('F');
  });

  it('G: killed during the rollback of a cancel after the copy: the destination is deleted, the source restored', async () => {
    assert.equal(killedIn.get('G')!.phase, 'host_rollback');
    const done = await waitForTaskState(client, id('G'), ['migration_cancelled', 'migration_error']);
    assert.equal(taskStateName(done.taskState), 'migration_cancelled', done.migration?.error);
    await assertSourceServes('G', done);
    assert.notEqual(destinations.get('G'), '');
    assert.equal(fx.dummyState('dummy2').shares[destinations.get('G')!], undefined, 'the destination is gone from dummy2');
    assertRanAgain('G');
  });

  it('H: killed resting in migration_driver_phase1_done: still resting after the restart; complete works', async () => {
    assert.deepEqual(killedIn.get('H'), { taskState: 'migration_driver_phase1_done', phase: 'driver_phase1_done' });
    assert.equal(afterRestart.get('H'), 'migration_driver_phase1_done');
    const done = await finish('H', 'complete', 'migration_driver_phase1_done');
    assert.equal(taskStateName(done.taskState), 'migration_success', done.migration?.error);
    assertMigrated('H', done, { mtimes: false });
  });

  it('I: killed resting in data_copying_completed: still resting after the restart; cancel works', async () => {
    assert.deepEqual(killedIn.get('I'), { taskState: 'data_copying_completed', phase: 'data_copy_done' });
    assert.equal(afterRestart.get('I'), 'data_copying_completed');
    const done = await finish('I', 'cancel', 'data_copying_completed');
    assert.equal(taskStateName(done.taskState), 'migration_cancelled', done.migration?.error);
    await assertSourceServes('I', done);
  });

  it('K: killed in data_copying_starting while the data service asks how to reach the destination: asked again, the copy runs, complete works', async () => {
    assert.deepEqual(killedIn.get('K'), { taskState: 'data_copying_starting', phase: 'data_copy' });
    const done = await finish('K', 'complete', 'data_copying_completed');
    assert.equal(taskStateName(done.taskState), 'migration_success', done.migration?.error);
    assertMigrated('K', done, { mtimes: true });
    const rules = (await client.shares.listAccessRules({ shareId: id('K') })).accessRules;
    assert.deepEqual(rules.map((rule) => [rule.accessTo, rule.forDataService]), [['10.0.0.1', false]], 'only the user\'s rule is left; the data service\'s is gone');
    assertRanAgain('K');
  });

  it('L: killed while a rollback reverts the source\'s read-only cast: the revert is sent again, the source is writable', async () => {
    assert.deepEqual(killedIn.get('L'), { taskState: 'data_copying_completed', phase: 'host_rollback' });
    const done = await waitForTaskState(client, id('L'), ['migration_cancelled', 'migration_error']);
    assert.equal(taskStateName(done.taskState), 'migration_cancelled', done.migration?.error);
    await assertSourceServes('L', done);
    assertRanAgain('L');
  });

  it('M: killed past the cut-over after the source was deleted: completes even though applying rules fails now; the destination is kept', async () => {
    assert.deepEqual(killedIn.get('M'), { taskState: 'migration_completing', phase: 'host_complete' });
    const done = await waitForTaskState(client, id('M'), ['migration_success', 'migration_error', 'migration_cancelled']);
    assert.equal(taskStateName(done.taskState), 'migration_success', done.migration?.error);
    assertMigrated('M', done, { mtimes: true });
    assertRanAgain('M');
  });

  it('J: killed while the failed driver attempt is rolled back: the clean-up runs again, migration_error, source intact, a new migration is accepted', async () => {
    assert.deepEqual(killedIn.get('J'), { taskState: 'migration_driver_in_progress', phase: 'driver_rollback' });
    const done = await waitForTaskState(client, id('J'), ['migration_error', 'migration_cancelled', 'migration_success']);
    assert.equal(taskStateName(done.taskState), 'migration_error');
    assert.match(done.migration?.error ?? '', /injected continue failure/);
    await assertSourceServes('J', done);
    assert.equal(fx.dummyState('dummy2').shares[destinations.get('J')!], undefined, 'nothing of the destination on dummy2');
    // migration_error rests: the operator may simply try again.
    const check = await client.shares.migrationCheck(MigrationCheckRequest.fromPartial({ shareId: id('J'), host: D2, writable: false, preserveMetadata: false, preserveSnapshots: false, nondisruptive: false }));
    assert.equal(check.accepted, true, JSON.stringify(check.blockers));
    assertRanAgain('J');
  });

  it('no share is left busy, and only J, whose driver failed, passed through an error', async () => {
    for (const key of KEYS) {
      const share = (await client.shares.getShare({ shareId: id(key) })).share!;
      const resting = key === 'J' ? ['migration_error'] : ['migration_success', 'migration_cancelled'];
      assert.ok(resting.includes(taskStateName(share.taskState)), `share ${key} is ${taskStateName(share.taskState)}`);
      assert.equal(share.migration?.active, false, `share ${key}'s migration is over`);
      assert.ok(share.instances.every((instance) => instance.status === ShareStatus.SHARE_STATUS_AVAILABLE), `share ${key}'s instances are available`);
      const passed = await history(client, id(key));
      if (key !== 'J') assert.ok(!passed.includes('migration_error') && !passed.includes('data_copying_error'), `share ${key}: ${passed.join(' > ')}`);
    }
  });
});
