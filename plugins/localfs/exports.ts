/**
 * Export locations and how access rules are enforced on them: "as far as a local directory
 * can". A local directory cannot tell clients apart, so the rules collapse into one state:
 *
 * | rules (valid ones)                         | export state | bind-mount / immutable                   | none (not root)            |
 * |--------------------------------------------|--------------|------------------------------------------|----------------------------|
 * | none                                       | `none`       | empty read-only tmpfs (writes fail)      | empty directory            |
 * | some "rw", not cast                        | `rw`         | bind mount of the data directory, rw     | symlink to the data dir    |
 * | all "ro", or cast_rules_to_readonly        | `ro`         | bind mount remounted ro (+ chattr +i)    | symlink; NOT read-only     |
 *
 * A read-only bind mount makes every write through the export fail with EROFS, root included,
 * without touching the files: modes, owners and times stay as they are. `immutable` also sets
 * the immutable attribute on the data tree, which blocks writes through any path (at the cost
 * of the files' ctime). The mount state lives in the kernel, so after a reboot or a restart the
 * plugin re-applies every instance's state (see LocalFsDriver.start and GetExportLocations).
 */
import { execFile } from 'node:child_process';
import { lstat, mkdir, readFile, readlink, rm, rmdir, symlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { ReadOnlyEnforcement } from './config.js';
import type { RecordedRule } from './metadata-store.js';

const run = promisify(execFile);

export type ExportState = 'none' | 'rw' | 'ro';

/** Access types a local directory "serves" (recorded, not told apart) and the levels it knows. */
export const SUPPORTED_ACCESS_TYPES = ['ip', 'user'] as const;
export const ACCESS_LEVELS = ['rw', 'ro'] as const;

/** Why a rule cannot be applied, or undefined when it can. */
export function ruleProblem(rule: RecordedRule): string | undefined {
  if (!(SUPPORTED_ACCESS_TYPES as readonly string[]).includes(rule.type)) return `access type ${JSON.stringify(rule.type)} is not supported by localfs (supported: ${SUPPORTED_ACCESS_TYPES.join(', ')})`;
  if (!(ACCESS_LEVELS as readonly string[]).includes(rule.level)) return `access level ${JSON.stringify(rule.level)} is not rw or ro`;
  if (rule.to.trim() === '') return 'access_to is empty';
  if (rule.type === 'ip' && !/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/.test(rule.to)) return `access_to ${JSON.stringify(rule.to)} is not an IPv4/IPv6 address or CIDR`;
  return undefined;
}

/** The export state the valid rules ask for. */
export function exportStateFor(rules: readonly RecordedRule[], castRulesToReadonly: boolean): ExportState {
  const valid = rules.filter((rule) => ruleProblem(rule) === undefined);
  if (valid.length === 0) return 'none';
  if (castRulesToReadonly) return 'ro';
  return valid.some((rule) => rule.level === 'rw') ? 'rw' : 'ro';
}

/** One entry of /proc/self/mountinfo that matters here. */
export interface MountEntry {
  readonly mountPoint: string;
  readonly readOnly: boolean;
  /** The mount's source (after the " - fstype" separator), e.g. the tmpfs name. */
  readonly source: string;
}

/**
 * Without any rule the export is an empty read-only tmpfs: a client writing into a plain
 * directory there would lose its data silently (it never reaches the share) and block the
 * export's removal later. The name marks it in mountinfo.
 */
export const NO_ACCESS_SOURCE = 'ferry-localfs-noaccess';

/** Mount points from /proc/self/mountinfo text, in mount order (later entries stack on earlier ones). */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 6) continue;
    const mountPoint = fields[4]!.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    const separator = fields.indexOf('-', 6);
    const source = separator > 0 ? fields[separator + 2] ?? '' : '';
    entries.push({ mountPoint, readOnly: fields[5]!.split(',').includes('ro'), source });
  }
  return entries;
}

export async function readMounts(): Promise<MountEntry[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** The topmost mount at `path`, or undefined when nothing is mounted there. */
export async function mountAt(path: string): Promise<MountEntry | undefined> {
  return (await readMounts()).filter((m) => m.mountPoint === path).at(-1);
}

/** Applies an export state to `<root>/exports/<id>` for one data directory. */
export class ExportManager {
  constructor(private readonly enforcement: ReadOnlyEnforcement) {}

  /**
   * Makes `exportPath` match `state`. Idempotent: applying the state an export already has
   * changes nothing. Throws (with the command's stderr) when mount, umount or chattr fail.
   */
  async apply(exportPath: string, dataPath: string, state: ExportState): Promise<void> {
    if (this.enforcement === 'none') return this.applySymlink(exportPath, dataPath, state);
    if (this.enforcement === 'immutable') await setImmutable(dataPath, state === 'ro');
    if (state === 'none') {
      if ((await mountAt(exportPath))?.source === NO_ACCESS_SOURCE) return;
      await unmountAll(exportPath);
      await mkdir(exportPath, { recursive: true });
      await run('mount', ['-t', 'tmpfs', '-o', 'ro,size=4k,mode=0555', NO_ACCESS_SOURCE, exportPath]);
      return;
    }
    await mkdir(exportPath, { recursive: true });
    let mounted = await mountAt(exportPath);
    if (mounted?.source === NO_ACCESS_SOURCE) {
      await unmountAll(exportPath);
      mounted = undefined;
    }
    if (mounted === undefined) {
      await run('mount', ['--bind', dataPath, exportPath]);
      mounted = { mountPoint: exportPath, readOnly: false, source: dataPath };
    }
    if (mounted.readOnly !== (state === 'ro')) await run('mount', ['-o', `remount,bind,${state}`, exportPath]);
  }

  /** Unmounts (or unlinks) the export and removes its directory. Never deletes through a mount. */
  async remove(exportPath: string, dataPath: string): Promise<void> {
    if (this.enforcement === 'immutable') await setImmutable(dataPath, false);
    if (this.enforcement === 'none') {
      await rm(exportPath, { force: true }).catch(() => rmdir(exportPath).catch(ignoreMissing));
      return;
    }
    await unmountAll(exportPath);
    await rmdir(exportPath).catch(ignoreMissing);
  }

  private async applySymlink(exportPath: string, dataPath: string, state: ExportState): Promise<void> {
    const stat = await lstat(exportPath).catch(() => undefined);
    if (state === 'none') {
      if (stat?.isSymbolicLink()) await rm(exportPath);
      await mkdir(exportPath, { recursive: true });
      return;
    }
    if (stat?.isSymbolicLink() && (await readlink(exportPath)) === dataPath) return;
    if (stat?.isSymbolicLink()) await rm(exportPath);
    else if (stat?.isDirectory()) await rmdir(exportPath);
    await symlink(dataPath, exportPath, 'dir');
  }
}

/** Unmounts every mount stacked on `path` (lazily when busy, so clients cannot block a delete). */
export async function unmountAll(path: string): Promise<void> {
  for (let i = 0; i < 16 && (await mountAt(path)) !== undefined; i++) {
    try {
      await run('umount', [path]);
    } catch {
      await run('umount', ['-l', path]);
    }
  }
}

/**
 * Sets or clears the immutable attribute on every file and directory of a tree. Symlinks
 * cannot carry it (chattr -R would fail on them), so they are left out with find.
 */
async function setImmutable(dataPath: string, on: boolean): Promise<void> {
  try {
    await lstat(dataPath);
  } catch {
    return;
  }
  await run('find', [dataPath, '!', '-type', 'l', '-exec', 'chattr', on ? '+i' : '-i', '{}', '+']);
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
