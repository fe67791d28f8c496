/** Volume types, volume groups, volumes (attachments included) and volume snapshots. */
import { NotFoundError } from '../../domain/errors.js';
import type { StoreTx } from '../../orchestrator/store-port.js';
import { cleanPatch } from './codec.js';
import { hostColumn } from './host-filter.js';
import {
  volumeFromRow, volumeGroupFromRow, volumeGroupToRow, volumeSnapshotFromRow, volumeSnapshotToRow, volumeToRow, volumeTypeFromRow,
  volumeTypeToRow,
} from './mappers/volume-mapper.js';
import { write, type QueryContext } from './query-context.js';

export type VolumeQueries = Pick<StoreTx,
  'insertVolumeType' | 'getVolumeType' | 'getVolumeTypeByName' | 'listVolumeTypes' | 'updateVolumeType' | 'deleteVolumeType' |
  'insertVolumeGroup' | 'getVolumeGroup' | 'listVolumeGroups' | 'deleteVolumeGroup' |
  'insertVolume' | 'getVolume' | 'listVolumes' | 'updateVolume' | 'deleteVolume' |
  'insertVolumeSnapshot' | 'getVolumeSnapshot' | 'listVolumeSnapshots' | 'updateVolumeSnapshot' | 'deleteVolumeSnapshot'>;

export function volumeQueries(ctx: QueryContext): VolumeQueries {
  const { db } = ctx;
  return {
    async insertVolumeType(type) {
      // The name is unique too: a taken name is AlreadyExistsError like a taken id.
      await write(ctx, 'insert', 'volume type', `${type.id} (name "${type.name}")`,
        () => db.insertInto('volume_types').values(volumeTypeToRow(type)).execute());
    },
    async getVolumeType(id) {
      const row = await db.selectFrom('volume_types').selectAll().where('id', '=', id).executeTakeFirst();
      return row && volumeTypeFromRow(row);
    },
    async getVolumeTypeByName(name) {
      const row = await db.selectFrom('volume_types').selectAll().where('name', '=', name).executeTakeFirst();
      return row && volumeTypeFromRow(row);
    },
    async listVolumeTypes() {
      const rows = await db.selectFrom('volume_types').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(volumeTypeFromRow);
    },
    async updateVolumeType(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('volume_types').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError('volume type', id, 'VOLUME_TYPE_NOT_FOUND', 'volumeTypeId');
        const next = volumeTypeToRow({ ...volumeTypeFromRow(row), ...cleanPatch(patch) });
        const { id: _id, ...changes } = next;
        await write(ctx, 'update', 'volume type', `${id} (name "${next.name}")`,
          () => tx.updateTable('volume_types').set(changes).where('id', '=', id).execute());
        return volumeTypeFromRow(next);
      });
    },
    async deleteVolumeType(id) {
      // Refused (StoreRecordInUseError) while a volume has the type.
      await write(ctx, 'delete', 'volume type', id, () => db.deleteFrom('volume_types').where('id', '=', id).execute());
    },

    async insertVolumeGroup(group) {
      await write(ctx, 'insert', 'volume group', group.id, () => db.insertInto('volume_groups').values(volumeGroupToRow(group)).execute());
    },
    async getVolumeGroup(id) {
      const row = await db.selectFrom('volume_groups').selectAll().where('id', '=', id).executeTakeFirst();
      return row && volumeGroupFromRow(row);
    },
    async listVolumeGroups() {
      const rows = await db.selectFrom('volume_groups').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(volumeGroupFromRow);
    },
    async deleteVolumeGroup(id) {
      // Refused (StoreRecordInUseError) while a volume is in the group.
      await write(ctx, 'delete', 'volume group', id, () => db.deleteFrom('volume_groups').where('id', '=', id).execute());
    },

    async insertVolume(volume) {
      await write(ctx, 'insert', 'volume', volume.id, () => db.insertInto('volumes').values(volumeToRow(volume)).execute());
    },
    async getVolume(id) {
      const row = await db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirst();
      return row && volumeFromRow(row);
    },
    async listVolumes(filter = {}) {
      let query = db.selectFrom('volumes').selectAll();
      if (filter.host !== undefined) query = query.where(hostColumn(filter.host), '=', filter.host);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.volumeTypeId !== undefined) query = query.where('volume_type_id', '=', filter.volumeTypeId);
      if (filter.groupId !== undefined) query = query.where('group_id', '=', filter.groupId);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(volumeFromRow);
    },
    async updateVolume(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError('volume', id, 'VOLUME_NOT_FOUND', 'volumeId');
        const next = volumeToRow({ ...volumeFromRow(row), ...cleanPatch(patch) });
        const { id: _id, ...changes } = next;
        await write(ctx, 'update', 'volume', id, () => tx.updateTable('volumes').set(changes).where('id', '=', id).execute());
        return volumeFromRow(next);
      });
    },
    async deleteVolume(id) {
      // Migrations (and their events) go with it through ON DELETE CASCADE; snapshots refuse
      // the delete (StoreRecordInUseError) until they are deleted.
      await write(ctx, 'delete', 'volume', id, () => db.deleteFrom('volumes').where('id', '=', id).execute());
    },

    async insertVolumeSnapshot(snapshot) {
      await write(ctx, 'insert', 'volume snapshot', snapshot.id,
        () => db.insertInto('volume_snapshots').values(volumeSnapshotToRow(snapshot)).execute());
    },
    async getVolumeSnapshot(id) {
      const row = await db.selectFrom('volume_snapshots').selectAll().where('id', '=', id).executeTakeFirst();
      return row && volumeSnapshotFromRow(row);
    },
    async listVolumeSnapshots(filter = {}) {
      let query = db.selectFrom('volume_snapshots').selectAll();
      if (filter.volumeId !== undefined) query = query.where('volume_id', '=', filter.volumeId);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(volumeSnapshotFromRow);
    },
    async updateVolumeSnapshot(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('volume_snapshots').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError('volume snapshot', id, 'VOLUME_SNAPSHOT_NOT_FOUND', 'volumeSnapshotId');
        const next = volumeSnapshotToRow({ ...volumeSnapshotFromRow(row), ...cleanPatch(patch) });
        const { id: _id, ...changes } = next;
        await write(ctx, 'update', 'volume snapshot', id, () => tx.updateTable('volume_snapshots').set(changes).where('id', '=', id).execute());
        return volumeSnapshotFromRow(next);
      });
    },
    async deleteVolumeSnapshot(id) {
      await write(ctx, 'delete', 'volume snapshot', id, () => db.deleteFrom('volume_snapshots').where('id', '=', id).execute());
    },
  };
}
