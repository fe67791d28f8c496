/** Back ends, pools, share types and share networks (with their subnets). */
import { InvalidArgumentError, NotFoundError } from '../../domain/errors.js';
import type { ShareNetwork } from '../../domain/resources.js';
import type { StoreTx } from '../../orchestrator/store-port.js';
import { cleanPatch } from './codec.js';
import {
  backendFromRow, backendToRow, poolFromRow, poolToRow, shareNetworkFromRows, shareNetworkToRow, shareTypeFromRow,
  shareTypeToRow, subnetToRow,
} from './mappers/catalog-mapper.js';
import { write, type QueryContext } from './query-context.js';
import type { Kysely } from 'kysely';
import type { Database, ShareNetworkRow } from './database.js';

export type CatalogQueries = Pick<StoreTx,
  'getBackend' | 'listBackends' | 'upsertBackend' | 'replacePools' | 'getPool' | 'listPools' |
  'insertShareType' | 'getShareType' | 'getShareTypeByName' | 'listShareTypes' | 'deleteShareType' |
  'insertShareNetwork' | 'getShareNetwork' | 'listShareNetworks' | 'updateShareNetwork' | 'deleteShareNetwork'>;

async function loadNetworks(db: Kysely<Database>, rows: readonly ShareNetworkRow[]): Promise<ShareNetwork[]> {
  if (rows.length === 0) return [];
  const subnets = await db.selectFrom('share_network_subnets').selectAll()
    .where('share_network_id', 'in', rows.map((row) => row.id))
    .orderBy('created_at').orderBy('id').execute();
  return rows.map((row) => shareNetworkFromRows(row, subnets.filter((subnet) => subnet.share_network_id === row.id)));
}

export function catalogQueries(ctx: QueryContext): CatalogQueries {
  const { db } = ctx;
  return {
    async getBackend(name) {
      const row = await db.selectFrom('backends').selectAll().where('name', '=', name).executeTakeFirst();
      return row && backendFromRow(row);
    },
    async listBackends() {
      const rows = await db.selectFrom('backends').selectAll().orderBy('name').execute();
      return rows.map(backendFromRow);
    },
    async upsertBackend(backend) {
      const { name: _name, ...changes } = backendToRow(backend);
      await write(ctx, 'insert', 'back end', backend.name, () => db.insertInto('backends').values(backendToRow(backend))
        .onConflict((conflict) => conflict.column('name').doUpdateSet(changes)).execute());
    },
    async replacePools(backend, pools) {
      for (const pool of pools) {
        if (pool.backend !== backend) throw new InvalidArgumentError('pools.backend', `pool ${pool.host} belongs to ${pool.backend}, not ${backend}`);
      }
      await ctx.atomic(async (tx) => {
        await tx.deleteFrom('pools').where('backend', '=', backend).execute();
        if (pools.length === 0) return;
        await write(ctx, 'insert', 'pool of back end', backend, () => tx.insertInto('pools').values(pools.map(poolToRow)).execute());
      });
    },
    async getPool(host) {
      const row = await db.selectFrom('pools').selectAll().where('host', '=', host).executeTakeFirst();
      return row && poolFromRow(row);
    },
    async listPools(filter = {}) {
      let query = db.selectFrom('pools').selectAll();
      if (filter.backend !== undefined) query = query.where('backend', '=', filter.backend);
      const rows = await query.orderBy('host').execute();
      return rows.map(poolFromRow);
    },

    async insertShareType(type) {
      await write(ctx, 'insert', 'share type', `${type.id} (name "${type.name}")`,
        () => db.insertInto('share_types').values(shareTypeToRow(type)).execute());
    },
    async getShareType(id) {
      const row = await db.selectFrom('share_types').selectAll().where('id', '=', id).executeTakeFirst();
      return row && shareTypeFromRow(row);
    },
    async getShareTypeByName(name) {
      const row = await db.selectFrom('share_types').selectAll().where('name', '=', name).executeTakeFirst();
      return row && shareTypeFromRow(row);
    },
    async listShareTypes() {
      const rows = await db.selectFrom('share_types').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(shareTypeFromRow);
    },
    async deleteShareType(id) {
      await write(ctx, 'delete', 'share type', id, () => db.deleteFrom('share_types').where('id', '=', id).execute());
    },

    async insertShareNetwork(network) {
      network.subnets.forEach((subnet, index) => {
        if (subnet.shareNetworkId !== network.id) {
          throw new InvalidArgumentError(`subnets[${index}].shareNetworkId`, `is ${subnet.shareNetworkId}, not the network's id ${network.id}`);
        }
      });
      await ctx.atomic(async (tx) => {
        await write(ctx, 'insert', 'share network', network.id, () => tx.insertInto('share_networks').values(shareNetworkToRow(network)).execute());
        if (network.subnets.length === 0) return;
        await write(ctx, 'insert', 'share network subnet of', network.id,
          () => tx.insertInto('share_network_subnets').values(network.subnets.map(subnetToRow)).execute());
      });
    },
    async getShareNetwork(id) {
      const row = await db.selectFrom('share_networks').selectAll().where('id', '=', id).executeTakeFirst();
      return row && (await loadNetworks(db, [row]))[0];
    },
    async listShareNetworks() {
      const rows = await db.selectFrom('share_networks').selectAll().orderBy('created_at').orderBy('id').execute();
      return loadNetworks(db, rows);
    },
    async updateShareNetwork(id, patch) {
      return ctx.atomic(async (tx) => {
        const row = await tx.selectFrom('share_networks').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) throw new NotFoundError('share network', id, 'SHARE_NETWORK_NOT_FOUND', 'shareNetworkId');
        const [current] = await loadNetworks(tx, [row]);
        const next = { ...current, ...cleanPatch(patch, ['id', 'createdAt', 'subnets']) };
        const { id: _id, ...changes } = shareNetworkToRow(next);
        await write(ctx, 'update', 'share network', id, () => tx.updateTable('share_networks').set(changes).where('id', '=', id).execute());
        return (await loadNetworks(tx, [shareNetworkToRow(next)]))[0];
      });
    },
    async deleteShareNetwork(id) {
      await write(ctx, 'delete', 'share network', id, () => db.deleteFrom('share_networks').where('id', '=', id).execute());
    },
  };
}
