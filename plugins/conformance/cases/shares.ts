import { PluginCapability } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { ShareServiceService } from '../../../src/contract/gen/ferry/driver/v1/share.js';
import { AccessRuleState } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import type { ShareInstance } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import type { PluginHandle } from '../../../src/host/index.js';
import { check, expectError, expectOk, type CaseContext, type ConformanceCase } from '../case.js';
import { ipRule, shareInstance, snapshotInstance } from '../requests.js';

const SHARES = PluginCapability.PLUGIN_CAPABILITY_SHARES;
const SNAPSHOTS = PluginCapability.PLUGIN_CAPABILITY_SHARE_SNAPSHOTS;
const RESIZE = PluginCapability.PLUGIN_CAPABILITY_SHARE_RESIZE;
const HOST_ASSISTED = PluginCapability.PLUGIN_CAPABILITY_SHARE_HOST_ASSISTED_MIGRATION;

/** Creates an instance for the case and deletes it afterwards. */
export async function createdInstance(ctx: CaseContext, plugin: PluginHandle = ctx.subject, overrides: Partial<ShareInstance> = {}): Promise<ShareInstance> {
  const instance = shareInstance(plugin === ctx.subject ? ctx.pools : (ctx.peerPools ?? ctx.pools), plugin.name, overrides);
  const created = await expectOk(plugin.call(ShareServiceService.createShareInstance, { shareInstance: instance, sourceSnapshotInstance: undefined, shareServer: undefined }), 'CreateShareInstance', 'share.proto CreateShareInstance');
  ctx.defer(() => plugin.call(ShareServiceService.deleteShareInstance, { shareInstance: instance, shareServer: undefined }));
  return { ...instance, exportLocations: created.exportLocations, providerLocation: created.providerLocation, backendDetails: created.backendDetails };
}

const create = (plugin: PluginHandle, instance: ShareInstance) => plugin.call(ShareServiceService.createShareInstance, { shareInstance: instance, sourceSnapshotInstance: undefined, shareServer: undefined });
const remove = (plugin: PluginHandle, instance: ShareInstance) => plugin.call(ShareServiceService.deleteShareInstance, { shareInstance: instance, shareServer: undefined });
const exportsOf = (plugin: PluginHandle, instance: ShareInstance) => plugin.call(ShareServiceService.getExportLocations, { shareInstance: instance, shareServer: undefined });

export const shareCases: ConformanceCase[] = [
  {
    suite: 'shares',
    name: 'CreateShareInstance returns at least one export location',
    requires: [SHARES],
    async run(ctx) {
      const instance = await createdInstance(ctx);
      check(instance.exportLocations.length > 0 && instance.exportLocations.every((e) => e.path !== ''), 'CreateShareInstance returned no export location (or one with an empty path)', 'share.proto CreateShareInstanceResponse.export_locations');
    },
  },
  {
    suite: 'shares',
    name: 'CreateShareInstance replayed with the same id returns the same export locations',
    requires: [SHARES],
    async run(ctx) {
      const instance = await createdInstance(ctx);
      const replay = await expectOk(create(ctx.subject, { ...instance, exportLocations: [] }), 'replayed CreateShareInstance', 'identity.proto "Concurrency and retries": a replay returns the same result');
      const paths = (list: { path: string }[]) => JSON.stringify(list.map((e) => e.path).sort());
      check(paths(replay.exportLocations) === paths(instance.exportLocations), `replay returned ${paths(replay.exportLocations)}, first call ${paths(instance.exportLocations)}`, 'identity.proto "Concurrency and retries": a replay returns the same result');
    },
  },
  {
    suite: 'shares',
    name: 'CreateShareInstance reusing an id with another size fails with ALREADY_EXISTS',
    requires: [SHARES],
    async run(ctx) {
      const instance = await createdInstance(ctx);
      await expectError(create(ctx.subject, { ...instance, sizeGib: instance.sizeGib + 1 }), 'ALREADY_EXISTS', 'ALREADY_EXISTS_INCOMPATIBLE', 'CreateShareInstance with the same id and a different size', 'share.proto CreateShareInstance errors: same id exists with other parameters');
    },
  },
  {
    suite: 'shares',
    name: 'CreateShareInstance without share_instance_id fails with INVALID_ARGUMENT (MISSING_FIELD)',
    requires: [SHARES],
    async run(ctx) {
      await expectError(create(ctx.subject, shareInstance(ctx.pools, ctx.subject.name, { shareInstanceId: '' })), 'INVALID_ARGUMENT', 'MISSING_FIELD', 'CreateShareInstance with an empty share_instance_id', 'errors.proto general error scheme: a REQUIRED field is empty');
    },
  },
  {
    suite: 'shares',
    name: 'CreateShareInstance in a pool the back end does not have fails with NOT_FOUND (POOL_NOT_FOUND)',
    requires: [SHARES],
    async run(ctx) {
      const instance = shareInstance(ctx.pools, ctx.subject.name, { pool: 'conformance-no-such-pool' });
      ctx.defer(() => remove(ctx.subject, instance));
      await expectError(create(ctx.subject, instance), 'NOT_FOUND', 'POOL_NOT_FOUND', 'CreateShareInstance in pool "conformance-no-such-pool"', 'share.proto CreateShareInstance errors: pool is not one of this back end\'s');
    },
  },
  {
    suite: 'shares',
    name: 'GetExportLocations returns the instance\'s export locations, and NOT_FOUND for an unknown id',
    requires: [SHARES],
    async run(ctx) {
      const instance = await createdInstance(ctx);
      const got = await expectOk(exportsOf(ctx.subject, instance), 'GetExportLocations', 'share.proto GetExportLocations');
      check(got.exportLocations.length > 0, 'GetExportLocations returned no export location for a live instance', 'share.proto GetExportLocations');
      await expectError(exportsOf(ctx.subject, shareInstance(ctx.pools, ctx.subject.name)), 'NOT_FOUND', 'SHARE_INSTANCE_NOT_FOUND', 'GetExportLocations of an unknown instance', 'share.proto GetExportLocations errors');
    },
  },
  {
    suite: 'shares',
    name: 'DeleteShareInstance is idempotent: a second delete and a delete of an unknown id are OK',
    requires: [SHARES],
    async run(ctx) {
      const instance = shareInstance(ctx.pools, ctx.subject.name);
      await expectOk(create(ctx.subject, instance), 'CreateShareInstance', 'share.proto CreateShareInstance');
      await expectOk(remove(ctx.subject, instance), 'DeleteShareInstance', 'share.proto DeleteShareInstance');
      await expectOk(remove(ctx.subject, instance), 'second DeleteShareInstance of the same id', 'share.proto DeleteShareInstance: an unknown id returns OK');
      await expectOk(remove(ctx.subject, shareInstance(ctx.pools, ctx.subject.name)), 'DeleteShareInstance of an id never created', 'share.proto DeleteShareInstance: an unknown id returns OK');
      await expectError(exportsOf(ctx.subject, instance), 'NOT_FOUND', 'SHARE_INSTANCE_NOT_FOUND', 'GetExportLocations after delete', 'share.proto DeleteShareInstance');
    },
  },
  {
    suite: 'resize',
    name: 'ExtendShareInstance grows the instance, a replay is OK, and shrinking back works',
    requires: [SHARES, RESIZE],
    async run(ctx) {
      const instance = await createdInstance(ctx);
      const extend = () => ctx.subject.call(ShareServiceService.extendShareInstance, { shareInstance: instance, newSizeGib: instance.sizeGib + 1, shareServer: undefined });
      await expectOk(extend(), 'ExtendShareInstance', 'share.proto ExtendShareInstance');
      await expectOk(extend(), 'replayed ExtendShareInstance', 'share.proto ExtendShareInstance idempotency');
      await expectOk(ctx.subject.call(ShareServiceService.shrinkShareInstance, { shareInstance: { ...instance, sizeGib: instance.sizeGib + 1 }, newSizeGib: instance.sizeGib, shareServer: undefined }), 'ShrinkShareInstance back to the original size', 'share.proto ShrinkShareInstance');
      await expectError(ctx.subject.call(ShareServiceService.extendShareInstance, { shareInstance: shareInstance(ctx.pools, ctx.subject.name), newSizeGib: 5, shareServer: undefined }), 'NOT_FOUND', 'SHARE_INSTANCE_NOT_FOUND', 'ExtendShareInstance of an unknown instance', 'share.proto ExtendShareInstance errors');
    },
  },
  {
    suite: 'access',
    name: 'UpdateAccess applies an rw rule, casts to read-only and reverts, each rule ending active',
    requires: [SHARES],
    async run(ctx) {
      const instance = await createdInstance(ctx);
      const rule = ipRule('10.254.0.10', 'rw');
      const update = (castRulesToReadonly: boolean, addRules = [rule]) =>
        ctx.subject.call(ShareServiceService.updateAccess, { shareInstance: instance, accessRules: castRulesToReadonly ? [{ ...rule, accessLevel: 'ro' }] : [rule], addRules: castRulesToReadonly ? [] : addRules, deleteRules: [], updateRules: [], castRulesToReadonly, shareServer: undefined });
      // One step at a time: overlapping calls on one instance are answered ABORTED, by contract.
      const steps = [['add an rw rule', () => update(false)], ['cast the rules read-only', () => update(true)], ['revert the read-only cast', () => update(false, [])]] as const;
      for (const [step, call] of steps) {
        const answer = await expectOk(call(), `UpdateAccess to ${step}`, 'share.proto UpdateAccess');
        const state = answer.accessRuleUpdates[rule.accessRuleId]?.state;
        check(state === undefined || state === AccessRuleState.ACCESS_RULE_STATE_ACTIVE, `UpdateAccess to ${step}: rule ${rule.accessRuleId} ended in state ${state}`, 'share.proto UpdateAccessResponse.access_rule_updates');
      }
    },
  },
  {
    suite: 'access',
    name: 'UpdateAccess on an unknown instance fails with NOT_FOUND',
    requires: [SHARES],
    async run(ctx) {
      await expectError(ctx.subject.call(ShareServiceService.updateAccess, { shareInstance: shareInstance(ctx.pools, ctx.subject.name), accessRules: [], addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: false, shareServer: undefined }), 'NOT_FOUND', 'SHARE_INSTANCE_NOT_FOUND', 'UpdateAccess of an unknown instance', 'share.proto UpdateAccess errors');
    },
  },
  {
    suite: 'snapshots',
    name: 'snapshots: create is idempotent, they block deleting their instance, delete is idempotent',
    requires: [SHARES, SNAPSHOTS],
    async run(ctx) {
      const instance = await createdInstance(ctx);
      const snapshot = snapshotInstance(instance);
      const createSnap = () => ctx.subject.call(ShareServiceService.createSnapshotInstance, { snapshotInstance: snapshot, shareInstance: instance, shareServer: undefined });
      const deleteSnap = () => ctx.subject.call(ShareServiceService.deleteSnapshotInstance, { snapshotInstance: snapshot, shareInstance: instance, shareServer: undefined });
      ctx.defer(deleteSnap);
      await expectOk(createSnap(), 'CreateSnapshotInstance', 'share.proto CreateSnapshotInstance');
      await expectOk(createSnap(), 'replayed CreateSnapshotInstance', 'identity.proto "Concurrency and retries"');
      await expectError(remove(ctx.subject, instance), 'FAILED_PRECONDITION', 'RESOURCE_IN_USE', 'DeleteShareInstance of an instance that has a snapshot', 'share.proto DeleteShareInstance errors: instance still has snapshot instances');
      await expectOk(deleteSnap(), 'DeleteSnapshotInstance', 'share.proto DeleteSnapshotInstance');
      await expectOk(deleteSnap(), 'second DeleteSnapshotInstance', 'share.proto DeleteSnapshotInstance: an unknown id returns OK');
    },
  },
  {
    suite: 'connection-info',
    name: 'GetConnectionInfo tells the data service how to reach the instance',
    requires: [SHARES, HOST_ASSISTED],
    async run(ctx) {
      const instance = await createdInstance(ctx);
      const answer = await expectOk(ctx.subject.call(ShareServiceService.getConnectionInfo, { shareInstance: instance, shareServer: undefined }), 'GetConnectionInfo', 'share.proto GetConnectionInfo');
      const info = answer.connectionInfo;
      check(info !== undefined, 'GetConnectionInfo returned no connection_info', 'share.proto GetConnectionInfoResponse.connection_info: REQUIRED');
      const mountable = info.mountArgv.some((arg) => arg.includes('{path}')) && info.unmountArgv.some((arg) => arg.includes('{path}'));
      check(info.localPath !== '' || mountable, 'connection_info has neither local_path nor mount/unmount argv templates containing {path}', 'share.proto ConnectionInfo');
      await expectError(ctx.subject.call(ShareServiceService.getConnectionInfo, { shareInstance: shareInstance(ctx.pools, ctx.subject.name), shareServer: undefined }), 'NOT_FOUND', 'SHARE_INSTANCE_NOT_FOUND', 'GetConnectionInfo of an unknown instance', 'share.proto GetConnectionInfo errors');
    },
  },
];
