/**
 * A share-server migration survives a restart of ferry: the recorded phase's step runs again
 * (docs/share-server-migration.md, "Restarts and resets").
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startServerMigrationFerry } from '../../helpers/server-migration.js';

describe('share server migration across a restart of ferry', () => {
  it('ferry closed in migration_driver_in_progress resumes polling after it starts again, and the migration completes', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'fe-ssm-'));
    const first = await startServerMigrationFerry(t, { dir, rules: { dummy2: { shareServerMigrationContinue: { holdUntilFile: join(dir, 'never') } } } });
    const { server, shares } = await first.serverWithShares(2);
    const migrationId = await first.startServer(server.id, 'ferry@dummy2');
    await first.entered('dummy2', 'shareServerMigrationContinue');
    await first.ferry.close();

    // Registered after the ferries' own hooks, so it runs once both are closed.
    const second = await startServerMigrationFerry(t, { dir });
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const resumed = await second.waitForServer(server.id, (s) => s?.taskState === 'migration_driver_phase1_done', 'phase 1 done after the restart');
    assert.equal(resumed!.migration!.id, migrationId);
    const { destinationShareServerId } = await second.ferry.serverMigrationComplete(server.id);
    await second.waitForServer(destinationShareServerId, (s) => s?.taskState === 'migration_success', 'migration_success');
    for (const share of shares) assert.equal((await second.ferry.getShare(share.id)).shareServerId, destinationShareServerId);
    const history = (await second.ferry.serverMigrationHistory(migrationId)).map((e) => e.taskState);
    assert.equal(history.filter((state) => state === 'migration_driver_in_progress').length, 1, 'the restart re-ran the phase without a second entry');
  });
});
