/**
 * How later schema migrations behave on a real file: a table rebuild (the SQLite way to change
 * a column) keeps the rows that refer to the rebuilt table, and a migration that leaves a
 * dangling reference is rolled back whole.
 */
import Database from 'better-sqlite3';
import { Kysely, sql, type Migration } from 'kysely';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createSqliteStore } from '../../../src/store/index.js';
import type { Database as Tables } from '../../../src/store/query/database.js';
import { shareTypeToRow } from '../../../src/store/query/mappers/catalog-mapper.js';
import { appliedMigrations } from '../../../src/store/query/schema-migrations.js';
import { SQLITE_MIGRATIONS } from '../../../src/store/sqlite/migrations/index.js';
import { TransactionalSqliteDialect } from '../../../src/store/sqlite/sqlite-dialect.js';
import { migrateSqlite } from '../../../src/store/sqlite/sqlite-migrate.js';
import { removeTempDirs, seedShare, seedVolume, shareInstance, shareType, tempDir } from './store-fixtures.js';

after(removeTempDirs);

/** A store file at the current version with a share (type, network) and one instance. */
async function populatedFile(): Promise<string> {
  const path = join(tempDir(), 'ferry.db');
  const store = await createSqliteStore({ path });
  const { share } = await seedShare(store);
  await store.insertShareInstance(shareInstance(share));
  await store.close();
  return path;
}

function openRaw(path: string): { sqlite: Database.Database; db: Kysely<unknown> } {
  const sqlite = new Database(path);
  sqlite.pragma('foreign_keys = ON');
  return { sqlite, db: new Kysely<unknown>({ dialect: new TransactionalSqliteDialect({ database: sqlite }) }) };
}

function count(sqlite: Database.Database, table: string): number {
  return sqlite.prepare(`select count(*) from ${table}`).pluck().get() as number;
}

/** SQLite's documented rebuild: new table, copy, drop old, rename. share_types is a parent of shares and instances. */
const rebuildShareTypes: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create table share_types_new (
      id text primary key, name text not null unique, description text not null, extra_specs text not null,
      is_public integer not null, created_at text not null, visibility text not null default 'public') strict`.execute(db);
    await sql`insert into share_types_new (id, name, description, extra_specs, is_public, created_at)
      select id, name, description, extra_specs, is_public, created_at from share_types`.execute(db);
    await sql`drop table share_types`.execute(db);
    await sql`alter table share_types_new rename to share_types`.execute(db);
  },
};

const orphanShares: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`delete from share_types`.execute(db);
  },
};

const failHalfway: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`create table half_done (id text primary key) strict`.execute(db);
    await sql`alter table shares add column half text`.execute(db);
    throw new Error('second step failed');
  },
};

describe('later schema migrations', () => {
  it('rebuild a parent table without cascading into its children', async () => {
    const path = await populatedFile();
    const { sqlite, db } = openRaw(path);
    const outcome = await migrateSqlite(db, sqlite, { ...SQLITE_MIGRATIONS, '0004-rebuild-share-types': rebuildShareTypes }, path);
    assert.deepEqual(outcome, { applied: ['0004-rebuild-share-types'], version: 4 });
    assert.equal(count(sqlite, 'shares'), 1);
    assert.equal(count(sqlite, 'share_instances'), 1);
    assert.equal(sqlite.prepare('select visibility from share_types').pluck().get(), 'public');
    assert.equal(sqlite.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are back on after migrating');
    await db.destroy();
  });

  it('roll back a migration that leaves dangling references, and report it', async () => {
    const path = await populatedFile();
    const { sqlite, db } = openRaw(path);
    await assert.rejects(migrateSqlite(db, sqlite, { ...SQLITE_MIGRATIONS, '0004-orphan-shares': orphanShares }, path), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'StoreMigrationError');
      assert.match(error.message, /0004-orphan-shares/);
      assert.match(error.message, /dangling reference/);
      return true;
    });
    assert.deepEqual(await appliedMigrations(db), ['0001-initial', '0002-share-server-migrations', '0003-volumes']);
    assert.equal(count(sqlite, 'share_types'), 1);
    await db.destroy();
  });

  it('undo the DDL of a migration that fails halfway', async () => {
    const path = await populatedFile();
    const { sqlite, db } = openRaw(path);
    await assert.rejects(migrateSqlite(db, sqlite, { ...SQLITE_MIGRATIONS, '0004-fail-halfway': failHalfway }, path),
      { name: 'StoreMigrationError', reason: 'STORE_MIGRATION_FAILED', message: /0004-fail-halfway of store .* failed: second step failed/ });
    assert.equal(sqlite.prepare("select count(*) from sqlite_master where name = 'half_done'").pluck().get(), 0);
    assert.equal(sqlite.prepare("select count(*) from pragma_table_info('shares') where name = 'half'").pluck().get(), 0);
    assert.deepEqual(await appliedMigrations(db), ['0001-initial', '0002-share-server-migrations', '0003-volumes']);
    await db.destroy();
  });
});

describe('0003-volumes', () => {
  it('upgrades a version-2 file: its records stay, volumes work, and the filter indexes exist', async () => {
    const path = join(tempDir(), 'ferry.db');
    const { sqlite, db } = openRaw(path);
    const { '0003-volumes': _volumes, ...upToTwo } = SQLITE_MIGRATIONS;
    assert.deepEqual(await migrateSqlite(db, sqlite, upToTwo, path), { applied: ['0001-initial', '0002-share-server-migrations'], version: 2 });
    const type = shareType();
    await new Kysely<Tables>({ dialect: new TransactionalSqliteDialect({ database: sqlite }) })
      .insertInto('share_types').values(shareTypeToRow(type)).execute();
    await db.destroy();

    const store = await createSqliteStore({ path });
    try {
      assert.equal(await store.schemaVersion(), 3);
      assert.deepEqual(await store.listShareTypes(), [type]);
      const { volume } = await seedVolume(store);
      assert.deepEqual(await store.listVolumes({ host: 'node1@lvm1' }), [volume]);
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    const indexes = check.prepare("select name from sqlite_master where type = 'index' and tbl_name like 'volume%' and name like '%_idx' order by name").pluck().all();
    check.close();
    assert.deepEqual(indexes, [
      'volume_migrations_active_idx', 'volume_migrations_volume_id_idx', 'volume_snapshots_volume_id_idx', 'volumes_backend_host_idx',
      'volumes_created_at_id_idx', 'volumes_group_id_idx', 'volumes_host_idx', 'volumes_status_idx', 'volumes_volume_type_id_idx',
    ]);
  });
});
