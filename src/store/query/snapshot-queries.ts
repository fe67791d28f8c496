/** Snapshots and snapshot instances. */
import { NotFoundError } from '../../domain/errors.js';
import type { StoreTx } from '../../orchestrator/store-port.js';
import { cleanPatch } from './codec.js';
import { snapshotFromRow, snapshotInstanceFromRow, snapshotInstanceToRow, snapshotToRow } from './mappers/snapshot-mapper.js';
import { write, type QueryContext } from './query-context.js';

export type SnapshotQueries = Pick<StoreTx,
  'insertSnapshot' | 'getSnapshot' | 'listSnapshots' | 'deleteSnapshot' |
  'insertSnapshotInstance' | 'getSnapshotInstance' | 'listSnapshotInstances' | 'updateSnapshotInstance' | 'deleteSnapshotInstance'>;

export function snapshotQueries(ctx: QueryContext): SnapshotQueries {
  const { db } = ctx;
  return {
    async insertSnapshot(snapshot) {
      await write(ctx, 'insert', 'snapshot', snapshot.id, () => db.insertInto('snapshots').values(snapshotToRow(snapshot)).execute());
    },
    async getSnapshot(id) {
      const row = await db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirst();
      return row && snapshotFromRow(row);
    },
    async listSnapshots(shareId) {
      const rows = await db.selectFrom('snapshots').selectAll().where('share_id', '=', shareId)
        .orderBy('created_at').orderBy('id').execute();
      return rows.map(snapshotFromRow);
    },
    async deleteSnapshot(id) {
      // Its instances cascade.
      await write(ctx, 'delete', 'snapshot', id, () => db.deleteFrom('snapshots').where('id', '=', id).execute());
    },

    async insertSnapshotInstance(instance) {
      await write(ctx, 'insert', 'snapshot instance', instance.id,
        () => db.insertInto('snapshot_instances').values(snapshotInstanceToRow(instance)).execute());
    },
    async getSnapshotInstance(id) {
      const row = await db.selectFrom('snapshot_instances').selectAll().where('id', '=', id).executeTakeFirst();
      return row && snapshotInstanceFromRow(row);
    },
    async listSnapshotInstances(filter = {}) {
      let query = db.selectFrom('snapshot_instances').selectAll();
      if (filter.snapshotId !== undefined) query = query.where('snapshot_id', '=', filter.snapshotId);
      if (filter.shareInstanceId !== undefined) query = query.where('share_instance_id', '=', filter.shareInstanceId);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(snapshotInstanceFromRow);
    },
    async updateSnapshotInstance(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('snapshot_instances').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError('snapshot instance', id, 'SNAPSHOT_INSTANCE_NOT_FOUND', 'snapshotInstanceId');
        const next = snapshotInstanceToRow({ ...snapshotInstanceFromRow(row), ...cleanPatch(patch) });
        const { id: _id, ...changes } = next;
        await write(ctx, 'update', 'snapshot instance', id,
          () => tx.updateTable('snapshot_instances').set(changes).where('id', '=', id).execute());
        return snapshotInstanceFromRow(next);
      });
    },
    async deleteSnapshotInstance(id) {
      await write(ctx, 'delete', 'snapshot instance', id, () => db.deleteFrom('snapshot_instances').where('id', '=', id).execute());
    },
  };
}
