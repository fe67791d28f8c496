/**
 * VolumeService of the dummy (Cinder's volume driver, volume.proto). With dataRoot each volume
 * is a real sparse image file that AttachVolume hands out as file_path. MigrateVolume moves the
 * volume (moved = true) when the destination peer runs the same plugin, else answers
 * moved = false so ferry runs the generic migration; RetypeVolume retypes in place unless the
 * diff changes the back end.
 */
import { closeSync, copyFileSync, existsSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError } from '../../src/domain/errors.js';
import type { Volume } from '../../src/contract/gen/ferry/driver/v1/common.js';
import type { VolumeServiceService } from '../../src/contract/gen/ferry/driver/v1/volume.js';
import type { ServiceHandlers } from '../sdk/driver.js';
import { DummyBackend, GIB, PEER_DATA_ROOT, required } from './backend.js';
import type { VolumeRecord } from './state.js';

/** Extra specs whose change means "another back end": retype cannot do it in place. */
const BACKEND_SPECS = ['volume_backend_name', 'RESKEY:availability_zones'];

function requireVolume(volume: Volume | undefined, field = 'volume'): Volume {
  const v = required(volume, field);
  required(v.volumeId, `${field}.volume_id`);
  return v;
}

export function createVolumeHandlers(backend: DummyBackend): ServiceHandlers<typeof VolumeServiceService> {
  const { state } = backend;
  const known = (volumeId: string): VolumeRecord => {
    const volume = state.data.volumes[volumeId];
    if (volume === undefined) throw new NotFoundError('volume', volumeId, 'VOLUME_NOT_FOUND', 'volumeId');
    return volume;
  };
  const locate = (volumeId: string): string => backend.volumeFile(volumeId) ?? `dummy://volume/${volumeId}`;

  return {
    createVolume(request) {
      const volume = requireVolume(request.volume);
      const id = volume.volumeId;
      required(volume.pool, 'volume.pool');
      if (!(volume.sizeGib >= 1)) throw new InvalidArgumentError('volume.size_gib', `must be >= 1, got ${volume.sizeGib}`);
      const pool = backend.requirePool(volume.pool);
      const existing = state.data.volumes[id];
      if (existing !== undefined) {
        if (existing.pool !== volume.pool || existing.sizeGib !== volume.sizeGib) {
          throw new AlreadyExistsError(`volume ${id} already exists with ${existing.sizeGib} GiB on pool ${existing.pool}`, { volumeId: id });
        }
        return { providerLocation: existing.providerLocation };
      }
      backend.ensureCapacity(pool, volume.sizeGib);
      const file = backend.volumeFile(id);
      if (file !== undefined) {
        mkdirSync(dirname(file), { recursive: true });
        const fd = openSync(file, 'w');
        try {
          ftruncateSync(fd, volume.sizeGib * GIB);
        } finally {
          closeSync(fd);
        }
      }
      state.data.volumes[id] = { volumeId: id, pool: pool.name, sizeGib: volume.sizeGib, providerLocation: locate(id), attachedTo: '' };
      state.save();
      return { providerLocation: locate(id) };
    },

    deleteVolume(request) {
      const { volumeId: id } = requireVolume(request.volume);
      const volume = state.data.volumes[id];
      if (volume === undefined) return {};
      if (volume.attachedTo !== '') {
        throw new FailedPreconditionError('RESOURCE_IN_USE', `volume ${id} is attached to data node ${volume.attachedTo}`, { volumeId: id });
      }
      delete state.data.volumes[id];
      state.save();
      const file = backend.volumeFile(id);
      if (file !== undefined) rmSync(file, { force: true });
      return {};
    },

    attachVolume(request) {
      const { volumeId: id } = requireVolume(request.volume);
      const dataNode = required(request.dataNode, 'data_node');
      const volume = known(id);
      if (volume.attachedTo !== '' && volume.attachedTo !== dataNode) {
        throw new FailedPreconditionError('RESOURCE_IN_USE', `volume ${id} is attached to data node ${volume.attachedTo}`, { volumeId: id });
      }
      if (volume.attachedTo === '') {
        volume.attachedTo = dataNode;
        state.save();
      }
      const file = backend.volumeFile(id);
      return file === undefined ? { devicePath: `/dev/fake/${id}` } : { filePath: file, sparseSupported: true };
    },

    detachVolume(request) {
      const { volumeId: id } = requireVolume(request.volume);
      const dataNode = required(request.dataNode, 'data_node');
      const volume = state.data.volumes[id];
      if (volume !== undefined && volume.attachedTo === dataNode) {
        volume.attachedTo = '';
        state.save();
      }
      return {};
    },

    migrateVolume(request) {
      const migrationId = required(request.migrationId, 'migration_id');
      const { volumeId: id } = requireVolume(request.volume);
      const destinationHost = required(request.destinationHost, 'destination_host');
      const destinationPool = required(request.destinationPool, 'destination_pool');
      const peer = required(request.destinationPeer, 'destination_peer');
      const fingerprint = `${id}>${destinationHost}#${destinationPool}`;
      const replayKey = `migrateVolume:${migrationId}`;
      const replay = state.data.replays[replayKey];
      if (replay !== undefined) {
        if (replay.fingerprint !== fingerprint) throw new AlreadyExistsError(`migration ${migrationId} was run with other arguments (${replay.fingerprint})`, { migrationId });
        return replay.response as object;
      }
      const volume = known(id);
      let response: { moved: boolean; modelUpdate?: { host: string; nameId: string; providerLocation: string } } = { moved: false };
      if (backend.isSamePlugin(peer)) {
        const file = backend.volumeFile(id);
        if (backend.isSelf(peer)) {
          const pool = backend.requirePool(destinationPool);
          if (pool.name !== volume.pool) backend.ensureCapacity(pool, volume.sizeGib);
          volume.pool = pool.name;
        } else {
          const target = backend.volumeFile(id, peer.properties[PEER_DATA_ROOT]);
          if (file !== undefined && target !== undefined && existsSync(file)) {
            mkdirSync(dirname(target), { recursive: true });
            copyFileSync(file, target);
          }
          if (file !== undefined) rmSync(file, { force: true });
          delete state.data.volumes[id];
        }
        response = { moved: true, modelUpdate: { host: `${destinationHost}#${destinationPool}`, nameId: '', providerLocation: `dummy://volume/${id}` } };
      }
      state.data.replays[replayKey] = { fingerprint, response };
      state.save();
      return response;
    },

    updateMigratedVolume(request) {
      const { volumeId: id } = requireVolume(request.volume);
      const newVolume = requireVolume(request.newVolume, 'new_volume');
      const replayKey = `updateMigratedVolume:${id}:${newVolume.volumeId}`;
      const replay = state.data.replays[replayKey];
      if (replay !== undefined) return replay.response as object;
      const temporary = known(newVolume.volumeId);
      let response: { nameId: string; providerLocation: string };
      if (state.data.volumes[id] === undefined) {
        // Rename the back-end object to the user's volume id, so name_id can be cleared.
        const from = backend.volumeFile(newVolume.volumeId);
        const to = backend.volumeFile(id);
        if (from !== undefined && to !== undefined && existsSync(from)) renameSync(from, to);
        delete state.data.volumes[newVolume.volumeId];
        state.data.volumes[id] = { ...temporary, volumeId: id, providerLocation: locate(id) };
        response = { nameId: '', providerLocation: locate(id) };
      } else {
        // The user's id is taken on this back end (a pool change): keep the temporary name.
        response = { nameId: newVolume.volumeId, providerLocation: temporary.providerLocation };
      }
      state.data.replays[replayKey] = { fingerprint: '', response };
      state.save();
      return response;
    },

    retypeVolume(request) {
      const { volumeId: id } = requireVolume(request.volume);
      required(request.newVolumeTypeId, 'new_volume_type_id');
      known(id);
      const changes = request.diff?.extraSpecs ?? {};
      const movesBackend = BACKEND_SPECS.some((key) => changes[key] !== undefined && changes[key].oldValue !== changes[key].newValue);
      return { retyped: !movesBackend };
    },
  };
}
