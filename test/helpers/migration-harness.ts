/**
 * Share-migration tests against real plugin processes: a ferry with two dummy back ends
 * (dummy1, dummy2: data directories, state files and control files inside the test's
 * directory) and optionally the two localfs back ends, plus helpers to inject dummy
 * behaviour while ferry runs, wait for a dummy RPC to be entered, release held calls, read
 * what each dummy holds, and assert a FerryError. Nothing here sleeps for a fixed time: waits
 * poll files or the store until the expected thing is there.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FerryError } from '../../src/domain/errors.js';
import type { MigrationStartRequest, ShareView } from '../../src/orchestrator/ferry-api.js';
import { blockBackend, dummyBackend, localfsBackend, startTestFerry, type TestFerry, type TestFerryOptions } from './ferry-harness.js';

export type DummyName = 'dummy1' | 'dummy2';

/** A behaviour rule as plugins/dummy/config.ts reads it (JSON). */
export interface DummyRule {
  readonly delayMs?: number;
  readonly fail?: { readonly code: string; readonly reason?: string; readonly message?: string };
  readonly failTimes?: number;
  readonly result?: Record<string, unknown>;
  readonly holdUntilFile?: string;
  readonly enteredFile?: string;
  readonly crash?: boolean;
}
export type DummyRules = Readonly<Record<string, DummyRule>>;

/** What a dummy back end holds (plugins/dummy/state.ts), the parts the tests read. */
export interface DummyStateView {
  readonly shares: Record<string, { shareInstanceId: string; pool: string; readOnly: boolean; accessRules: { accessRuleId: string; accessLevel: string }[] }>;
  readonly snapshots: Record<string, { snapshotInstanceId: string; shareInstanceId: string }>;
  readonly migrations: Record<string, { phase: string; progress: number }>;
  readonly volumes?: Record<string, { volumeId: string; pool: string; attachedTo: string }>;
}

export interface MigrationFerry extends TestFerry {
  /** Replaces a dummy's behaviour rules while it runs (atomic control-file write); every RPC is still logged as entered. */
  setRules(backend: DummyName, rules: DummyRules): void;
  /** What the dummy holds now (its state file). */
  dummyState(backend: DummyName): DummyStateView;
  /** The dummy's dataRoot: one directory per share instance it holds. */
  dataRoot(backend: DummyName): string;
  /** Resolves once `method` was entered on the dummy at least `times` times (its enteredFile). */
  entered(backend: DummyName, method: string, times?: number): Promise<void>;
  /** How often `method` was entered on the dummy so far. */
  enteredCount(backend: DummyName, method: string): number;
  /** A path in the test's directory for holdUntilFile; `release` creates it. */
  holdFile(name: string): string;
  release(holdFile: string): void;
  /** A 1 GiB NFS share on `host` with `files` written into its data directory. */
  createShareWith(host: string, files?: Readonly<Record<string, string | Buffer>>): Promise<ShareView>;
  /** MigrationStart with the four flags false unless given. */
  start(shareId: string, host: string, flags?: Partial<Omit<MigrationStartRequest, 'shareId' | 'host'>>): Promise<void>;
  /** The share's instance records by role in its latest migration. */
  instances(shareId: string): Promise<{ share: ShareView; source: ShareView['instances'][number] | undefined; destination: ShareView['instances'][number] | undefined }>;
}

export interface MigrationFerryOptions extends Omit<TestFerryOptions, 'backends'> {
  /** Rules each dummy starts with (the control file, once set, replaces them). */
  readonly rules?: Partial<Record<DummyName, DummyRules>>;
  /** Percent per MigrationContinue; default 50. */
  readonly progressStep?: number;
  /** Also run localfs1 and localfs2. */
  readonly localfs?: boolean;
  /** Also run block1 and block2 (the block reference plugin, pools pool1 and pool2). */
  readonly block?: boolean;
  /** Dummies whose pools (alpha, beta in zone nova) handle share servers (driver_handles_share_servers). */
  readonly shareServers?: readonly DummyName[];
}

/** The dummy's default pools, handling share servers. */
export const DHSS_POOLS = ['alpha', 'beta'].map((name) => ({
  name, totalCapacityGib: 1000, freeCapacityGib: 1000, availabilityZone: 'nova', capabilities: { driver_handles_share_servers: 'true' },
}));

const POLL_MS = 5;

async function until(what: () => boolean, describe: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function startMigrationFerry(t: { after(fn: () => unknown): void }, options: MigrationFerryOptions = {}): Promise<MigrationFerry> {
  const paths = (dir: string, name: DummyName) => ({ root: join(dir, 'b', name), control: join(dir, 'b', `${name}.control.json`), entered: join(dir, 'b', `${name}.entered`) });
  let testDir = '';
  const withLog = (dir: string, name: DummyName, rules: DummyRules = {}): DummyRules => ({ ...rules, '*': { ...rules['*'], enteredFile: paths(dir, name).entered } });
  const harness = await startTestFerry(t, {
    driverContinueIntervalMs: 50,
    serverContinueIntervalMs: 50,
    ...options,
    backends: (dir) => {
      testDir = dir;
      const dummy = (name: DummyName) =>
        dummyBackend(name, paths(dir, name).root, {
          controlFile: paths(dir, name).control, progressStep: options.progressStep ?? 50, behaviour: withLog(dir, name, options.rules?.[name]),
          ...(options.shareServers?.includes(name) ? { pools: DHSS_POOLS } : {}),
        });
      return [
        dummy('dummy1'),
        dummy('dummy2'),
        ...(options.localfs ? [localfsBackend('localfs1', join(dir, 'b', 'l1')), localfsBackend('localfs2', join(dir, 'b', 'l2'))] : []),
        ...(options.block ? [blockBackend('block1', join(dir, 'b', 'block1')), blockBackend('block2', join(dir, 'b', 'block2'))] : []),
      ];
    },
  });
  const { ferry } = harness;
  const enteredCount = (backend: DummyName, method: string) => {
    const file = paths(testDir, backend).entered;
    if (!existsSync(file)) return 0;
    return readFileSync(file, 'utf8').split('\n').filter((line) => line.split(' ')[0] === method).length;
  };
  const instances = async (shareId: string) => {
    const share = await ferry.getShare(shareId);
    const migration = share.migration;
    return {
      share,
      source: share.instances.find((instance) => instance.id === migration?.sourceInstanceId),
      destination: share.instances.find((instance) => instance.id === migration?.destinationInstanceId),
    };
  };
  return {
    ...harness,
    setRules(backend, rules) {
      const file = paths(testDir, backend).control;
      writeFileSync(`${file}.tmp`, JSON.stringify(withLog(testDir, backend, rules)));
      renameSync(`${file}.tmp`, file);
    },
    dataRoot: (backend) => join(paths(testDir, backend).root, 'data'),
    dummyState: (backend) => JSON.parse(readFileSync(join(paths(testDir, backend).root, 'state.json'), 'utf8')) as DummyStateView,
    entered: (backend, method, times = 1) => until(() => enteredCount(backend, method) >= times, () => `${backend} ${method} x${times} (seen ${enteredCount(backend, method)})`),
    enteredCount,
    holdFile: (name) => join(testDir, `hold-${name}`),
    release: (file) => writeFileSync(file, ''),
    async createShareWith(host, files = {}) {
      const share = await ferry.createShare({ shareProto: 'NFS', sizeGib: 1, host });
      const root = dataDirOf(share.instances[0]!);
      for (const [name, content] of Object.entries(files)) writeFileSync(join(root, name), content);
      return share;
    },
    async start(shareId, host, flags = {}) {
      await ferry.migrationStart({ shareId, host, writable: false, preserveMetadata: false, preserveSnapshots: false, nondisruptive: false, ...flags });
    },
    instances,
  };
}

/** Where an instance's files are: the dummy's admin-only local export, or localfs's data/ directory. */
export function dataDirOf(instance: ShareView['instances'][number]): string {
  const local = instance.exportLocations.find((location) => location.metadata['local'] === 'true');
  return local?.path ?? join(instance.providerLocation, 'data');
}

/** Asserts that `promise` rejects with a FerryError of this code and reason (and message part). */
export async function assertFerryError(promise: Promise<unknown>, code: string, reason: string, messagePart?: string): Promise<FerryError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof FerryError, `expected FerryError ${code}/${reason}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.reason, reason, caught.message);
  if (messagePart !== undefined) assert.ok(caught.message.includes(messagePart), `"${caught.message}" should contain "${messagePart}"`);
  return caught;
}

/** Resolves once the share's task_state history contains `taskState` (reads the store). */
export async function waitForHistory(harness: TestFerry, shareId: string, taskState: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await harness.history(shareId)).includes(taskState as never)) return;
    if (Date.now() > deadline) throw new Error(`share ${shareId} never passed ${taskState}; history ${(await harness.history(shareId)).join(' > ')}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** A share on dummy1 with one rw access rule and, unless `snapshot` is false, one snapshot. */
export async function prepareDummyShare(h: MigrationFerry, options: { snapshot?: boolean; files?: Readonly<Record<string, string | Buffer>> } = {}): Promise<ShareView> {
  const share = await h.createShareWith('ferry@dummy1#alpha', options.files ?? { a: 'alpha' });
  await h.ferry.grantAccess({ shareId: share.id, accessType: 'ip', accessTo: '10.0.0.1', accessLevel: 'rw' });
  if (options.snapshot !== false) await h.ferry.createSnapshot({ shareId: share.id, name: 's1' });
  return h.ferry.getShare(share.id);
}

/**
 * The matrix's "rolled back" row: only the source instance is left, available, its read-only
 * cast reverted in ferry and on the dummy, its rules rw again, its snapshots available, its
 * files untouched, and no destination on `destination` (neither record nor data).
 */
export async function assertSourceRestored(h: MigrationFerry, before: ShareView, destination: DummyName | 'none', files: Readonly<Record<string, string>> = { a: 'alpha' }): Promise<void> {
  const share = await h.ferry.getShare(before.id);
  const source = before.instances[0]!;
  assert.deepEqual(share.instances.map((instance) => instance.id), [source.id], 'only the source instance is left');
  const after = share.instances[0]!;
  assert.equal(after.status, 'available');
  assert.equal(after.castRulesToReadonly, false, 'read-only cast reverted');
  assert.equal(after.accessRulesStatus, 'active');
  assert.equal(share.host, source.host);
  for (const [name, content] of Object.entries(files)) assert.equal(readFileSync(join(dataDirOf(after), name), 'utf8'), content);
  const rules = await h.ferry.listAccessRules(share.id);
  for (const rule of rules) assert.equal(rule.state, 'active', `rule ${rule.accessTo} active`);
  const backend = source.host.slice(source.host.indexOf('@') + 1, source.host.indexOf('#'));
  if (backend === 'dummy1' || backend === 'dummy2') {
    const held = h.dummyState(backend).shares[source.id];
    assert.ok(held, 'the source is still on its back end');
    assert.equal(held.readOnly, false, 'the back end no longer enforces read-only');
    assert.deepEqual(held.accessRules.map((rule) => rule.accessLevel), rules.map((rule) => rule.accessLevel));
  }
  for (const snapshot of await h.ferry.listSnapshots({ shareId: share.id })) {
    assert.equal(snapshot.status, 'available');
    assert.deepEqual(snapshot.instances.map((instance) => [instance.shareInstanceId, instance.status]), [[source.id, 'available']]);
  }
  if (destination !== 'none') {
    const state = h.dummyState(destination);
    const others = Object.keys(state.shares).filter((id) => id !== source.id);
    assert.deepEqual(others, [], `no destination share left on ${destination}`);
    assert.deepEqual(Object.values(state.snapshots).filter((snapshot) => snapshot.shareInstanceId !== source.id), [], `no destination snapshot left on ${destination}`);
    const dirs = existsSync(h.dataRoot(destination)) ? readdirSync(h.dataRoot(destination)).filter((name) => name !== source.id) : [];
    assert.deepEqual(dirs, [], `no destination data left on ${destination}`);
  }
}
