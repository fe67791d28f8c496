/**
 * Public types of the copy engine and every message that crosses a thread boundary between
 * the pool (main thread) and copy-worker.ts. Paths inside messages are relative to the roots
 * and carried as raw bytes (Uint8Array: a Buffer arrives as a plain Uint8Array after
 * structured clone) so names that are not UTF-8 survive end to end.
 */
import type { MessagePort } from 'node:worker_threads';
import type { WorkerFailure } from './errors.js';

export type VerifyAlgorithm = 'sha256' | 'xxh128' | 'none';
export type CopyMethod = 'auto' | 'readwrite' | 'clone';

export interface CopyTreeOptions {
  /** Mounted source root; never modified. */
  source: string;
  /** Mounted destination root. The roots themselves are not chmod/chown/touched (they belong to the mounts). */
  destination: string;
  /** Bare entry names ignored at any depth; default ['lost+found']. */
  ignore?: string[];
  /** Hash verification: source hashed while read, destination read back; default 'sha256'. */
  verify?: VerifyAlgorithm;
  /** Append-only file of finished entries; the same path resumes the job. Must lie outside both roots. */
  checkpointPath?: string;
  /** Delete destination entries that are not in the source (final sync); default false. */
  mirror?: boolean;
  /** Fail with DESTINATION_NOT_EMPTY unless the destination is empty (ignored names aside) or a checkpoint resumes. */
  requireEmptyDestination?: boolean;
  /** Shared limit over all workers of the job; unlimited when absent or 0. */
  bandwidthBytesPerSecond?: number;
  /** chown entries to the source owner; default: when running as root. */
  preserveOwnership?: boolean;
  /**
   * How whole files are copied when not verifying (verification always reads and writes):
   * 'auto' (default) measures the read/write loop against copy_file_range on the job's own
   * files and uses the faster; 'readwrite'; or 'clone' (reflink where the filesystem can,
   * else copy_file_range). Sparse files and chunks of split files always use read/write.
   */
  copyMethod?: CopyMethod;
  /** Files larger than this are split into chunks copied by several workers; default 64 MiB. */
  splitThresholdBytes?: number;
  /** @internal Fault injection for tests only. */
  testHooks?: CopyTestHooks;
}

/** @internal Fault injection for tests; paths are relative to the source root (UTF-8). */
export interface CopyTestHooks {
  /** Flip the first byte of this destination file after writing it, on the first `times` attempts. */
  corruptAfterWrite?: { path: string; times: number };
  /** Right before the data pass opens this source file, mutate the source (simulates races). */
  beforeOpen?: { path: string; action: 'replace-with-dir' | 'remove' | 'replace-with-symlink-to-etc' };
  /** How many dirty directories the size pass may list before the data pass walks the whole tree. */
  dirtyLimit?: number;
}

export type CopyPhase = 'sizing' | 'copying' | 'metadata' | 'done' | 'cancelled' | 'failed';

export interface CopyProgress {
  /** Integer 0-100; exactly 100 only when the job is done (an empty tree is 100 when done). */
  totalProgress: number;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Source-relative paths being copied right now (lossy UTF-8 for display). */
  currentFiles: string[];
  bytesPerSecond: number;
  /** null while unknown (no throughput measured yet). */
  etaSeconds: number | null;
  phase: CopyPhase;
}

export interface CopyResult {
  /** Non-directory entries written (regular files, links, symlinks, recreated fifos/devices). */
  filesCopied: number;
  /** Entries already up to date in the destination (incremental sync or checkpoint). */
  filesSkipped: number;
  bytesCopied: number;
  /** Destination entries removed by `mirror` (a removed directory counts once). */
  entriesRemoved: number;
  /** Source-relative paths of sockets and other special files that were not recreated. */
  specialFilesSkipped: string[];
  /** Things the caller should know (e.g. xattrs the destination refused, timestamps rounded to microseconds, what copyMethod auto chose). */
  notes: string[];
  durationMs: number;
}

// ---------------------------------------------------------------------------------------------
// Cross-thread messages (pool -> worker tasks, worker -> pool results).

/** Everything a worker needs about the job; sent with every task (the SharedArrayBuffers are shared, not copied). */
export interface JobSpec {
  source: string;
  destination: string;
  ignore: Uint8Array[];
  verify: VerifyAlgorithm;
  mirror: boolean;
  preserveOwnership: boolean;
  copyMethod: CopyMethod;
  splitThreshold: number;
  /** Worker threads of the pool; a walking task hands work to idle workers. */
  threads: number;
  chunkSize: number;
  bandwidth: number;
  /** Checkpoint file the workers append to ('' = none). */
  checkpointPath: string;
  /** Fingerprints of checkpointed entries (open addressing, 0 = empty); empty when none. */
  checkpointTable: SharedArrayBuffer | null;
  /** Counters, cancel flag and current-file slots; see shared-state.ts. */
  state: SharedArrayBuffer;
  /** The perl helper works here (probed by the pool): exact nanosecond timestamps and xattrs. */
  metaHelper: boolean;
  testHooks: CopyTestHooks | null;
}

/**
 * Tasks that walk a subtree (walk.ts) carry a port: they post what they hand to the pool
 * through it while they run (WalkMessage). `handedOff`: the task came from another worker's
 * hand-off, which the shared state counts until a worker starts it.
 */
/** `absent`: the size pass found this directory missing from the destination (nothing below it is compared). */
export interface ScanTask { kind: 'scan'; job: JobSpec; dir: Uint8Array; absent: boolean; handedOff: boolean; port: MessagePort | null }
/**
 * `fresh`: this job created the destination directory, so no entry in it can be up to date yet.
 * `only`: copy this directory's entries but descend only into the named subdirectories (absent
 * from the destination when the size pass looked) and those created now; null: the whole subtree.
 */
export interface CopyDirTask { kind: 'copyDir'; job: JobSpec; dir: Uint8Array; fresh: boolean; only: Uint8Array[] | null; handedOff: boolean; port: MessagePort | null }
/** A batch of one directory's names; `kinds[i]` is the listing's type of `names[i]` (see EntryKind). */
export interface CopyFilesTask { kind: 'copyFiles'; job: JobSpec; dir: Uint8Array; fresh: boolean; names: Uint8Array[]; kinds: Uint8Array; handedOff: boolean }
/** What a walking task posts to the pool while it runs. */
export type WalkMessage =
  /** A subdirectory for another worker to walk (`fresh` as in walk.ts's Child). */
  | { kind: 'dir'; rel: Uint8Array; fresh: boolean }
  /** A batch of names from a large directory for another worker to copy. */
  | { kind: 'files'; dir: Uint8Array; fresh: boolean; names: Uint8Array[]; kinds: Uint8Array }
  /** A file to copy in chunks (queued at once so its chunks start while the walk goes on). */
  | { kind: 'big'; file: BigFile }
  /** Files with several names (a full batch; the rest come with the task's result). */
  | { kind: 'links'; links: HardLinkEntry[] }
  /** Size pass: directories that differ from the destination (a full batch; the rest come with the result). */
  | { kind: 'dirty'; dirs: DirtyDir[] };

/**
 * A directory the size pass found out of date: something in it must be copied, removed or
 * fixed. `absent`: its subdirectories missing from the destination (their subtrees are copied
 * whole and are not listed themselves).
 */
export interface DirtyDir { rel: Uint8Array; absent: Uint8Array[] }
/** Entry type from the directory listing: regular file, or anything else (lstat decides). */
export const enum EntryKind { File = 1, Other = 0 }
export interface ChunkTask { kind: 'chunk'; job: JobSpec; file: BigFile; index: number }
export interface FinishBigTask { kind: 'finishBig'; job: JobSpec; file: BigFile; chunkHashes: string[] }
export interface LinksTask { kind: 'links'; job: JobSpec; groups: HardLinkGroup[] }
export interface MetaTask { kind: 'meta'; job: JobSpec; dir: Uint8Array }
/** The metadata of these directories only (not their subtrees). */
export interface MetaDirsTask { kind: 'metaDirs'; job: JobSpec; dirs: Uint8Array[] }
/** Removes destination files of a failed or cancelled job that were never completed. */
export interface CleanupTask { kind: 'cleanup'; job: JobSpec; rels: Uint8Array[] }
export interface ProbeTask { kind: 'probe' }
/** Loads the worker's modules and starts its helper ahead of the first job. */
export interface WarmTask { kind: 'warm'; metaHelper: boolean }
export type CopyTask = ScanTask | CopyDirTask | CopyFilesTask | ChunkTask | FinishBigTask | LinksTask | MetaTask | MetaDirsTask | CleanupTask | ProbeTask | WarmTask;

/** A regular file to copy in chunks; the worker that found it already created and sized the destination. */
export interface BigFile {
  rel: Uint8Array;
  size: number;
  srcIno: bigint;
  dstIno: bigint;
  chunks: number;
  sparse: boolean;
  /** Source metadata as stat'ed before the copy began (a later change makes the next sync copy again). */
  mode: number;
  uid: number;
  gid: number;
  atimeNs: bigint;
  mtimeNs: bigint;
}

/** A source file with several names inside the tree; copied once, then linked. */
export interface HardLinkEntry { rel: Uint8Array; dev: bigint; ino: bigint; size: number }
export interface HardLinkGroup { first: Uint8Array; others: Uint8Array[] }

export interface ScanOk {
  ok: true;
  bytes: number;
  files: number;
  /** Subdirectories of the root (only from the task that walked the root): the metadata pass's tasks. */
  topDirs: Uint8Array[];
  hardLinks: HardLinkEntry[];
  /**
   * Entries the size pass found up to date in directories that are up to date as a whole
   * (nothing to copy or fix in them, see DirtyDir): the data pass counts them as skipped
   * without visiting those directories again.
   */
  cleanFiles: number;
  cleanBytes: number;
  dirty: DirtyDir[];
  /** Messages posted through the task's port (the pool waits until all of them arrived). */
  posted: number;
}
export interface SubDir { rel: Uint8Array; fresh: boolean }
export interface CopyDirOk {
  ok: true;
  /** Directories a copyFiles task found among its names (a name that became a directory after the listing). */
  subdirs: SubDir[];
  bigFiles: BigFile[];
  hardLinks: HardLinkEntry[];
  specialSkipped: string[];
  /** The subdirectories a copyDir task with `only` descended into (their metadata is set as subtrees). */
  walked: Uint8Array[];
  /** Messages posted through the task's port (the pool waits until all of them arrived). */
  posted: number;
}
export interface ChunkOk { ok: true; hash: string }
export interface PlainOk { ok: true; specialSkipped?: string[] }
export interface ProbeOk { ok: true; metaHelper: boolean }
export type TaskResult = ScanOk | CopyDirOk | ChunkOk | PlainOk | ProbeOk | WorkerFailure;
