/**
 * How the data service reaches a share instance: directly through the driver's local_path,
 * or by mounting its export with the driver's argv template under mount_tmp_location (Manila's
 * data service does the same with its mount/unmount templates, section 3.2).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, realpath, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataCopyError } from './errors.js';
import type { ShareEndpoint } from '../orchestrator/data-port.js';

const run = promisify(execFile);

export interface MountSettings {
  /** Parent of per-instance mount points (mount_tmp_location). */
  readonly mountTmpLocation: string;
  /** Extra mount options per protocol, lower-case keys (data_node_mount_options), e.g. { nfs: '-o vers=4.2' }. */
  readonly mountOptions: Readonly<Record<string, string>>;
}

export interface ReachedShare {
  /** The directory to copy from or to. */
  readonly root: string;
  /** Undoes the mount, if one was made; idempotent, never throws. */
  release(): Promise<string | undefined>;
}

export function mountPointOf(settings: MountSettings, endpoint: ShareEndpoint): string {
  return join(settings.mountTmpLocation, endpoint.shareInstanceId);
}

/**
 * How to undo one mount, kept beside its mount point (`<id>.unmount.json`, mode 0600: the
 * environment may carry credentials). A copy killed with its process leaves the share mounted,
 * and the rollback that follows a restart must be able to undo that without the drivers'
 * connection info: the driver may be the very thing that is down.
 */
interface UnmountRecord {
  readonly argv: string[];
  readonly env: Readonly<Record<string, string>>;
}

function unmountRecordPath(settings: MountSettings, shareInstanceId: string): string {
  return join(settings.mountTmpLocation, `${shareInstanceId}.unmount.json`);
}

async function writeUnmountRecord(settings: MountSettings, shareInstanceId: string, record: UnmountRecord): Promise<void> {
  const path = unmountRecordPath(settings, shareInstanceId);
  await writeFile(`${path}.tmp`, JSON.stringify(record), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}

async function readUnmountRecord(settings: MountSettings, shareInstanceId: string): Promise<UnmountRecord | undefined> {
  let text: string;
  try {
    text = await readFile(unmountRecordPath(settings, shareInstanceId), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text) as Partial<UnmountRecord>;
  if (!Array.isArray(parsed.argv) || parsed.argv.length === 0) return undefined;
  return { argv: parsed.argv.map(String), env: parsed.env ?? {} };
}

/** The export a data node mounts: the first admin-only location, else the first (Manila's rule). */
function exportPath(endpoint: ShareEndpoint): string {
  const adminOnly = endpoint.exportLocations.find((location) => location.isAdminOnly);
  return (adminOnly ?? endpoint.exportLocations[0])?.path ?? '';
}

function render(argv: readonly string[], values: Record<string, string>): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    if (arg === '{options}') {
      // Options expand to zero or more words, so "-o a,b" becomes two arguments.
      out.push(...values.options.split(/\s+/).filter((word) => word !== ''));
      continue;
    }
    out.push(arg.replaceAll('{path}', values.path).replaceAll('{export}', values.export));
  }
  return out;
}

async function runArgv(argv: string[], env: Readonly<Record<string, string>>): Promise<void> {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('empty command');
  await run(command, args, { env: { ...process.env, ...env }, timeout: 120_000 });
}

export async function reachShare(settings: MountSettings, endpoint: ShareEndpoint, side: 'source' | 'destination'): Promise<ReachedShare> {
  const connection = endpoint.connection;
  if (connection.localPath !== '') return { root: connection.localPath, release: async () => undefined };
  if (connection.mountArgv.length === 0) {
    throw new DataCopyError('COPY_FAILED', `the ${side} driver gave neither a local path nor a mount command for share instance ${endpoint.shareInstanceId}`, '');
  }
  const path = mountPointOf(settings, endpoint);
  const values = { path, export: exportPath(endpoint), options: settings.mountOptions[endpoint.shareProto.toLowerCase()] ?? '' };
  await mkdir(path, { recursive: true });
  // A copy that died with its process (kill -9 of the daemon) left the share mounted here, and
  // a resumed copy comes back to the same path. Mounting again would stack a second mount that
  // the release undoes, leaving the first behind for good; so undo the leftover first.
  if ((await isMountPoint(path)) === true) {
    const warning = await unmountShare(settings, endpoint, { keepDirectory: true });
    if (warning !== undefined || (await isMountPoint(path)) !== false) {
      throw new DataCopyError('COPY_FAILED', `the ${side} share instance ${endpoint.shareInstanceId} is still mounted at ${path} by an earlier run and could not be unmounted${warning ? `: ${warning}` : ''}`, '');
    }
  }
  // Written before mounting, so no crash can leave a mount without it.
  if (connection.unmountArgv.length > 0) {
    await writeUnmountRecord(settings, endpoint.shareInstanceId, { argv: render(connection.unmountArgv, { ...values, options: '' }), env: connection.mountEnvironment });
  }
  try {
    await runArgv(render(connection.mountArgv, values), connection.mountEnvironment);
  } catch (error) {
    await rmdir(path).catch(() => undefined);
    await rm(unmountRecordPath(settings, endpoint.shareInstanceId), { force: true });
    throw new DataCopyError('COPY_FAILED', `could not mount the ${side} share instance ${endpoint.shareInstanceId} at ${path}: ${(error as Error).message}`, '', { cause: error });
  }
  return { root: path, release: () => unmountShare(settings, endpoint) };
}

/**
 * Unmounts a mount point left by reachShare; returns a warning instead of throwing. Where
 * /proc/self/mountinfo tells, it unmounts only what is mounted and repeats while mounts are
 * stacked there (left by a run that died); otherwise it runs the unmount command once.
 */
export async function unmountShare(settings: MountSettings, endpoint: ShareEndpoint, options: { keepDirectory?: boolean } = {}): Promise<string | undefined> {
  const connection = endpoint.connection;
  if (connection.localPath !== '' || connection.unmountArgv.length === 0) return undefined;
  const path = mountPointOf(settings, endpoint);
  const argv = render(connection.unmountArgv, { path, export: exportPath(endpoint), options: '' });
  return unmountAt(settings, endpoint.shareInstanceId, { argv, env: connection.mountEnvironment }, options.keepDirectory ?? false);
}

/**
 * Undoes what reachShare left mounted for a share instance (a copy killed with its process)
 * from the record written before the mount, without asking any driver. Nothing to do (and no
 * warning) when the instance was reached through a local path or is already released.
 */
export async function releaseRecordedMount(settings: MountSettings, shareInstanceId: string): Promise<string | undefined> {
  let record: UnmountRecord | undefined;
  try {
    record = await readUnmountRecord(settings, shareInstanceId);
  } catch (error) {
    return `the unmount record of share instance ${shareInstanceId} is unreadable: ${(error as Error).message}`;
  }
  if (record === undefined) {
    // No record: at most an empty mount point directory is left (rmdir never removes a mount).
    await rmdir(join(settings.mountTmpLocation, shareInstanceId)).catch(() => undefined);
    return undefined;
  }
  return unmountAt(settings, shareInstanceId, record, false);
}

async function unmountAt(settings: MountSettings, shareInstanceId: string, unmount: UnmountRecord, keepDirectory: boolean): Promise<string | undefined> {
  const path = join(settings.mountTmpLocation, shareInstanceId);
  let warning: string | undefined;
  for (let attempt = 0; attempt < MAX_STACKED_MOUNTS; attempt++) {
    const mounted = await isMountPoint(path);
    if (mounted === false) break;
    try {
      await runArgv(unmount.argv, unmount.env);
    } catch (error) {
      warning = `unmount of ${path} failed: ${(error as Error).message}`;
      break;
    }
    if (mounted === undefined) break;
  }
  // The record goes only with the mount: a failed unmount can still be retried from it.
  if (warning === undefined && !keepDirectory) await rm(unmountRecordPath(settings, shareInstanceId), { force: true });
  // rmdir only removes an empty directory, so a still-mounted share is never touched.
  if (!keepDirectory) await rmdir(path).catch(() => undefined);
  return warning;
}

/** How many stacked mounts unmountShare undoes at one mount point before it gives up. */
const MAX_STACKED_MOUNTS = 8;

/**
 * Whether `path` is a mount point in this process's mount namespace, from /proc/self/mountinfo
 * (a bind mount keeps the device number, so stat cannot tell); false for a missing path,
 * undefined where mountinfo cannot be read or the path cannot be resolved.
 */
async function isMountPoint(path: string): Promise<boolean | undefined> {
  let resolved: string;
  try {
    resolved = await realpath(path);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? false : undefined;
  }
  let table: string;
  try {
    table = await readFile('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  // Field 5 is the mount point, with space, tab, newline and backslash as octal escapes.
  return table.split('\n').some((line) => line.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8))) === resolved);
}
