/** The pure helpers of the store: column codecs, patch cleaning, the host filter, migration naming, SQLite error codes. */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanPatch, fromFlag, fromJson, toFlag, toJson } from '../../../src/store/query/codec.js';
import { hostColumn } from '../../../src/store/query/host-filter.js';
import { volumeToRow } from '../../../src/store/query/mappers/volume-mapper.js';
import { latestVersion, versionOf } from '../../../src/store/query/schema-migrations.js';
import { SQLITE_MIGRATIONS } from '../../../src/store/sqlite/migrations/index.js';
import { isSqliteBusy, sqliteConstraintOf } from '../../../src/store/sqlite/sqlite-errors.js';

describe('column codecs', () => {
  it('stores booleans as 0/1 and reads any non-zero as true', () => {
    assert.equal(toFlag(true), 1);
    assert.equal(toFlag(false), 0);
    assert.equal(fromFlag(1), true);
    assert.equal(fromFlag(0), false);
  });

  it('round-trips JSON and hands back a fresh object each time', () => {
    const text = toJson({ a: { b: ['c'] } });
    const first = fromJson<{ a: { b: string[] } }>(text);
    first.a.b.push('mutated');
    assert.deepEqual(fromJson(text), { a: { b: ['c'] } });
  });
});

describe('cleanPatch', () => {
  it('drops undefined values and the immutable keys, keeps null', () => {
    assert.deepEqual(cleanPatch({ id: 'x', createdAt: 't', name: undefined, taskState: null, size: 2 }), { taskState: null, size: 2 });
    assert.deepEqual(cleanPatch({ subnets: [], name: 'n' }, ['subnets']), { name: 'n' });
  });
});

describe('host filter', () => {
  it('compares a pool address with host and a back-end address with backend_host', () => {
    assert.equal(hostColumn('node1@lvm1#pool1'), 'host');
    assert.equal(hostColumn('node1@lvm1'), 'backend_host');
  });

  it('derives a volume row\'s backend_host from its host, empty while the volume has none', () => {
    const volume = {
      id: 'v', name: '', description: '', sizeGib: 1, volumeTypeId: 't', status: 'creating', migrationStatus: null, previousStatus: null,
      host: 'node1@lvm1#pool1', availabilityZone: '', nameId: null, providerLocation: '', groupId: null, attachments: [], createdAt: '', updatedAt: '',
    } as const;
    assert.equal(volumeToRow(volume).backend_host, 'node1@lvm1');
    assert.equal(volumeToRow({ ...volume, host: '' }).backend_host, '');
  });
});

describe('schema migration names', () => {
  it('reads the version from the leading number', () => {
    assert.equal(versionOf('0001-initial'), 1);
    assert.equal(versionOf('0042-add-volumes'), 42);
    assert.throws(() => versionOf('initial'), /does not start with its number/);
    assert.equal(latestVersion(['0002-b', '0010-c', '0001-a']), 10);
    assert.equal(latestVersion([]), 0);
  });

  it('ships migrations numbered 1..n without gaps, in name order', () => {
    const names = Object.keys(SQLITE_MIGRATIONS);
    assert.deepEqual([...names].sort(), names);
    assert.deepEqual(names.map(versionOf), names.map((_, index) => index + 1));
  });
});

describe('SQLite error classification', () => {
  it('tells unique and foreign-key violations apart and ignores other errors', () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    db.exec('create table p (id text primary key, name text unique); create table c (id text primary key, p text references p(id))');
    db.exec("insert into p values ('1', 'one')");
    const failure = (statement: string): unknown => {
      try {
        db.exec(statement);
      } catch (error) {
        return error;
      }
      assert.fail(`expected ${statement} to fail`);
    };
    assert.equal(sqliteConstraintOf(failure("insert into p values ('1', 'uno')")), 'unique');
    assert.equal(sqliteConstraintOf(failure("insert into p values ('2', 'one')")), 'unique');
    assert.equal(sqliteConstraintOf(failure("insert into c values ('1', '9')")), 'foreign_key');
    assert.equal(sqliteConstraintOf(failure('select * from nowhere')), undefined);
    assert.equal(sqliteConstraintOf(new Error('plain')), undefined);
    assert.equal(isSqliteBusy(new Error('SQLITE_BUSY')), false);
    db.close();
  });
});
