/**
 * Every schema migration of the SQLite store, in order. The list is static on purpose: the
 * compiled code must find its migrations from any working directory, and the store must know
 * exactly which versions it understands. Add a migration by adding NNNN-what.ts and one line here.
 */
import type { MigrationSet } from '../../query/schema-migrations.js';
import { initial } from './0001-initial.js';
import { shareServerMigrations } from './0002-share-server-migrations.js';
import { volumes } from './0003-volumes.js';

export const SQLITE_MIGRATIONS: MigrationSet = {
  '0001-initial': initial,
  '0002-share-server-migrations': shareServerMigrations,
  '0003-volumes': volumes,
};
