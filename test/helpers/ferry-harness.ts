/**
 * Runs a real ferry (createFerry) for a test: a fresh data directory, real localfs and dummy
 * plugin processes, a real SQLite store; closed and removed by `t.after`. Waiting helpers read
 * the migration's persisted history instead of sleeping.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFerry, type FerryInstance, type FerryOptions } from '../../src/index.js';
import type { PluginOptions } from '../../src/host/index.js';
import type { TaskState } from '../../src/domain/statuses.js';
import type { StorePort } from '../../src/orchestrator/store-port.js';
import { createSqliteStore } from '../../src/store/index.js';
import { removeTestDir } from '../integration/localfs/launcher.js';
import { captureLog, type CapturedLog } from './plugin-host-harness.js';

const pluginsDir = fileURLToPath(new URL('../../plugins/', import.meta.url));

export function localfsBackend(name: string, root: string, config: Record<string, unknown> = {}): PluginOptions {
  return { name, launch: { command: process.execPath, args: [join(pluginsDir, 'localfs', 'main.js')] }, config: { root, pools: ['pool1', 'pool2'], ...config } };
}

export function dummyBackend(name: string, dir: string, config: Record<string, unknown> = {}): PluginOptions {
  return { name, launch: { command: process.execPath, args: [join(pluginsDir, 'dummy', 'main.js')] }, config: { dataRoot: join(dir, 'data'), stateFile: join(dir, 'state.json'), ...config } };
}

/** A back end of the block reference plugin with pools pool1 and pool2 under `root`. */
export function blockBackend(name: string, root: string, config: Record<string, unknown> = {}): PluginOptions {
  return { name, launch: { command: process.execPath, args: [join(pluginsDir, 'block', 'main.js')] }, config: { root, pools: ['pool1', 'pool2'], ...config } };
}

export interface TestFerry {
  readonly ferry: FerryInstance;
  readonly dir: string;
  readonly log: CapturedLog;
  /** Resolves once the share's task_state is one of `states` (polling the store, 20 ms apart). */
  waitForTaskState(shareId: string, states: readonly (TaskState | null)[], timeoutMs?: number): Promise<TaskState | null>;
  /** The task_states the share's latest migration passed, in order. */
  history(shareId: string): Promise<TaskState[]>;
}

export interface TestFerryOptions extends Partial<Omit<FerryOptions, 'backends'>> {
  /** Back ends built inside the test's directory; default: localfs1, localfs2 and dummy. */
  readonly backends?: (dir: string) => PluginOptions[];
  readonly dir?: string;
  /**
   * Wait until every back end is ready with a fresh pool report (or has failed for good) before
   * the test starts. createFerry does not wait for a plugin that missed its start timeout (a
   * loaded disk can make it slow), so a test that places by free capacity could otherwise run
   * while a back end is still restarting. A list names the back ends to wait for (a test of a
   * back end that never starts leaves it out). @default true
   */
  readonly awaitBackends?: boolean | readonly string[];
}

export async function startTestFerry(t: { after(fn: () => unknown): void }, options: TestFerryOptions = {}): Promise<TestFerry> {
  // A directory of our own is removed after ferry closed (t.after hooks run in registration
  // order), and only after unmounting localfs's bind-mounted exports under it.
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'fe-'));
  const log = captureLog('info');
  const backends = options.backends?.(dir) ?? [localfsBackend('localfs1', join(dir, 'b', 'l1')), localfsBackend('localfs2', join(dir, 'b', 'l2')), dummyBackend('dummy', join(dir, 'b', 'dummy'))];
  let ferry: FerryInstance;
  try {
    const startedAt = new Date().toISOString();
    ferry = await createFerry({ driverContinueIntervalMs: 100, serverContinueIntervalMs: 100, logger: log.logger, ...options, dataDir: join(dir, 'data'), backends });
    const awaited = options.awaitBackends ?? true;
    if (awaited !== false) await awaitBackendsSettled(ferry, startedAt, awaited === true ? undefined : awaited).catch(async (error: unknown) => {
      await ferry.close();
      throw error;
    });
  } catch (error) {
    if (ownDir) removeTestDir(dir);
    throw error;
  }
  t.after(async () => {
    await ferry.close();
    if (ownDir) removeTestDir(dir);
  });
  const waitForTaskState = async (shareId: string, states: readonly (TaskState | null)[], timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const share = await ferry.getShare(shareId);
      if (states.includes(share.taskState)) return share.taskState;
      if (Date.now() > deadline) throw new Error(`share ${shareId} stayed ${share.taskState}, expected ${states.join('|')}; migration error: ${share.migration?.error ?? ''}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const history = async (shareId: string) => {
    const migration = (await ferry.getShare(shareId)).migration;
    return migration ? (await ferry.migrationHistory(migration.id)).map((event) => event.taskState) : [];
  };
  return { ferry, dir, log, waitForTaskState, history };
}

/**
 * Closes `env`'s ferry, changes its SQLite store as another writer of the file would, and starts
 * a ferry on the same directory again with `start`: for states ferry's own API never produces
 * (a share network that is not active, a share instance with a replica state). `env` must run
 * on a `dir` the test made (startTestFerry removes a directory of its own when its ferry closes,
 * which would be under the second ferry); that directory is removed once the second ferry closed.
 */
export async function restartWithStoreEdit<T extends TestFerry>(t: { after(fn: () => unknown): void }, env: T, edit: (store: StorePort) => Promise<void>, start: (dir: string) => Promise<T>): Promise<T> {
  await env.ferry.close();
  const store = await createSqliteStore({ path: join(env.dir, 'data', 'ferry.db') });
  try {
    await edit(store);
  } finally {
    await store.close();
  }
  const restarted = await start(env.dir);
  t.after(() => removeTestDir(env.dir));
  return restarted;
}

/**
 * Records, as a writer with replication would, that a share instance has a replica: the
 * instance becomes the 'active' replica and an 'in_sync' secondary is added on `secondaryHost`.
 */
export async function addSecondaryReplica(store: StorePort, instanceId: string, secondaryHost: string): Promise<void> {
  const primary = await store.updateShareInstance(instanceId, { replicaState: 'active' });
  const at = new Date().toISOString();
  await store.insertShareInstance({ ...primary, id: randomUUID(), host: secondaryHost, shareServerId: null, replicaState: 'in_sync', createdAt: at, updatedAt: at });
}

/** Resolves once each back end (of `names`, default all) is ready and reported its pools after `since`, or failed for good; rejects naming the stragglers after `timeoutMs`. */
async function awaitBackendsSettled(ferry: FerryInstance, since: string, names?: readonly string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const backends = (await ferry.listBackends()).filter((b) => names === undefined || names.includes(b.name));
    const pending = backends.filter((b) => !(b.status.state === 'failed' || (b.status.state === 'ready' && b.updatedAt >= since)));
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`back ends not ready after ${timeoutMs} ms: ${pending.map((b) => `${b.name} (${b.status.state})`).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
