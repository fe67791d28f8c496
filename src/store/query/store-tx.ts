/** One StoreTx over one executor: the query modules side by side. */
import type { StoreTx } from '../../orchestrator/store-port.js';
import { accessQueries } from './access-queries.js';
import { catalogQueries } from './catalog-queries.js';
import { migrationQueries } from './migration-queries.js';
import type { QueryContext } from './query-context.js';
import { shareQueries } from './share-queries.js';
import { serverMigrationQueries } from './server-migration-queries.js';
import { shareServerQueries } from './share-server-queries.js';
import { snapshotQueries } from './snapshot-queries.js';
import { volumeMigrationQueries } from './volume-migration-queries.js';
import { volumeQueries } from './volume-queries.js';

export function createStoreTx(ctx: QueryContext): StoreTx {
  return {
    ...catalogQueries(ctx),
    ...shareQueries(ctx),
    ...accessQueries(ctx),
    ...snapshotQueries(ctx),
    ...shareServerQueries(ctx),
    ...migrationQueries(ctx),
    ...serverMigrationQueries(ctx),
    ...volumeQueries(ctx),
    ...volumeMigrationQueries(ctx),
  };
}
