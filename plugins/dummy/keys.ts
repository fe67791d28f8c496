/**
 * The key of a call: its idempotency key as the contract names it (migration_id, else the id of
 * the snapshot instance, share instance, share server or volume it acts on), "-" for calls
 * about nothing in particular. Overlapping mutating calls with the same key answer ABORTED;
 * enteredFile lines carry it so a test can wait for one particular call.
 */

/** RPCs that change nothing: they never take the key's lock. */
export const READ_ONLY_RPCS: ReadonlySet<string> = new Set([
  'probe',
  'listPools',
  'getConnectionInfo',
  'getExportLocations',
  'migrationCheckCompatibility',
  'migrationGetProgress',
  'shareServerMigrationCheckCompatibility',
  'shareServerMigrationGetProgress',
]);

/** [request field, id field], most specific first. */
const RESOURCE_IDS: readonly (readonly [string, string])[] = [
  ['snapshotInstance', 'snapshotInstanceId'],
  ['shareInstance', 'shareInstanceId'],
  ['sourceShareInstance', 'shareInstanceId'],
  ['shareServer', 'shareServerId'],
  ['snapshot', 'snapshotId'],
  ['volume', 'volumeId'],
];

export function callKey(request: unknown): string {
  if (typeof request !== 'object' || request === null) return '-';
  const fields = request as Record<string, unknown>;
  if (typeof fields.migrationId === 'string' && fields.migrationId !== '') return fields.migrationId;
  for (const [field, idField] of RESOURCE_IDS) {
    const id = (fields[field] as Record<string, unknown> | undefined)?.[idField];
    if (typeof id === 'string' && id !== '') return id;
  }
  return '-';
}
