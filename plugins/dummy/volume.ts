/**
 * VolumeService of the dummy (Cinder's volume driver, volume.proto). With dataRoot each volume
 * is a real sparse image file that AttachVolume hands out as file_path, and each snapshot a
 * copy of it. MigrateVolume moves the volume (moved = true) when the destination peer runs the
 * same plugin, else answers moved = false so ferry runs the generic migration; RetypeVolume
 * retypes in place unless the diff changes the back end.
 *
 * Objects are named and found by name_id when it is set, else by volume_id (common.proto
 * Volume.name_id): after a generic migration ferry deletes the OLD object with a record whose
 * volume_id is the temporary volume's and whose name_id names the old object, and the user's
 * record may carry name_id = the temporary id.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../src/domain/errors.js';
import type { Volume } from '../../src/contract/gen/ferry/driver/v1/common.js';
import type { VolumeServiceService, VolumeSnapshot } from '../../src/contract/gen/ferry/driver/v1/volume.js';
import type { ServiceHandlers } from '../sdk/driver.js';
import { DummyBackend, GIB, PEER_DATA_ROOT, required } from './backend.js';
import type { VolumeRecord } from './state.js';

/** Extra specs whose change means "another back end": retype cannot do it in place. */
const BACKEND_SPECS = ['volume_backend_name', 'RESKEY:availability_zones'];

/** A request's volume: its volume_id and the name of its back-end object. */
interface VolumeRef {
  readonly volumeId: string;
  readonly name: string;
}

function volumeRef(volume: Volume | undefined, field = 'volume'): VolumeRef {
  const v = required(volume, field);
  const volumeId = required(v.volumeId, `${field}.volume_id`);
  return { volumeId, name: v.nameId === '' ? volumeId : v.nameId };
}

/** Copies an image keeping its holes (a plain copy would allocate every zero block of a thin image). */
function copySparse(source: string, destination: string): void {
  execFileSync('cp', ['--sparse=always', '--reflink=auto', '--', source, destination], { stdio: 'ignore' });
}

function snapshotIdOf(snapshot: VolumeSnapshot | undefined): string {
  return required(required(snapshot, 'snapshot').snapshotId, 'snapshot.snapshot_id');
}

export function createVolumeHandlers(backend: DummyBackend): ServiceHandlers<typeof VolumeServiceService> {
  const { state } = backend;
  const known = (ref: VolumeRef, model?: Volume): VolumeRecord => {
    let volume = state.data.volumes[ref.name];
    const file = backend.volumeFile(ref.name);
    if (volume === undefined && model !== undefined && file !== undefined && existsSync(file)) {
      // A same-plugin peer moved the object into our data root (MigrateVolume): its records stay
      // with the peer, so the first call that names it here adopts it.
      volume = { volumeId: ref.volumeId, pool: model.pool, sizeGib: model.sizeGib, providerLocation: locate(ref.name), attachedTo: '' };
      state.data.volumes[ref.name] = volume;
      state.save();
    }
    if (volume === undefined) throw new NotFoundError('volume', ref.name === ref.volumeId ? ref.volumeId : `${ref.volumeId} (object ${ref.name})`, 'VOLUME_NOT_FOUND', 'volumeId');
    return volume;
  };
  const locate = (name: string): string => backend.volumeFile(name) ?? `dummy://volume/${name}`;
  const snapshotFile = (snapshotId: string): string | undefined => (backend.config.dataRoot ? join(backend.config.dataRoot, `snapshot-${snapshotId}.img`) : undefined);
  const snapshotsOf = (name: string): string[] => Object.values(state.data.volumeSnapshots).filter((s) => s.volumeName === name).map((s) => s.snapshotId);

  return {
    createVolume(request) {
      const ref = volumeRef(request.volume);
      const volume = request.volume!;
      required(volume.pool, 'volume.pool');
      if (!(volume.sizeGib >= 1)) throw new InvalidArgumentError('volume.size_gib', `must be >= 1, got ${volume.sizeGib}`);
      const pool = backend.requirePool(volume.pool);
      const existing = state.data.volumes[ref.name];
      if (existing !== undefined) {
        if (existing.pool !== volume.pool || existing.sizeGib !== volume.sizeGib) {
          throw new AlreadyExistsError(`volume ${ref.name} already exists with ${existing.sizeGib} GiB on pool ${existing.pool}`, { volumeId: ref.volumeId });
        }
        return { providerLocation: existing.providerLocation };
      }
      backend.ensureCapacity(pool, volume.sizeGib);
      const file = backend.volumeFile(ref.name);
      if (file !== undefined) {
        mkdirSync(dirname(file), { recursive: true });
        const fd = openSync(file, 'w');
        try {
          ftruncateSync(fd, volume.sizeGib * GIB);
        } finally {
          closeSync(fd);
        }
      }
      state.data.volumes[ref.name] = { volumeId: ref.volumeId, pool: pool.name, sizeGib: volume.sizeGib, providerLocation: locate(ref.name), attachedTo: '' };
      state.save();
      return { providerLocation: locate(ref.name) };
    },

    deleteVolume(request) {
      const ref = volumeRef(request.volume);
      const volume = state.data.volumes[ref.name];
      if (volume === undefined) {
        // Unknown here, but a peer may have moved the object in without a record (see known()).
        const file = backend.volumeFile(ref.name);
        if (file !== undefined) rmSync(file, { force: true });
        return {};
      }
      if (volume.attachedTo !== '') {
        throw new FailedPreconditionError('RESOURCE_IN_USE', `volume ${ref.volumeId} is attached to data node ${volume.attachedTo}`, { volumeId: ref.volumeId });
      }
      const snapshots = snapshotsOf(ref.name);
      if (snapshots.length > 0) throw new FailedPreconditionError('RESOURCE_IN_USE', `volume ${ref.volumeId} still has snapshots ${snapshots.join(', ')}`, { volumeId: ref.volumeId });
      delete state.data.volumes[ref.name];
      state.save();
      const file = backend.volumeFile(ref.name);
      if (file !== undefined) rmSync(file, { force: true });
      return {};
    },

    attachVolume(request) {
      const ref = volumeRef(request.volume);
      const dataNode = required(request.dataNode, 'data_node');
      const volume = known(ref, request.volume);
      if (volume.attachedTo !== '' && volume.attachedTo !== dataNode) {
        throw new FailedPreconditionError('RESOURCE_IN_USE', `volume ${ref.volumeId} is attached to data node ${volume.attachedTo}`, { volumeId: ref.volumeId });
      }
      if (volume.attachedTo === '') {
        volume.attachedTo = dataNode;
        state.save();
      }
      const file = backend.volumeFile(ref.name);
      return file === undefined ? { devicePath: `/dev/fake/${ref.name}` } : { filePath: file, sparseSupported: true };
    },

    detachVolume(request) {
      const ref = volumeRef(request.volume);
      const dataNode = required(request.dataNode, 'data_node');
      const volume = state.data.volumes[ref.name];
      if (volume !== undefined && volume.attachedTo === dataNode) {
        volume.attachedTo = '';
        state.save();
      }
      return {};
    },

    migrateVolume(request) {
      const migrationId = required(request.migrationId, 'migration_id');
      const ref = volumeRef(request.volume);
      const destinationHost = required(request.destinationHost, 'destination_host');
      const destinationPool = required(request.destinationPool, 'destination_pool');
      const peer = required(request.destinationPeer, 'destination_peer');
      const fingerprint = `${ref.name}>${destinationHost}#${destinationPool}`;
      const replayKey = `migrateVolume:${migrationId}`;
      const replay = state.data.replays[replayKey];
      if (replay !== undefined) {
        if (replay.fingerprint !== fingerprint) throw new AlreadyExistsError(`migration ${migrationId} was run with other arguments (${replay.fingerprint})`, { migrationId });
        return replay.response as object;
      }
      const volume = known(ref, request.volume);
      let response: { moved: boolean; modelUpdate?: { host: string; nameId: string; providerLocation: string } } = { moved: false };
      if (backend.isSamePlugin(peer)) {
        const file = backend.volumeFile(ref.name);
        if (backend.isSelf(peer)) {
          const pool = backend.requirePool(destinationPool);
          if (pool.name !== volume.pool) backend.ensureCapacity(pool, volume.sizeGib);
          volume.pool = pool.name;
        } else {
          const target = backend.volumeFile(ref.name, peer.properties[PEER_DATA_ROOT]);
          if (file !== undefined && target !== undefined && existsSync(file)) {
            mkdirSync(dirname(target), { recursive: true });
            copySparse(file, target);
          }
          if (file !== undefined) rmSync(file, { force: true });
          delete state.data.volumes[ref.name];
        }
        // The object keeps its name, so name_id stays what ferry has (empty = keep).
        response = { moved: true, modelUpdate: { host: `${destinationHost}#${destinationPool}`, nameId: '', providerLocation: `dummy://volume/${ref.name}` } };
      }
      state.data.replays[replayKey] = { fingerprint, response };
      state.save();
      return response;
    },

    updateMigratedVolume(request) {
      const ref = volumeRef(request.volume);
      const temporaryRef = volumeRef(request.newVolume, 'new_volume');
      const replayKey = `updateMigratedVolume:${ref.volumeId}:${temporaryRef.volumeId}`;
      const replay = state.data.replays[replayKey];
      if (replay !== undefined) return replay.response as object;
      const temporary = known(temporaryRef, request.newVolume);
      let response: { nameId: string; providerLocation: string };
      if (state.data.volumes[ref.volumeId] === undefined && snapshotsOf(temporaryRef.name).length === 0) {
        // Rename the back-end object to the user's volume id, so name_id can be cleared.
        const from = backend.volumeFile(temporaryRef.name);
        const to = backend.volumeFile(ref.volumeId);
        if (from !== undefined && to !== undefined && existsSync(from)) renameSync(from, to);
        delete state.data.volumes[temporaryRef.name];
        state.data.volumes[ref.volumeId] = { ...temporary, volumeId: ref.volumeId, providerLocation: locate(ref.volumeId) };
        response = { nameId: '', providerLocation: locate(ref.volumeId) };
      } else {
        // The user's id is taken on this back end (a pool change): keep the temporary name.
        response = { nameId: temporaryRef.name, providerLocation: temporary.providerLocation };
      }
      state.data.replays[replayKey] = { fingerprint: '', response };
      state.save();
      return response;
    },

    retypeVolume(request) {
      const ref = volumeRef(request.volume);
      required(request.newVolumeTypeId, 'new_volume_type_id');
      known(ref, request.volume);
      const changes = request.diff?.extraSpecs ?? {};
      const movesBackend = BACKEND_SPECS.some((key) => changes[key] !== undefined && changes[key].oldValue !== changes[key].newValue);
      return { retyped: !movesBackend };
    },

    createVolumeSnapshot(request) {
      const snapshotId = snapshotIdOf(request.snapshot);
      const ref = volumeRef(request.volume);
      const volume = known(ref, request.volume);
      const existing = state.data.volumeSnapshots[snapshotId];
      if (existing !== undefined) {
        if (existing.volumeName !== ref.name) throw new AlreadyExistsError(`snapshot ${snapshotId} already exists of volume object ${existing.volumeName}`, { snapshotId });
        return { providerLocation: existing.providerLocation };
      }
      const source = backend.volumeFile(ref.name);
      const file = snapshotFile(snapshotId);
      if (source !== undefined && file !== undefined && existsSync(source)) copySparse(source, file);
      const providerLocation = file ?? `dummy://snapshot/${snapshotId}`;
      state.data.volumeSnapshots[snapshotId] = { snapshotId, volumeName: ref.name, sizeGib: volume.sizeGib, providerLocation };
      state.save();
      return { providerLocation };
    },

    deleteVolumeSnapshot(request) {
      const snapshotId = snapshotIdOf(request.snapshot);
      volumeRef(request.volume);
      if (state.data.volumeSnapshots[snapshotId] === undefined) return {};
      delete state.data.volumeSnapshots[snapshotId];
      state.save();
      const file = snapshotFile(snapshotId);
      if (file !== undefined) rmSync(file, { force: true });
      return {};
    },
  };
}
