/**
 * ferry.admin.v1.Volumes: one handler per RPC, each a thin translation to a Ferry method
 * (FerryVolumes, src/orchestrator/volume-api.ts), with the same split of checks as
 * shares-handlers.ts: the wire's own problems here (empty REQUIRED fields, unknown enum
 * numbers), everything that needs state in the orchestrator, in Cinder's order.
 */
import type { Logger } from 'pino';
import type * as pb from '../contract/gen/ferry/admin/v1/volumes.js';
import type * as mig from '../contract/gen/ferry/admin/v1/volume_migration.js';
import type { VolumesServer } from '../contract/gen/ferry/admin/v1/volumes.js';
import type { Ferry } from '../orchestrator/ferry-api.js';
import { volumeStatus } from './convert-enums.js';
import {
  createVolumeRequestFromProto, migrateVolumeRequestFromProto, resetVolumeStatusFromProto, retypeVolumeRequestFromProto, volumeGroupToProto,
  volumeMigrationEventToProto, volumeMigrationProgressToProto, volumeSnapshotToProto, volumeToProto,
} from './convert-volumes.js';
import { mapAsync, serverStream, unary, type CallContext } from './logged-call.js';
import { invalidField, missingField, noVolumeMigration, optional, required, watchIntervalMs } from './request-errors.js';

export function createVolumesHandlers(ferry: Ferry, logger: Logger): VolumesServer {
  const rpc = <Req, Res>(method: string, run: (request: Req, context: CallContext) => Promise<Res>) => unary(`ferry.admin.v1.Volumes/${method}`, logger, run);

  return {
    createVolume: rpc('CreateVolume', async (request: pb.CreateVolumeRequest): Promise<pb.CreateVolumeResponse> => ({
      volume: volumeToProto(await ferry.createVolume(createVolumeRequestFromProto(request))),
    })),
    getVolume: rpc('GetVolume', async (request: pb.GetVolumeRequest): Promise<pb.GetVolumeResponse> => ({
      volume: volumeToProto(await ferry.getVolume(required(request.volumeId, 'volume_id'))),
    })),
    listVolumes: rpc('ListVolumes', async (request: pb.ListVolumesRequest): Promise<pb.ListVolumesResponse> => {
      const volumes = await ferry.listVolumes({
        status: volumeStatus.fromProto(request.status, 'status'),
        host: optional(request.host),
        groupId: optional(request.groupId),
      });
      return { volumes: volumes.map(volumeToProto) };
    }),
    deleteVolume: rpc('DeleteVolume', async (request: pb.DeleteVolumeRequest): Promise<pb.DeleteVolumeResponse> => {
      await ferry.deleteVolume(required(request.volumeId, 'volume_id'));
      return {};
    }),
    attachVolume: rpc('AttachVolume', async (request: pb.AttachVolumeRequest): Promise<pb.AttachVolumeResponse> => {
      const volumeId = required(request.volumeId, 'volume_id');
      // Cinder's attach names its consumer: an instance, or a host for a host attachment.
      if (request.instanceUuid === '' && request.attachedHost === '') throw missingField('instance_uuid', 'is required (or attached_host)');
      return {
        volume: volumeToProto(await ferry.attachVolume({
          volumeId, instanceUuid: optional(request.instanceUuid), attachedHost: optional(request.attachedHost), mountpoint: optional(request.mountpoint),
        })),
      };
    }),
    detachVolume: rpc('DetachVolume', async (request: pb.DetachVolumeRequest): Promise<pb.DetachVolumeResponse> => ({
      volume: volumeToProto(await ferry.detachVolume(required(request.volumeId, 'volume_id'), optional(request.attachmentId))),
    })),
    resetVolumeStatus: rpc('ResetVolumeStatus', async (request: pb.ResetVolumeStatusRequest): Promise<pb.ResetVolumeStatusResponse> => {
      const { volumeId, reset } = resetVolumeStatusFromProto(request);
      return { volume: volumeToProto(await ferry.resetVolumeStatus(volumeId, reset)) };
    }),

    createVolumeSnapshot: rpc('CreateVolumeSnapshot', async (request: pb.CreateVolumeSnapshotRequest): Promise<pb.CreateVolumeSnapshotResponse> => ({
      snapshot: volumeSnapshotToProto(await ferry.createVolumeSnapshot({ volumeId: required(request.volumeId, 'volume_id'), name: optional(request.name) })),
    })),
    deleteVolumeSnapshot: rpc('DeleteVolumeSnapshot', async (request: pb.DeleteVolumeSnapshotRequest): Promise<pb.DeleteVolumeSnapshotResponse> => {
      await ferry.deleteVolumeSnapshot(required(request.snapshotId, 'snapshot_id'));
      return {};
    }),
    listVolumeSnapshots: rpc('ListVolumeSnapshots', async (request: pb.ListVolumeSnapshotsRequest): Promise<pb.ListVolumeSnapshotsResponse> => ({
      snapshots: (await ferry.listVolumeSnapshots({ volumeId: optional(request.volumeId) })).map(volumeSnapshotToProto),
    })),

    createVolumeGroup: rpc('CreateVolumeGroup', async (request: pb.CreateVolumeGroupRequest): Promise<pb.CreateVolumeGroupResponse> => ({
      group: volumeGroupToProto(await ferry.createVolumeGroup({ name: required(request.name, 'name'), description: optional(request.description) })),
    })),
    listVolumeGroups: rpc('ListVolumeGroups', async (_request: pb.ListVolumeGroupsRequest): Promise<pb.ListVolumeGroupsResponse> => ({
      groups: (await ferry.listVolumeGroups()).map(volumeGroupToProto),
    })),
    deleteVolumeGroup: rpc('DeleteVolumeGroup', async (request: pb.DeleteVolumeGroupRequest): Promise<pb.DeleteVolumeGroupResponse> => {
      await ferry.deleteVolumeGroup(required(request.groupId, 'group_id'));
      return {};
    }),

    migrateVolume: rpc('MigrateVolume', async (request: mig.MigrateVolumeRequest): Promise<mig.MigrateVolumeResponse> => {
      const result = await ferry.migrateVolume(migrateVolumeRequestFromProto(request));
      return { migrationId: result.migrationId, volume: volumeToProto(result.volume) };
    }),
    retypeVolume: rpc('RetypeVolume', async (request: mig.RetypeVolumeRequest): Promise<mig.RetypeVolumeResponse> => {
      const result = await ferry.retypeVolume(retypeVolumeRequestFromProto(request));
      return { migrationId: result.migrationId, volume: volumeToProto(result.volume) };
    }),
    getMigration: rpc('GetMigration', async (request: mig.VolumesGetMigrationRequest): Promise<mig.VolumesGetMigrationResponse> => ({
      progress: volumeMigrationProgressToProto(await ferry.getVolumeMigration(required(request.volumeId, 'volume_id'))),
    })),
    watchMigration: serverStream('ferry.admin.v1.Volumes/WatchMigration', logger, (request: mig.VolumesWatchMigrationRequest, { signal }) => {
      const volumeId = required(request.volumeId, 'volume_id');
      const intervalMs = watchIntervalMs(request.intervalMs);
      return mapAsync(ferry.watchVolumeMigration(volumeId, { signal, intervalMs }), (progress): mig.VolumesWatchMigrationResponse => ({
        progress: volumeMigrationProgressToProto(progress),
      }));
    }),
    getMigrationHistory: rpc('GetMigrationHistory', async (request: mig.VolumesGetMigrationHistoryRequest): Promise<mig.VolumesGetMigrationHistoryResponse> => {
      const migrationId = await volumeMigrationIdOf(ferry, request);
      return { migrationId, events: (await ferry.volumeMigrationHistory(migrationId)).map(volumeMigrationEventToProto) };
    }),
    abortMigration: rpc('AbortMigration', async (request: mig.VolumesAbortMigrationRequest): Promise<mig.VolumesAbortMigrationResponse> => ({
      volume: volumeToProto(await ferry.abortVolumeMigration(required(request.volumeId, 'volume_id'))),
    })),
  };
}

/** The migration GetMigrationHistory shows: the one named, or the volume's latest. */
async function volumeMigrationIdOf(ferry: Ferry, request: mig.VolumesGetMigrationHistoryRequest): Promise<string> {
  if (request.migrationId !== '' && request.volumeId !== '') throw invalidField('volume_id', 'give migration_id or volume_id, not both');
  if (request.migrationId !== '') return request.migrationId;
  if (request.volumeId === '') throw missingField('migration_id', 'is required (or volume_id)');
  const volume = await ferry.getVolume(request.volumeId);
  if (volume.migration === null) throw noVolumeMigration(volume.id);
  return volume.migration.id;
}
