/**
 * The copy pool: owns piscina and runs copy jobs on it. The main thread only schedules tasks
 * and reads shared counters, so progress() and cancel answer immediately while workers copy.
 *
 * A job runs three passes like the reference (Manila's Copy): sizing and data (each task walks
 * a subtree and hands subdirectories or batches of names to the pool only while a worker is
 * idle, see walk.ts; files above the split threshold become chunk tasks for every worker, then
 * a finish task; hard-linked files are copied once and linked after the pass), and directory
 * metadata (post-order, one task per top-level subtree). The task queue holds directories,
 * chunks and hard-link groups, never every file, so memory stays flat.
 */
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { resolve, sep } from 'node:path';
import { Piscina } from 'piscina';
import { compactCheckpoint, openCheckpoint } from './checkpoint.js';
import { describeChoice } from './copy-method.js';
import { DataCopyCancelledError, DataCopyError, dataCopyErrorFromFailure, DestinationNotEmptyError, InvalidCopyOptionsError, type WorkerFailure } from './errors.js';
import { meterThroughput } from './throughput.js';
import { C, createSharedState, SharedState } from './shared-state.js';
import type {
  BigFile, ChunkOk, CopyDirOk, CopyDirTask, CopyPhase, DirtyDir, CopyProgress, CopyResult, CopyTask, CopyTreeOptions, HardLinkEntry, HardLinkGroup, JobSpec, ProbeOk, ScanOk, ScanTask, TaskResult,
  WalkMessage,
} from './types.js';

export interface CopyPoolOptions {
  /** Worker threads; default: available parallelism. */
  threads?: number;
}

export interface CopyJob {
  /** Synchronous and cheap: reads shared counters. */
  progress(): CopyProgress;
  /** Resolves with the result; rejects with a DataCopyError (reason CANCELLED after a cancel). */
  readonly done: Promise<CopyResult>;
}

export interface CopyPool {
  copyTree(options: CopyTreeOptions, signal?: AbortSignal): CopyJob;
  /**
   * Resolves once the worker threads are started and their helpers run (optional: a job
   * waits for what it needs). A benchmark calls it so worker start-up is not timed as copying.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_SPLIT = 64 * 1024 * 1024;
/**
 * Directories (plus their missing subdirectories) the size pass may list as dirty before the
 * job gives the list up and walks the whole tree: about 10 MiB at most.
 */
const DIRTY_LIMIT = 50_000;
const CHUNK_SIZE = 16 * 1024 * 1024;
const NO_HELPER_NOTE = 'timestamps are preserved to the microsecond only and extended attributes (xattrs, ACLs, capabilities) are not copied: the perl helper is unavailable';

export function createCopyPool(options: CopyPoolOptions = {}): CopyPool {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const piscina = new Piscina<CopyTask, TaskResult>({
    filename: new URL('./copy-worker.js', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 30_000,
  });
  let precise: Promise<boolean> | null = null;
  const probe = (): Promise<boolean> => (precise ??= piscina.run({ kind: 'probe' }).then((r: TaskResult) => (r as ProbeOk).metaHelper).catch(() => false));
  let closed = false;
  return {
    copyTree(opts, signal) {
      if (closed) throw new InvalidCopyOptionsError('the copy pool is closed');
      return startJob(piscina, threads, opts, probe(), signal);
    },
    async ready() {
      const metaHelper = await probe();
      await Promise.all(Array.from({ length: threads }, () => piscina.run({ kind: 'warm', metaHelper })));
    },
    async close() {
      closed = true;
      await piscina.destroy();
    },
  };
}

function startJob(piscina: Piscina<CopyTask, TaskResult>, threads: number, options: CopyTreeOptions, precise: Promise<boolean>, signal?: AbortSignal): CopyJob {
  const stateBuffer = createSharedState();
  const state = new SharedState(stateBuffer);
  const started = Date.now();
  const live = { phase: 'sizing' as CopyPhase, bytesTotal: 0, filesTotal: 0 };
  const throughput = meterThroughput(() => state.get(C.bytesDone));

  const onAbort = (): void => state.cancel();
  if (signal?.aborted) state.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });

  const done = runJob(piscina, threads, options, precise, stateBuffer, state, live, started)
    .then(
      (result) => {
        live.phase = 'done';
        return result;
      },
      (error: unknown) => {
        live.phase = error instanceof DataCopyError && error.reason === 'CANCELLED' ? 'cancelled' : 'failed';
        throw error;
      },
    )
    .finally(() => {
      throughput.stop();
      signal?.removeEventListener('abort', onAbort);
    });

  return {
    done,
    progress(): CopyProgress {
      const bytesDone = Math.max(0, state.get(C.bytesDone));
      const bytesTotal = Math.max(live.bytesTotal + state.get(C.bytesTotalAdjust), bytesDone);
      const filesDone = state.get(C.filesDone);
      const filesTotal = Math.max(live.filesTotal, filesDone);
      let totalProgress = 0;
      if (live.phase === 'done') totalProgress = 100;
      else if (live.phase !== 'sizing') {
        const ratio = bytesTotal > 0 ? bytesDone / bytesTotal : filesTotal > 0 ? filesDone / filesTotal : 0;
        totalProgress = Math.min(99, Math.floor(ratio * 100));
      }
      const bytesPerSecond = throughput.bytesPerSecond();
      const remaining = Math.max(0, bytesTotal - bytesDone);
      return {
        totalProgress,
        bytesDone,
        bytesTotal,
        filesDone,
        filesTotal,
        currentFiles: live.phase === 'copying' || live.phase === 'metadata' ? state.currentFiles() : [],
        bytesPerSecond: Math.round(bytesPerSecond),
        etaSeconds: live.phase === 'done' ? 0 : bytesPerSecond > 0 ? Math.ceil(remaining / bytesPerSecond) : null,
        phase: live.phase,
      };
    },
  };
}

async function validate(options: CopyTreeOptions): Promise<{ source: string; destination: string; checkpointPath: string }> {
  const real = async (p: string, what: string): Promise<string> => {
    if (typeof p !== 'string' || p === '') throw new InvalidCopyOptionsError(`${what} is required`);
    const st = await fs.promises.stat(p).catch(() => null);
    if (st === null || !st.isDirectory()) throw new InvalidCopyOptionsError(`${what} ${p} is not a directory`);
    return fs.promises.realpath(p);
  };
  const source = await real(options.source, 'source');
  const destination = await real(options.destination, 'destination');
  const inside = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
  if (inside(source, destination) || inside(destination, source)) {
    throw new InvalidCopyOptionsError(`source ${source} and destination ${destination} must not contain each other`);
  }
  let checkpointPath = '';
  if (options.checkpointPath) {
    const parent = await fs.promises.realpath(resolve(options.checkpointPath, '..')).catch(() => null);
    if (parent === null) throw new InvalidCopyOptionsError(`checkpoint directory of ${options.checkpointPath} does not exist`);
    checkpointPath = resolve(parent, resolve(options.checkpointPath).split(sep).pop()!);
    if (inside(checkpointPath, source) || inside(checkpointPath, destination)) {
      throw new InvalidCopyOptionsError(`checkpoint ${checkpointPath} must lie outside the source and destination trees`);
    }
  }
  const verify = options.verify ?? 'sha256';
  if (!['sha256', 'xxh128', 'none'].includes(verify)) throw new InvalidCopyOptionsError(`verify must be 'sha256', 'xxh128' or 'none', not ${String(verify)}`);
  if (options.bandwidthBytesPerSecond !== undefined && !(options.bandwidthBytesPerSecond >= 0)) throw new InvalidCopyOptionsError('bandwidthBytesPerSecond must be >= 0');
  return { source, destination, checkpointPath };
}

async function destinationIsEmpty(destination: string, ignore: Set<string>): Promise<boolean> {
  const dir = await fs.promises.opendir(destination, { encoding: 'buffer' as BufferEncoding });
  try {
    for await (const entry of dir) {
      if (!ignore.has(Buffer.from(entry.name as unknown as Buffer).toString('latin1'))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

async function runJob(
  piscina: Piscina<CopyTask, TaskResult>,
  threads: number,
  options: CopyTreeOptions,
  precisePromise: Promise<boolean>,
  stateBuffer: SharedArrayBuffer,
  state: SharedState,
  live: { phase: CopyPhase; bytesTotal: number; filesTotal: number },
  started: number,
): Promise<CopyResult> {
  const { source, destination, checkpointPath } = await validate(options);
  const ignore = (options.ignore ?? ['lost+found']).map((n) => Buffer.from(n));
  const verify = options.verify ?? 'sha256';
  const notes: string[] = [];
  let table: SharedArrayBuffer | null = null;
  let resumed = 0;
  let checkpointClean = true;
  if (checkpointPath) {
    const cp = await openCheckpoint(checkpointPath, { source, destination, verify });
    table = cp.table?.buffer ?? null;
    resumed = cp.entries;
    checkpointClean = cp.clean;
  }
  if (options.requireEmptyDestination && resumed === 0 && !(await destinationIsEmpty(destination, new Set(ignore.map((b) => b.toString('latin1')))))) {
    throw new DestinationNotEmptyError(destination);
  }
  const metaHelper = await precisePromise;
  if (!metaHelper) notes.push(NO_HELPER_NOTE);
  const job: JobSpec = {
    source,
    destination,
    ignore,
    verify,
    mirror: options.mirror ?? false,
    preserveOwnership: options.preserveOwnership ?? process.getuid?.() === 0,
    copyMethod: options.copyMethod ?? 'auto',
    splitThreshold: Math.max(options.splitThresholdBytes ?? DEFAULT_SPLIT, 1),
    threads,
    chunkSize: Math.min(CHUNK_SIZE, Math.max(options.splitThresholdBytes ?? DEFAULT_SPLIT, 1024 * 1024)),
    bandwidth: options.bandwidthBytesPerSecond ?? 0,
    checkpointPath,
    checkpointTable: table,
    state: stateBuffer,
    metaHelper,
    testHooks: options.testHooks ?? null,
  };
  const specialSkipped: string[] = [];
  const limit = threads * 2;
  const run = async <R extends TaskResult>(task: CopyTask): Promise<Exclude<R, WorkerFailure>> => {
    const port = 'port' in task ? task.port : null;
    const result = (await piscina.run(task, port ? { transferList: [port] } : {})) as R | WorkerFailure;
    if (!result.ok) throw dataCopyErrorFromFailure(result);
    return result as Exclude<R, WorkerFailure>;
  };
  /** Runs a walking task, passing what it posts to `onMessage` and waiting for all of it. */
  const runWalk = async <R extends ScanOk | CopyDirOk>(task: ScanTask | CopyDirTask, onMessage: (m: WalkMessage) => void): Promise<Exclude<R, WorkerFailure>> => {
    const channel = new MessageChannel();
    let received = 0;
    let allReceived: () => void = () => undefined;
    channel.port1.on('message', (m: WalkMessage) => {
      received++;
      onMessage(m);
      allReceived();
    });
    try {
      const r = await run<R>({ ...task, port: channel.port2 });
      // Messages travel on another port than the result: wait until all of them arrived.
      if (received < r.posted) await new Promise<void>((resolveAll) => (allReceived = () => received >= r.posted && resolveAll()));
      return r;
    } finally {
      channel.port1.close();
    }
  };
  const checkCancelled = (): void => {
    if (state.cancelled) throw new DataCopyCancelledError();
  };

  // Size pass, which also finds the directories that differ from the destination (scan.ts).
  const links = new Map<string, { first: Uint8Array; others: Uint8Array[] }>();
  let topDirs: Uint8Array[] = [];
  let dirty: DirtyDir[] | null = [];
  let dirtyCost = 0;
  const clean = { files: 0, bytes: 0 };
  const addDirty = (dirs: DirtyDir[]): void => {
    for (const d of dirs) {
      if (dirty === null) return;
      dirtyCost += 1 + d.absent.length;
      if (dirtyCost > (options.testHooks?.dirtyLimit ?? DIRTY_LIMIT)) {
        dirty = null;
        state.setFullWalk();
      } else dirty.push(d);
    }
  };
  await drain<{ dir: Uint8Array; absent: boolean; handedOff: boolean }>(limit, [{ dir: new Uint8Array(0), absent: false, handedOff: false }], async (item, push) => {
    const r = await runWalk<ScanOk>({ kind: 'scan', job, dir: item.dir, absent: item.absent, handedOff: item.handedOff, port: null }, (m) => {
      if (m.kind === 'dir') push({ dir: m.rel, absent: m.fresh, handedOff: true });
      else if (m.kind === 'links') for (const l of m.links) addLink(links, l, live);
      else if (m.kind === 'dirty') addDirty(m.dirs);
    });
    live.bytesTotal += r.bytes;
    live.filesTotal += r.files;
    for (const l of r.hardLinks) addLink(links, l, live);
    addDirty(r.dirty);
    clean.files += r.cleanFiles;
    clean.bytes += r.cleanBytes;
    if (item.dir.length === 0) topDirs = r.topDirs;
  }, state);
  checkCancelled();
  const listed: DirtyDir[] | null = state.fullWalk ? null : dirty;
  dirty = null;
  if (listed !== null) {
    // Clean directories are not visited again: their entries are done.
    state.add(C.filesDone, clean.files);
    state.add(C.filesSkipped, clean.files);
    state.add(C.bytesDone, clean.bytes);
  }
  const walkedRoots: Uint8Array[] = [];

  // Data pass.
  live.phase = 'copying';
  const startedBig: BigFile[] = [];
  const finishedBig = new Set<BigFile>();
  try {
    type Item =
      | { dir: Uint8Array; fresh: boolean; only: Uint8Array[] | null; handedOff: boolean }
      | { files: Uint8Array[]; kinds: Uint8Array; in: Uint8Array; fresh: boolean; handedOff: boolean }
      | { big: BigFile; next: { i: number }; hashes: string[]; left: { n: number } }
      | { finish: BigFile; hashes: string[] };
    const dataLinks = new Map<string, { first: Uint8Array; others: Uint8Array[] }>();
    const addBig = (big: BigFile, push: (item: Item, urgent?: boolean) => void): void => {
      startedBig.push(big);
      const hashes = new Array<string>(big.chunks).fill('');
      const left = { n: big.chunks };
      if (big.chunks === 0) push({ finish: big, hashes }, true);
      // One queue item per file hands out its chunks in turn, so workers spread over files
      // (writers of one file serialise on its inode lock) and split one file only when it
      // is alone.
      else push({ big, next: { i: 0 }, hashes, left }, true);
    };
    const absorb = (r: CopyDirOk, push: (item: Item, urgent?: boolean) => void): void => {
      for (const s of r.specialSkipped) if (specialSkipped.length < 10_000) specialSkipped.push(s);
      for (const d of r.subdirs) push({ dir: d.rel, fresh: d.fresh, only: null, handedOff: false });
      for (const l of r.hardLinks) addLink(dataLinks, l, null);
      for (const big of r.bigFiles) addBig(big, push);
    };
    // The root belongs to the mount: never fresh, its entries may be up to date.
    const initial: Item[] = listed === null ? [{ dir: Buffer.alloc(0), fresh: false, only: null, handedOff: false }] : listed.map((d) => ({ dir: d.rel, fresh: false, only: d.absent, handedOff: false }));
    await drain<Item>(limit, initial, async (item, push) => {
      if ('dir' in item) {
        const r = await runWalk<CopyDirOk>({ kind: 'copyDir', job, dir: item.dir, fresh: item.fresh, only: item.only, handedOff: item.handedOff, port: null }, (m) => {
          if (m.kind === 'dir') push({ dir: m.rel, fresh: m.fresh, only: null, handedOff: true });
          else if (m.kind === 'files') push({ files: m.names, kinds: m.kinds, in: m.dir, fresh: m.fresh, handedOff: true }, true);
          else if (m.kind === 'big') addBig(m.file, push);
          else if (m.kind === 'links') for (const l of m.links) addLink(dataLinks, l, null);
        });
        walkedRoots.push(...r.walked);
        absorb(r, push);
      } else if ('files' in item) {
        absorb(await run<CopyDirOk>({ kind: 'copyFiles', job, dir: item.in, fresh: item.fresh, names: item.files, kinds: item.kinds, handedOff: item.handedOff }), push);
      } else if ('big' in item) {
        const index = item.next.i++;
        if (item.next.i < item.big.chunks) push(item, true);
        const r = await run<ChunkOk>({ kind: 'chunk', job, file: item.big, index });
        item.hashes[index] = r.hash;
        if (--item.left.n === 0) push({ finish: item.big, hashes: item.hashes }, true);
      } else {
        await run({ kind: 'finishBig', job, file: item.finish, chunkHashes: item.hashes });
        finishedBig.add(item.finish);
      }
    }, state);
    checkCancelled();
    links.clear();
    const groups: HardLinkGroup[] = [...dataLinks.values()];
    dataLinks.clear();
    const batches: HardLinkGroup[][] = [];
    for (let i = 0; i < groups.length; i += 64) batches.push(groups.slice(i, i + 64));
    await drain(limit, batches, async (batch) => {
      await run({ kind: 'links', job, groups: batch });
    }, state);
    checkCancelled();
  } catch (error) {
    const unfinished = startedBig.filter((b) => !finishedBig.has(b)).map((b) => b.rel);
    if (unfinished.length > 0) await piscina.run({ kind: 'cleanup', job, rels: unfinished }).catch(() => undefined);
    throw error;
  }

  // Directory metadata pass (the roots themselves belong to their mounts and are left alone).
  live.phase = 'metadata';
  // Post-order throughout: a directory's metadata (a mode without search permission, for one)
  // is set only after everything below it.
  await drain(limit, listed === null ? topDirs : walkedRoots, async (dir) => {
    await run({ kind: 'meta', job, dir });
  }, state);
  checkCancelled();
  if (listed !== null) {
    // Dirty directories, deepest first; clean ones need nothing.
    const byDepth = new Map<number, Uint8Array[]>();
    for (const d of listed) {
      if (d.rel.length === 0) continue;
      const depth = d.rel.reduce((n, b) => n + (b === 0x2f ? 1 : 0), 0);
      const group = byDepth.get(depth) ?? [];
      group.push(d.rel);
      byDepth.set(depth, group);
    }
    for (const depth of [...byDepth.keys()].sort((a, b) => b - a)) {
      const group = byDepth.get(depth)!;
      const batches: Uint8Array[][] = [];
      for (let i = 0; i < group.length; i += 64) batches.push(group.slice(i, i + 64));
      await drain(limit, batches, async (dirs) => {
        await run({ kind: 'metaDirs', job, dirs });
      }, state);
      checkCancelled();
    }
  }

  if (checkpointPath && (state.get(C.checkpointLines) > 0 || !checkpointClean)) await compactCheckpoint(checkpointPath);
  const xattrFailures = state.get(C.xattrFailures);
  if (xattrFailures > 0) notes.push(`${xattrFailures} extended attributes could not be set on the destination (not supported there, or trusted.*/security.* without root)`);
  const choice = job.copyMethod === 'auto' ? describeChoice(state) : null;
  if (choice !== null) notes.push(choice);
  return {
    filesCopied: state.get(C.filesCopied),
    filesSkipped: state.get(C.filesSkipped),
    bytesCopied: state.get(C.bytesCopied),
    entriesRemoved: state.get(C.entriesRemoved),
    specialFilesSkipped: specialSkipped,
    notes,
    durationMs: Date.now() - started,
  };
}

/** Groups names of one inode; the size counts once toward bytesTotal (when `live` is given). */
function addLink(links: Map<string, { first: Uint8Array; others: Uint8Array[] }>, l: HardLinkEntry, live: { bytesTotal: number } | null): void {
  const key = `${l.dev}:${l.ino}`;
  const group = links.get(key);
  if (group === undefined) {
    links.set(key, { first: l.rel, others: [] });
    if (live) live.bytesTotal += l.size;
  } else group.others.push(l.rel);
}

/**
 * Runs `work` over a queue that the work itself can extend, at most `limit` at a time. The
 * first failure stops dispatching (and cancels the workers' shared flag so running tasks stop
 * at their next chunk); the promise settles after everything in flight has settled.
 */
async function drain<T>(limit: number, initial: T[], work: (item: T, push: (item: T, urgent?: boolean) => void) => Promise<void>, state: SharedState): Promise<void> {
  const urgent: T[] = [];
  const normal: T[] = [...initial];
  let normalHead = 0;
  let inFlight = 0;
  let failure: unknown = null;
  return new Promise<void>((resolveAll, rejectAll) => {
    let pumpQueued = false;
    const push = (item: T, isUrgent = false): void => {
      (isUrgent ? urgent : normal).push(item);
      // Items can arrive from port messages while everything in flight is still running.
      if (!pumpQueued) {
        pumpQueued = true;
        queueMicrotask(() => {
          pumpQueued = false;
          pump();
        });
      }
    };
    const pump = (): void => {
      while (failure === null && !state.cancelled && inFlight < limit) {
        let item: T | undefined;
        if (urgent.length > 0) item = urgent.shift();
        else if (normalHead < normal.length) {
          item = normal[normalHead++];
          if (normalHead > 1024 && normalHead * 2 > normal.length) {
            normal.splice(0, normalHead);
            normalHead = 0;
          }
        } else break;
        inFlight++;
        work(item as T, push).then(
          () => {
            inFlight--;
            pump();
          },
          (error: unknown) => {
            inFlight--;
            if (failure === null) {
              failure = error;
              if (!(error instanceof DataCopyError && error.reason === 'CANCELLED')) state.cancel();
            }
            pump();
          },
        );
      }
      if (inFlight === 0) {
        if (failure !== null) rejectAll(failure);
        else if (state.cancelled) rejectAll(new DataCopyCancelledError());
        else resolveAll();
      }
    };
    pump();
  });
}
