/**
 * ferry's durable store: implementations of the orchestrator's StorePort. The embedded default
 * is SQLite (createSqliteStore); docs/store.md explains the design.
 */
export { createSqliteStore, type SqliteStoreOptions } from './sqlite/create-sqlite-store.js';
export {
  StoreClosedError, StoreLockedError, StoreMigrationError, StoreOpenError, StoreQueryError, StoreRecordInUseError,
  StoreReferenceError, StoreSchemaTooNewError, StoreTransactionMisuseError, type StoreOwner,
} from './store-errors.js';
