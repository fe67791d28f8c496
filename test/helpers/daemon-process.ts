/**
 * The real ferry daemon as a child process (node dist/src/daemon/main.js --config FILE), for
 * tests that kill it with SIGKILL and start it again on the same data directory.
 *
 * A DaemonFixture owns one test directory: a JSON config with two localfs back ends (localfs1,
 * localfs2: pools pool1 and pool2) and two dummy back ends (dummy1, dummy2: each with its
 * dataRoot, stateFile, controlFile and an enteredFile that logs every RPC it receives), the
 * daemon's data directory, and the data service's mount location. `start()` spawns the daemon
 * with FERRY_LISTEN=127.0.0.1:0, reads the bound address from its "ferry daemon listening on"
 * stderr line and the plugins' pids from its "back end" log records, and connects an admin
 * client. Cleanup (t.after): every daemon still running is killed, its plugin processes are
 * awaited (killed if they outlive it), mounts under the directory are undone, the directory
 * removed. Nothing sleeps for a fixed time: waits poll a file, a process or the API.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { taskStateToJSON, type TaskState } from '../../src/contract/gen/ferry/admin/v1/enums.js';
import type { Share, ShareInstance } from '../../src/contract/gen/ferry/admin/v1/share.js';
import { connectAdmin, type AdminClient } from './admin-client.js';
import { mountsUnder } from './mounts.js';

const daemonMain = fileURLToPath(new URL('../../src/daemon/main.js', import.meta.url));

export type DummyName = 'dummy1' | 'dummy2';
export type LocalfsName = 'localfs1' | 'localfs2';
export const BACKENDS = ['localfs1', 'localfs2', 'dummy1', 'dummy2'] as const;

/** A dummy behaviour rule (plugins/dummy/README.md). */
export interface DummyRule {
  readonly delayMs?: number;
  readonly fail?: { readonly code: string; readonly reason?: string; readonly message?: string };
  readonly failTimes?: number;
  readonly holdUntilFile?: string;
  readonly enteredFile?: string;
  readonly crash?: boolean;
}
export type DummyRules = Readonly<Record<string, DummyRule>>;

export type LogRecord = Record<string, unknown> & { level: number; msg?: string };

export interface DaemonProcess {
  readonly pid: number;
  /** host:port of the admin API. */
  readonly address: string;
  readonly client: AdminClient;
  /** pid of each back end's plugin process, from the daemon's "back end" log records. */
  readonly pluginPids: ReadonlyMap<string, number>;
  /** The daemon's pino records (stdout), in order. */
  readonly logs: readonly LogRecord[];
  stderr(): string;
  /** Resolves on the first matching record, past or future. */
  waitForLog(match: (record: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** SIGKILL; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface FixtureOptions {
  /** data_service of the config (snake_case keys, as in the file). */
  readonly dataService?: Record<string, unknown>;
  /** Extra plugin config for both localfs back ends (e.g. migrationBandwidthBytesPerSecond). */
  readonly localfs?: Record<string, unknown>;
  /** Extra plugin config for one localfs back end, over `localfs` (e.g. a root that keeps it from starting). */
  readonly localfsOnly?: Partial<Record<LocalfsName, Record<string, unknown>>>;
  /** Rules each dummy starts with (the control file, once written, replaces them). */
  readonly dummyRules?: Partial<Record<DummyName, DummyRules>>;
  /** Percent per MigrationContinue of the dummies; default 50. */
  readonly progressStep?: number;
  /**
   * Make the data service mount both localfs back ends' exports (share_mount_template
   * `mount --bind {export} {path}`) instead of using their local paths.
   */
  readonly mountTemplates?: boolean;
  /** migration_driver_continue_update_interval, seconds; default 0.05. */
  readonly continueIntervalSeconds?: number;
}

export interface DaemonFixture {
  readonly dir: string;
  readonly configFile: string;
  readonly dataDir: string;
  /** data_service.mount_tmp_location. */
  readonly mountDir: string;
  /**
   * Spawns the daemon on this fixture's config and data directory and waits until it listens
   * and every back end but those in `down` (configured not to start) has its plugin's pid.
   */
  start(down?: readonly string[]): Promise<DaemonProcess>;
  /** Spawns a daemon without waiting for it (for one that must fail to start). */
  spawnRaw(): { child: ChildProcess; output(): string; exited: Promise<number | null> };
  /** Rewrites the config (e.g. before a restart); the fixture's back ends stay. */
  writeConfig(options: FixtureOptions): void;
  /** Replaces a dummy's behaviour rules (atomic control-file write); RPCs are still logged as entered. */
  setRules(backend: DummyName, rules: DummyRules): void;
  /** How often `method` was entered on the dummy, over every process of it. */
  enteredCount(backend: DummyName, method: string): number;
  /** Resolves once `method` was entered on the dummy at least `times` times. */
  entered(backend: DummyName, method: string, times?: number, timeoutMs?: number): Promise<void>;
  /** A path for holdUntilFile; `release` creates it. */
  holdFile(name: string): string;
  release(holdFile: string): void;
  /** Whether `pid` is a live process of this fixture (a plugin or daemon it started; not a reused pid). */
  isOurs(pid: number): boolean;
  /** Changes a dummy's state file (only while its plugin is not running), atomically. */
  editDummyState(backend: DummyName, edit: (state: { shares: Record<string, unknown> }) => void): void;
  /** What a dummy holds (its state file). */
  dummyState(backend: DummyName): { shares: Record<string, unknown>; migrations: Record<string, { phase: string; progress: number }> };
  localfsRoot(backend: LocalfsName): string;
}

/** A Manila task_state name ("data_copying_completed") from the proto enum; "none" for UNSPECIFIED. */
export function taskStateName(state: TaskState | undefined): string {
  const name = taskStateToJSON(state ?? 0).replace(/^TASK_STATE_/, '').toLowerCase();
  return name === 'unspecified' ? 'none' : name;
}

/** Where an instance's files are: the dummy's local export, or localfs's data/ directory. */
export function filesOf(instance: ShareInstance): string {
  const local = instance.exportLocations.find((location) => location.metadata['local'] === 'true');
  return local?.path ?? join(instance.providerLocation, 'data');
}

export function sourceOf(share: Share): ShareInstance | undefined {
  return share.instances.find((instance) => instance.id === share.migration?.sourceInstanceId);
}

export function destinationOf(share: Share): ShareInstance | undefined {
  return share.instances.find((instance) => instance.id === share.migration?.destinationInstanceId);
}

export async function until<T>(what: () => T | undefined | false | Promise<T | undefined | false>, describe: () => string, timeoutMs = 30_000, pollMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await what();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Polls GetShare until its task_state is one of `states`; returns the share. */
export async function waitForTaskState(client: AdminClient, shareId: string, states: readonly string[], timeoutMs = 30_000): Promise<Share> {
  let last: Share | undefined;
  return until(
    async () => {
      last = (await client.shares.getShare({ shareId })).share;
      return last !== undefined && states.includes(taskStateName(last.taskState)) ? last : undefined;
    },
    () => `share ${shareId} to reach ${states.join('|')}; it is ${taskStateName(last?.taskState)} (phase ${last?.migration?.phase ?? '-'}, error: ${last?.migration?.error ?? ''})`,
    timeoutMs,
  );
}

function removeTree(dir: string): void {
  for (let i = 0; i < 256; i++) {
    const points = mountsUnder(dir);
    if (points.length === 0) break;
    try {
      execFileSync('umount', [points[0]!], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', points[0]!], { stdio: 'ignore' });
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

export function createDaemonFixture(t: { after(fn: () => unknown): void }, initial: FixtureOptions = {}): DaemonFixture {
  // Short path: plugin sockets live under the data directory (unix socket paths are ~107 bytes).
  const dir = mkdtempSync(join(tmpdir(), 'fk-'));
  const configFile = join(dir, 'ferry.json');
  const dataDir = join(dir, 'data');
  const mountDir = join(dir, 'mnt');
  const dummyPaths = (name: DummyName) => ({ root: join(dir, name), control: join(dir, `${name}.control.json`), entered: join(dir, `${name}.entered`) });
  const withLog = (name: DummyName, rules: DummyRules = {}): DummyRules => ({ ...rules, '*': { ...rules['*'], enteredFile: dummyPaths(name).entered } });
  const running = new Set<{ child: ChildProcess; plugins: () => number[] }>();

  const writeConfig = (options: FixtureOptions) => {
    const localfs = (name: LocalfsName) => ({
      name, plugin: 'localfs', config: { root: join(dir, name), pools: ['pool1', 'pool2'], ...options.localfs, ...options.localfsOnly?.[name] },
      ...(options.mountTemplates ? { share_mount_template: ['mount', '--bind', '{export}', '{path}'], share_unmount_template: ['umount', '{path}'] } : {}),
    });
    const dummy = (name: DummyName) => ({
      // Calls a test holds (holdUntilFile) must outlive the default 30 s deadline on a busy machine.
      name, plugin: 'dummy', call_timeout_ms: 120_000,
      config: { dataRoot: join(dummyPaths(name).root, 'data'), stateFile: join(dummyPaths(name).root, 'state.json'), controlFile: dummyPaths(name).control, progressStep: options.progressStep ?? 50, behaviour: withLog(name, options.dummyRules?.[name]) },
    });
    const config = {
      data_dir: dataDir,
      log_level: 'info',
      migration_driver_continue_update_interval: options.continueIntervalSeconds ?? 0.05,
      backends: [localfs('localfs1'), localfs('localfs2'), dummy('dummy1'), dummy('dummy2')],
      data_service: { mount_tmp_location: mountDir, threads: 2, ...options.dataService },
    };
    writeFileSync(`${configFile}.tmp`, JSON.stringify(config, null, 2));
    renameSync(`${configFile}.tmp`, configFile);
  };
  writeConfig(initial);

  const spawnDaemon = () =>
    spawn(process.execPath, [daemonMain, '--config', configFile], {
      env: { ...process.env, FERRY_LISTEN: '127.0.0.1:0', FERRY_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  t.after(async () => {
    for (const entry of running) {
      const pids = entry.plugins();
      if (entry.child.exitCode === null && entry.child.signalCode === null) {
        const gone = new Promise((resolve) => entry.child.once('exit', resolve));
        entry.child.kill('SIGKILL');
        await gone;
      }
      // Plugins exit on their own when the daemon dies; do not leave one behind if not.
      await until(() => pids.every((pid) => !isOurs(pid)), () => 'plugins to exit', 10_000).catch(() => pids.forEach((pid) => isOurs(pid) && process.kill(pid, 'SIGKILL')));
    }
    removeTree(dir);
  });

  // A pid is this fixture's plugin only while its environment names the fixture's directory
  // (FERRY_PLUGIN_CONFIG): pids are reused quickly on a busy machine.
  const isOurs = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(dir);
    } catch {
      return false;
    }
  };
  const enteredCount = (backend: DummyName, method: string) => {
    const file = dummyPaths(backend).entered;
    if (!existsSync(file)) return 0;
    return readFileSync(file, 'utf8').split('\n').filter((line) => line.split(' ')[0] === method).length;
  };

  return {
    dir,
    configFile,
    dataDir,
    mountDir,
    writeConfig,
    spawnRaw() {
      const child = spawnDaemon();
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      running.add({ child, plugins: () => [] });
      return { child, output: () => output, exited };
    },
    async start(down: readonly string[] = []) {
      const child = spawnDaemon();
      const logs: LogRecord[] = [];
      const waiters = new Set<{ match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }>();
      const pluginPids = new Map<string, number>();
      let stderr = '';
      running.add({ child, plugins: () => [...pluginPids.values()] });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let record: LogRecord;
        try {
          record = JSON.parse(line) as LogRecord;
        } catch {
          return;
        }
        logs.push(record);
        if (record.msg === 'back end' && typeof record.plugin === 'string' && typeof record.pluginPid === 'number') pluginPids.set(record.plugin, record.pluginPid);
        for (const waiter of waiters) {
          if (waiter.match(record)) {
            waiters.delete(waiter);
            waiter.resolve(record);
          }
        }
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      const address = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stderr! }).on('line', (line) => {
          stderr += `${line}\n`;
          const match = /^ferry daemon listening on (\S+) /.exec(line);
          if (match) resolve(match[1]!);
        });
        void exited.then(({ code, signal }) => reject(new Error(`daemon exited before listening (${code ?? signal}): ${stderr}; last log: ${logs.slice(-3).map((r) => r.msg).join(' | ')}`)));
      });
      const waitForLog = (match: (record: LogRecord) => boolean, timeoutMs = 30_000) => {
        const seen = logs.find(match);
        if (seen !== undefined) return Promise.resolve(seen);
        return new Promise<LogRecord>((resolve, reject) => {
          const waiter = { match, resolve: (r: LogRecord) => (clearTimeout(timer), resolve(r)) };
          const timer = setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`no matching daemon log record within ${timeoutMs} ms`));
          }, timeoutMs);
          waiters.add(waiter);
        });
      };
      // The "back end" records come on stdout, the address on stderr: wait for all of them.
      await until(() => BACKENDS.every((name) => down.includes(name) || pluginPids.has(name)), () => `a pid for each back end (have ${[...pluginPids.keys()].join(', ')})`, 10_000);
      const client = connectAdmin(address);
      void exited.then(() => client.close());
      return {
        pid: child.pid!,
        address,
        client,
        pluginPids,
        logs,
        stderr: () => stderr,
        waitForLog,
        exited,
        async kill9() {
          client.close();
          child.kill('SIGKILL');
          await exited;
        },
        async stop() {
          client.close();
          child.kill('SIGTERM');
          return (await exited).code;
        },
      };
    },
    setRules(backend, rules) {
      const file = dummyPaths(backend).control;
      writeFileSync(`${file}.tmp`, JSON.stringify(withLog(backend, rules)));
      renameSync(`${file}.tmp`, file);
    },
    isOurs,
    enteredCount,
    async entered(backend, method, times = 1, timeoutMs = 30_000) {
      await until(() => enteredCount(backend, method) >= times, () => `${backend} ${method} x${times} (seen ${enteredCount(backend, method)})`, timeoutMs);
    },
    holdFile: (name) => join(dir, `hold-${name}`),
    release: (file) => writeFileSync(file, ''),
    dummyState: (backend) => JSON.parse(readFileSync(join(dummyPaths(backend).root, 'state.json'), 'utf8')) as ReturnType<DaemonFixture['dummyState']>,
    editDummyState(backend, edit) {
      const file = join(dummyPaths(backend).root, 'state.json');
      const state = JSON.parse(readFileSync(file, 'utf8')) as { shares: Record<string, unknown> };
      edit(state);
      writeFileSync(`${file}.tmp`, JSON.stringify(state));
      renameSync(`${file}.tmp`, file);
    },
    localfsRoot: (backend) => join(dir, backend),
  };
}

/** Creates the directory tree `files` (relative path -> content) under `root`. */
export function writeTree(root: string, files: Readonly<Record<string, string | Buffer>>): void {
  for (const [name, content] of Object.entries(files)) {
    const path = join(root, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
}

export { mountsUnder };
