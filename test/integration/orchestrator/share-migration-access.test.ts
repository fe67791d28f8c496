/**
 * Access rules during share migration (manila-migration-behaviour 2.5, 3.2): the source is
 * read-only while it must be (a host-assisted copy; a driver-assisted phase 1 whose driver is
 * not writable), enforced for real by localfs's read-only bind mounts (these tests run as
 * root); the destination gets the same rules at completion; a cancel or an error gives the
 * source its writable export back.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AccessRuleView } from '../../../src/orchestrator/ferry-api.js';
import { dummyBackend, localfsBackend, startTestFerry, type TestFerry } from '../../helpers/ferry-harness.js';
import { DUMMY, L1P1, L2P1, dataDir, exportDir, migrationRequest, newShare, sharedTestFerry, tryWrite } from '../../helpers/share-migration.js';

const RULES = [
  { accessType: 'ip', accessTo: '10.0.0.0/24', accessLevel: 'rw' },
  { accessType: 'user', accessTo: 'alice', accessLevel: 'ro' },
  // The data service's own identity (dataNodeAccessIps) as a user's rule: it must survive the copy.
  { accessType: 'ip', accessTo: '127.0.0.1', accessLevel: 'ro' },
] as const;

const READ_ONLY = ['EROFS', 'EACCES'];

async function shareWithRules(env: TestFerry, host: string): Promise<{ shareId: string; sourceId: string }> {
  const share = await newShare(env, host);
  for (const rule of RULES) await env.ferry.grantAccess({ shareId: share.id, ...rule });
  return { shareId: share.id, sourceId: share.instances[0]!.id };
}

/** The share's rules as (type, to, level), with their state on every instance. */
async function rulesOf(env: TestFerry, shareId: string): Promise<{ rules: string[]; states: AccessRuleView['instanceStates'][] }> {
  const views = await env.ferry.listAccessRules(shareId);
  return { rules: views.map((r) => `${r.accessType} ${r.accessTo} ${r.accessLevel}`).sort(), states: views.map((r) => r.instanceStates) };
}

const EXPECTED_RULES = RULES.map((r) => `${r.accessType} ${r.accessTo} ${r.accessLevel}`).sort();

/** Every rule active on exactly `instanceId`. */
async function assertRulesOn(env: TestFerry, shareId: string, instanceId: string): Promise<void> {
  const { rules, states } = await rulesOf(env, shareId);
  assert.deepEqual(rules, EXPECTED_RULES);
  for (const state of states) assert.deepEqual(state, { [instanceId]: 'active' });
}

async function castOf(env: TestFerry, shareId: string, instanceId: string): Promise<boolean | undefined> {
  return (await env.ferry.getShare(shareId)).instances.find((i) => i.id === instanceId)?.castRulesToReadonly;
}

describe('access rules during migration between localfs back ends', () => {
  const env = sharedTestFerry();

  it('host-assisted: the source export is read-only during the copy; the destination gets the same rules, writable', async () => {
    const { ferry, waitForTaskState } = env();
    const { shareId, sourceId } = await shareWithRules(env(), L1P1);
    const sourceExport = exportDir(env(), 'localfs1', sourceId);
    assert.equal(tryWrite(join(sourceExport, 'before')), undefined, 'an rw rule makes the export writable');

    await ferry.migrationStart(migrationRequest(shareId, L2P1, { forceHostAssistedMigration: true }));
    assert.equal(await waitForTaskState(shareId, ['data_copying_completed', 'migration_error']), 'data_copying_completed');
    assert.equal(await castOf(env(), shareId, sourceId), true);
    assert.ok(READ_ONLY.includes(tryWrite(join(sourceExport, 'during')) ?? ''), 'a write through the source export fails');
    assert.ok(READ_ONLY.includes(tryWrite(join(sourceExport, 'before'), 'changed') ?? ''));
    await assertRulesOn(env(), shareId, sourceId);

    await ferry.migrationComplete(shareId);
    assert.equal(await waitForTaskState(shareId, ['migration_success', 'migration_error']), 'migration_success');
    const after = await ferry.getShare(shareId);
    const destination = after.instances[0]!;
    assert.equal(destination.castRulesToReadonly, false);
    assert.equal(destination.accessRulesStatus, 'active');
    await assertRulesOn(env(), shareId, destination.id);
    const recorded = JSON.parse(readFileSync(join(destination.providerLocation, 'instance.json'), 'utf8')) as { accessRules: { type: string; to: string; level: string }[] };
    assert.deepEqual(recorded.accessRules.map((r) => `${r.type} ${r.to} ${r.level}`).sort(), EXPECTED_RULES, 'the driver enforces the users\' rules only: the data service\'s are gone');
    assert.ok(!existsSync(sourceExport), 'the source export went with the source');
    const destinationExport = exportDir(env(), 'localfs2', destination.id);
    assert.equal(readFileSync(join(destinationExport, 'before'), 'utf8'), 'x');
    assert.equal(tryWrite(join(destinationExport, 'after'), 'written'), undefined, 'the rw rule holds on the destination');
    assert.equal(readFileSync(join(dataDir(destination), 'after'), 'utf8'), 'written');
  });

  it('host-assisted cancelled after the copy: the source export is writable again, its rules active', async () => {
    const { ferry, waitForTaskState } = env();
    const { shareId, sourceId } = await shareWithRules(env(), L1P1);
    await ferry.migrationStart(migrationRequest(shareId, L2P1, { forceHostAssistedMigration: true }));
    assert.equal(await waitForTaskState(shareId, ['data_copying_completed', 'migration_error']), 'data_copying_completed');
    assert.ok(READ_ONLY.includes(tryWrite(join(exportDir(env(), 'localfs1', sourceId), 'during')) ?? ''));
    await ferry.migrationCancel(shareId);
    assert.equal(await waitForTaskState(shareId, ['migration_cancelled', 'migration_error']), 'migration_cancelled');
    assert.equal(await castOf(env(), shareId, sourceId), false);
    await assertRulesOn(env(), shareId, sourceId);
    assert.equal(tryWrite(join(exportDir(env(), 'localfs1', sourceId), 'after-cancel')), undefined);
  });

  it('driver-assisted (localfs is writable in phase 1): the source stays writable, its later writes reach the destination', async () => {
    const { ferry, waitForTaskState } = env();
    const { shareId, sourceId } = await shareWithRules(env(), L1P1);
    const sourceExport = exportDir(env(), 'localfs1', sourceId);
    await ferry.migrationStart(migrationRequest(shareId, L2P1, { writable: true, preserveMetadata: true }));
    assert.equal(await waitForTaskState(shareId, ['migration_driver_phase1_done', 'migration_error']), 'migration_driver_phase1_done');
    assert.equal(await castOf(env(), shareId, sourceId), false, 'the driver said writable: no read-only cast');
    assert.equal(tryWrite(join(sourceExport, 'during-phase1'), 'late'), undefined);

    await ferry.migrationComplete(shareId);
    assert.equal(await waitForTaskState(shareId, ['migration_success', 'migration_error']), 'migration_success');
    const destination = (await ferry.getShare(shareId)).instances[0]!;
    await assertRulesOn(env(), shareId, destination.id);
    const destinationExport = exportDir(env(), 'localfs2', destination.id);
    assert.equal(readFileSync(join(destinationExport, 'during-phase1'), 'utf8'), 'late', 'the final sync carried the phase-1 write');
    assert.equal(tryWrite(join(destinationExport, 'after')), undefined);
  });
});

describe('access rules while a host-assisted copy runs', () => {
  // A bandwidth limit keeps the copy in data_copying_in_progress long enough to look at it.
  const env = sharedTestFerry({ dataService: { bandwidthBytesPerSecond: 1024 * 1024 } });

  it('the source export is read-only during data_copying_in_progress and writable again after a cancel', async () => {
    const { ferry, waitForTaskState } = env();
    const { shareId, sourceId } = await shareWithRules(env(), L1P1);
    const share = await ferry.getShare(shareId);
    writeFileSync(join(dataDir(share.instances[0]!), 'big'), Buffer.alloc(3 * 1024 * 1024, 7));
    await ferry.migrationStart(migrationRequest(shareId, L2P1, { forceHostAssistedMigration: true }));
    assert.equal(await waitForTaskState(shareId, ['data_copying_in_progress', 'data_copying_completed', 'migration_error']), 'data_copying_in_progress');
    assert.equal(await castOf(env(), shareId, sourceId), true);
    assert.ok(READ_ONLY.includes(tryWrite(join(exportDir(env(), 'localfs1', sourceId), 'during-copy')) ?? ''));
    await ferry.migrationCancel(shareId);
    assert.equal(await waitForTaskState(shareId, ['migration_cancelled', 'migration_error']), 'migration_cancelled');
    assert.equal(await castOf(env(), shareId, sourceId), false);
    await assertRulesOn(env(), shareId, sourceId);
    assert.equal(tryWrite(join(exportDir(env(), 'localfs1', sourceId), 'after-cancel')), undefined);
  });
});

describe('access rules when the driver cannot keep the source writable (dummy)', () => {
  const env = sharedTestFerry({
    backends: (dir) => [localfsBackend('localfs1', join(dir, 'b', 'l1')), dummyBackend('dummy', join(dir, 'b', 'dummy'), { behaviour: { migrationCheckCompatibility: { result: { writable: false } } } })],
  });

  /** The rules the dummy back end was last told for an instance, and whether they were cast. */
  function dummyRules(instanceId: string): { readOnly: boolean; rules: string[] } | undefined {
    const state = JSON.parse(readFileSync(join(env().dir, 'b', 'dummy', 'state.json'), 'utf8')) as { shares: Record<string, { readOnly: boolean; accessRules: { accessType: string; accessTo: string; accessLevel: string }[] }> };
    const share = state.shares[instanceId];
    return share && { readOnly: share.readOnly, rules: share.accessRules.map((r) => `${r.accessType} ${r.accessTo} ${r.accessLevel}`).sort() };
  }

  it('phase 1 casts the source to read-only; a cancel reverts it; completion applies the rules as granted', async () => {
    const { ferry, waitForTaskState } = env();
    const { shareId, sourceId } = await shareWithRules(env(), DUMMY);
    const asGranted = { readOnly: false, rules: EXPECTED_RULES };
    const cast = { readOnly: true, rules: RULES.map((r) => `${r.accessType} ${r.accessTo} ro`).sort() };
    assert.deepEqual(dummyRules(sourceId), asGranted);

    await ferry.migrationStart(migrationRequest(shareId, 'ferry@dummy#beta'));
    assert.equal(await waitForTaskState(shareId, ['migration_driver_phase1_done', 'migration_error']), 'migration_driver_phase1_done');
    assert.equal(await castOf(env(), shareId, sourceId), true);
    assert.deepEqual(dummyRules(sourceId), cast, 'every rule reached the driver as ro');
    await assertRulesOn(env(), shareId, sourceId);

    await ferry.migrationCancel(shareId);
    assert.equal(await waitForTaskState(shareId, ['migration_cancelled', 'migration_error']), 'migration_cancelled');
    assert.equal(await castOf(env(), shareId, sourceId), false);
    assert.deepEqual(dummyRules(sourceId), asGranted);

    await ferry.migrationStart(migrationRequest(shareId, 'ferry@dummy#beta'));
    assert.equal(await waitForTaskState(shareId, ['migration_driver_phase1_done', 'migration_error']), 'migration_driver_phase1_done');
    await ferry.migrationComplete(shareId);
    assert.equal(await waitForTaskState(shareId, ['migration_success', 'migration_error']), 'migration_success');
    const destination = (await ferry.getShare(shareId)).instances[0]!;
    assert.equal(destination.castRulesToReadonly, false);
    await assertRulesOn(env(), shareId, destination.id);
    assert.deepEqual(dummyRules(destination.id), asGranted);
  });
});

describe('access rules after a failed host-assisted migration', () => {
  it('the source export is writable again after migration_error', async (t) => {
    const failing = { behaviour: { getConnectionInfo: { fail: { code: 'INTERNAL', reason: 'INJECTED', message: 'injected connection info failure' } } } };
    const env = await startTestFerry(t, { backends: (dir) => [localfsBackend('localfs1', join(dir, 'b', 'l1')), dummyBackend('dummy', join(dir, 'b', 'dummy'), failing)] });
    const { shareId, sourceId } = await shareWithRules(env, L1P1);
    await env.ferry.migrationStart(migrationRequest(shareId, DUMMY, { forceHostAssistedMigration: true }));
    assert.equal(await env.waitForTaskState(shareId, ['migration_error', 'data_copying_completed']), 'migration_error');
    const after = await env.ferry.getShare(shareId);
    assert.match(after.migration?.error ?? '', /injected connection info failure/);
    assert.deepEqual(after.instances.map((i) => [i.id, i.status, i.castRulesToReadonly]), [[sourceId, 'available', false]]);
    await assertRulesOn(env, shareId, sourceId);
    assert.equal(tryWrite(join(exportDir(env, 'localfs1', sourceId), 'after-error')), undefined);
  });
});
