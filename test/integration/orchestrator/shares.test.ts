/**
 * Share, share-type and share-network operations outside migrations, through createFerry with
 * real plugins: placement (the named pool, or the scheduler's choice; NO_VALID_HOST when nothing
 * fits), get/list/delete, extend/shrink, the catalog's CRUD rules, and reset_status /
 * reset_task_state validation.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dummyBackend, localfsBackend, restartWithStoreEdit, startTestFerry } from '../../helpers/ferry-harness.js';
import { L1P1, assertRefused, dataDir, newShare, rejectsWith, sharedTestFerry } from '../../helpers/share-migration.js';

/** Capacities chosen so the scheduler's choice is known: localfs2#pool1 has the most room. */
const dummyPools = [
  { name: 'alpha', totalCapacityGib: 3, freeCapacityGib: 3, availabilityZone: 'zone-b', capabilities: {} },
  { name: 'gamma', totalCapacityGib: 100, freeCapacityGib: 100, availabilityZone: 'nova', capabilities: { driver_handles_share_servers: 'true' } },
];

describe('shares, share types and share networks', () => {
  const env = sharedTestFerry({
    backends: (dir) => [
      localfsBackend('localfs1', join(dir, 'b', 'l1'), { capacityGib: { pool1: 20, pool2: 30 } }),
      localfsBackend('localfs2', join(dir, 'b', 'l2'), { capacityGib: { pool1: 60, pool2: 10 } }),
      dummyBackend('dummy', join(dir, 'b', 'dummy'), { pools: dummyPools }),
    ],
  });

  it('creates on the named pool, or where the scheduler finds most room; NO_VALID_HOST when nothing fits', async () => {
    const { ferry } = env();
    const named = await newShare(env(), L1P1, 2);
    assert.equal(named.host, L1P1);
    assert.equal(named.instances.length, 1);
    assert.ok(existsSync(dataDir(named.instances[0]!)));

    const placed = await ferry.createShare({ shareProto: 'NFS', sizeGib: 1 });
    assert.equal(placed.host, 'ferry@localfs2#pool1');
    assert.equal(placed.status, 'available');
    const zoned = await ferry.createShare({ shareProto: 'NFS', sizeGib: 1, availabilityZone: 'zone-b' });
    assert.equal(zoned.host, 'ferry@dummy#alpha');
    assert.equal(zoned.availabilityZone, 'zone-b');

    const before = (await ferry.listShares()).length;
    await rejectsWith(ferry.createShare({ shareProto: 'NFS', sizeGib: 500 }), 'FAILED_PRECONDITION', 'NO_VALID_HOST');
    await rejectsWith(ferry.createShare({ shareProto: 'NFS', sizeGib: 1, availabilityZone: 'zone-z' }), 'FAILED_PRECONDITION', 'NO_VALID_HOST');
    await rejectsWith(ferry.createShare({ shareProto: 'NFS', sizeGib: 5, availabilityZone: 'zone-b' }), 'FAILED_PRECONDITION', 'NO_VALID_HOST');
    await rejectsWith(ferry.createShare({ shareProto: 'NFS', sizeGib: 25, host: L1P1 }), 'FAILED_PRECONDITION', 'NO_VALID_HOST');
    const zonedType = await ferry.createShareType({ name: 's-zone', extraSpecs: { driver_handles_share_servers: 'false', availability_zones: 'zone-x' } });
    await rejectsWith(ferry.createShare({ shareProto: 'NFS', sizeGib: 1, shareType: zonedType.name }), 'FAILED_PRECONDITION', 'NO_VALID_HOST');
    await rejectsWith(ferry.createShare({ shareProto: 'NFS', sizeGib: 1, host: L1P1, shareType: zonedType.id }), 'FAILED_PRECONDITION', 'AVAILABILITY_ZONE_MISMATCH');
    assert.equal((await ferry.listShares()).length, before, 'no refused create left a record');
  });

  it('refuses malformed and unknown input', async () => {
    const { ferry } = env();
    const bad: [Parameters<typeof ferry.createShare>[0], string, string][] = [
      [{ shareProto: '', sizeGib: 1 }, 'INVALID_ARGUMENT', 'MISSING_FIELD'],
      [{ shareProto: 'SMB3', sizeGib: 1 }, 'INVALID_ARGUMENT', 'INVALID_FIELD'],
      [{ shareProto: 'NFS', sizeGib: 0 }, 'INVALID_ARGUMENT', 'INVALID_FIELD'],
      [{ shareProto: 'NFS', sizeGib: 1.5 }, 'INVALID_ARGUMENT', 'INVALID_FIELD'],
      [{ shareProto: 'NFS', sizeGib: 1, host: 'ferry@localfs1' }, 'INVALID_ARGUMENT', 'INVALID_FIELD'],
      [{ shareProto: 'NFS', sizeGib: 1, host: 'ferry@nope#pool1' }, 'NOT_FOUND', 'BACKEND_NOT_FOUND'],
      [{ shareProto: 'NFS', sizeGib: 1, host: 'ferry@localfs1#nope' }, 'NOT_FOUND', 'POOL_NOT_FOUND'],
      [{ shareProto: 'NFS', sizeGib: 1, shareType: 'no-such-type' }, 'NOT_FOUND', 'SHARE_TYPE_NOT_FOUND'],
      [{ shareProto: 'NFS', sizeGib: 1, shareNetworkId: 'no-such-network' }, 'NOT_FOUND', 'SHARE_NETWORK_NOT_FOUND'],
    ];
    for (const [request, code, reason] of bad) await rejectsWith(ferry.createShare(request), code, reason);
    await rejectsWith(ferry.getShare('no-such-share'), 'NOT_FOUND', 'SHARE_NOT_FOUND');
    await rejectsWith(ferry.deleteShare('no-such-share'), 'NOT_FOUND', 'SHARE_NOT_FOUND');
    await rejectsWith(ferry.extendShare('no-such-share', 5), 'NOT_FOUND', 'SHARE_NOT_FOUND');
    await rejectsWith(ferry.deleteSnapshot('no-such-snapshot'), 'NOT_FOUND', 'SNAPSHOT_NOT_FOUND');
  });

  it('gets, lists and deletes shares; a share with snapshots is not deleted', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    const got = await ferry.getShare(share.id);
    assert.deepEqual([got.id, got.status, got.host, got.sizeGib, got.shareProto, got.taskState], [share.id, 'available', L1P1, 1, 'NFS', null]);
    assert.ok((await ferry.listShares({ host: L1P1 })).some((s) => s.id === share.id));
    assert.ok((await ferry.listShares({ host: 'ferry@localfs1' })).some((s) => s.id === share.id), 'a back-end host matches its pools');
    assert.ok(!(await ferry.listShares({ host: 'ferry@localfs2#pool1' })).some((s) => s.id === share.id));
    assert.ok(!(await ferry.listShares({ status: 'error' })).some((s) => s.id === share.id));

    const snapshot = await ferry.createSnapshot({ shareId: share.id });
    await assertRefused(env(), share.id, () => ferry.deleteShare(share.id), 'FAILED_PRECONDITION', 'SHARE_HAS_SNAPSHOTS');
    await ferry.deleteSnapshot(snapshot.id);
    await ferry.deleteShare(share.id);
    await rejectsWith(ferry.getShare(share.id), 'NOT_FOUND', 'SHARE_NOT_FOUND');
    assert.ok(!existsSync(share.instances[0]!.providerLocation), 'the back end removed the share');
  });

  it('extends and shrinks; a size that does not move the right way is INVALID_SIZE', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1, 2);
    assert.equal((await ferry.extendShare(share.id, 4)).sizeGib, 4);
    assert.equal((await ferry.shrinkShare(share.id, 3)).sizeGib, 3);
    for (const size of [3, 2]) await assertRefused(env(), share.id, () => ferry.extendShare(share.id, size), 'INVALID_ARGUMENT', 'INVALID_SIZE', `extend to ${size}`);
    for (const size of [3, 4]) await assertRefused(env(), share.id, () => ferry.shrinkShare(share.id, size), 'INVALID_ARGUMENT', 'INVALID_SIZE', `shrink to ${size}`);
    await assertRefused(env(), share.id, () => ferry.shrinkShare(share.id, 0), 'INVALID_ARGUMENT', 'INVALID_FIELD');
    await ferry.resetStatus(share.id, 'error');
    await assertRefused(env(), share.id, () => ferry.extendShare(share.id, 5), 'FAILED_PRECONDITION', 'INVALID_SHARE_STATUS');
    await ferry.resetStatus(share.id, 'available');
    assert.equal((await ferry.getShare(share.id)).sizeGib, 3);
  });

  it('share types: create, list, ALREADY_EXISTS, IN_USE, NOT_FOUND, delete', async () => {
    const { ferry } = env();
    const type = await ferry.createShareType({ name: 'gold', description: 'fast', extraSpecs: { driver_handles_share_servers: 'False', snapshot_support: 'TRUE' } });
    assert.deepEqual(type.extraSpecs, { driver_handles_share_servers: 'false', snapshot_support: 'true' });
    const names = (await ferry.listShareTypes()).map((t) => t.name);
    assert.ok(names.includes('default') && names.includes('gold'), names.join(','));
    await rejectsWith(ferry.createShareType({ name: 'gold', extraSpecs: { driver_handles_share_servers: 'false' } }), 'ALREADY_EXISTS', 'ALREADY_EXISTS');
    await rejectsWith(ferry.createShareType({ name: 'x', extraSpecs: {} }), 'INVALID_ARGUMENT', 'MISSING_FIELD');
    await rejectsWith(ferry.createShareType({ name: 'y', extraSpecs: { driver_handles_share_servers: 'maybe' } }), 'INVALID_ARGUMENT', 'INVALID_FIELD');
    await rejectsWith(ferry.createShareType({ name: 'z', extraSpecs: { driver_handles_share_servers: 'false', 'provisioning:max_share_size': '-1' } }), 'INVALID_ARGUMENT', 'INVALID_FIELD');

    const share = await newShare(env(), L1P1, 1, 'gold');
    assert.equal(share.shareTypeId, type.id);
    await rejectsWith(ferry.deleteShareType('gold'), 'FAILED_PRECONDITION', 'IN_USE');
    await ferry.deleteShare(share.id);
    await ferry.deleteShareType(type.id);
    await rejectsWith(ferry.deleteShareType('gold'), 'NOT_FOUND', 'SHARE_TYPE_NOT_FOUND');
    assert.ok(!(await ferry.listShareTypes()).some((t) => t.name === 'gold'));
  });

  it('share networks: create, list, IN_USE by a share on a share server, NOT_FOUND, delete', async () => {
    const { ferry } = env();
    await rejectsWith(ferry.createShareNetwork({ subnets: [{ availabilityZone: null, neutronNetId: '', neutronSubnetId: 's' }] }), 'INVALID_ARGUMENT', 'MISSING_FIELD');
    await rejectsWith(ferry.createShareNetwork({ subnets: [{ availabilityZone: null, neutronNetId: 'n', neutronSubnetId: 's' }, { availabilityZone: null, neutronNetId: 'n', neutronSubnetId: 't' }] }), 'INVALID_ARGUMENT', 'INVALID_FIELD');
    const network = await ferry.createShareNetwork({ name: 'net1', subnets: [{ availabilityZone: null, neutronNetId: 'n1', neutronSubnetId: 's1' }] });
    assert.equal(network.status, 'active');
    assert.ok((await ferry.listShareNetworks()).some((n) => n.id === network.id));

    const dhss = await ferry.createShareType({ name: 'servers', extraSpecs: { driver_handles_share_servers: 'true' } });
    await rejectsWith(ferry.createShare({ shareProto: 'NFS', sizeGib: 1, shareType: dhss.id }), 'INVALID_ARGUMENT', 'SHARE_NETWORK_REQUIRED');
    await rejectsWith(ferry.createShare({ shareProto: 'NFS', sizeGib: 1, shareNetworkId: network.id }), 'INVALID_ARGUMENT', 'SHARE_NETWORK_NOT_ALLOWED');
    const share = await ferry.createShare({ shareProto: 'NFS', sizeGib: 1, shareType: dhss.id, shareNetworkId: network.id });
    assert.equal(share.host, 'ferry@dummy#gamma');
    assert.ok(share.shareServerId, 'the share lives on a share server');
    assert.equal((await ferry.listShareServers({ host: 'ferry@dummy' })).find((s) => s.id === share.shareServerId)?.status, 'active');

    await rejectsWith(ferry.deleteShareNetwork(network.id), 'FAILED_PRECONDITION', 'IN_USE');
    await ferry.deleteShare(share.id);
    // The network's idle share server goes with it, torn down by its driver (as in Manila).
    const dummyServers = () => Object.keys((JSON.parse(readFileSync(join(env().dir, 'b', 'dummy', 'state.json'), 'utf8')) as { servers: Record<string, unknown> }).servers);
    assert.deepEqual(dummyServers(), [share.shareServerId]);
    await ferry.deleteShareNetwork(network.id);
    assert.ok(!(await ferry.listShareServers()).some((s) => s.id === share.shareServerId));
    assert.deepEqual(dummyServers(), []);
    await rejectsWith(ferry.deleteShareNetwork(network.id), 'NOT_FOUND', 'SHARE_NETWORK_NOT_FOUND');
    assert.ok(!(await ferry.listShareNetworks()).some((n) => n.id === network.id));
  });

  it('access rules: validated, unique, and not changed on a share in error', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    const rule = await ferry.grantAccess({ shareId: share.id, accessType: 'ip', accessTo: '10.1.0.0/16', accessLevel: 'rw' });
    assert.equal(rule.state, 'active');
    await rejectsWith(ferry.grantAccess({ shareId: share.id, accessType: 'ip', accessTo: '10.1.0.0/16', accessLevel: 'ro' }), 'ALREADY_EXISTS', 'ALREADY_EXISTS');
    await rejectsWith(ferry.grantAccess({ shareId: share.id, accessType: 'ip', accessTo: 'not-an-ip', accessLevel: 'rw' }), 'INVALID_ARGUMENT', 'INVALID_FIELD');
    await rejectsWith(ferry.grantAccess({ shareId: share.id, accessType: 'ip', accessTo: '10.2.0.1', accessLevel: 'rx' as 'rw' }), 'INVALID_ARGUMENT', 'INVALID_FIELD');
    await rejectsWith(ferry.revokeAccess(share.id, 'no-such-rule'), 'NOT_FOUND', 'ACCESS_RULE_NOT_FOUND');
    await ferry.resetStatus(share.id, 'error');
    await assertRefused(env(), share.id, () => ferry.grantAccess({ shareId: share.id, accessType: 'user', accessTo: 'bob', accessLevel: 'ro' }), 'FAILED_PRECONDITION', 'INVALID_SHARE_STATUS');
    await assertRefused(env(), share.id, () => ferry.revokeAccess(share.id, rule.id), 'FAILED_PRECONDITION', 'INVALID_SHARE_STATUS');
    await ferry.resetStatus(share.id, 'available');
    await ferry.revokeAccess(share.id, rule.id);
    assert.deepEqual(await ferry.listAccessRules(share.id), []);
  });

  it('reset_status and reset_task_state accept only their values', async () => {
    const { ferry } = env();
    const share = await newShare(env(), L1P1);
    for (const status of ['bogus', 'inactive', 'extending']) {
      await assertRefused(env(), share.id, () => ferry.resetStatus(share.id, status as 'available'), 'INVALID_ARGUMENT', 'INVALID_STATUS', status);
    }
    for (const taskState of ['bogus', 'migration_driver_starting', 'migration_cancel_in_progress']) {
      await assertRefused(env(), share.id, () => ferry.resetTaskState(share.id, taskState as 'migration_error'), 'INVALID_ARGUMENT', 'INVALID_TASK_STATE', taskState);
    }
    await rejectsWith(ferry.resetStatus('no-such-share', 'error'), 'NOT_FOUND', 'SHARE_NOT_FOUND');
    assert.equal((await ferry.resetStatus(share.id, 'error')).status, 'error');
    assert.equal((await ferry.resetStatus(share.id, 'available')).status, 'available');
    assert.equal((await ferry.resetTaskState(share.id, 'migration_error')).taskState, 'migration_error');
    assert.equal((await ferry.resetTaskState(share.id, null)).taskState, null);
  });
});

describe('a share network that is not active', () => {
  it('createShare on it is SHARE_NETWORK_NOT_ACTIVE and creates nothing; an active network still works', async (t) => {
    // ferry creates networks active; only another writer of the store can leave one in error or network_change.
    const start = (dir: string) => startTestFerry(t, { dir, backends: (d) => [dummyBackend('dummy', join(d, 'b', 'dummy'), { pools: dummyPools })] });
    const first = await start(mkdtempSync(join(tmpdir(), 'fe-net-')));
    const dhss = await first.ferry.createShareType({ name: 'servers', extraSpecs: { driver_handles_share_servers: 'true' } });
    const subnets = [{ availabilityZone: null, neutronNetId: 'n1', neutronSubnetId: 's1' }];
    const broken = await first.ferry.createShareNetwork({ name: 'broken', subnets });
    const changing = await first.ferry.createShareNetwork({ name: 'changing', subnets });
    const healthy = await first.ferry.createShareNetwork({ name: 'healthy', subnets });
    const env = await restartWithStoreEdit(t, first, async (store) => {
      await store.updateShareNetwork(broken.id, { status: 'error' });
      await store.updateShareNetwork(changing.id, { status: 'network_change' });
    }, start);
    const { ferry } = env;
    const dummyState = () => JSON.parse(readFileSync(join(env.dir, 'b', 'dummy', 'state.json'), 'utf8')) as { shares: Record<string, unknown>; servers: Record<string, unknown> };

    for (const [network, status] of [[broken, 'error'], [changing, 'network_change']] as const) {
      for (const host of [undefined, 'ferry@dummy#gamma']) {
        const error = await rejectsWith(ferry.createShare({ shareProto: 'NFS', sizeGib: 1, shareType: dhss.id, shareNetworkId: network.id, ...(host ? { host } : {}) }), 'FAILED_PRECONDITION', 'SHARE_NETWORK_NOT_ACTIVE');
        assert.equal(error.metadata['shareNetworkId'], network.id);
        assert.match(error.message, new RegExp(`is ${status}, not active`));
      }
    }
    assert.deepEqual(await ferry.listShares(), [], 'no share record');
    assert.deepEqual(await ferry.listShareServers(), [], 'no share server record');
    assert.deepEqual([Object.keys(dummyState().shares), Object.keys(dummyState().servers)], [[], []], 'nothing on the back end');
    assert.deepEqual((await ferry.listShareNetworks()).map((n) => [n.name, n.status]).sort(), [['broken', 'error'], ['changing', 'network_change'], ['healthy', 'active']]);

    const share = await ferry.createShare({ shareProto: 'NFS', sizeGib: 1, shareType: dhss.id, shareNetworkId: healthy.id });
    assert.equal(share.status, 'available');
  });
});
