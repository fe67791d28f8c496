/**
 * Opening and closing: data survives a close and reopen from disk, the schema version is
 * reported, a file from a newer ferry or a file that is no database is refused with a typed
 * error, and a closed store refuses further calls.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSqliteStore, StoreSchemaTooNewError } from '../../../src/store/index.js';
import {
  accessMapping, accessRule, backend, migration, nextTime, pool, removeTempDirs, seedShare, seedVolume, shareInstance, tempDir,
  volumeGroup, volumeMigration, volumeSnapshot,
} from './store-fixtures.js';

after(removeTempDirs);

describe('createSqliteStore', () => {
  it('creates the file and its directory, and reports schema version 3', async () => {
    const path = join(tempDir(), 'nested', 'data', 'ferry.db');
    const store = await createSqliteStore({ path });
    assert.equal(await store.schemaVersion(), 3);
    assert.ok(fs.existsSync(path));
    await store.close();
  });

  it('keeps everything written across close and reopen', async () => {
    const path = join(tempDir(), 'ferry.db');
    const first = await createSqliteStore({ path });
    const alpha = backend({ name: 'alpha' });
    await first.upsertBackend(alpha);
    await first.replacePools('alpha', [pool('alpha', 'p1')]);
    const seeded = await seedShare(first);
    const instance = shareInstance(seeded.share);
    const rule = accessRule(seeded.share.id);
    const run = migration(seeded.share, instance.id);
    const { volume: vol } = await seedVolume(first);
    const volumeRun = volumeMigration(vol);
    await first.transaction(async (tx) => {
      await tx.insertVolumeGroup(volumeGroup());
      await tx.insertVolumeSnapshot(volumeSnapshot(vol.id));
      await tx.insertVolumeMigration(volumeRun);
      await tx.appendVolumeMigrationEvent({ migrationId: volumeRun.id, phase: 'accepted', migrationStatus: 'starting', message: '', at: nextTime() });
      await tx.insertShareInstance(instance);
      await tx.insertAccessRule(rule);
      await tx.putAccessMapping(accessMapping(rule.id, instance.id));
      await tx.insertMigration(run);
      await tx.appendMigrationEvent({ migrationId: run.id, taskState: 'migration_starting', message: '', at: nextTime() });
    });
    const before = {
      backends: await first.listBackends(), pools: await first.listPools(), types: await first.listShareTypes(),
      networks: await first.listShareNetworks(), shares: await first.listShares(), instances: await first.listShareInstances(),
      rules: await first.listAccessRules(seeded.share.id), mappings: await first.listAccessMappings(instance.id),
      migrations: await first.listMigrations(), events: await first.listMigrationEvents(run.id),
      volumeTypes: await first.listVolumeTypes(), volumeGroups: await first.listVolumeGroups(), volumes: await first.listVolumes(),
      volumeSnapshots: await first.listVolumeSnapshots(), volumeMigrations: await first.listVolumeMigrations(),
      volumeEvents: await first.listVolumeMigrationEvents(volumeRun.id),
    };
    await first.close();

    const second = await createSqliteStore({ path });
    assert.equal(await second.schemaVersion(), 3);
    assert.deepEqual({
      backends: await second.listBackends(), pools: await second.listPools(), types: await second.listShareTypes(),
      networks: await second.listShareNetworks(), shares: await second.listShares(), instances: await second.listShareInstances(),
      rules: await second.listAccessRules(seeded.share.id), mappings: await second.listAccessMappings(instance.id),
      migrations: await second.listMigrations(), events: await second.listMigrationEvents(run.id),
      volumeTypes: await second.listVolumeTypes(), volumeGroups: await second.listVolumeGroups(), volumes: await second.listVolumes(),
      volumeSnapshots: await second.listVolumeSnapshots(), volumeMigrations: await second.listVolumeMigrations(),
      volumeEvents: await second.listVolumeMigrationEvents(volumeRun.id),
    }, before);
    assert.equal(before.events.length, 1);
    assert.equal(before.volumeEvents.length, 1);
    assert.equal(before.volumeSnapshots.length, 1);
    const next = await second.appendMigrationEvent({ migrationId: run.id, taskState: 'migration_in_progress', message: '', at: nextTime() });
    assert.equal(next.sequence, 2);
    await second.close();
  });

  it('refuses a file that records a schema migration this ferry does not know, and leaves it untouched', async () => {
    const path = join(tempDir(), 'ferry.db');
    const store = await createSqliteStore({ path });
    const seeded = await seedShare(store);
    await store.close();
    const raw = new Database(path);
    raw.prepare('insert into schema_migration (name, timestamp) values (?, ?)').run('0004-from-the-future', new Date().toISOString());
    raw.close();

    await assert.rejects(createSqliteStore({ path }), (error: unknown) => {
      assert.ok(error instanceof StoreSchemaTooNewError);
      assert.match(error.message, /0004-from-the-future/);
      assert.match(error.message, /upgrade ferry/);
      assert.deepEqual(error.metadata, { storePath: path, unknownMigrations: '0004-from-the-future', knownVersion: '3' });
      assert.equal(error.code, 'FAILED_PRECONDITION');
      assert.equal(error.reason, 'STORE_SCHEMA_TOO_NEW');
      return true;
    });
    // The refusal released the lock and changed nothing.
    const check = new Database(path, { readonly: true });
    const names = check.prepare('select name from schema_migration order by name').pluck().all();
    const shares = check.prepare('select id from shares').pluck().all();
    check.close();
    assert.deepEqual(names, ['0001-initial', '0002-share-server-migrations', '0003-volumes', '0004-from-the-future']);
    assert.deepEqual(shares, [seeded.share.id]);
  });

  it('refuses a file that is not a SQLite database with StoreOpenError', async () => {
    const path = join(tempDir(), 'ferry.db');
    fs.writeFileSync(path, 'this is not a database, just text long enough to fill a header'.repeat(20));
    await assert.rejects(createSqliteStore({ path }), { name: 'StoreOpenError', code: 'FAILED_PRECONDITION', reason: 'STORE_OPEN_FAILED' });
  });

  it('refuses calls after close, and close twice is fine', async () => {
    const path = join(tempDir(), 'ferry.db');
    const store = await createSqliteStore({ path });
    await store.close();
    await store.close();
    await assert.rejects(store.listShares(), { name: 'StoreClosedError', reason: 'STORE_CLOSED' });
    await assert.rejects(store.transaction(async () => 1), { name: 'StoreClosedError' });
    await assert.rejects(store.schemaVersion(), { name: 'StoreClosedError' });
  });

  it('close waits for work already queued on the store', async () => {
    const path = join(tempDir(), 'ferry.db');
    const store = await createSqliteStore({ path });
    const { share: record } = await seedShare(store);
    const pending = store.transaction(async (tx) => {
      await new Promise((resolve) => setImmediate(resolve));
      await tx.updateShare(record.id, { name: 'written before close' });
    });
    await store.close();
    await pending;
    const reopened = await createSqliteStore({ path });
    assert.equal((await reopened.getShare(record.id))?.name, 'written before close');
    await reopened.close();
  });
});
