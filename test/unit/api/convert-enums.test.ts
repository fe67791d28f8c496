import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as proto from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import {
  EnumMappingError, accessLevel, accessRuleState, accessRulesStatus, accessType, backendState, blockedPath, enumCodec, migrationMethod,
  migrationMethodToProto, migrationOutcome, pendingAction, shareNetworkStatus, shareServerStatus, shareStatus, snapshotStatus, taskState, taskStateToProto,
  type EnumCodec,
} from '../../../src/api/convert-enums.js';
import { FerryError } from '../../../src/domain/errors.js';

const codecs: [string, EnumCodec<string, number>, Record<string, string | number>][] = [
  ['SHARE_STATUS_', shareStatus, proto.ShareStatus],
  ['TASK_STATE_', taskState, proto.TaskState],
  ['ACCESS_RULE_STATE_', accessRuleState, proto.AccessRuleState],
  ['ACCESS_RULES_STATUS_', accessRulesStatus, proto.AccessRulesStatus],
  ['ACCESS_TYPE_', accessType, proto.AccessType],
  ['ACCESS_LEVEL_', accessLevel, proto.AccessLevel],
  ['SNAPSHOT_STATUS_', snapshotStatus, proto.SnapshotStatus],
  ['SHARE_SERVER_STATUS_', shareServerStatus, proto.ShareServerStatus],
  ['SHARE_NETWORK_STATUS_', shareNetworkStatus, proto.ShareNetworkStatus],
  ['MIGRATION_METHOD_', migrationMethod, proto.MigrationMethod],
  ['BACKEND_STATE_', backendState, proto.BackendState],
  ['PENDING_ACTION_', pendingAction, proto.PendingAction],
  ['MIGRATION_OUTCOME_', migrationOutcome, proto.MigrationOutcome],
  ['BLOCKED_PATH_', blockedPath, proto.BlockedPath],
];

describe('convert-enums', () => {
  for (const [prefix, codec, protoEnum] of codecs) {
    it(`maps every ${prefix}* value to the domain string of the same name, both ways`, () => {
      const protoNames = Object.keys(protoEnum).filter((key) => typeof protoEnum[key] === 'number' && protoEnum[key] !== 0);
      assert.deepEqual(new Set(codec.values.map((value) => `${prefix}${value.toUpperCase()}`)), new Set(protoNames));
      for (const value of codec.values) {
        const number = codec.toProto(value);
        assert.equal(protoEnum[number], `${prefix}${value.toUpperCase()}`);
        assert.equal(codec.fromProto(number, 'f'), value);
      }
    });
  }

  it('maps task_state names exactly as the reference spells them', () => {
    assert.equal(taskState.toProto('migration_driver_phase1_done'), proto.TaskState.TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE);
    assert.equal(shareStatus.toProto('migrating_to'), proto.ShareStatus.SHARE_STATUS_MIGRATING_TO);
  });

  it('reads *_UNSPECIFIED in a request as "not given"', () => {
    assert.equal(shareStatus.fromProto(0, 'status'), undefined);
    assert.equal(taskState.fromProto(proto.TaskState.TASK_STATE_UNSPECIFIED, 'task_state'), undefined);
  });

  it('refuses an enum number the API does not define with INVALID_FIELD naming the field', () => {
    assert.throws(() => taskState.fromProto(99, 'task_state'), (error: unknown) => {
      assert.ok(error instanceof FerryError);
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.equal(error.reason, 'INVALID_FIELD');
      assert.equal(error.domain, 'ferry.dev');
      assert.deepEqual(error.fieldViolations, [{ field: 'task_state', description: '99 is not a TASK_STATE value' }]);
      return true;
    });
  });

  it('sends null task_state and method as UNSPECIFIED', () => {
    assert.equal(taskStateToProto(null), proto.TaskState.TASK_STATE_UNSPECIFIED);
    assert.equal(migrationMethodToProto(null), proto.MigrationMethod.MIGRATION_METHOD_UNSPECIFIED);
    assert.equal(migrationMethodToProto('host_assisted'), proto.MigrationMethod.MIGRATION_METHOD_HOST_ASSISTED);
  });

  it('fails at load when a domain list and its proto enum differ', () => {
    const protoEnum = { X_UNSPECIFIED: 0, X_A: 1, X_B: 2 };
    assert.throws(() => enumCodec('X_', protoEnum, ['a']), EnumMappingError);
    assert.throws(() => enumCodec('X_', protoEnum, ['a', 'b', 'c']), EnumMappingError);
    assert.deepEqual(enumCodec('X_', protoEnum, ['b', 'a']).values, ['b', 'a']);
  });
});
