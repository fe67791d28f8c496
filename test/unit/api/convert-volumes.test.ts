import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as proto from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import { ResetVolumeStatusRequest } from '../../../src/contract/gen/ferry/admin/v1/volumes.js';
import { MigrateVolumeRequest, RetypeVolumeRequest } from '../../../src/contract/gen/ferry/admin/v1/volume_migration.js';
import { CreateVolumeRequest } from '../../../src/contract/gen/ferry/admin/v1/volumes.js';
import {
  volumeMigrationKind, volumeMigrationMethod, volumeMigrationPolicy, volumeMigrationStatusName, volumeSnapshotStatus, volumeStatus, volumeTransferMode,
  type EnumCodec,
} from '../../../src/api/convert-enums.js';
import {
  createVolumeRequestFromProto, migrateVolumeRequestFromProto, resetVolumeStatusFromProto, retypeVolumeRequestFromProto, volumeMigrationEventToProto,
  volumeMigrationProgressToProto, volumeMigrationStatusFromProto, volumeMigrationStatusToProto, volumeToProto,
} from '../../../src/api/convert-volumes.js';
import { FerryError } from '../../../src/domain/errors.js';
import type { VolumeMigration } from '../../../src/domain/volumes.js';
import type { VolumeMigrationProgress, VolumeView } from '../../../src/orchestrator/volume-api.js';
import { T1, T2 } from './sample-records.js';

const { VolumeMigrationStatus: S, VolumeStatus: VS } = proto;

const migration: VolumeMigration = {
  id: 'vmig-1', volumeId: 'vol-1',
  request: { kind: 'retype', destinationHost: 'n@block2#pool1', forceHostCopy: false, lockVolume: true, newVolumeTypeId: 'type-2', migrationPolicy: 'on-demand' },
  sourceHost: 'n@block1#pool1', originalStatus: 'in-use', originalVolumeTypeId: 'type-1', method: 'host_copy', transferMode: 'file',
  temporaryVolumeId: 'vol-tmp', phase: 'host_copy', outcome: null, abortRequested: false, active: true, bytesCopied: 1024, bytesTotal: 4096,
  fallbackReason: 'driver answered moved = false', error: '', errorReason: '', checkpointPath: '/var/lib/ferry/ckpt', createdAt: T1, updatedAt: T2, finishedAt: null,
};

const volume: VolumeView = {
  id: 'vol-1', name: 'data', description: 'd', sizeGib: 4, volumeTypeId: 'type-1', volumeTypeName: 'slow', status: 'retyping', migrationStatus: 'migrating',
  previousStatus: 'in-use', host: 'n@block1#pool1', availabilityZone: 'nova', nameId: 'vol-old', providerLocation: '/pool1/volume-vol-old.img', groupId: 'grp-1',
  attachments: [{ id: 'att-1', instanceUuid: 'inst-1', attachedHost: '', mountpoint: '/dev/vdb', attachedAt: T1 }],
  createdAt: T1, updatedAt: T2, migration,
};

function assertInvalid(run: () => unknown, reason: string, field: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof FerryError);
    assert.deepEqual([error.code, error.reason, error.fieldViolations.map((violation) => violation.field)], ['INVALID_ARGUMENT', reason, [field]]);
    return true;
  });
}

describe('convert-volumes: enums', () => {
  const codecs: [string, EnumCodec<string, number>, Record<string, string | number>][] = [
    ['VOLUME_STATUS_', volumeStatus, proto.VolumeStatus],
    ['VOLUME_MIGRATION_STATUS_', volumeMigrationStatusName, proto.VolumeMigrationStatus],
    ['VOLUME_SNAPSHOT_STATUS_', volumeSnapshotStatus, proto.VolumeSnapshotStatus],
    ['VOLUME_MIGRATION_POLICY_', volumeMigrationPolicy, proto.VolumeMigrationPolicy],
    ['VOLUME_MIGRATION_KIND_', volumeMigrationKind, proto.VolumeMigrationKind],
    ['VOLUME_MIGRATION_METHOD_', volumeMigrationMethod, proto.VolumeMigrationMethod],
    ['VOLUME_TRANSFER_MODE_', volumeTransferMode, proto.VolumeTransferMode],
  ];
  for (const [prefix, codec, protoEnum] of codecs) {
    it(`maps every ${prefix}* value to the Cinder string of the same name (hyphens as _), both ways`, () => {
      const protoNames = Object.keys(protoEnum).filter((key) => typeof protoEnum[key] === 'number' && protoEnum[key] !== 0);
      const name = (value: string) => `${prefix}${value.toUpperCase().replace(/-/g, '_')}`;
      assert.deepEqual(new Set(codec.values.map(name)), new Set(protoNames));
      for (const value of codec.values) {
        assert.equal(protoEnum[codec.toProto(value)], name(value));
        assert.equal(codec.fromProto(codec.toProto(value), 'f'), value);
      }
    });
  }

  it('spells Cinder\'s hyphenated values with underscores', () => {
    assert.equal(volumeStatus.toProto('in-use'), VS.VOLUME_STATUS_IN_USE);
    assert.equal(volumeMigrationPolicy.fromProto(proto.VolumeMigrationPolicy.VOLUME_MIGRATION_POLICY_ON_DEMAND, 'p'), 'on-demand');
  });
});

describe('convert-volumes: migration_status target:<id>', () => {
  it('splits target:<id> into TARGET and the source volume id, and joins them back', () => {
    assert.deepEqual(volumeMigrationStatusToProto('target:vol-1'), { migrationStatus: S.VOLUME_MIGRATION_STATUS_TARGET, migrationSourceVolumeId: 'vol-1' });
    assert.equal(volumeMigrationStatusFromProto(S.VOLUME_MIGRATION_STATUS_TARGET, 'vol-1'), 'target:vol-1');
  });

  it('shows None as UNSPECIFIED and reads UNSPECIFIED in a request as "clear"', () => {
    assert.deepEqual(volumeMigrationStatusToProto(null), { migrationStatus: S.VOLUME_MIGRATION_STATUS_UNSPECIFIED, migrationSourceVolumeId: '' });
    assert.equal(volumeMigrationStatusFromProto(S.VOLUME_MIGRATION_STATUS_UNSPECIFIED, ''), '');
    assert.deepEqual(volumeMigrationStatusToProto('deleting'), { migrationStatus: S.VOLUME_MIGRATION_STATUS_DELETING, migrationSourceVolumeId: '' });
  });

  it('refuses TARGET without the id, the id without TARGET, and unknown numbers', () => {
    assertInvalid(() => volumeMigrationStatusFromProto(S.VOLUME_MIGRATION_STATUS_TARGET, ''), 'MISSING_FIELD', 'migration_source_volume_id');
    assertInvalid(() => volumeMigrationStatusFromProto(S.VOLUME_MIGRATION_STATUS_ERROR, 'vol-1'), 'INVALID_FIELD', 'migration_source_volume_id');
    assertInvalid(() => volumeMigrationStatusFromProto(99, ''), 'INVALID_FIELD', 'migration_status');
  });
});

describe('convert-volumes: domain -> proto', () => {
  it('shows a volume with its statuses, attachments and latest migration, without the data node\'s checkpoint path', () => {
    const shown = volumeToProto(volume);
    assert.deepEqual({ ...shown, migration: undefined, attachments: undefined }, {
      id: 'vol-1', name: 'data', description: 'd', sizeGib: 4, volumeTypeId: 'type-1', volumeTypeName: 'slow', status: VS.VOLUME_STATUS_RETYPING,
      migrationStatus: S.VOLUME_MIGRATION_STATUS_MIGRATING, migrationSourceVolumeId: '', previousStatus: VS.VOLUME_STATUS_IN_USE, host: 'n@block1#pool1',
      availabilityZone: 'nova', nameId: 'vol-old', providerLocation: '/pool1/volume-vol-old.img', groupId: 'grp-1',
      createdAt: { seconds: 1714557600, nanos: 0 }, updatedAt: { seconds: 1714557930, nanos: 250_000_000 }, migration: undefined, attachments: undefined,
    });
    assert.deepEqual(shown.attachments, [{ id: 'att-1', instanceUuid: 'inst-1', attachedHost: '', mountpoint: '/dev/vdb', attachedAt: { seconds: 1714557600, nanos: 0 } }]);
    assert.deepEqual(shown.migration?.request, { host: 'n@block2#pool1', forceHostCopy: false, lockVolume: true, newVolumeTypeId: 'type-2', migrationPolicy: proto.VolumeMigrationPolicy.VOLUME_MIGRATION_POLICY_ON_DEMAND });
    assert.deepEqual([shown.migration?.kind, shown.migration?.method, shown.migration?.transferMode, shown.migration?.originalStatus, shown.migration?.outcome], [
      proto.VolumeMigrationKind.VOLUME_MIGRATION_KIND_RETYPE, proto.VolumeMigrationMethod.VOLUME_MIGRATION_METHOD_HOST_COPY,
      proto.VolumeTransferMode.VOLUME_TRANSFER_MODE_FILE, VS.VOLUME_STATUS_IN_USE, proto.MigrationOutcome.MIGRATION_OUTCOME_UNSPECIFIED,
    ]);
    assert.equal(shown.migration?.finishedAt, undefined);
    assert.ok(!JSON.stringify(shown).includes('ckpt'));
  });

  it('shows empty strings and UNSPECIFIED for the nulls of a fresh volume and a plain migration', () => {
    const plain: VolumeView = {
      ...volume, status: 'available', migrationStatus: 'target:vol-9', previousStatus: null, nameId: null, groupId: null, attachments: [], migration: {
        ...migration, request: { ...migration.request, kind: 'migrate', newVolumeTypeId: null, migrationPolicy: null }, method: null, transferMode: null, temporaryVolumeId: null,
      },
    };
    const shown = volumeToProto(plain);
    assert.deepEqual([shown.migrationStatus, shown.migrationSourceVolumeId, shown.previousStatus, shown.nameId, shown.groupId], [S.VOLUME_MIGRATION_STATUS_TARGET, 'vol-9', 0, '', '']);
    assert.deepEqual([shown.migration?.request?.newVolumeTypeId, shown.migration?.request?.migrationPolicy, shown.migration?.method, shown.migration?.transferMode, shown.migration?.temporaryVolumeId], ['', 0, 0, 0, '']);
    assert.equal(volumeToProto({ ...volume, migration: null }).migration, undefined);
  });

  it('shows progress in whole percents 0-100, with an ETA only when known', () => {
    const progress: VolumeMigrationProgress = {
      volumeId: 'vol-1', migrationId: 'vmig-1', kind: 'migrate', phase: 'host_copy', migrationStatus: 'migrating', volumeStatus: 'maintenance', method: 'host_copy',
      transferMode: 'block', temporaryVolumeId: 'vol-tmp', totalProgress: 42.7, bytesDone: 10, bytesTotal: 20, throughputBytesPerSecond: 1.5, etaSeconds: 6.6,
      active: true, outcome: null, fallbackReason: 'force_host_copy', error: '', errorReason: '',
    };
    const shown = volumeMigrationProgressToProto(progress);
    assert.deepEqual([shown.totalProgress, shown.etaSeconds, shown.volumeStatus, shown.migrationStatus], [42, 7, VS.VOLUME_STATUS_MAINTENANCE, S.VOLUME_MIGRATION_STATUS_MIGRATING]);
    assert.equal(volumeMigrationProgressToProto({ ...progress, etaSeconds: null, totalProgress: 140 }).etaSeconds, undefined);
    assert.equal(volumeMigrationProgressToProto({ ...progress, totalProgress: 140 }).totalProgress, 100);
    assert.equal(volumeMigrationProgressToProto({ ...progress, outcome: 'success' }).outcome, proto.MigrationOutcome.MIGRATION_OUTCOME_SUCCESS);
  });

  it('shows a history event with its phase and migration_status (None for an in-place retype)', () => {
    assert.deepEqual(volumeMigrationEventToProto({ migrationId: 'vmig-1', sequence: 3, phase: 'retype_in_place', migrationStatus: null, message: 'm', at: T1 }), {
      migrationId: 'vmig-1', sequence: 3, phase: 'retype_in_place', migrationStatus: 0, message: 'm', at: { seconds: 1714557600, nanos: 0 },
    });
  });
});

describe('convert-volumes: proto -> domain requests', () => {
  it('requires size_gib and refuses negative sizes; empty optional strings are absent', () => {
    assertInvalid(() => createVolumeRequestFromProto(CreateVolumeRequest.fromPartial({})), 'MISSING_FIELD', 'size_gib');
    assertInvalid(() => createVolumeRequestFromProto(CreateVolumeRequest.fromPartial({ sizeGib: -1 })), 'INVALID_FIELD', 'size_gib');
    assert.deepEqual(createVolumeRequestFromProto(CreateVolumeRequest.fromPartial({ sizeGib: 2, host: 'n@block1#pool1' })), {
      sizeGib: 2, name: undefined, description: undefined, volumeType: undefined, availabilityZone: undefined, host: 'n@block1#pool1', groupId: undefined,
    });
  });

  it('requires volume_id and host for MigrateVolume, and passes the flags on', () => {
    assertInvalid(() => migrateVolumeRequestFromProto(MigrateVolumeRequest.fromPartial({ host: 'h' })), 'MISSING_FIELD', 'volume_id');
    assertInvalid(() => migrateVolumeRequestFromProto(MigrateVolumeRequest.fromPartial({ volumeId: 'v' })), 'MISSING_FIELD', 'host');
    assert.deepEqual(migrateVolumeRequestFromProto({ volumeId: 'v', host: 'h', forceHostCopy: true, lockVolume: true }), { volumeId: 'v', host: 'h', forceHostCopy: true, lockVolume: true });
  });

  it('reads RetypeVolume\'s UNSPECIFIED policy as never (Cinder\'s default) and refuses unknown numbers', () => {
    assert.equal(retypeVolumeRequestFromProto(RetypeVolumeRequest.fromPartial({ volumeId: 'v', newType: 't' })).migrationPolicy, 'never');
    assert.equal(retypeVolumeRequestFromProto({ volumeId: 'v', newType: 't', migrationPolicy: proto.VolumeMigrationPolicy.VOLUME_MIGRATION_POLICY_ON_DEMAND }).migrationPolicy, 'on-demand');
    assertInvalid(() => retypeVolumeRequestFromProto({ volumeId: 'v', newType: 't', migrationPolicy: 7 as proto.VolumeMigrationPolicy }), 'INVALID_FIELD', 'migration_policy');
    assertInvalid(() => retypeVolumeRequestFromProto(RetypeVolumeRequest.fromPartial({ volumeId: 'v' })), 'MISSING_FIELD', 'new_type');
  });

  it('reads ResetVolumeStatus: status and/or migration_status, absent ones unchanged, UNSPECIFIED migration_status clears', () => {
    const reset = (partial: Partial<ResetVolumeStatusRequest>) => resetVolumeStatusFromProto(ResetVolumeStatusRequest.fromPartial({ volumeId: 'v', ...partial }));
    assert.deepEqual(reset({ status: VS.VOLUME_STATUS_AVAILABLE }), { volumeId: 'v', reset: { status: 'available' } });
    assert.deepEqual(reset({ migrationStatus: S.VOLUME_MIGRATION_STATUS_UNSPECIFIED }), { volumeId: 'v', reset: { migrationStatus: '' } });
    assert.deepEqual(reset({ status: VS.VOLUME_STATUS_ERROR, migrationStatus: S.VOLUME_MIGRATION_STATUS_TARGET, migrationSourceVolumeId: 'src' }), {
      volumeId: 'v', reset: { status: 'error', migrationStatus: 'target:src' },
    });
    assertInvalid(() => reset({}), 'MISSING_FIELD', 'status');
    assertInvalid(() => reset({ migrationSourceVolumeId: 'src', status: VS.VOLUME_STATUS_ERROR }), 'INVALID_FIELD', 'migration_source_volume_id');
    assertInvalid(() => reset({ status: 42 as proto.VolumeStatus }), 'INVALID_FIELD', 'status');
    assertInvalid(() => resetVolumeStatusFromProto(ResetVolumeStatusRequest.fromPartial({ status: VS.VOLUME_STATUS_ERROR })), 'MISSING_FIELD', 'volume_id');
  });
});
