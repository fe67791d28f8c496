/**
 * What the dummy back end holds: share instances, snapshot instances, access rules, share
 * servers, volumes and migrations, in memory and, when a state file is configured, on disk.
 * save() writes the whole state atomically (temp file, fsync, rename, fsync of the directory),
 * so a dummy killed with SIGKILL at any moment restarts with the last saved state.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';

export interface ExportLocationRecord {
  readonly path: string;
  readonly isAdminOnly: boolean;
  readonly metadata: Record<string, string>;
}

export interface AccessRuleRecord {
  readonly accessRuleId: string;
  readonly accessType: string;
  readonly accessTo: string;
  readonly accessLevel: string;
}

export interface ShareRecord {
  shareInstanceId: string;
  shareId: string;
  pool: string;
  sizeGib: number;
  shareProto: string;
  shareServerId: string;
  /** The snapshot instance the share was created from; "" when empty. */
  sourceSnapshotInstanceId: string;
  exportLocations: ExportLocationRecord[];
  providerLocation: string;
  accessRules: AccessRuleRecord[];
  /** true while UpdateAccess cast the rules to read-only. */
  readOnly: boolean;
}

export interface SnapshotRecord {
  snapshotInstanceId: string;
  snapshotId: string;
  shareInstanceId: string;
  sizeGib: number;
  providerLocation: string;
}

export interface ServerRecord {
  shareServerId: string;
  shareNetworkId: string;
  /** Sorted, so a replay with the subnets in another order is the same server. */
  subnetIds: string[];
  identifier: string;
  backendDetails: Record<string, string>;
}

/**
 * A back-end volume object, keyed in StateData.volumes by its name: the name_id of the request
 * that created it, else its volume_id (common.proto Volume.name_id).
 */
export interface VolumeRecord {
  /** The volume_id of the request that created (or, UpdateMigratedVolume, renamed) the object. */
  volumeId: string;
  pool: string;
  sizeGib: number;
  providerLocation: string;
  /** The data node it is attached to; "" when detached. */
  attachedTo: string;
}

/** A volume snapshot, keyed in StateData.volumeSnapshots by its snapshot_id. */
export interface VolumeSnapshotRecord {
  snapshotId: string;
  /** The name of the volume object it was taken of (the key in StateData.volumes). */
  volumeName: string;
  sizeGib: number;
  providerLocation: string;
}

/** Manila's phases of one migration id, as the dummy tracks them. */
export type MigrationPhase = 'in_progress' | 'phase1_done' | 'completed' | 'cancelled';

export interface MigrationRecord {
  migrationId: string;
  kind: 'share' | 'share_server';
  /** The call arguments that identify the migration; a Start with others is ALREADY_EXISTS. */
  fingerprint: string;
  phase: MigrationPhase;
  progress: number;
  totalBytes: number;
  /** MigrationComplete's (or ShareServerMigrationComplete's) response, replayed as is. */
  completeResult?: unknown;
}

/** A remembered response of an RPC whose replay must return the same answer. */
export interface ReplayRecord {
  fingerprint: string;
  response: unknown;
}

export interface StateData {
  /** This back end's identity, stable across restarts; published in migration_peer_info. */
  backendId: string;
  shares: Record<string, ShareRecord>;
  snapshots: Record<string, SnapshotRecord>;
  servers: Record<string, ServerRecord>;
  /** By object name (name_id || volume_id), not by volume_id: see VolumeRecord. */
  volumes: Record<string, VolumeRecord>;
  volumeSnapshots: Record<string, VolumeSnapshotRecord>;
  migrations: Record<string, MigrationRecord>;
  /** Replay memory by "<rpc>:<key>" (MigrateVolume, MigrationUpdateModel, UpdateMigratedVolume). */
  replays: Record<string, ReplayRecord>;
}

function emptyState(): StateData {
  return { backendId: randomUUID(), shares: {}, snapshots: {}, servers: {}, volumes: {}, volumeSnapshots: {}, migrations: {}, replays: {} };
}

export class DummyState {
  readonly data: StateData;

  /** Loads `stateFile` when it exists; a missing file starts empty, a corrupt one is an error. */
  constructor(private readonly stateFile: string | undefined) {
    this.data = stateFile === undefined ? emptyState() : load(stateFile);
  }

  /** Persists the state (no-op without a state file). Call after every change. */
  save(): void {
    if (this.stateFile === undefined) return;
    writeAtomically(this.stateFile, `${JSON.stringify(this.data)}\n`);
  }

  /** GiB placed on `pool` by share instances and volumes. */
  allocatedGib(pool: string): number {
    let sum = 0;
    for (const share of Object.values(this.data.shares)) if (share.pool === pool) sum += share.sizeGib;
    for (const volume of Object.values(this.data.volumes)) if (volume.pool === pool) sum += volume.sizeGib;
    return sum;
  }

  snapshotsOf(shareInstanceId: string): SnapshotRecord[] {
    return Object.values(this.data.snapshots).filter((s) => s.shareInstanceId === shareInstanceId);
  }

  sharesOnServer(shareServerId: string): ShareRecord[] {
    return Object.values(this.data.shares).filter((s) => s.shareServerId === shareServerId);
  }
}

function load(file: string): StateData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`stateFile ${file} is not valid JSON (${(error as Error).message}); move it away to start empty`);
  }
  const data = { ...emptyState(), ...(parsed as Partial<StateData>) };
  if (typeof data.backendId !== 'string' || typeof data.shares !== 'object') throw new Error(`stateFile ${file} is not a dummy state file`);
  return data;
}

/** Writes `content` to `file` so a reader sees either the old or the new content, never a mix. */
export function writeAtomically(file: string, content: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
