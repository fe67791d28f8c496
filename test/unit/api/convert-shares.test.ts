import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessLevel, AccessRuleState, AccessType, ShareStatus, SnapshotStatus, TaskState } from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import { CreateShareRequest, GrantAccessRequest } from '../../../src/contract/gen/ferry/admin/v1/shares.js';
import { accessRuleToProto, createShareRequestFromProto, grantAccessRequestFromProto, shareToProto, snapshotToProto } from '../../../src/api/convert-shares.js';
import { FerryError } from '../../../src/domain/errors.js';
import { accessRule, share, snapshot } from './sample-records.js';

function assertInvalid(run: () => unknown, reason: string, field: string) {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof FerryError);
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.equal(error.reason, reason);
    assert.deepEqual(error.fieldViolations.map((violation) => violation.field), [field]);
    return true;
  });
}

describe('convert-shares: domain -> proto', () => {
  it('shows a migrating share with its primary instance fields, instances and migration', () => {
    const message = shareToProto(share);
    assert.equal(message.id, 'share-1');
    assert.equal(message.status, ShareStatus.SHARE_STATUS_MIGRATING);
    assert.equal(message.taskState, TaskState.TASK_STATE_MIGRATION_DRIVER_IN_PROGRESS);
    assert.equal(message.host, 'node1@localfs1#pool1');
    assert.equal(message.sizeGib, 3);
    assert.deepEqual(message.metadata, { owner: 'ops' });
    assert.deepEqual(message.instances.map((instance) => [instance.id, instance.status]), [
      ['inst-src', ShareStatus.SHARE_STATUS_MIGRATING],
      ['inst-dst', ShareStatus.SHARE_STATUS_MIGRATING_TO],
    ]);
    assert.equal(message.instances[0]?.castRulesToReadonly, true);
    assert.deepEqual(message.exportLocations, [{ path: '/srv/a', isAdminOnly: false, metadata: { preferred: 'true' } }]);
    assert.equal(message.migration?.id, 'mig-1');
    assert.deepEqual(message.createdAt, { seconds: 1714557600, nanos: 0 });
  });

  it('turns null ids into empty strings, no task into UNSPECIFIED and no migration into an unset field', () => {
    const message = shareToProto({ ...share, taskState: null, migration: null, shareNetworkId: null, shareServerId: null });
    assert.equal(message.taskState, TaskState.TASK_STATE_UNSPECIFIED);
    assert.equal(message.migration, undefined);
    assert.equal(message.shareNetworkId, '');
    assert.equal(message.shareServerId, '');
    assert.equal(message.instances[0]?.replicaState, '');
  });

  it('shows an access rule with its state on every instance', () => {
    const message = accessRuleToProto(accessRule);
    assert.equal(message.accessType, AccessType.ACCESS_TYPE_IP);
    assert.equal(message.accessLevel, AccessLevel.ACCESS_LEVEL_RO);
    assert.deepEqual(message.instanceStates, { 'inst-src': AccessRuleState.ACCESS_RULE_STATE_ACTIVE, 'inst-dst': AccessRuleState.ACCESS_RULE_STATE_QUEUED_TO_APPLY });
  });

  it('shows a snapshot with its instances', () => {
    const message = snapshotToProto(snapshot);
    assert.equal(message.status, SnapshotStatus.SNAPSHOT_STATUS_MIGRATING);
    assert.deepEqual(message.instances.map((instance) => instance.shareInstanceId), ['inst-src']);
  });
});

describe('convert-shares: proto -> domain', () => {
  const create = (fields: Partial<CreateShareRequest>) => CreateShareRequest.fromPartial({ shareProto: 'NFS', sizeGib: 1, ...fields });

  it('passes a create request on with empty optional fields left out', () => {
    assert.deepEqual(createShareRequestFromProto(create({ name: 'docs', host: 'n@b#p', metadata: { a: 'b' } })), {
      shareProto: 'NFS', sizeGib: 1, name: 'docs', description: undefined, shareType: undefined, shareNetworkId: undefined,
      availabilityZone: undefined, host: 'n@b#p', metadata: { a: 'b' },
    });
  });

  it('refuses a create request without share_proto or size_gib, or with a negative size', () => {
    assertInvalid(() => createShareRequestFromProto(create({ shareProto: '' })), 'MISSING_FIELD', 'share_proto');
    assertInvalid(() => createShareRequestFromProto(create({ sizeGib: 0 })), 'MISSING_FIELD', 'size_gib');
    assertInvalid(() => createShareRequestFromProto(create({ sizeGib: -2 })), 'INVALID_FIELD', 'size_gib');
  });

  it('grants read-write when access_level is not given, as Manila does', () => {
    const request = GrantAccessRequest.fromPartial({ shareId: 's', accessType: AccessType.ACCESS_TYPE_USER, accessTo: 'alice' });
    assert.deepEqual(grantAccessRequestFromProto(request), { shareId: 's', accessType: 'user', accessTo: 'alice', accessLevel: 'rw' });
  });

  it('refuses a grant without share_id, access_type or access_to, or with an unknown level', () => {
    const base = { shareId: 's', accessType: AccessType.ACCESS_TYPE_IP, accessTo: '10.0.0.1' };
    assertInvalid(() => grantAccessRequestFromProto(GrantAccessRequest.fromPartial({ ...base, shareId: '' })), 'MISSING_FIELD', 'share_id');
    assertInvalid(() => grantAccessRequestFromProto(GrantAccessRequest.fromPartial({ ...base, accessType: AccessType.ACCESS_TYPE_UNSPECIFIED })), 'MISSING_FIELD', 'access_type');
    assertInvalid(() => grantAccessRequestFromProto(GrantAccessRequest.fromPartial({ ...base, accessTo: '' })), 'MISSING_FIELD', 'access_to');
    assertInvalid(() => grantAccessRequestFromProto(GrantAccessRequest.fromPartial({ ...base, accessLevel: 7 as AccessLevel })), 'INVALID_FIELD', 'access_level');
  });
});
