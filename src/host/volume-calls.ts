/**
 * The VolumeService half of a BackendDriver (volume.proto): domain requests to contract
 * messages and back. backend-driver.ts supplies `call` (gate, deadline, error mapping), so
 * every rule of that file holds here too.
 */
import { FerryError } from '../domain/errors.js';
import type { Volume as ContractVolume } from '../contract/gen/ferry/driver/v1/common.js';
import {
  VolumeServiceService as V,
  type SpecChange as ContractSpecChange,
  type VolumeModelUpdate as ContractModelUpdate,
  type VolumeSnapshot as ContractVolumeSnapshot,
} from '../contract/gen/ferry/driver/v1/volume.js';
import type {
  BackendDriver, DriverCallOptions, DriverVolume, DriverVolumeSnapshot, SpecChange, VolumeAttachInfo, VolumeModelUpdate,
} from '../orchestrator/driver-port.js';
import type { UnaryMethod } from './driver-client.js';
import type { BackendDriverMethod } from './driver-methods.js';
import { toContractPeerInfo } from './driver-models.js';
import { pluginProtocolError } from './errors.js';

/** backend-driver.ts's call: gate, build, call with a deadline, convert; FerryErrors only. */
export type DriverCall = <Req, Res, Out>(
  method: BackendDriverMethod,
  rpc: UnaryMethod<Req, Res>,
  build: () => Req,
  convert: (answer: Res) => Out,
  options?: DriverCallOptions,
) => Promise<Out>;

export type VolumeMethods = Pick<
  BackendDriver,
  'createVolume' | 'deleteVolume' | 'attachVolume' | 'detachVolume' | 'migrateVolume' | 'updateMigratedVolume' | 'retypeVolume' | 'createVolumeSnapshot' | 'deleteVolumeSnapshot'
>;

export function toContractVolume(volume: DriverVolume): ContractVolume {
  return {
    volumeId: volume.volumeId,
    nameId: volume.nameId,
    sizeGib: volume.sizeGib,
    pool: volume.pool,
    host: volume.host,
    providerLocation: volume.providerLocation,
    volumeTypeExtraSpecs: { ...volume.volumeTypeExtraSpecs },
    status: volume.status,
  };
}

function toContractSnapshot(snapshot: DriverVolumeSnapshot): ContractVolumeSnapshot {
  return { snapshotId: snapshot.snapshotId, volumeId: snapshot.volumeId, sizeGib: snapshot.sizeGib, providerLocation: snapshot.providerLocation };
}

function toContractChanges(changes: Readonly<Record<string, SpecChange>>): Record<string, ContractSpecChange> {
  const out: Record<string, ContractSpecChange> = {};
  for (const [key, change] of Object.entries(changes)) out[key] = { oldValue: change.oldValue, newValue: change.newValue };
  return out;
}

function fromModelUpdate(update: ContractModelUpdate | undefined): VolumeModelUpdate | null {
  if (update === undefined) return null;
  return { host: update.host, nameId: update.nameId, providerLocation: update.providerLocation };
}

function fromAttach(plugin: string) {
  return (answer: { devicePath: string; filePath: string; sparseSupported: boolean }): VolumeAttachInfo => {
    // volume.proto: "Exactly one of device_path and file_path is set."
    if ((answer.devicePath === '') === (answer.filePath === '')) {
      throw pluginProtocolError(plugin, 'AttachVolume must set exactly one of device_path and file_path');
    }
    return { devicePath: answer.devicePath, filePath: answer.filePath, sparseSupported: answer.sparseSupported };
  };
}

export function createVolumeMethods(plugin: string, call: DriverCall): VolumeMethods {
  return {
    createVolume: (request, options) =>
      call('createVolume', V.createVolume, () => ({ volume: toContractVolume(request.volume) }), (answer) => ({ providerLocation: answer.providerLocation }), options),

    deleteVolume: (request, options) => call('deleteVolume', V.deleteVolume, () => ({ volume: toContractVolume(request.volume) }), () => undefined, options),

    attachVolume: (request, options) =>
      call('attachVolume', V.attachVolume, () => ({ volume: toContractVolume(request.volume), dataNode: request.dataNode, readOnly: request.readOnly }), fromAttach(plugin), options),

    detachVolume: (request, options) =>
      call('detachVolume', V.detachVolume, () => ({ volume: toContractVolume(request.volume), dataNode: request.dataNode }), () => undefined, options),

    migrateVolume: (request, options) =>
      call(
        'migrateVolume',
        V.migrateVolume,
        () => ({
          migrationId: request.migrationId,
          volume: toContractVolume(request.volume),
          destinationHost: request.destinationHost,
          destinationPool: request.destinationPool,
          destinationPeer: toContractPeerInfo(request.destinationPeer),
          newVolumeTypeExtraSpecs: { ...request.newVolumeTypeExtraSpecs },
        }),
        (answer) => ({ moved: answer.moved, modelUpdate: answer.moved ? fromModelUpdate(answer.modelUpdate) : null }),
        options,
      ),

    async updateMigratedVolume(request, options) {
      try {
        return await call(
          'updateMigratedVolume',
          V.updateMigratedVolume,
          () => ({ volume: toContractVolume(request.volume), newVolume: toContractVolume(request.newVolume), originalVolumeStatus: request.originalVolumeStatus }),
          (answer) => ({ nameId: answer.nameId, providerLocation: answer.providerLocation }),
          options,
        );
      } catch (error) {
        // volume.proto: UNIMPLEMENTED means "apply Cinder's defaults", which the orchestrator does.
        if (error instanceof FerryError && error.code === 'UNIMPLEMENTED') return null;
        throw error;
      }
    },

    retypeVolume: (request, options) =>
      call(
        'retypeVolume',
        V.retypeVolume,
        () => ({
          volume: toContractVolume(request.volume),
          newVolumeTypeId: request.newVolumeTypeId,
          newVolumeTypeExtraSpecs: { ...request.newVolumeTypeExtraSpecs },
          diff: {
            extraSpecs: toContractChanges(request.diff.extraSpecs),
            qosSpecs: toContractChanges(request.diff.qosSpecs),
            encryption: toContractChanges(request.diff.encryption),
          },
          host: request.host,
        }),
        (answer) => ({ retyped: answer.retyped, modelUpdate: answer.retyped ? fromModelUpdate(answer.modelUpdate) : null }),
        options,
      ),

    createVolumeSnapshot: (request, options) =>
      call(
        'createVolumeSnapshot',
        V.createVolumeSnapshot,
        () => ({ snapshot: toContractSnapshot(request.snapshot), volume: toContractVolume(request.volume) }),
        (answer) => ({ providerLocation: answer.providerLocation }),
        options,
      ),

    deleteVolumeSnapshot: (request, options) =>
      call(
        'deleteVolumeSnapshot',
        V.deleteVolumeSnapshot,
        () => ({ snapshot: toContractSnapshot(request.snapshot), volume: toContractVolume(request.volume) }),
        () => undefined,
        options,
      ),
  };
}
