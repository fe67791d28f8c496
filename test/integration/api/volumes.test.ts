// ferry.admin.v1.Volumes and Catalog's volume types over a real gRPC socket, through the
// generated clients, against a real ferry whose back ends are real plugin processes: block1 and
// block2 (the block reference plugin, pools pool1 and pool2) and dummy1 and dummy2 (for held
// and failing driver calls). Volumes, attachments, snapshots and groups; migration by the
// driver and by host copy, watched to the end; retype never / on-demand; abort and a failed
// migration's clean-up; the errors each RPC answers with their codes and ErrorInfo reasons; and
// the service through real `buf curl` by reflection only.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import type { CreateVolumeTypeResponse, ListVolumeTypesResponse } from '../../../src/contract/gen/ferry/admin/v1/catalog.js';
import { CatalogClient } from '../../../src/contract/gen/ferry/admin/v1/catalog.js';
import {
  MigrationOutcome, VolumeMigrationKind, VolumeMigrationMethod, VolumeMigrationPolicy, VolumeMigrationStatus, VolumeSnapshotStatus, VolumeStatus, VolumeTransferMode,
} from '../../../src/contract/gen/ferry/admin/v1/enums.js';
import { ErrorInfo } from '../../../src/contract/gen/google/rpc/error_details.js';
import type { Volume, VolumeMigrationProgress } from '../../../src/contract/gen/ferry/admin/v1/volume.js';
import type {
  MigrateVolumeRequest, MigrateVolumeResponse, RetypeVolumeResponse, VolumesAbortMigrationResponse, VolumesGetMigrationHistoryResponse, VolumesGetMigrationResponse,
  VolumesWatchMigrationRequest, VolumesWatchMigrationResponse,
} from '../../../src/contract/gen/ferry/admin/v1/volume_migration.js';
import {
  VolumesClient, type AttachVolumeResponse, type CreateVolumeGroupResponse, type CreateVolumeRequest, type CreateVolumeResponse, type CreateVolumeSnapshotResponse,
  type DetachVolumeResponse, type GetVolumeResponse, type ListVolumeGroupsResponse, type ListVolumeSnapshotsResponse, type ListVolumesRequest, type ListVolumesResponse,
  type ResetVolumeStatusResponse,
} from '../../../src/contract/gen/ferry/admin/v1/volumes.js';
import { FerryError } from '../../../src/domain/errors.js';
import { MIB, sha256File, startVolumeFerry, type VolumeFerry } from '../../helpers/volume-migration.js';
import { bufCurl, bufCurlError, bufCurlJson, serveAdminApi } from './admin-server.js';
import { call, collect, failure } from './grpc-clients.js';

type Harness = VolumeFerry & { address: string; volumes: VolumesClient; catalog: CatalogClient };

/** block1/block2 and dummy1/dummy2 behind the admin API, with a Volumes and a Catalog client. */
async function volumesApi(t: { after(fn: () => unknown): void }): Promise<Harness> {
  const h = await serveAdminApi(t, await startVolumeFerry(t));
  const volumes = new VolumesClient(h.address, credentials.createInsecure());
  const catalog = new CatalogClient(h.address, credentials.createInsecure());
  t.after(() => {
    volumes.close();
    catalog.close();
  });
  return { ...h, volumes, catalog };
}

const NO_FILTER: ListVolumesRequest = { status: VolumeStatus.VOLUME_STATUS_UNSPECIFIED, host: '', groupId: '' };

async function createVolume(h: Harness, request: Partial<CreateVolumeRequest>): Promise<Volume> {
  const full: CreateVolumeRequest = { name: '', description: '', sizeGib: 1, volumeType: '', availabilityZone: '', host: '', groupId: '', ...request };
  return (await call<CreateVolumeResponse>((cb) => h.volumes.createVolume(full, cb))).volume!;
}

async function getVolume(h: Harness, volumeId: string): Promise<Volume> {
  return (await call<GetVolumeResponse>((cb) => h.volumes.getVolume({ volumeId }, cb))).volume!;
}

async function listVolumes(h: Harness, filter: Partial<ListVolumesRequest> = {}): Promise<string[]> {
  return (await call<ListVolumesResponse>((cb) => h.volumes.listVolumes({ ...NO_FILTER, ...filter }, cb))).volumes.map((volume) => volume.id);
}

function migrate(h: Harness, request: Partial<MigrateVolumeRequest> & { volumeId: string; host: string }): Promise<MigrateVolumeResponse> {
  return call<MigrateVolumeResponse>((cb) => h.volumes.migrateVolume({ forceHostCopy: false, lockVolume: false, ...request }, cb));
}

/** Every WatchMigration event until the stream ends. */
async function watch(h: Harness, volumeId: string): Promise<VolumeMigrationProgress[]> {
  const events = await collect<VolumesWatchMigrationResponse>(h.volumes.watchMigration({ volumeId, intervalMs: 100 }));
  return events.map((event) => event.progress!);
}

/** The domain view of a wire Volume, for the harness's image helpers. */
function ref(volume: Volume): { id: string; nameId: string | null; host: string } {
  return { id: volume.id, nameId: volume.nameId === '' ? null : volume.nameId, host: volume.host };
}

async function streamFailure(h: Harness, request: VolumesWatchMigrationRequest): Promise<FerryError> {
  const outcome = await collect(h.volumes.watchMigration(request)).then((events) => events, (error: unknown) => error);
  assert.ok(outcome instanceof FerryError, `expected the stream to fail, it sent ${JSON.stringify(outcome)}`);
  return outcome;
}

/** The FerryError a promise rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<FerryError> {
  const outcome = await promise.then((value) => value, (error: unknown) => error);
  assert.ok(outcome instanceof FerryError, `expected a FerryError, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/** Writes a deterministic pattern into the volume's image (the harness reads the domain view). */
async function writePattern(h: Harness, volume: Volume, offset: number, length: number, seed: number): Promise<void> {
  h.writePattern(await h.ferry.getVolume(volume.id), offset, length, seed);
}

function assertError(error: FerryError, code: string, reason: string, fields?: readonly string[]): void {
  assert.deepEqual([error.code, error.reason, error.domain], [code, reason, 'ferry.dev'], error.message);
  if (fields !== undefined) assert.deepEqual(error.fieldViolations.map((violation) => violation.field).sort(), [...fields].sort());
}

type Invoke<Res> = (callback: (error: ServiceError | null, response: Res) => void) => unknown;
const fails = <Res>(invoke: Invoke<Res>) => failure(invoke);

describe('Volumes over gRPC', { concurrency: false }, () => {
  it('manages volume types, volumes, attachments, snapshots and groups, with list filters and resets', async (t) => {
    const h = await volumesApi(t);

    // Catalog: volume types with extra and QoS specs; ferry's __DEFAULT__ type is there from the start.
    const gold = (await call<CreateVolumeTypeResponse>((cb) => h.catalog.createVolumeType({
      name: 'gold', description: 'block1 only', extraSpecs: { volume_backend_name: 'block1' }, qosSpecs: { total_iops_sec: '500' },
    }, cb))).volumeType!;
    assert.deepEqual([gold.name, gold.description, gold.extraSpecs, gold.qosSpecs, gold.isPublic], ['gold', 'block1 only', { volume_backend_name: 'block1' }, { total_iops_sec: '500' }, true]);
    const hidden = (await call<CreateVolumeTypeResponse>((cb) => h.catalog.createVolumeType({ name: 'hidden', description: '', extraSpecs: {}, qosSpecs: {}, isPublic: false }, cb))).volumeType!;
    assert.equal(hidden.isPublic, false);
    const types = (await call<ListVolumeTypesResponse>((cb) => h.catalog.listVolumeTypes({}, cb))).volumeTypes;
    assert.deepEqual(types.map((type) => type.name).sort(), ['__DEFAULT__', 'gold', 'hidden']);
    assertError(await fails((cb) => h.catalog.createVolumeType({ name: 'gold', description: '', extraSpecs: {}, qosSpecs: {} }, cb)), 'ALREADY_EXISTS', 'ALREADY_EXISTS');
    await call((cb) => h.catalog.deleteVolumeType({ volumeType: 'hidden' }, cb));
    assertError(await fails((cb) => h.catalog.deleteVolumeType({ volumeType: 'hidden' }, cb)), 'NOT_FOUND', 'VOLUME_TYPE_NOT_FOUND');

    // A group, a volume of type gold in it (the scheduler honours volume_backend_name), one placed by host.
    const group = (await call<CreateVolumeGroupResponse>((cb) => h.volumes.createVolumeGroup({ name: 'db', description: 'database volumes' }, cb))).group!;
    assert.deepEqual((await call<ListVolumeGroupsResponse>((cb) => h.volumes.listVolumeGroups({}, cb))).groups, [group]);
    const grouped = await createVolume(h, { name: 'data', volumeType: 'gold', groupId: group.id, sizeGib: 2 });
    assert.deepEqual([grouped.status, grouped.volumeTypeId, grouped.volumeTypeName, grouped.groupId, grouped.sizeGib, grouped.name], [
      VolumeStatus.VOLUME_STATUS_AVAILABLE, gold.id, 'gold', group.id, 2, 'data',
    ]);
    assert.match(grouped.host, /^ferry@block1#pool[12]$/);
    assert.equal(grouped.migrationStatus, VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_UNSPECIFIED, 'Cinder\'s None');
    assert.equal(grouped.migration, undefined);
    assert.notEqual(grouped.providerLocation, '');
    const placed = await createVolume(h, { host: 'ferry@block2#pool1' });
    assert.deepEqual([placed.host, placed.volumeTypeName], ['ferry@block2#pool1', '__DEFAULT__']);
    assert.deepEqual(await getVolume(h, placed.id), placed);

    assert.deepEqual(await listVolumes(h), [grouped.id, placed.id]);
    assert.deepEqual(await listVolumes(h, { host: 'ferry@block2' }), [placed.id], 'a host@backend prefix');
    assert.deepEqual(await listVolumes(h, { host: 'ferry@block2#pool1' }), [placed.id]);
    assert.deepEqual(await listVolumes(h, { groupId: group.id }), [grouped.id]);

    // Attach and detach: in-use while a consumer holds it.
    const attached = (await call<AttachVolumeResponse>((cb) => h.volumes.attachVolume({ volumeId: placed.id, instanceUuid: 'vm-1', attachedHost: '', mountpoint: '/dev/vdb' }, cb))).volume!;
    assert.equal(attached.status, VolumeStatus.VOLUME_STATUS_IN_USE);
    assert.deepEqual(attached.attachments.map((a) => [a.instanceUuid, a.attachedHost, a.mountpoint]), [['vm-1', '', '/dev/vdb']]);
    assert.ok(attached.attachments[0]!.id !== '' && attached.attachments[0]!.attachedAt !== undefined);
    assert.deepEqual(await listVolumes(h, { status: VolumeStatus.VOLUME_STATUS_IN_USE }), [placed.id]);
    assertError(await fails((cb) => h.volumes.attachVolume({ volumeId: placed.id, instanceUuid: 'vm-2', attachedHost: '', mountpoint: '' }, cb)), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS');
    assertError(await fails((cb) => h.volumes.deleteVolume({ volumeId: placed.id }, cb)), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS');
    assertError(await fails((cb) => h.volumes.detachVolume({ volumeId: placed.id, attachmentId: 'no-such-attachment' }, cb)), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['attachment_id']);
    const detached = (await call<DetachVolumeResponse>((cb) => h.volumes.detachVolume({ volumeId: placed.id, attachmentId: '' }, cb))).volume!;
    assert.deepEqual([detached.status, detached.attachments], [VolumeStatus.VOLUME_STATUS_AVAILABLE, []]);
    assertError(await fails((cb) => h.volumes.detachVolume({ volumeId: placed.id, attachmentId: '' }, cb)), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS');

    // Snapshots: a volume with one cannot be deleted.
    const snapshot = (await call<CreateVolumeSnapshotResponse>((cb) => h.volumes.createVolumeSnapshot({ volumeId: placed.id, name: 'before' }, cb))).snapshot!;
    assert.deepEqual([snapshot.volumeId, snapshot.name, snapshot.status, snapshot.sizeGib], [placed.id, 'before', VolumeSnapshotStatus.VOLUME_SNAPSHOT_STATUS_AVAILABLE, 1]);
    assert.deepEqual((await call<ListVolumeSnapshotsResponse>((cb) => h.volumes.listVolumeSnapshots({ volumeId: placed.id }, cb))).snapshots, [snapshot]);
    assert.deepEqual((await call<ListVolumeSnapshotsResponse>((cb) => h.volumes.listVolumeSnapshots({ volumeId: grouped.id }, cb))).snapshots, []);
    assertError(await fails((cb) => h.volumes.deleteVolume({ volumeId: placed.id }, cb)), 'FAILED_PRECONDITION', 'VOLUME_HAS_SNAPSHOTS');
    await call((cb) => h.volumes.deleteVolumeSnapshot({ snapshotId: snapshot.id }, cb));
    assertError(await fails((cb) => h.volumes.deleteVolumeSnapshot({ snapshotId: snapshot.id }, cb)), 'NOT_FOUND', 'VOLUME_SNAPSHOT_NOT_FOUND');

    // ResetVolumeStatus: status and migration_status, target:<id> as TARGET plus the id, UNSPECIFIED clears.
    const reset = async (body: object) => (await call<ResetVolumeStatusResponse>((cb) => h.volumes.resetVolumeStatus({ volumeId: placed.id, status: 0, migrationSourceVolumeId: '', ...body }, cb))).volume!;
    const target = await reset({ status: VolumeStatus.VOLUME_STATUS_ERROR, migrationStatus: VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_TARGET, migrationSourceVolumeId: grouped.id });
    assert.deepEqual([target.status, target.migrationStatus, target.migrationSourceVolumeId], [VolumeStatus.VOLUME_STATUS_ERROR, VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_TARGET, grouped.id]);
    assertError(await fails((cb) => h.volumes.deleteVolume({ volumeId: placed.id }, cb)), 'FAILED_PRECONDITION', 'VOLUME_MIGRATING');
    const cleared = await reset({ migrationStatus: VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_UNSPECIFIED });
    assert.deepEqual([cleared.status, cleared.migrationStatus, cleared.migrationSourceVolumeId], [VolumeStatus.VOLUME_STATUS_ERROR, VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_UNSPECIFIED, '']);
    assert.equal((await reset({ status: VolumeStatus.VOLUME_STATUS_AVAILABLE })).status, VolumeStatus.VOLUME_STATUS_AVAILABLE);

    // Deletes: a group and a type in use refuse; then everything goes.
    assertError(await fails((cb) => h.volumes.deleteVolumeGroup({ groupId: group.id }, cb)), 'FAILED_PRECONDITION', 'IN_USE');
    assertError(await fails((cb) => h.catalog.deleteVolumeType({ volumeType: gold.id }, cb)), 'FAILED_PRECONDITION', 'IN_USE');
    await call((cb) => h.volumes.deleteVolume({ volumeId: grouped.id }, cb));
    await call((cb) => h.volumes.deleteVolume({ volumeId: placed.id }, cb));
    assert.equal(existsSync(h.imageOf(ref(placed))), false, 'the block plugin removed the image');
    assertError(await fails((cb) => h.volumes.getVolume({ volumeId: placed.id }, cb)), 'NOT_FOUND', 'VOLUME_NOT_FOUND');
    await call((cb) => h.volumes.deleteVolumeGroup({ groupId: group.id }, cb));
    await call((cb) => h.catalog.deleteVolumeType({ volumeType: 'gold' }, cb));
    assert.deepEqual(await listVolumes(h), []);
  });

  it('migrates by the driver, then by a forced host copy under lock_volume, each watched to the end, with progress and history', async (t) => {
    const h = await volumesApi(t);
    const volume = await createVolume(h, { host: 'ferry@block1#pool1' });
    await writePattern(h, volume, 0, MIB, 3);
    await writePattern(h, volume, 700 * MIB, MIB, 4);
    const digest = sha256File(h.imageOf(ref(volume)));

    // Driver-assisted inside block1.
    const first = await migrate(h, { volumeId: volume.id, host: 'ferry@block1#pool2' });
    assert.notEqual(first.migrationId, '');
    assert.deepEqual([first.volume!.migrationStatus, first.volume!.status], [VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_STARTING, VolumeStatus.VOLUME_STATUS_AVAILABLE]);
    assert.equal(first.volume!.migration?.id, first.migrationId);
    const driven = await watch(h, volume.id);
    const last = driven.at(-1)!;
    assert.deepEqual([last.active, last.outcome, last.method, last.totalProgress, last.migrationStatus, last.kind], [
      false, MigrationOutcome.MIGRATION_OUTCOME_SUCCESS, VolumeMigrationMethod.VOLUME_MIGRATION_METHOD_DRIVER_ASSISTED, 100,
      VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_SUCCESS, VolumeMigrationKind.VOLUME_MIGRATION_KIND_MIGRATE,
    ], last.error);
    assert.ok(driven.every((event) => event.migrationId === first.migrationId && event.volumeId === volume.id));
    assert.ok(driven.slice(0, -1).every((event) => event.active), 'only the last event is at rest');
    const onPool2 = await getVolume(h, volume.id);
    assert.deepEqual([onPool2.host, onPool2.status, onPool2.migrationStatus], ['ferry@block1#pool2', VolumeStatus.VOLUME_STATUS_AVAILABLE, VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_SUCCESS]);
    assert.equal(sha256File(h.imageOf(ref(onPool2))), digest);
    const driverHistory = await call<VolumesGetMigrationHistoryResponse>((cb) => h.volumes.getMigrationHistory({ migrationId: first.migrationId, volumeId: '' }, cb));
    assert.deepEqual(driverHistory.events.map((event) => event.phase), ['accepted', 'driver_migrate', 'finished']);

    // Forced host copy to block2 with lock_volume: maintenance until it ends, abort refused.
    const second = await migrate(h, { volumeId: volume.id, host: 'ferry@block2#pool1', forceHostCopy: true, lockVolume: true });
    assert.deepEqual([second.volume!.status, second.volume!.migrationStatus], [VolumeStatus.VOLUME_STATUS_MAINTENANCE, VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_STARTING]);
    assert.deepEqual(second.volume!.migration?.request, { host: 'ferry@block2#pool1', forceHostCopy: true, lockVolume: true, newVolumeTypeId: '', migrationPolicy: 0 });
    const copied = await watch(h, volume.id);
    const end = copied.at(-1)!;
    assert.deepEqual([end.outcome, end.method, end.transferMode, end.totalProgress, end.bytesDone, end.bytesTotal], [
      MigrationOutcome.MIGRATION_OUTCOME_SUCCESS, VolumeMigrationMethod.VOLUME_MIGRATION_METHOD_HOST_COPY, VolumeTransferMode.VOLUME_TRANSFER_MODE_FILE, 100, 1024 * MIB, 1024 * MIB,
    ], end.error);
    assert.equal(end.fallbackReason, 'force_host_copy was given');
    assert.ok(copied.every((event, index) => index === 0 || event.totalProgress >= copied[index - 1]!.totalProgress), `progress never goes back: ${JSON.stringify(copied.map((event) => [event.phase, event.totalProgress, event.bytesDone]))}`);
    // Whether a watch catches the copy mid-way depends on timing (a thin image copies in well under a second), so only order and the end are asserted.
    assert.ok(copied.every((event) => event.totalProgress < 100 || event.migrationStatus === VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_SUCCESS), '100 only once it succeeded');
    const moved = await getVolume(h, volume.id);
    assert.deepEqual([moved.id, moved.host, moved.status, moved.migrationStatus, moved.previousStatus], [
      volume.id, 'ferry@block2#pool1', VolumeStatus.VOLUME_STATUS_AVAILABLE, VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_SUCCESS, VolumeStatus.VOLUME_STATUS_UNSPECIFIED,
    ], 'out of maintenance, previous_status cleared once restored');
    assert.equal(sha256File(h.imageOf(ref(moved))), digest, 'same bytes after the host copy');
    assert.deepEqual(await listVolumes(h), [volume.id], 'the temporary volume is gone');
    const once = (await call<VolumesGetMigrationResponse>((cb) => h.volumes.getMigration({ volumeId: volume.id }, cb))).progress!;
    assert.deepEqual(once, end, 'GetMigration answers what the stream ended with');
    const history = await call<VolumesGetMigrationHistoryResponse>((cb) => h.volumes.getMigrationHistory({ migrationId: '', volumeId: volume.id }, cb));
    assert.equal(history.migrationId, second.migrationId, 'by volume: its latest migration');
    assert.deepEqual(history.events.map((event) => [event.phase, VolumeMigrationStatus[event.migrationStatus]]), [
      ['accepted', 'VOLUME_MIGRATION_STATUS_STARTING'], ['create_target', 'VOLUME_MIGRATION_STATUS_MIGRATING'], ['host_copy', 'VOLUME_MIGRATION_STATUS_MIGRATING'],
      ['complete', 'VOLUME_MIGRATION_STATUS_COMPLETING'], ['delete_old', 'VOLUME_MIGRATION_STATUS_SUCCESS'], ['finished', 'VOLUME_MIGRATION_STATUS_SUCCESS'],
    ]);
    assert.deepEqual(history.events.map((event) => event.sequence), [1, 2, 3, 4, 5, 6]);
    const rested = await watch(h, volume.id);
    assert.equal(rested.length, 1, 'a finished migration: one event, then the stream ends');
    assertError(await fails((cb) => h.volumes.abortMigration({ volumeId: volume.id }, cb)), 'FAILED_PRECONDITION', 'VOLUME_MIGRATION_NOT_ABORTABLE');
    assertError(await rejection(migrate(h, { volumeId: volume.id, host: 'ferry@block2#pool1' })), 'FAILED_PRECONDITION', 'VOLUME_SAME_HOST');
  });

  it('retypes in place, refuses a retype that needs migration under never, and migrates under on-demand', async (t) => {
    const h = await volumesApi(t);
    for (const [name, extraSpecs] of [['gold1', { volume_backend_name: 'block1' }], ['silver1', { volume_backend_name: 'block1', tier: 'silver' }], ['gold2', { volume_backend_name: 'block2' }]] as const) {
      await call((cb) => h.catalog.createVolumeType({ name, description: '', extraSpecs, qosSpecs: {} }, cb));
    }
    const volume = await createVolume(h, { volumeType: 'gold1' });
    await writePattern(h, volume, 0, MIB, 9);
    const digest = sha256File(h.imageOf(ref(volume)));
    const retype = (newType: string, migrationPolicy = VolumeMigrationPolicy.VOLUME_MIGRATION_POLICY_UNSPECIFIED) =>
      call<RetypeVolumeResponse>((cb) => h.volumes.retypeVolume({ volumeId: volume.id, newType, migrationPolicy }, cb));

    const inPlace = await retype('silver1');
    assert.equal(inPlace.volume!.status, VolumeStatus.VOLUME_STATUS_RETYPING);
    let end = (await watch(h, volume.id)).at(-1)!;
    assert.deepEqual([end.outcome, end.method, end.kind, end.migrationStatus], [
      MigrationOutcome.MIGRATION_OUTCOME_SUCCESS, VolumeMigrationMethod.VOLUME_MIGRATION_METHOD_RETYPE_IN_PLACE, VolumeMigrationKind.VOLUME_MIGRATION_KIND_RETYPE,
      VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_UNSPECIFIED,
    ], end.error);
    let current = await getVolume(h, volume.id);
    assert.deepEqual([current.volumeTypeName, current.host, current.status], ['silver1', volume.host, VolumeStatus.VOLUME_STATUS_AVAILABLE]);
    assert.equal(current.migration?.request?.migrationPolicy, VolumeMigrationPolicy.VOLUME_MIGRATION_POLICY_NEVER, 'UNSPECIFIED is Cinder\'s default, never');

    // never (the default): block1 cannot hold a block2 type.
    const refused = await rejection(retype('gold2'));
    assertError(refused, 'FAILED_PRECONDITION', 'RETYPE_REQUIRES_MIGRATION');
    assert.match(refused.message, /Retype requires migration but is not allowed/);
    current = await getVolume(h, volume.id);
    assert.deepEqual([current.volumeTypeName, current.status], ['silver1', VolumeStatus.VOLUME_STATUS_AVAILABLE]);

    const moving = await retype('gold2', VolumeMigrationPolicy.VOLUME_MIGRATION_POLICY_ON_DEMAND);
    assert.deepEqual([moving.volume!.status, moving.volume!.migrationStatus], [VolumeStatus.VOLUME_STATUS_RETYPING, VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_STARTING]);
    end = (await watch(h, volume.id)).at(-1)!;
    assert.equal(end.outcome, MigrationOutcome.MIGRATION_OUTCOME_SUCCESS, end.error);
    current = await getVolume(h, volume.id);
    assert.equal(current.volumeTypeName, 'gold2');
    assert.match(current.host, /^ferry@block2#/);
    assert.deepEqual([current.status, current.migrationStatus], [VolumeStatus.VOLUME_STATUS_AVAILABLE, VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_SUCCESS]);
    assert.equal(sha256File(h.imageOf(ref(current))), digest);
    assert.equal(current.migration?.id, moving.migrationId);
    assert.equal(current.migration?.originalVolumeTypeId, (await call<ListVolumeTypesResponse>((cb) => h.catalog.listVolumeTypes({}, cb))).volumeTypes.find((type) => type.name === 'silver1')!.id);
  });

  it('aborts a held host copy and cleans up a failed one: temporary volume gone, migration_status error, status restored', async (t) => {
    const h = await volumesApi(t);
    const volume = await createVolume(h, { host: 'ferry@dummy1#alpha' });

    // dummy2 holds the temporary volume's creation: the migration rests in create_target.
    const hold = h.holdFile('create');
    h.setRules('dummy2', { createVolume: { holdUntilFile: hold } });
    const started = await migrate(h, { volumeId: volume.id, host: 'ferry@dummy2#alpha', forceHostCopy: true });
    await h.entered('dummy2', 'createVolume');
    const temporary = (await call<ListVolumesResponse>((cb) => h.volumes.listVolumes({ ...NO_FILTER, host: 'ferry@dummy2' }, cb))).volumes;
    assert.equal(temporary.length, 1);
    assert.deepEqual([temporary[0]!.migrationStatus, temporary[0]!.migrationSourceVolumeId], [VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_TARGET, volume.id], 'Cinder\'s target:<id>');
    const running = (await call<VolumesGetMigrationResponse>((cb) => h.volumes.getMigration({ volumeId: volume.id }, cb))).progress!;
    assert.deepEqual([running.phase, running.active, running.temporaryVolumeId, running.migrationStatus], ['create_target', true, temporary[0]!.id, VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_MIGRATING]);
    assertError(await fails((cb) => h.volumes.deleteVolume({ volumeId: volume.id }, cb)), 'FAILED_PRECONDITION', 'VOLUME_MIGRATING');
    assertError(await fails((cb) => h.volumes.deleteVolume({ volumeId: temporary[0]!.id }, cb)), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS'); // a temporary volume in creating
    assertError(await rejection(migrate(h, { volumeId: volume.id, host: 'ferry@dummy2#beta' })), 'FAILED_PRECONDITION', 'VOLUME_MIGRATING');

    const aborted = (await call<VolumesAbortMigrationResponse>((cb) => h.volumes.abortMigration({ volumeId: volume.id }, cb))).volume!;
    assert.equal(aborted.migration?.id, started.migrationId);
    const end = (await watch(h, volume.id)).at(-1)!;
    assert.deepEqual([end.outcome, end.errorReason, end.migrationStatus, end.active], [
      MigrationOutcome.MIGRATION_OUTCOME_CANCELLED, 'VOLUME_MIGRATION_ABORTED', VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_ERROR, false,
    ]);
    const after = await getVolume(h, volume.id);
    assert.deepEqual([after.host, after.status, after.migrationStatus], ['ferry@dummy1#alpha', VolumeStatus.VOLUME_STATUS_AVAILABLE, VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_ERROR]);
    assert.deepEqual(await listVolumes(h), [volume.id], 'the temporary volume is gone');
    const history = await call<VolumesGetMigrationHistoryResponse>((cb) => h.volumes.getMigrationHistory({ migrationId: started.migrationId, volumeId: '' }, cb));
    assert.deepEqual(history.events.map((event) => event.phase).slice(-2), ['rollback', 'finished']);
    assert.ok(history.events.some((event) => /abort/.test(event.message)), 'the history says it was aborted');
    h.release(hold);

    // lock_volume: in maintenance, attach refused, abort refused (VOLUME_LOCKED).
    const hold2 = h.holdFile('create-locked');
    // Held, then failing once released: the temporary volume cannot be created.
    h.setRules('dummy2', { createVolume: { holdUntilFile: hold2, fail: { code: 'RESOURCE_EXHAUSTED', reason: 'INSUFFICIENT_CAPACITY', message: 'pool alpha is full' } } });
    const before = h.enteredCount('dummy2', 'createVolume');
    const locked = await migrate(h, { volumeId: volume.id, host: 'ferry@dummy2#alpha', forceHostCopy: true, lockVolume: true });
    assert.equal(locked.volume!.status, VolumeStatus.VOLUME_STATUS_MAINTENANCE);
    await h.entered('dummy2', 'createVolume', before + 1);
    assertError(await fails((cb) => h.volumes.abortMigration({ volumeId: volume.id }, cb)), 'FAILED_PRECONDITION', 'VOLUME_LOCKED');
    assertError(await fails((cb) => h.volumes.attachVolume({ volumeId: volume.id, instanceUuid: 'vm-1', attachedHost: '', mountpoint: '' }, cb)), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS');
    // Released: the creation fails, the migration cleans up and lets the volume out of maintenance.
    h.release(hold2);
    const failed = (await watch(h, volume.id)).at(-1)!;
    assert.deepEqual([failed.outcome, failed.migrationStatus, failed.active], [MigrationOutcome.MIGRATION_OUTCOME_ERROR, VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_ERROR, false]);
    assert.match(failed.error, /pool alpha is full/);
    const restored = await getVolume(h, volume.id);
    assert.deepEqual([restored.status, restored.host, restored.migrationStatus], [VolumeStatus.VOLUME_STATUS_AVAILABLE, 'ferry@dummy1#alpha', VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_ERROR], 'out of maintenance');
    assert.deepEqual(await listVolumes(h), [volume.id]);

    // After an error the volume migrates again (Cinder: error is a resting migration_status).
    h.setRules('dummy2', {});
    await migrate(h, { volumeId: volume.id, host: 'ferry@dummy2#alpha' });
    const ok = (await watch(h, volume.id)).at(-1)!;
    assert.equal(ok.outcome, MigrationOutcome.MIGRATION_OUTCOME_SUCCESS, ok.error);
    assert.equal((await getVolume(h, volume.id)).host, 'ferry@dummy2#alpha');
  });

  it('answers malformed requests, unknown ids and wrong states with the codes and reasons of its error tables', async (t) => {
    const h = await volumesApi(t);
    const volume = await createVolume(h, { host: 'ferry@block1#pool1' });
    const v = h.volumes;

    // Malformed: one field violation naming the proto field.
    assertError(await fails((cb) => v.getVolume({ volumeId: '' }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['volume_id']);
    assertError(await fails((cb) => v.createVolume({ name: '', description: '', sizeGib: 0, volumeType: '', availabilityZone: '', host: '', groupId: '' }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['size_gib']);
    assertError(await fails((cb) => v.createVolume({ name: '', description: '', sizeGib: -2, volumeType: '', availabilityZone: '', host: '', groupId: '' }, cb)), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['size_gib']);
    assertError(await fails((cb) => v.createVolume({ name: '', description: '', sizeGib: 1, volumeType: '', availabilityZone: '', host: 'not a host', groupId: '' }, cb)), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['host']);
    assertError(await fails((cb) => v.listVolumes({ ...NO_FILTER, status: 99 as VolumeStatus }, cb)), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['status']);
    assertError(await fails((cb) => v.attachVolume({ volumeId: volume.id, instanceUuid: '', attachedHost: '', mountpoint: '' }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['instance_uuid']);
    assertError(await fails((cb) => v.createVolumeGroup({ name: '', description: '' }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['name']);
    assertError(await fails((cb) => h.catalog.createVolumeType({ name: '', description: '', extraSpecs: {}, qosSpecs: {} }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['name']);
    assertError(await fails((cb) => h.catalog.deleteVolumeType({ volumeType: '' }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['volume_type']);
    const migrateFail = (body: Partial<MigrateVolumeRequest>) => fails((cb) => v.migrateVolume({ volumeId: volume.id, host: '', forceHostCopy: false, lockVolume: false, ...body }, cb));
    assertError(await migrateFail({}), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['host']);
    assertError(await migrateFail({ volumeId: '', host: 'ferry@block2#pool1' }), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['volume_id']);
    assertError(await migrateFail({ host: 'ferry@block2' }), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['host']);
    assertError(await fails((cb) => v.retypeVolume({ volumeId: volume.id, newType: '', migrationPolicy: 0 }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['new_type']);
    assertError(await fails((cb) => v.retypeVolume({ volumeId: volume.id, newType: 'x', migrationPolicy: 9 as VolumeMigrationPolicy }, cb)), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['migration_policy']);
    assertError(await fails((cb) => v.retypeVolume({ volumeId: volume.id, newType: '__DEFAULT__', migrationPolicy: 0 }, cb)), 'INVALID_ARGUMENT', 'VOLUME_TYPE_UNCHANGED');
    const resetFail = (body: object) => fails((cb) => v.resetVolumeStatus({ volumeId: volume.id, status: 0, migrationSourceVolumeId: '', ...body }, cb));
    assertError(await resetFail({}), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['status']);
    assertError(await resetFail({ migrationStatus: VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_TARGET }), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['migration_source_volume_id']);
    assertError(await resetFail({ migrationStatus: VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_ERROR, migrationSourceVolumeId: 'x' }), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['migration_source_volume_id']);
    assertError(await resetFail({ migrationStatus: 42 as VolumeMigrationStatus }), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['migration_status']);
    assertError(await resetFail({ volumeId: 'no-such-volume', status: VolumeStatus.VOLUME_STATUS_ERROR }), 'NOT_FOUND', 'VOLUME_NOT_FOUND');
    assertError(await streamFailure(h, { volumeId: volume.id, intervalMs: -1 }), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['interval_ms']);
    assertError(await fails((cb) => v.getMigrationHistory({ migrationId: '', volumeId: '' }, cb)), 'INVALID_ARGUMENT', 'MISSING_FIELD', ['migration_id']);
    assertError(await fails((cb) => v.getMigrationHistory({ migrationId: 'm', volumeId: volume.id }, cb)), 'INVALID_ARGUMENT', 'INVALID_FIELD', ['volume_id']);

    // Unknown ids.
    const unknown: [string, Invoke<unknown>][] = [
      ['VOLUME_NOT_FOUND', (cb) => v.getVolume({ volumeId: 'no-such-volume' }, cb)],
      ['VOLUME_NOT_FOUND', (cb) => v.deleteVolume({ volumeId: 'no-such-volume' }, cb)],
      ['VOLUME_NOT_FOUND', (cb) => v.attachVolume({ volumeId: 'no-such-volume', instanceUuid: 'vm', attachedHost: '', mountpoint: '' }, cb)],
      ['VOLUME_NOT_FOUND', (cb) => v.detachVolume({ volumeId: 'no-such-volume', attachmentId: '' }, cb)],
      ['VOLUME_NOT_FOUND', (cb) => v.createVolumeSnapshot({ volumeId: 'no-such-volume', name: '' }, cb)],
      ['VOLUME_NOT_FOUND', (cb) => v.migrateVolume({ volumeId: 'no-such-volume', host: 'ferry@block2#pool1', forceHostCopy: false, lockVolume: false }, cb)],
      ['VOLUME_NOT_FOUND', (cb) => v.retypeVolume({ volumeId: 'no-such-volume', newType: '__DEFAULT__', migrationPolicy: 0 }, cb)],
      ['VOLUME_TYPE_NOT_FOUND', (cb) => v.retypeVolume({ volumeId: volume.id, newType: 'no-such-type', migrationPolicy: 0 }, cb)],
      ['VOLUME_TYPE_NOT_FOUND', (cb) => v.createVolume({ name: '', description: '', sizeGib: 1, volumeType: 'no-such-type', availabilityZone: '', host: '', groupId: '' }, cb)],
      ['VOLUME_GROUP_NOT_FOUND', (cb) => v.createVolume({ name: '', description: '', sizeGib: 1, volumeType: '', availabilityZone: '', host: '', groupId: 'no-such-group' }, cb)],
      ['BACKEND_NOT_FOUND', (cb) => v.createVolume({ name: '', description: '', sizeGib: 1, volumeType: '', availabilityZone: '', host: 'ferry@nowhere#pool1', groupId: '' }, cb)],
      ['VOLUME_GROUP_NOT_FOUND', (cb) => v.deleteVolumeGroup({ groupId: 'no-such-group' }, cb)],
      ['VOLUME_SNAPSHOT_NOT_FOUND', (cb) => v.deleteVolumeSnapshot({ snapshotId: 'no-such-snapshot' }, cb)],
      ['VOLUME_NOT_FOUND', (cb) => v.getMigration({ volumeId: 'no-such-volume' }, cb)],
      ['VOLUME_NOT_FOUND', (cb) => v.abortMigration({ volumeId: 'no-such-volume' }, cb)],
      ['VOLUME_NOT_FOUND', (cb) => v.getMigrationHistory({ migrationId: '', volumeId: 'no-such-volume' }, cb)],
      ['MIGRATION_NOT_FOUND', (cb) => v.getMigrationHistory({ migrationId: 'no-such-migration', volumeId: '' }, cb)],
      ['MIGRATION_NOT_FOUND', (cb) => v.getMigrationHistory({ migrationId: '', volumeId: volume.id }, cb)],
      ['VOLUME_TYPE_NOT_FOUND', (cb) => h.catalog.deleteVolumeType({ volumeType: 'no-such-type' }, cb)],
    ];
    for (const [reason, invoke] of unknown) {
      assertError(await fails(invoke), 'NOT_FOUND', reason);
    }
    assertError(await streamFailure(h, { volumeId: 'no-such-volume', intervalMs: 0 }), 'NOT_FOUND', 'VOLUME_NOT_FOUND');

    // Wrong states, in Cinder's order.
    assertError(await fails((cb) => v.getMigration({ volumeId: volume.id }, cb)), 'FAILED_PRECONDITION', 'MIGRATION_PROGRESS_UNAVAILABLE');
    assertError(await streamFailure(h, { volumeId: volume.id, intervalMs: 0 }), 'FAILED_PRECONDITION', 'MIGRATION_PROGRESS_UNAVAILABLE');
    assertError(await fails((cb) => v.abortMigration({ volumeId: volume.id }, cb)), 'FAILED_PRECONDITION', 'VOLUME_MIGRATION_NOT_ABORTABLE');
    assertError(await migrateFail({ host: 'ferry@block1#pool1' }), 'FAILED_PRECONDITION', 'VOLUME_SAME_HOST');
    assertError(await migrateFail({ host: 'ferry@block2#nope' }), 'NOT_FOUND', 'POOL_NOT_FOUND');
    const group = (await call<CreateVolumeGroupResponse>((cb) => v.createVolumeGroup({ name: 'g', description: '' }, cb))).group!;
    const grouped = await createVolume(h, { host: 'ferry@block1#pool2', groupId: group.id });
    assertError(await fails((cb) => v.migrateVolume({ volumeId: grouped.id, host: 'ferry@block2#pool1', forceHostCopy: false, lockVolume: false }, cb)), 'FAILED_PRECONDITION', 'VOLUME_IN_GROUP');
    const snapshot = (await call<CreateVolumeSnapshotResponse>((cb) => v.createVolumeSnapshot({ volumeId: volume.id, name: '' }, cb))).snapshot!;
    assertError(await migrateFail({ host: 'ferry@block2#pool1' }), 'FAILED_PRECONDITION', 'VOLUME_HAS_SNAPSHOTS');
    await call((cb) => v.deleteVolumeSnapshot({ snapshotId: snapshot.id }, cb));
    await call((cb) => v.resetVolumeStatus({ volumeId: volume.id, status: VolumeStatus.VOLUME_STATUS_ERROR, migrationSourceVolumeId: '' }, cb));
    assertError(await migrateFail({ host: 'ferry@block2#pool1' }), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS');
    assertError(await fails((cb) => v.createVolumeSnapshot({ volumeId: volume.id, name: '' }, cb)), 'FAILED_PRECONDITION', 'INVALID_VOLUME_STATUS');
    await call((cb) => v.resetVolumeStatus({ volumeId: volume.id, status: VolumeStatus.VOLUME_STATUS_AVAILABLE, migrationStatus: VolumeMigrationStatus.VOLUME_MIGRATION_STATUS_MIGRATING, migrationSourceVolumeId: '' }, cb));
    assertError(await migrateFail({ host: 'ferry@block2#pool1' }), 'FAILED_PRECONDITION', 'VOLUME_MIGRATING');
    assertError(await fails((cb) => v.retypeVolume({ volumeId: volume.id, newType: '__DEFAULT__x', migrationPolicy: 0 }, cb)), 'NOT_FOUND', 'VOLUME_TYPE_NOT_FOUND');
  });

  it('is listed and called through buf curl by reflection only, its errors carrying ErrorInfo', async (t) => {
    const h = await volumesApi(t);
    const methods = await bufCurl(h.address, '', ['--list-methods']);
    assert.equal(methods.exitCode, 0, methods.stderr);
    const volumeMethods = methods.stdout.split('\n').filter((line) => line.startsWith('ferry.admin.v1.Volumes/')).sort();
    assert.equal(volumeMethods.length, 19);
    assert.ok(volumeMethods.includes('ferry.admin.v1.Volumes/MigrateVolume') && volumeMethods.includes('ferry.admin.v1.Volumes/WatchMigration'));
    assert.ok(methods.stdout.includes('ferry.admin.v1.Catalog/CreateVolumeType'));

    assert.deepEqual(await bufCurlJson(h.address, 'ferry.admin.v1.Volumes/ListVolumes', { status: 'VOLUME_STATUS_IN_USE' }), {});
    const created = await bufCurlJson<{ volume: { id: string; status: string; host: string } }>(h.address, 'ferry.admin.v1.Volumes/CreateVolume', { size_gib: 1, host: 'ferry@block1#pool1' });
    assert.deepEqual([created.volume.status, created.volume.host], ['VOLUME_STATUS_AVAILABLE', 'ferry@block1#pool1']);
    const listed = await bufCurlJson<{ volumes: { id: string }[] }>(h.address, 'ferry.admin.v1.Volumes/ListVolumes', { host: 'ferry@block1' });
    assert.deepEqual(listed.volumes.map((volume) => volume.id), [created.volume.id]);
    const started = await bufCurlJson<{ migrationId: string; volume: { migrationStatus: string } }>(h.address, 'ferry.admin.v1.Volumes/MigrateVolume', { volume_id: created.volume.id, host: 'ferry@block2#pool2', force_host_copy: true });
    assert.equal(started.volume.migrationStatus, 'VOLUME_MIGRATION_STATUS_STARTING');
    const streamed = await bufCurl(h.address, '/ferry.admin.v1.Volumes/WatchMigration', ['-d', JSON.stringify({ volume_id: created.volume.id, interval_ms: 100 })]);
    assert.equal(streamed.exitCode, 0, streamed.stderr);
    assert.match(streamed.stdout, /"outcome": "MIGRATION_OUTCOME_SUCCESS"/);

    const error = await bufCurlError(h.address, 'ferry.admin.v1.Volumes/GetVolume', { volume_id: 'no-such-volume' });
    assert.equal(error.code, 'not_found');
    const info = error.details?.find((detail) => detail.type === 'google.rpc.ErrorInfo');
    assert.equal(info && ErrorInfo.decode(Buffer.from(info.value, 'base64')).reason, 'VOLUME_NOT_FOUND');
  });
});
