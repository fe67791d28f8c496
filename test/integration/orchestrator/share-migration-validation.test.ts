/**
 * MigrationStart's validations (manila-migration-behaviour 4.1, as ferry implements them: no
 * recycle bin, no share groups) and MigrationCheck, against real localfs and dummy plugins.
 * Every refusal is checked for its code and reason and for leaving the share untouched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSecondaryReplica, dummyBackend, localfsBackend, restartWithStoreEdit, startTestFerry } from '../../helpers/ferry-harness.js';
import { startServerMigrationFerry } from '../../helpers/server-migration.js';
import {
  DUMMY, L1P1, L2P1, L2P2, assertRefused, assertUnchanged, localfsRoot, migrationRequest, newShare, rejectsWith, sharedTestFerry, shareState,
} from '../../helpers/share-migration.js';

describe('MigrationStart validations', () => {
  const env = sharedTestFerry();

  it('unknown share, network, type, back end and pool are NOT_FOUND', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    await rejectsWith(ferry.migrationStart(migrationRequest('no-such-share', L2P1)), 'NOT_FOUND', 'SHARE_NOT_FOUND');
    const cases: [Parameters<typeof migrationRequest>[2] & { host?: string }, string][] = [
      [{ newShareNetworkId: 'no-such-network' }, 'SHARE_NETWORK_NOT_FOUND'],
      [{ newShareTypeId: 'no-such-type' }, 'SHARE_TYPE_NOT_FOUND'],
      [{ host: 'ferry@nosuchbackend#pool1' }, 'BACKEND_NOT_FOUND'],
      [{ host: 'othernode@localfs2#pool1' }, 'BACKEND_NOT_FOUND'],
      [{ host: 'ferry@localfs2#nosuchpool' }, 'POOL_NOT_FOUND'],
    ];
    for (const [overrides, reason] of cases) {
      const { host = L2P1, ...rest } = overrides;
      await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, host, rest)), 'NOT_FOUND', reason);
      await rejectsWith(ferry.migrationCheck(migrationRequest(share.id, host, rest)), 'NOT_FOUND', reason);
    }
  });

  it('a missing or pool-less host and each missing flag are INVALID_ARGUMENT with field violations', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    let error = await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, '')), 'INVALID_ARGUMENT', 'MISSING_FIELD');
    assert.deepEqual(error.fieldViolations.map((v) => v.field), ['host']);
    error = await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, 'ferry@localfs2')), 'INVALID_ARGUMENT', 'INVALID_FIELD');
    assert.deepEqual(error.fieldViolations.map((v) => v.field), ['host']);
    for (const flag of ['writable', 'preserveMetadata', 'preserveSnapshots', 'nondisruptive'] as const) {
      error = await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, L2P1, { [flag]: undefined })), 'INVALID_ARGUMENT', 'MISSING_FIELD', flag);
      assert.deepEqual(error.fieldViolations.map((v) => v.field), [flag.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)]);
    }
    error = await rejectsWith(ferry.migrationStart({ shareId: share.id, host: L2P1 } as Parameters<typeof ferry.migrationStart>[0]), 'INVALID_ARGUMENT', 'MISSING_FIELD');
    assert.deepEqual(error.fieldViolations.map((v) => v.field), ['writable', 'preserve_metadata', 'preserve_snapshots', 'nondisruptive']);
  });

  it('force_host_assisted_migration with any flag is INVALID_PARAMETER_COMBINATION, checked before the share status', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    for (const flag of ['writable', 'preserveMetadata', 'preserveSnapshots', 'nondisruptive'] as const) {
      const error = await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, L2P1, { forceHostAssistedMigration: true, [flag]: true })), 'INVALID_ARGUMENT', 'INVALID_PARAMETER_COMBINATION', flag);
      assert.ok(error.fieldViolations.length > 0);
    }
    await ferry.resetStatus(share.id, 'error');
    await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, L2P1, { forceHostAssistedMigration: true, writable: true })), 'INVALID_ARGUMENT', 'INVALID_PARAMETER_COMBINATION');
  });

  it('a share not available, with rules in error, or busy is FAILED_PRECONDITION', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    await ferry.resetStatus(share.id, 'error');
    await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, L2P1)), 'FAILED_PRECONDITION', 'INVALID_SHARE_STATUS');
    await ferry.resetStatus(share.id, 'available');

    // A task_state left busy (reset by an operator) with the share available: SHARE_BUSY.
    await ferry.resetTaskState(share.id, 'migration_driver_in_progress');
    await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, L2P1)), 'FAILED_PRECONDITION', 'SHARE_BUSY');
    await ferry.resetTaskState(share.id, null);

    // localfs refuses cert rules: the share's access rules end in error.
    const ruled = await newShare(env(), L1P1);
    await ferry.grantAccess({ shareId: ruled.id, accessType: 'cert', accessTo: 'client.example', accessLevel: 'rw' });
    assert.equal((await ferry.getShare(ruled.id)).accessRulesStatus, 'error');
    await assertRefused(env(), ruled.id, () => ferry.migrationStart(migrationRequest(ruled.id, L2P1)), 'FAILED_PRECONDITION', 'ACCESS_RULES_ERROR');
  });

  it('forced host-assisted migration of a share with snapshots is SHARE_HAS_SNAPSHOTS', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    await ferry.createSnapshot({ shareId: share.id, name: 's1' });
    await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, L2P1, { forceHostAssistedMigration: true })), 'FAILED_PRECONDITION', 'SHARE_HAS_SNAPSHOTS');
  });

  it('a new share type or network the destination cannot take is refused', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1, 3);
    const small = await ferry.createShareType({ name: 'v-small', extraSpecs: { driver_handles_share_servers: 'false', 'provisioning:max_share_size': '2' } });
    const large = await ferry.createShareType({ name: 'v-large', extraSpecs: { driver_handles_share_servers: 'false', 'provisioning:min_share_size': '5' } });
    const elsewhere = await ferry.createShareType({ name: 'v-zone', extraSpecs: { driver_handles_share_servers: 'false', availability_zones: 'zone-a, zone-b' } });
    const dhss = await ferry.createShareType({ name: 'v-dhss', extraSpecs: { driver_handles_share_servers: 'true' } });
    const network = await ferry.createShareNetwork({ name: 'v-net', subnets: [{ availabilityZone: null, neutronNetId: 'n1', neutronSubnetId: 's1' }] });
    for (const type of [small, large]) {
      await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, L2P1, { newShareTypeId: type.id })), 'FAILED_PRECONDITION', 'SHARE_SIZE_OUT_OF_RANGE', type.name);
    }
    await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, L2P1, { newShareTypeId: elsewhere.id })), 'FAILED_PRECONDITION', 'AVAILABILITY_ZONE_MISMATCH');
    await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, L2P1, { newShareTypeId: dhss.id })), 'INVALID_ARGUMENT', 'SHARE_NETWORK_REQUIRED');
    await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, L2P1, { newShareNetworkId: network.id })), 'INVALID_ARGUMENT', 'SHARE_NETWORK_NOT_ALLOWED');
    // The zone rule holds for the current type too, even on the same host (then it is no longer a no-op).
    await assertRefused(env(), share.id, () => ferry.migrationStart(migrationRequest(share.id, L1P1, { newShareTypeId: elsewhere.id })), 'FAILED_PRECONDITION', 'AVAILABILITY_ZONE_MISMATCH', 'same host, new type');
  });

  it('a migration to the current host, type and network succeeds at once without a new instance', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    const result = await ferry.migrationStart(migrationRequest(share.id, L1P1, { newShareTypeId: share.shareTypeId }));
    assert.equal(result.noop, true);
    assert.equal(result.migrationId, '');
    const after = await ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_success');
    assert.equal(after.status, 'available');
    assert.deepEqual(after.instances.map((i) => i.id), [share.instances[0]!.id]);
    assert.equal(after.migration, null);
    assert.deepEqual(readdirSync(join(localfsRoot(env(), 'localfs1'), 'pools', 'pool1', 'shares')).filter((id) => id === share.instances[0]!.id), [share.instances[0]!.id]);
    const check = await ferry.migrationCheck(migrationRequest(share.id, L1P1));
    assert.deepEqual([check.accepted, check.noop, check.path, check.blockers], [true, true, null, []]);
    // Another pool of the same back end is a real migration.
    assert.equal((await ferry.migrationCheck(migrationRequest(share.id, 'ferry@localfs1#pool2'))).noop, false);
  });
});

describe('while a share migrates, other actions are refused', () => {
  const env = sharedTestFerry();

  /** Every action Manila refuses on a busy share, each FAILED_PRECONDITION and changing nothing. */
  async function assertActionsRefused(shareId: string, ruleId: string, snapshotId: string | undefined): Promise<void> {
    const { ferry } = env();
    const actions: [string, () => Promise<unknown>][] = [
      ['create snapshot', () => ferry.createSnapshot({ shareId })],
      ['grant access', () => ferry.grantAccess({ shareId, accessType: 'ip', accessTo: '10.9.9.9', accessLevel: 'rw' })],
      ['revoke access', () => ferry.revokeAccess(shareId, ruleId)],
      ['extend', () => ferry.extendShare(shareId, 3)],
      ['shrink', () => ferry.shrinkShare(shareId, 1)],
      ['delete', () => ferry.deleteShare(shareId)],
      ['second MigrationStart', () => ferry.migrationStart(migrationRequest(shareId, L2P2))],
      ['second forced MigrationStart', () => ferry.migrationStart(migrationRequest(shareId, DUMMY, { forceHostAssistedMigration: true }))],
      ...(snapshotId ? [['delete snapshot', () => ferry.deleteSnapshot(snapshotId)] as [string, () => Promise<unknown>]] : []),
    ];
    for (const [what, action] of actions) {
      const before = shareState(await ferry.getShare(shareId));
      const snapshotsBefore = await ferry.listSnapshots({ shareId });
      const rulesBefore = await ferry.listAccessRules(shareId);
      let caught: unknown;
      await action().catch((error: unknown) => (caught = error));
      assert.equal((caught as { code?: string } | undefined)?.code, 'FAILED_PRECONDITION', `${what}: ${String(caught)}`);
      await assertUnchanged(env(), shareId, before, what);
      assert.deepEqual(await ferry.listSnapshots({ shareId }), snapshotsBefore, `${what} changed the snapshots`);
      assert.deepEqual(await ferry.listAccessRules(shareId), rulesBefore, `${what} changed the access rules`);
    }
  }

  it('held at migration_driver_phase1_done (driver-assisted)', async () => {
    const { ferry, waitForTaskState } = env();
    const share = await newShare(env(), L1P1, 2);
    const rule = await ferry.grantAccess({ shareId: share.id, accessType: 'ip', accessTo: '10.0.0.1', accessLevel: 'rw' });
    const snapshot = await ferry.createSnapshot({ shareId: share.id });
    await ferry.migrationStart(migrationRequest(share.id, L2P1, { preserveSnapshots: true }));
    assert.equal(await waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']), 'migration_driver_phase1_done');
    await assertActionsRefused(share.id, rule.id, snapshot.id);
    await ferry.migrationCancel(share.id);
    assert.equal(await waitForTaskState(share.id, ['migration_cancelled', 'migration_error']), 'migration_cancelled');
    assert.equal((await ferry.extendShare(share.id, 3)).sizeGib, 3, 'extend works again after the cancel');
  });

  it('held at data_copying_completed (host-assisted)', async () => {
    const { ferry, waitForTaskState } = env();
    const share = await newShare(env(), L1P1, 2);
    const rule = await ferry.grantAccess({ shareId: share.id, accessType: 'ip', accessTo: '10.0.0.1', accessLevel: 'rw' });
    await ferry.migrationStart(migrationRequest(share.id, L2P1, { forceHostAssistedMigration: true }));
    assert.equal(await waitForTaskState(share.id, ['data_copying_completed', 'migration_error']), 'data_copying_completed');
    await assertActionsRefused(share.id, rule.id, undefined);
    await ferry.migrationCancel(share.id);
    assert.equal(await waitForTaskState(share.id, ['migration_cancelled', 'migration_error']), 'migration_cancelled');
    await ferry.createSnapshot({ shareId: share.id });
  });
});

describe('MigrationCheck', () => {
  const env = sharedTestFerry();

  it('localfs -> localfs: accepted, driver-assisted, and nothing is created or changed', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    const before = shareState(await ferry.getShare(share.id));
    const plain = await ferry.migrationCheck(migrationRequest(share.id, L2P2));
    assert.deepEqual({ accepted: plain.accepted, noop: plain.noop, path: plain.path, blockers: plain.blockers }, { accepted: true, noop: false, path: 'driver_assisted', blockers: [] });
    assert.deepEqual(plain.driverCompatibility, { compatible: true, writable: true, preserveMetadata: true, nondisruptive: false, preserveSnapshots: true });
    // The flags close the host-assisted path (said as a blocker of that path only).
    const flagged = await ferry.migrationCheck(migrationRequest(share.id, L2P2, { writable: true, preserveMetadata: true, preserveSnapshots: true }));
    assert.equal(flagged.accepted, true);
    assert.equal(flagged.path, 'driver_assisted');
    assert.deepEqual(flagged.blockers.map((b) => [b.reason, b.blocks]), [['HOST_ASSISTED_NOT_ALLOWED', 'host_assisted']]);
    // nondisruptive is more than localfs can give: the driver path closes too.
    const nondisruptive = await ferry.migrationCheck(migrationRequest(share.id, L2P2, { nondisruptive: true }));
    assert.equal(nondisruptive.path, null);
    assert.deepEqual(nondisruptive.blockers.map((b) => b.reason), ['HOST_ASSISTED_NOT_ALLOWED', 'DRIVER_ASSISTED_NOT_POSSIBLE']);
    await assertUnchanged(env(), share.id, before, 'MigrationCheck');
    for (const pool of ['pool1', 'pool2']) assert.deepEqual(readdirSync(join(localfsRoot(env(), 'localfs2'), 'pools', pool, 'shares')), [], `nothing on localfs2 ${pool}`);
    assert.deepEqual(readdirSync(join(localfsRoot(env(), 'localfs1'), 'migrations')), []);
  });

  it('host-assisted when forced or when the driver refuses the pair', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    const before = shareState(await ferry.getShare(share.id));
    const forced = await ferry.migrationCheck(migrationRequest(share.id, L2P1, { forceHostAssistedMigration: true }));
    assert.equal(forced.accepted, true);
    assert.equal(forced.path, 'host_assisted');
    assert.deepEqual(forced.blockers.map((b) => [b.reason, b.blocks]), [['DRIVER_ASSISTED_NOT_POSSIBLE', 'driver_assisted']]);
    assert.equal(forced.driverCompatibility, null);

    const toDummy = await ferry.migrationCheck(migrationRequest(share.id, DUMMY));
    assert.equal(toDummy.accepted, true);
    assert.equal(toDummy.path, 'host_assisted');
    assert.deepEqual(toDummy.blockers.map((b) => [b.reason, b.blocks]), [['DRIVER_ASSISTED_NOT_POSSIBLE', 'driver_assisted']]);
    assert.equal(toDummy.driverCompatibility?.compatible, false);

    // A flag the host-assisted path cannot honour closes it too: accepted, but no path can run.
    const stuck = await ferry.migrationCheck(migrationRequest(share.id, DUMMY, { preserveMetadata: true }));
    assert.equal(stuck.accepted, true);
    assert.equal(stuck.path, null);
    assert.deepEqual(stuck.blockers.map((b) => b.reason).sort(), ['DRIVER_ASSISTED_NOT_POSSIBLE', 'HOST_ASSISTED_NOT_ALLOWED']);
    await assertUnchanged(env(), share.id, before, 'MigrationCheck');
  });

  it('names the path MigrationStart then takes', async () => {
    const { ferry, waitForTaskState } = env();
    for (const host of [L2P1, DUMMY]) {
      const share = await newShare(env(), L1P1);
      const check = await ferry.migrationCheck(migrationRequest(share.id, host));
      await ferry.migrationStart(migrationRequest(share.id, host));
      const rest = await waitForTaskState(share.id, ['migration_driver_phase1_done', 'data_copying_completed', 'migration_error']);
      const migration = (await ferry.getShare(share.id)).migration;
      assert.equal(migration?.method, check.path, `${host}: ${rest} ${migration?.error ?? ''}`);
      assert.equal(rest, check.path === 'driver_assisted' ? 'migration_driver_phase1_done' : 'data_copying_completed');
      await ferry.migrationCancel(share.id);
      assert.equal(await waitForTaskState(share.id, ['migration_cancelled', 'migration_error']), 'migration_cancelled');
    }
  });

  it('lists every blocker at once', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1, 3);
    await ferry.createSnapshot({ shareId: share.id });
    await ferry.resetStatus(share.id, 'error');
    await ferry.resetTaskState(share.id, 'data_copying_completed');
    const type = await ferry.createShareType({ name: 'c-narrow', extraSpecs: { driver_handles_share_servers: 'false', 'provisioning:max_share_size': '2', availability_zones: 'zone-x' } });
    const before = shareState(await ferry.getShare(share.id));

    const check = await ferry.migrationCheck(migrationRequest(share.id, DUMMY, { writable: true, newShareTypeId: type.id }));
    assert.equal(check.accepted, false);
    assert.equal(check.path, null);
    assert.deepEqual(check.blockers.map((b) => [b.reason, b.blocks]), [
      ['INVALID_SHARE_STATUS', 'migration'], ['SHARE_BUSY', 'migration'], ['SHARE_SIZE_OUT_OF_RANGE', 'migration'], ['AVAILABILITY_ZONE_MISMATCH', 'migration'],
      ['HOST_ASSISTED_NOT_ALLOWED', 'host_assisted'], ['DRIVER_ASSISTED_NOT_POSSIBLE', 'driver_assisted'],
    ]);
    const forced = await ferry.migrationCheck(migrationRequest(share.id, L2P1, { forceHostAssistedMigration: true }));
    assert.deepEqual(forced.blockers.map((b) => b.reason), ['INVALID_SHARE_STATUS', 'SHARE_BUSY', 'SHARE_HAS_SNAPSHOTS', 'HOST_ASSISTED_NOT_ALLOWED', 'DRIVER_ASSISTED_NOT_POSSIBLE']);
    await assertUnchanged(env(), share.id, before, 'MigrationCheck');
    // Malformed input is still an error, not a blocker.
    await rejectsWith(ferry.migrationCheck(migrationRequest(share.id, L2P1, { forceHostAssistedMigration: true, writable: true })), 'INVALID_ARGUMENT', 'INVALID_PARAMETER_COMBINATION');
  });
});

describe('a destination back end that is down', () => {
  it('MigrationStart is BACKEND_DOWN and MigrationCheck lists it', async (t) => {
    const env = await startTestFerry(t, {
      backends: (dir) => [localfsBackend('localfs1', join(dir, 'b', 'l1')), { ...dummyBackend('dummy', join(dir, 'b', 'dummy')), restart: { maxRestarts: 0 } }],
    });
    const { ferry } = env;
    const share = await newShare(env, L1P1);
    const pid = ferry.plugins.plugin('dummy').status().pid;
    assert.ok(pid);
    const down = new Promise<void>((resolve) => ferry.plugins.onStatus((status) => status.name === 'dummy' && status.state === 'failed' && resolve()));
    process.kill(pid, 'SIGKILL');
    await down;
    await assertRefused(env, share.id, () => ferry.migrationStart(migrationRequest(share.id, DUMMY)), 'FAILED_PRECONDITION', 'BACKEND_DOWN');
    const check = await ferry.migrationCheck(migrationRequest(share.id, DUMMY));
    assert.equal(check.accepted, false);
    assert.ok(check.blockers.some((b) => b.reason === 'BACKEND_DOWN' && b.blocks === 'migration'), JSON.stringify(check.blockers));
  });

  it('a dummy configured to crash never becomes ready: BACKEND_DOWN', async (t) => {
    const env = await startTestFerry(t, {
      backends: (dir) => [localfsBackend('localfs1', join(dir, 'b', 'l1')), { ...dummyBackend('dummy', join(dir, 'b', 'dummy'), { behaviour: { probe: { crash: true } } }), restart: { maxRestarts: 0 } }],
    });
    const share = await newShare(env, L1P1);
    await assertRefused(env, share.id, () => env.ferry.migrationStart(migrationRequest(share.id, DUMMY)), 'FAILED_PRECONDITION', 'BACKEND_DOWN');
    // It never reported its pools: the check still says what start says.
    const check = await env.ferry.migrationCheck(migrationRequest(share.id, DUMMY));
    assert.equal(check.accepted, false);
    assert.deepEqual(check.blockers.map((b) => [b.reason, b.blocks]), [['BACKEND_DOWN', 'migration'], ['DRIVER_ASSISTED_NOT_POSSIBLE', 'driver_assisted']]);
  });
});

describe('states only another writer of the store produces', () => {
  // ferry's API creates networks active and has no replicas; a store written by something else
  // (an operator's repair, a newer ferry) can hold both. Shares on share servers (dummy1, dummy2).
  it('a target share network that is not active is SHARE_NETWORK_NOT_ACTIVE; a share with replicas is SHARE_HAS_REPLICAS', async (t) => {
    const first = await startServerMigrationFerry(t, { dir: mkdtempSync(join(tmpdir(), 'fe-smv-')) });
    const subnets = [{ availabilityZone: null, neutronNetId: 'net-a', neutronSubnetId: 'subnet-a' }];
    const { shares: [onBroken] } = await first.serverWithShares(1);
    const healthy = await first.ferry.createShareNetwork({ name: 'healthy', subnets });
    const changing = await first.ferry.createShareNetwork({ name: 'changing', subnets });
    const onHealthy = (name: string) => first.ferry.createShare({ shareProto: 'NFS', sizeGib: 1, host: 'ferry@dummy1#alpha', shareType: first.typeId, shareNetworkId: healthy.id, name });
    const replicated = await onHealthy('replicated');
    const lone = await onHealthy('lone');
    const h = await restartWithStoreEdit(t, first, async (store) => {
      await store.updateShareNetwork(first.networkId, { status: 'error' });
      await store.updateShareNetwork(changing.id, { status: 'network_change' });
      await addSecondaryReplica(store, replicated.instances[0]!.id, 'ferry@dummy2#alpha');
      // A share of a replication type without a secondary: its own replica_state is no replica.
      await store.updateShareInstance(lone.instances[0]!.id, { replicaState: 'active' });
    }, (dir) => startServerMigrationFerry(t, { dir }));
    const { ferry } = h;
    const DEST = 'ferry@dummy2#alpha';
    assert.equal((await ferry.getShare(replicated.id)).instances.length, 2);

    // The share's own network (no new one given) is the target.
    let error = await assertRefused(h, onBroken!.id, () => ferry.migrationStart(migrationRequest(onBroken!.id, DEST)), 'FAILED_PRECONDITION', 'SHARE_NETWORK_NOT_ACTIVE');
    assert.equal(error.metadata['shareNetworkId'], h.networkId);
    error = await assertRefused(h, onBroken!.id, () => ferry.migrationStart(migrationRequest(onBroken!.id, DEST, { forceHostAssistedMigration: true })), 'FAILED_PRECONDITION', 'SHARE_NETWORK_NOT_ACTIVE', 'forced');
    let check = await ferry.migrationCheck(migrationRequest(onBroken!.id, DEST));
    assert.equal(check.accepted, false);
    assert.deepEqual(check.blockers.filter((b) => b.blocks === 'migration').map((b) => b.reason), ['SHARE_NETWORK_NOT_ACTIVE']);
    // Only the target counts: a new, active network takes the share out of the broken one.
    check = await ferry.migrationCheck(migrationRequest(onBroken!.id, DEST, { newShareNetworkId: healthy.id }));
    assert.deepEqual(check.blockers.filter((b) => b.blocks === 'migration'), [], 'to an active network');
    // A new network that is not active, for a share on an active one.
    error = await assertRefused(h, lone.id, () => ferry.migrationStart(migrationRequest(lone.id, DEST, { newShareNetworkId: changing.id })), 'FAILED_PRECONDITION', 'SHARE_NETWORK_NOT_ACTIVE', 'new network');
    assert.equal(error.metadata['shareNetworkId'], changing.id);
    assert.match(error.message, /is network_change, not active/);

    for (const force of [false, true]) {
      error = await assertRefused(h, replicated.id, () => ferry.migrationStart(migrationRequest(replicated.id, DEST, { forceHostAssistedMigration: force })), 'FAILED_PRECONDITION', 'SHARE_HAS_REPLICAS', `force ${force}`);
      assert.equal(error.metadata['shareId'], replicated.id);
    }
    check = await ferry.migrationCheck(migrationRequest(replicated.id, DEST));
    assert.equal(check.accepted, false);
    assert.deepEqual(check.blockers.filter((b) => b.blocks === 'migration').map((b) => b.reason), ['SHARE_HAS_REPLICAS']);
    // Manila's has_replicas: more than one instance with a replica_state.
    check = await ferry.migrationCheck(migrationRequest(lone.id, DEST));
    assert.deepEqual([check.accepted, check.blockers.filter((b) => b.blocks === 'migration')], [true, []], 'a lone active replica is no replica');

    assert.deepEqual(Object.keys(h.dummyState('dummy2').shares), [], 'nothing was created on the destination');
    assert.deepEqual((await ferry.listShareNetworks()).map((n) => [n.name, n.status]).sort(), [['changing', 'network_change'], ['healthy', 'active'], ['net1', 'error']]);
  });
});
