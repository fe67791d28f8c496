/**
 * Suite 'volumes': the VolumeService rules every plugin advertising PLUGIN_CAPABILITY_VOLUMES
 * must follow (volume.proto, common.proto Volume.name_id): create/delete idempotency and
 * conflicts, attach/detach and RESOURCE_IN_USE, the name_id rule, UpdateMigratedVolume, and,
 * where advertised, snapshots, driver migration between two pools of the back end (data
 * intact by hash when attach gives an image file) and retype. Every volume the kit creates is
 * detached and deleted after its case.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { Volume } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import { PeerInfo } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import { PluginCapability } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { VolumeServiceService, type AttachVolumeResponse, type VolumeTypeDiff } from '../../../src/contract/gen/ferry/driver/v1/volume.js';
import { FerryError } from '../../../src/domain/errors.js';
import type { PluginHandle } from '../../../src/host/index.js';
import { CaseSkipped, check, expectError, expectOk, newId, type CaseContext, type ConformanceCase } from '../case.js';
import { BACKEND_HOST, volumeModel } from '../requests.js';

const VOLUMES = PluginCapability.PLUGIN_CAPABILITY_VOLUMES;
const SNAPSHOTS = PluginCapability.PLUGIN_CAPABILITY_VOLUME_SNAPSHOTS;
const DRIVER_MIGRATION = PluginCapability.PLUGIN_CAPABILITY_VOLUME_DRIVER_MIGRATION;
const RETYPE = PluginCapability.PLUGIN_CAPABILITY_VOLUME_RETYPE;
const V = VolumeServiceService;
const SUITE = 'volumes';
const NODE = 'conformance-data-node';
const IDEMPOTENT = 'identity.proto "Concurrency and retries": a replay returns the same result';

const create = (plugin: PluginHandle, volume: Volume) => plugin.call(V.createVolume, { volume });
const remove = (plugin: PluginHandle, volume: Volume) => plugin.call(V.deleteVolume, { volume });
const attach = (plugin: PluginHandle, volume: Volume, dataNode = NODE, readOnly = false) => plugin.call(V.attachVolume, { volume, dataNode, readOnly });
const detach = (plugin: PluginHandle, volume: Volume, dataNode = NODE) => plugin.call(V.detachVolume, { volume, dataNode });

/** Creates a volume for the case; detaches and deletes it afterwards. */
async function createdVolume(ctx: CaseContext, overrides: Partial<Volume> = {}): Promise<Volume> {
  const volume = volumeModel(ctx.pools, ctx.subject.name, overrides);
  const created = await expectOk(create(ctx.subject, volume), 'CreateVolume', 'volume.proto CreateVolume');
  ctx.defer(() => remove(ctx.subject, volume));
  ctx.defer(() => detach(ctx.subject, volume));
  return { ...volume, providerLocation: created.providerLocation, status: 'available' };
}

/** Writes 1 MiB of kit data at 1 MiB into an attached image file and returns the image's hash. */
function fillImage(path: string): string {
  const fd = openSync(path, 'r+');
  try {
    const chunk = Buffer.alloc(1024 * 1024, 0x5a);
    writeSync(fd, chunk, 0, chunk.length, 1024 * 1024);
  } finally {
    closeSync(fd);
  }
  return hashImage(path);
}

function hashImage(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(4 * 1024 * 1024);
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function checkExposure(answer: AttachVolumeResponse, what: string): void {
  check((answer.devicePath === '') !== (answer.filePath === ''), `${what} set ${answer.devicePath && answer.filePath ? 'both' : 'neither'} of device_path and file_path`, 'volume.proto AttachVolumeResponse: exactly one of device_path and file_path');
}

/** The PeerInfo ferry would send for the subject's own back end (a pool change). */
function selfPeer(ctx: CaseContext): PeerInfo {
  return PeerInfo.fromPartial({ backend: `${BACKEND_HOST}@${ctx.subject.name}`, pluginName: ctx.info.name, vendorVersion: ctx.info.vendorVersion, properties: { ...ctx.pools.migrationPeerInfo } });
}

const noDiff: VolumeTypeDiff = { extraSpecs: {}, qosSpecs: {}, encryption: {} };

export const volumeCases: ConformanceCase[] = [
  {
    suite: SUITE,
    name: 'CreateVolume replayed answers the same; the same id with another size fails with ALREADY_EXISTS',
    requires: [VOLUMES],
    async run(ctx) {
      const volume = await createdVolume(ctx);
      const replay = await expectOk(create(ctx.subject, { ...volume, providerLocation: '' }), 'replayed CreateVolume', IDEMPOTENT);
      check(replay.providerLocation === volume.providerLocation, `replay returned provider_location ${JSON.stringify(replay.providerLocation)}, the first call ${JSON.stringify(volume.providerLocation)}`, IDEMPOTENT);
      await expectError(create(ctx.subject, { ...volume, sizeGib: 2 }), 'ALREADY_EXISTS', 'ALREADY_EXISTS_INCOMPATIBLE', 'CreateVolume with the same id and another size', 'volume.proto CreateVolume errors: same id exists with other parameters');
    },
  },
  {
    suite: SUITE,
    name: 'CreateVolume without volume_id fails with INVALID_ARGUMENT (MISSING_FIELD); in an unknown pool with NOT_FOUND (POOL_NOT_FOUND)',
    requires: [VOLUMES],
    async run(ctx) {
      await expectError(create(ctx.subject, volumeModel(ctx.pools, ctx.subject.name, { volumeId: '' })), 'INVALID_ARGUMENT', 'MISSING_FIELD', 'CreateVolume with an empty volume_id', 'errors.proto general error scheme: a REQUIRED field is empty');
      const elsewhere = volumeModel(ctx.pools, ctx.subject.name, { pool: 'conformance-no-such-pool' });
      ctx.defer(() => remove(ctx.subject, elsewhere));
      await expectError(create(ctx.subject, elsewhere), 'NOT_FOUND', 'POOL_NOT_FOUND', 'CreateVolume in pool "conformance-no-such-pool"', 'volume.proto CreateVolume errors: pool is not one of this back end\'s');
    },
  },
  {
    suite: SUITE,
    name: 'DeleteVolume is idempotent: a second delete and a delete of an unknown id are OK, and the volume is gone',
    requires: [VOLUMES],
    async run(ctx) {
      const volume = volumeModel(ctx.pools, ctx.subject.name);
      await expectOk(create(ctx.subject, volume), 'CreateVolume', 'volume.proto CreateVolume');
      await expectOk(remove(ctx.subject, volume), 'DeleteVolume', 'volume.proto DeleteVolume');
      await expectOk(remove(ctx.subject, volume), 'second DeleteVolume of the same id', 'volume.proto DeleteVolume: an unknown or already deleted volume returns OK');
      await expectOk(remove(ctx.subject, volumeModel(ctx.pools, ctx.subject.name)), 'DeleteVolume of an id never created', 'volume.proto DeleteVolume: an unknown volume returns OK');
      await expectError(attach(ctx.subject, volume), 'NOT_FOUND', 'VOLUME_NOT_FOUND', 'AttachVolume after DeleteVolume', 'volume.proto AttachVolume errors: volume unknown');
    },
  },
  {
    suite: SUITE,
    name: 'AttachVolume exposes the volume once per data node: a replay answers the same, another node and DeleteVolume get RESOURCE_IN_USE; DetachVolume is idempotent',
    requires: [VOLUMES],
    async run(ctx) {
      const volume = await createdVolume(ctx);
      const first = await expectOk(attach(ctx.subject, volume, NODE, true), 'AttachVolume read-only', 'volume.proto AttachVolume');
      checkExposure(first, 'AttachVolume');
      const replay = await expectOk(attach(ctx.subject, volume, NODE, true), 'replayed AttachVolume', 'volume.proto AttachVolume: a replay returns the same paths');
      check(replay.devicePath === first.devicePath && replay.filePath === first.filePath, `replay answered ${replay.devicePath || replay.filePath}, the first call ${first.devicePath || first.filePath}`, 'volume.proto AttachVolume: a replay returns the same paths');
      await expectError(attach(ctx.subject, volume, `${NODE}-2`), 'FAILED_PRECONDITION', 'RESOURCE_IN_USE', 'AttachVolume to a second data node', 'volume.proto AttachVolume errors: attached to another data node');
      await expectError(remove(ctx.subject, volume), 'FAILED_PRECONDITION', 'RESOURCE_IN_USE', 'DeleteVolume of an attached volume', 'volume.proto DeleteVolume errors: volume still attached to a data node');
      await expectError(attach(ctx.subject, volumeModel(ctx.pools, ctx.subject.name)), 'NOT_FOUND', 'VOLUME_NOT_FOUND', 'AttachVolume of an unknown volume', 'volume.proto AttachVolume errors: volume unknown');
      await expectOk(detach(ctx.subject, volume), 'DetachVolume', 'volume.proto DetachVolume');
      await expectOk(detach(ctx.subject, volume), 'second DetachVolume', 'volume.proto DetachVolume: a volume not attached there returns OK');
      await expectOk(detach(ctx.subject, volumeModel(ctx.pools, ctx.subject.name)), 'DetachVolume of an unknown volume', 'volume.proto DetachVolume: unknown returns OK');
      await expectOk(attach(ctx.subject, volume, `${NODE}-2`), 'AttachVolume to another data node after the detach', 'volume.proto AttachVolume');
      await expectOk(detach(ctx.subject, volume, `${NODE}-2`), 'DetachVolume from it', 'volume.proto DetachVolume');
    },
  },
  {
    suite: SUITE,
    name: 'the back-end object is found by name_id when it is set: a record with another volume_id and that name_id reaches and deletes it',
    requires: [VOLUMES],
    async run(ctx) {
      const object = await createdVolume(ctx);
      const rule = 'common.proto Volume.name_id: a plugin names and finds its object by name_id when it is set, else by volume_id';
      const swapped = { ...object, volumeId: newId('volume'), nameId: object.volumeId };
      checkExposure(await expectOk(attach(ctx.subject, swapped), 'AttachVolume with name_id naming the object', rule), 'AttachVolume');
      await expectOk(detach(ctx.subject, swapped), 'DetachVolume with name_id', rule);
      await expectOk(remove(ctx.subject, swapped), 'DeleteVolume with name_id naming the object', rule);
      await expectError(attach(ctx.subject, object), 'NOT_FOUND', 'VOLUME_NOT_FOUND', 'AttachVolume of the object after DeleteVolume through its name_id', rule);
    },
  },
  {
    suite: SUITE,
    name: 'UpdateMigratedVolume names the object either by the volume id (name_id "") or keeps the temporary one; a replay answers the same; an unknown new_volume is NOT_FOUND',
    requires: [VOLUMES],
    async run(ctx) {
      const temporary = await createdVolume(ctx);
      const user = volumeModel(ctx.pools, ctx.subject.name, { status: 'available' });
      const request = { volume: user, newVolume: temporary, originalVolumeStatus: 'available' };
      const rule = 'volume.proto UpdateMigratedVolume and UpdateMigratedVolumeResponse.name_id';
      let answer;
      try {
        answer = await ctx.subject.call(V.updateMigratedVolume, request);
      } catch (error) {
        if (error instanceof FerryError && error.code === 'UNIMPLEMENTED') return; // ferry applies Cinder's defaults
        throw error;
      }
      check(answer.nameId === '' || answer.nameId === temporary.volumeId, `name_id is ${JSON.stringify(answer.nameId)}: it must be "" (renamed to ${user.volumeId}) or the temporary object's name ${temporary.volumeId}`, rule);
      // The user's record after ferry's swap: volume_id survives, name_id as answered, on the temporary volume's pool.
      const swapped = { ...temporary, volumeId: user.volumeId, nameId: answer.nameId };
      ctx.defer(() => remove(ctx.subject, swapped));
      ctx.defer(() => detach(ctx.subject, swapped));
      const replay = await expectOk(ctx.subject.call(V.updateMigratedVolume, request), 'replayed UpdateMigratedVolume', IDEMPOTENT);
      check(replay.nameId === answer.nameId && replay.providerLocation === answer.providerLocation, `replay answered name_id ${JSON.stringify(replay.nameId)}, the first call ${JSON.stringify(answer.nameId)}`, IDEMPOTENT);
      await expectOk(attach(ctx.subject, swapped), 'AttachVolume of the user\'s record as ferry holds it after the swap', rule);
      await expectOk(detach(ctx.subject, swapped), 'DetachVolume', rule);
      await expectError(
        ctx.subject.call(V.updateMigratedVolume, { ...request, volume: volumeModel(ctx.pools, ctx.subject.name), newVolume: volumeModel(ctx.pools, ctx.subject.name) }),
        'NOT_FOUND', 'VOLUME_NOT_FOUND', 'UpdateMigratedVolume of an unknown new_volume', 'volume.proto UpdateMigratedVolume errors: new_volume unknown',
      );
    },
  },
  {
    suite: SUITE,
    name: 'volume snapshots: create is idempotent, NOT_FOUND for an unknown volume, delete is idempotent',
    requires: [VOLUMES, SNAPSHOTS],
    async run(ctx) {
      const volume = await createdVolume(ctx);
      const snapshot = { snapshotId: newId('volume-snapshot'), volumeId: volume.volumeId, sizeGib: volume.sizeGib, providerLocation: '' };
      const createSnap = () => ctx.subject.call(V.createVolumeSnapshot, { snapshot, volume });
      const deleteSnap = () => ctx.subject.call(V.deleteVolumeSnapshot, { snapshot, volume });
      ctx.defer(deleteSnap);
      const first = await expectOk(createSnap(), 'CreateVolumeSnapshot', 'volume.proto CreateVolumeSnapshot');
      const replay = await expectOk(createSnap(), 'replayed CreateVolumeSnapshot', IDEMPOTENT);
      check(replay.providerLocation === first.providerLocation, `replay answered ${JSON.stringify(replay.providerLocation)}, the first call ${JSON.stringify(first.providerLocation)}`, IDEMPOTENT);
      const unknown = volumeModel(ctx.pools, ctx.subject.name);
      await expectError(ctx.subject.call(V.createVolumeSnapshot, { snapshot: { ...snapshot, snapshotId: newId('volume-snapshot'), volumeId: unknown.volumeId }, volume: unknown }), 'NOT_FOUND', 'VOLUME_NOT_FOUND', 'CreateVolumeSnapshot of an unknown volume', 'volume.proto CreateVolumeSnapshot errors: volume unknown');
      await expectOk(deleteSnap(), 'DeleteVolumeSnapshot', 'volume.proto DeleteVolumeSnapshot');
      await expectOk(deleteSnap(), 'second DeleteVolumeSnapshot', 'volume.proto DeleteVolumeSnapshot: an unknown or already deleted snapshot returns OK');
    },
  },
  {
    suite: SUITE,
    name: 'MigrateVolume between two pools of the back end moves the volume (model update, data intact by hash) and a replay answers the same',
    requires: [VOLUMES, DRIVER_MIGRATION],
    async run(ctx) {
      const [from, to] = ctx.pools.pools;
      if (from === undefined || to === undefined) throw new CaseSkipped('the plugin reports one pool; the case needs two');
      const volume = await createdVolume(ctx, { pool: from.name });
      const exposed = await expectOk(attach(ctx.subject, volume), 'AttachVolume to write kit data', 'volume.proto AttachVolume');
      const hash = exposed.filePath !== '' ? fillImage(exposed.filePath) : undefined;
      await expectOk(detach(ctx.subject, volume), 'DetachVolume', 'volume.proto DetachVolume');
      const destinationHost = `${BACKEND_HOST}@${ctx.subject.name}`;
      const request = { migrationId: newId('volume-migration'), volume, destinationHost, destinationPool: to.name, destinationPeer: selfPeer(ctx), newVolumeTypeExtraSpecs: {} };
      const rule = 'volume.proto MigrateVolume: MAY be this back end (pool change)';
      const answer = await expectOk(ctx.subject.call(V.migrateVolume, request), 'MigrateVolume to another pool of the same back end', rule);
      check(answer.moved, 'a plugin advertising PLUGIN_CAPABILITY_VOLUME_DRIVER_MIGRATION answered moved = false for a move between two of its own pools', rule);
      const update = answer.modelUpdate;
      check(update === undefined || update.host === '' || update.host === `${destinationHost}#${to.name}`, `model_update.host is ${update?.host}, expected ${destinationHost}#${to.name} (or empty)`, 'volume.proto VolumeModelUpdate.host');
      const moved = { ...volume, pool: to.name, host: `${destinationHost}#${to.name}`, nameId: update?.nameId || volume.nameId, providerLocation: update?.providerLocation || volume.providerLocation };
      ctx.defer(() => remove(ctx.subject, moved));
      ctx.defer(() => detach(ctx.subject, moved));
      const replay = await expectOk(ctx.subject.call(V.migrateVolume, request), 'replayed MigrateVolume', 'volume.proto MigrateVolume: idempotency key migration_id');
      check(replay.moved === answer.moved && replay.modelUpdate?.host === answer.modelUpdate?.host, 'a replay of MigrateVolume answered differently', 'volume.proto MigrateVolume: a replay returns the same response');
      const after = await expectOk(attach(ctx.subject, moved), 'AttachVolume in the destination pool', 'volume.proto MigrateVolume');
      if (hash !== undefined && after.filePath !== '') check(hashImage(after.filePath) === hash, 'the volume\'s data differs after MigrateVolume (SHA-256 of the image)', 'volume.proto MigrateVolume: the volume is now on the destination');
      await expectOk(detach(ctx.subject, moved), 'DetachVolume', 'volume.proto DetachVolume');
    },
  },
  {
    suite: SUITE,
    name: 'MigrateVolume to a back end of another plugin answers moved = false, and the volume stays usable',
    requires: [VOLUMES, DRIVER_MIGRATION],
    async run(ctx) {
      const volume = await createdVolume(ctx);
      const foreign = PeerInfo.fromPartial({ backend: `${BACKEND_HOST}@conformance-foreign`, pluginName: 'conformance.foreign-plugin', vendorVersion: '1.0.0', properties: {} });
      const request = { migrationId: newId('volume-migration'), volume, destinationHost: `${BACKEND_HOST}@conformance-foreign`, destinationPool: 'pool1', destinationPeer: foreign, newVolumeTypeExtraSpecs: {} };
      const answer = await expectOk(ctx.subject.call(V.migrateVolume, request), 'MigrateVolume to a foreign back end', 'volume.proto MigrateVolumeRequest.destination_peer: moved = false when plugin_name is not its own');
      check(!answer.moved, 'MigrateVolume answered moved = true for a destination running another plugin', 'volume.proto MigrateVolumeRequest.destination_peer: moved = false when plugin_name is not its own');
      await expectOk(attach(ctx.subject, volume), 'AttachVolume after moved = false', 'volume.proto MigrateVolumeResponse.moved: false means nothing was done');
      await expectOk(detach(ctx.subject, volume), 'DetachVolume', 'volume.proto DetachVolume');
    },
  },
  {
    suite: SUITE,
    name: 'RetypeVolume retypes in place when the diff is empty, answers retyped = false when volume_backend_name changes, NOT_FOUND for an unknown volume',
    requires: [VOLUMES, RETYPE],
    async run(ctx) {
      const volume = await createdVolume(ctx);
      const retype = (target: Volume, diff: VolumeTypeDiff) => ctx.subject.call(V.retypeVolume, { volume: target, newVolumeTypeId: newId('volume-type'), newVolumeTypeExtraSpecs: {}, diff, host: volume.host });
      const same = await expectOk(retype(volume, noDiff), 'RetypeVolume with an empty diff', 'volume.proto RetypeVolume');
      check(same.retyped, 'RetypeVolume answered retyped = false for a type change with no spec change', 'volume.proto RetypeVolume: changes a volume\'s type in place');
      const backend = await expectOk(retype(volume, { ...noDiff, extraSpecs: { volume_backend_name: { oldValue: ctx.subject.name, newValue: 'conformance-other-backend' } } }), 'RetypeVolume changing volume_backend_name', 'volume.proto RetypeVolume');
      check(!backend.retyped, 'RetypeVolume answered retyped = true for a diff that moves the volume to another back end (volume_backend_name)', 'manila-migration-behaviour 7: a backend change needs a migration');
      await expectError(retype(volumeModel(ctx.pools, ctx.subject.name), noDiff), 'NOT_FOUND', 'VOLUME_NOT_FOUND', 'RetypeVolume of an unknown volume', 'volume.proto RetypeVolume errors: volume unknown');
    },
  },
];
