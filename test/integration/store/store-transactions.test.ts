/**
 * transaction(fn): commits together, rolls back together, rethrows fn's own error, serialises,
 * and turns the deadlock-prone misuses (outer store inside fn, tx after fn) into typed errors.
 * Migration events get gap-free sequences per migration.
 */
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { StorePort, StoreTx } from '../../../src/orchestrator/store-port.js';
import {
  accessMapping, accessRule, migration, nextTime, openTempStore, removeTempDirs, seedShare, shareInstance, shareType,
} from './store-fixtures.js';

let store: StorePort;
beforeEach(async () => {
  ({ store } = await openTempStore());
});
afterEach(async () => {
  await store.close();
});
after(removeTempDirs);

describe('transaction', () => {
  it('commits every write of fn and returns its result', async () => {
    const { share: record } = await seedShare(store);
    const instance = shareInstance(record);
    const rule = accessRule(record.id);
    const result = await store.transaction(async (tx) => {
      await tx.insertShareInstance(instance);
      await tx.insertAccessRule(rule);
      await tx.putAccessMapping(accessMapping(rule.id, instance.id));
      await tx.updateShare(record.id, { taskState: 'migration_starting' });
      // Reads inside see the transaction's own writes.
      return (await tx.getShare(record.id))?.taskState;
    });
    assert.equal(result, 'migration_starting');
    assert.equal((await store.listAccessMappings(instance.id)).length, 1);
  });

  it('leaves nothing behind when fn throws, and rethrows the very error fn threw', async () => {
    const { share: record } = await seedShare(store);
    const instance = shareInstance(record);
    const boom = new Error('step failed after two writes');
    await assert.rejects(store.transaction(async (tx) => {
      await tx.insertShareInstance(instance);
      await tx.updateShare(record.id, { taskState: 'migration_in_progress' });
      await tx.insertShareType(shareType());
      throw boom;
    }), (error) => error === boom);
    assert.equal(await store.getShareInstance(instance.id), undefined);
    assert.equal((await store.getShare(record.id))?.taskState, null);
    assert.equal((await store.listShareTypes()).length, 1);
  });

  it('rolls back when a store call inside fails and fn lets the typed error through', async () => {
    const { share: record } = await seedShare(store);
    const instance = shareInstance(record);
    await assert.rejects(store.transaction(async (tx) => {
      await tx.insertShareInstance(instance);
      await tx.updateMigration('no-such-migration', { active: false });
    }), { name: 'NotFoundError', reason: 'MIGRATION_NOT_FOUND' });
    assert.equal(await store.getShareInstance(instance.id), undefined);
  });

  it('refuses a call on the outer store inside fn instead of hanging', async () => {
    const { share: record } = await seedShare(store);
    await assert.rejects(store.transaction(async () => store.getShare(record.id)),
      { name: 'StoreTransactionMisuseError', code: 'INTERNAL', reason: 'STORE_TRANSACTION_MISUSE' });
    await assert.rejects(store.transaction(async () => store.transaction(async () => 1)), { reason: 'STORE_TRANSACTION_MISUSE' });
    // Deeper in fn's async call tree too.
    const helper = async (): Promise<void> => {
      await Promise.resolve();
      await store.updateShare(record.id, { name: 'x' });
    };
    await assert.rejects(store.transaction(async (tx) => {
      await tx.getShare(record.id);
      await helper();
    }), { reason: 'STORE_TRANSACTION_MISUSE' });
    // The store is still usable afterwards.
    assert.equal((await store.getShare(record.id))?.name, record.name);
  });

  it('refuses a tx used after its transaction ended', async () => {
    let leaked: StoreTx | undefined;
    await store.transaction(async (tx) => {
      leaked = tx;
    });
    assert.ok(leaked);
    await assert.rejects(leaked.listShares(), { name: 'StoreTransactionMisuseError', reason: 'STORE_TRANSACTION_MISUSE' });
  });

  it('serialises transactions: concurrent read-modify-write loses no update', async () => {
    const { share: record } = await seedShare(store);
    const bump = () => store.transaction(async (tx) => {
      const current = await tx.getShare(record.id);
      assert.ok(current);
      await new Promise((resolve) => setImmediate(resolve));
      await tx.updateShare(record.id, { sizeGib: current.sizeGib + 1 });
    });
    await Promise.all(Array.from({ length: 20 }, bump));
    assert.equal((await store.getShare(record.id))?.sizeGib, record.sizeGib + 20);
  });

  it('lets unrelated async work use the outer store while a transaction is open (it waits its turn)', async () => {
    const { share: record } = await seedShare(store);
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const transaction = store.transaction(async (tx) => {
      entered();
      await held;
      await tx.updateShare(record.id, { name: 'from-tx' });
    });
    await inside;
    const outside = store.getShare(record.id);
    release();
    await transaction;
    assert.equal((await outside)?.name, 'from-tx');
  });
});

describe('migration events', () => {
  it('numbers events 1, 2, 3 per migration, inside and outside transactions, and lists them in order', async () => {
    const { share: record } = await seedShare(store);
    const instance = shareInstance(record);
    await store.insertShareInstance(instance);
    const first = migration(record, instance.id);
    const second = migration(record, instance.id);
    await store.insertMigration(first);
    await store.insertMigration(second);
    const e1 = await store.appendMigrationEvent({ migrationId: first.id, taskState: 'migration_starting', message: 'accepted', at: nextTime() });
    const other = await store.appendMigrationEvent({ migrationId: second.id, taskState: 'migration_starting', message: '', at: nextTime() });
    const [e2, e3] = await store.transaction(async (tx) => [
      await tx.appendMigrationEvent({ migrationId: first.id, taskState: 'data_copying_starting', message: '', at: nextTime() }),
      await tx.appendMigrationEvent({ migrationId: first.id, taskState: 'data_copying_in_progress', message: '', at: nextTime() }),
    ]);
    assert.deepEqual([e1.sequence, e2.sequence, e3.sequence, other.sequence], [1, 2, 3, 1]);
    assert.deepEqual(await store.listMigrationEvents(first.id), [e1, e2, e3]);
    assert.equal(e1.message, 'accepted');
  });

  it('numbers appends started together inside one transaction without a gap or a clash', async () => {
    const { share: record } = await seedShare(store);
    const instance = shareInstance(record);
    await store.insertShareInstance(instance);
    const run = migration(record, instance.id);
    await store.insertMigration(run);
    const events = await store.transaction((tx) => Promise.all(Array.from({ length: 5 }, (_, index) =>
      tx.appendMigrationEvent({ migrationId: run.id, taskState: 'migration_in_progress', message: `step ${index}`, at: nextTime() }))));
    assert.deepEqual(events.map((e) => [e.sequence, e.message]), [[1, 'step 0'], [2, 'step 1'], [3, 'step 2'], [4, 'step 3'], [5, 'step 4']]);
  });

  it('gives concurrent appends distinct sequences and reuses none after a rollback', async () => {
    const { share: record } = await seedShare(store);
    const instance = shareInstance(record);
    await store.insertShareInstance(instance);
    const run = migration(record, instance.id);
    await store.insertMigration(run);
    const appended = await Promise.all(Array.from({ length: 10 }, () =>
      store.appendMigrationEvent({ migrationId: run.id, taskState: 'migration_in_progress', message: '', at: nextTime() })));
    assert.deepEqual(appended.map((e) => e.sequence).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await assert.rejects(store.transaction(async (tx) => {
      await tx.appendMigrationEvent({ migrationId: run.id, taskState: 'migration_error', message: '', at: nextTime() });
      throw new Error('abandon');
    }));
    const next = await store.appendMigrationEvent({ migrationId: run.id, taskState: 'migration_success', message: '', at: nextTime() });
    assert.equal(next.sequence, 11);
  });

  it('refuses an event for an unknown migration with NotFoundError', async () => {
    await assert.rejects(store.appendMigrationEvent({ migrationId: 'nope', taskState: 'migration_starting', message: '', at: nextTime() }),
      { name: 'NotFoundError', reason: 'MIGRATION_NOT_FOUND' });
  });
});
