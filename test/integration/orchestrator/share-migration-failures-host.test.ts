/**
 * The host-assisted rows of the failure / clean-up matrix (manila-migration-behaviour 2.4, 2.7,
 * 3.1, 2.13), each hit by a failure the dummy plugin injects into one RPC of the source
 * (dummy1) or destination (dummy2) back end.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertFerryError, assertSourceRestored, dataDirOf, prepareDummyShare, startMigrationFerry, type MigrationFerry } from '../../helpers/migration-harness.js';

const COPIED = ['migration_starting', 'migration_in_progress', 'data_copying_starting', 'data_copying_in_progress', 'data_copying_completing', 'data_copying_completed'];
const injected = (reason: string) => ({ fail: { code: 'INTERNAL', reason, message: `injected ${reason}` } });

async function startHost(h: MigrationFerry, until: 'data_copying_completed' | 'migration_error') {
  const share = await prepareDummyShare(h, { snapshot: false });
  await h.start(share.id, 'ferry@dummy2#alpha', { forceHostAssistedMigration: true });
  await h.waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);
  assert.equal((await h.ferry.getShare(share.id)).taskState, until, (await h.ferry.getShare(share.id)).migration?.error);
  return share;
}

describe('share migration failures: host-assisted path', () => {
  it('destination creation fails: migration_error, destination deleted, read-only reverted', async (t) => {
    const h = await startMigrationFerry(t);
    h.setRules('dummy2', { createShareInstance: injected('CREATE_BROKEN') });
    const share = await startHost(h, 'migration_error');
    const after = await h.ferry.getShare(share.id);
    assert.deepEqual(await h.history(share.id), ['migration_starting', 'migration_in_progress', 'migration_error']);
    assert.equal(after.migration?.errorReason, 'CREATE_BROKEN');
    assert.ok(h.enteredCount('dummy2', 'deleteShareInstance') >= 1, 'the destination is deleted through its driver');
    await assertSourceRestored(h, share, 'dummy2');
    await assertFerryError(h.ferry.migrationComplete(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_IN_PROGRESS');
  });

  it('connection info fails: migration_error (through data_copying_error), destination deleted', async (t) => {
    const h = await startMigrationFerry(t);
    h.setRules('dummy2', { getConnectionInfo: injected('CONNECTION_BROKEN') });
    const share = await startHost(h, 'migration_error');
    const after = await h.ferry.getShare(share.id);
    // ferry asks for connection info when the copy starts (Manila: before it casts the data service).
    assert.deepEqual(await h.history(share.id), ['migration_starting', 'migration_in_progress', 'data_copying_starting', 'data_copying_error', 'migration_error']);
    assert.equal(after.migration?.errorReason, 'CONNECTION_BROKEN');
    await assertSourceRestored(h, share, 'dummy2');
  });

  it('copy error (the source driver hands out a path that does not exist): migration_error, destination deleted', async (t) => {
    const h = await startMigrationFerry(t);
    const missing = join(h.dir, 'no-such-share');
    h.setRules('dummy1', { getConnectionInfo: { result: { connectionInfo: { localPath: missing } } } });
    const share = await startHost(h, 'migration_error');
    const after = await h.ferry.getShare(share.id);
    assert.deepEqual(await h.history(share.id), ['migration_starting', 'migration_in_progress', 'data_copying_starting', 'data_copying_in_progress', 'data_copying_error', 'migration_error']);
    assert.notEqual(after.migration?.error, '');
    assert.equal(existsSync(missing), false, 'nothing was created at the bad path');
    await assertSourceRestored(h, share, 'dummy2');
  });

  it('the data service\'s access cannot be granted on the destination: migration_error, no data-service rule left on either back end', async (t) => {
    const h = await startMigrationFerry(t);
    // Both back ends accept ip access over NFS, so the copy needs an ip rule for the data node on each.
    const nfs = { getConnectionInfo: { result: { connectionInfo: { accessMapping: { ip: { protocols: ['nfs'] } } } } } };
    h.setRules('dummy1', nfs);
    h.setRules('dummy2', { ...nfs, updateAccess: injected('ACCESS_BROKEN') });
    const share = await startHost(h, 'migration_error');
    const after = await h.ferry.getShare(share.id);
    assert.deepEqual(await h.history(share.id), ['migration_starting', 'migration_in_progress', 'data_copying_starting', 'data_copying_error', 'migration_error']);
    assert.equal(after.migration?.errorReason, 'ACCESS_BROKEN');
    assert.ok(h.enteredCount('dummy1', 'updateAccess') >= 3, 'read-only cast, data-service grant, then revoke and revert on the source');
    const source = h.dummyState('dummy1').shares[share.instances[0]!.id];
    assert.deepEqual(source?.accessRules.map((rule) => rule.accessLevel), ['rw'], 'only the user\'s rule is enforced on the source');
    await assertSourceRestored(h, share, 'dummy2');
  });

  it('applying the share\'s rules on the destination fails at completion: destination deleted, source restored', async (t) => {
    const h = await startMigrationFerry(t);
    const share = await startHost(h, 'data_copying_completed');
    const { destination } = await h.instances(share.id);
    h.setRules('dummy2', { updateAccess: injected('ACCESS_BROKEN') });
    await h.ferry.migrationComplete(share.id);
    await h.waitForTaskState(share.id, ['migration_error', 'migration_success']);

    const after = await h.ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_error');
    assert.deepEqual(await h.history(share.id), [...COPIED, 'migration_completing', 'migration_error']);
    assert.equal(after.migration?.errorReason, 'ACCESS_BROKEN');
    assert.equal(h.dummyState('dummy2').shares[destination!.id], undefined);
    await assertSourceRestored(h, share, 'dummy2');
  });

  it('source deletion fails at completion: the destination serves, the source is error_deleting, migration_error (ferry, not Manila\'s QUIRK)', async (t) => {
    const h = await startMigrationFerry(t);
    const share = await startHost(h, 'data_copying_completed');
    h.setRules('dummy1', { deleteShareInstance: injected('DELETE_BROKEN') });
    await h.ferry.migrationComplete(share.id);
    await h.waitForTaskState(share.id, ['migration_error', 'migration_success']);

    const { share: after, source, destination } = await h.instances(share.id);
    assert.equal(after.taskState, 'migration_error');
    assert.deepEqual(await h.history(share.id), [...COPIED, 'migration_completing', 'migration_error']);
    assert.equal(after.migration?.errorReason, 'INVALID_SHARE_STATUS');
    assert.match(after.migration?.error ?? '', /could not be deleted.*injected DELETE_BROKEN/);
    assert.equal(destination?.status, 'available');
    assert.equal(destination?.progress, '100%');
    assert.equal(source?.status, 'error_deleting');
    assert.equal(after.host, 'ferry@dummy2#alpha', 'the destination is the primary instance');
    assert.equal(after.status, 'available');
    assert.equal(readFileSync(join(dataDirOf(destination!), 'a'), 'utf8'), 'alpha');
    const held = h.dummyState('dummy2').shares[destination!.id];
    assert.deepEqual(held?.accessRules.map((rule) => rule.accessLevel), ['rw']);
    assert.equal(held?.readOnly, false);
    assert.ok(h.dummyState('dummy1').shares[source!.id], 'the source data is still on its back end');
    const rules = await h.ferry.listAccessRules(share.id);
    assert.deepEqual(rules.map((rule) => rule.state), ['active'], 'the rules are active on the primary (destination)');
  });
});

describe('share migration failures: the data service has no access configured (DATA_SERVICE_ACCESS_NOT_CONFIGURED)', () => {
  // MigrationStart cannot know: the access types come from both drivers' connection info, asked
  // for when the copy starts. So the start is accepted and the migration fails there, cleaned up
  // like any copy failure (docs/share-migration.md, "copy fails").
  const cases = [
    ['dataService.dataNodeAccessIps is empty and both back ends take ip access', { dataNodeAccessIps: [] }, 'ip', /dataService\.dataNodeAccessIps/],
    ['both back ends take only user access and no dataNodeAccessAdminUser is set', {}, 'user', /access type user has not been set \(dataService.dataNodeAccessAdminUser\)/],
  ] as const;
  for (const [what, dataService, accessType, message] of cases) {
    it(`${what}: accepted, then migration_error with the reason, destination deleted, source restored`, async (t) => {
      const h = await startMigrationFerry(t, { dataService });
      const mapping = { getConnectionInfo: { result: { connectionInfo: { accessMapping: { [accessType]: { protocols: ['nfs'] } } } } } };
      h.setRules('dummy1', mapping);
      h.setRules('dummy2', mapping);
      const share = await startHost(h, 'migration_error');
      const after = await h.ferry.getShare(share.id);
      assert.deepEqual(await h.history(share.id), ['migration_starting', 'migration_in_progress', 'data_copying_starting', 'data_copying_error', 'migration_error']);
      assert.equal(after.migration?.errorReason, 'DATA_SERVICE_ACCESS_NOT_CONFIGURED');
      assert.match(after.migration?.error ?? '', message);
      assert.equal(after.migration?.active, false);
      assert.ok(h.enteredCount('dummy2', 'createShareInstance') >= 1, 'the destination had been created');
      assert.ok(h.enteredCount('dummy2', 'deleteShareInstance') >= 1, 'the destination is deleted through its driver');
      await assertSourceRestored(h, share, 'dummy2');
      assert.deepEqual((await h.ferry.listAccessRules(share.id)).map((rule) => [rule.accessTo, rule.forDataService]), [['10.0.0.1', false]], 'no data-service rule was added');
      const progress = await h.ferry.migrationGetProgress(share.id);
      assert.equal(progress.errorReason, 'DATA_SERVICE_ACCESS_NOT_CONFIGURED');
      await assertFerryError(h.ferry.migrationCancel(share.id), 'FAILED_PRECONDITION', 'MIGRATION_NOT_IN_PROGRESS');
    });
  }
});
