/**
 * The two other read-only enforcements: `immutable` (chattr +i on the data tree; blocks writes
 * through every path, root included) and `none` (what a non-root plugin gets: rules recorded,
 * export is a symlink, a read-only cast does not block writes, and Probe says so).
 */
import assert from 'node:assert/strict';
import { lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { instance, launchLocalFs, makeTestDir, mountsUnder, removeTestDir, type LocalFsProcess } from './launcher.js';

const rules = (level: string) => [{ accessRuleId: 'r1', accessType: 'ip', accessTo: '10.0.0.1', accessLevel: level, accessKey: '' }];
const access = (id: string, level: string, cast: boolean) => ({ shareInstance: instance(id), accessRules: rules(level), addRules: [], deleteRules: [], updateRules: [], castRulesToReadonly: cast, shareServer: undefined });

describe('localfs read-only enforcement modes', () => {
  let dir: string;
  let immutable: LocalFsProcess;
  let none: LocalFsProcess;

  before(async () => {
    dir = makeTestDir('lfs-en-');
    [immutable, none] = await Promise.all([
      launchLocalFs({ dir, config: { root: join(dir, 'imm'), readOnlyEnforcement: 'immutable' } }),
      launchLocalFs({ dir, config: { root: join(dir, 'none'), readOnlyEnforcement: 'none' } }),
    ]);
  });
  after(async () => {
    await Promise.all([immutable?.stop(), none?.stop()]);
    removeTestDir(dir);
  });

  test('immutable: a cast blocks writes through the export and the data directory, keeps modes and mtimes; revert and delete work', async () => {
    const root = join(dir, 'imm');
    await immutable.share.createShareInstance({ shareInstance: instance('i1'), sourceSnapshotInstance: undefined, shareServer: undefined });
    await immutable.share.updateAccess(access('i1', 'rw', false));
    const exported = join(root, 'exports/i1');
    const data = join(root, 'pools/pool1/shares/i1/data');
    writeFileSync(join(exported, 'f'), 'v1');
    const before = statSync(join(data, 'f'));
    await immutable.share.updateAccess(access('i1', 'ro', true));
    assert.throws(() => writeFileSync(join(exported, 'f'), 'v2'), { code: 'EROFS' });
    assert.throws(() => writeFileSync(join(data, 'f'), 'v2'), { code: 'EPERM' }, 'immutable even through the data directory');
    assert.equal(statSync(join(data, 'f')).mode, before.mode);
    assert.equal(statSync(join(data, 'f')).mtimeMs, before.mtimeMs);
    await immutable.share.updateAccess(access('i1', 'rw', false));
    writeFileSync(join(exported, 'f'), 'v3');
    assert.equal(readFileSync(join(data, 'f'), 'utf8'), 'v3');
    await immutable.share.updateAccess(access('i1', 'ro', true));
    await immutable.share.deleteShareInstance({ shareInstance: instance('i1'), shareServer: undefined });
    assert.deepEqual(mountsUnder(root), []);
  });

  test('none: Probe is ready but says the cast is not enforced; the export is a symlink that stays writable', async () => {
    const root = join(dir, 'none');
    const probe = await none.identity.probe({});
    assert.equal(probe.ready, true);
    assert.match(probe.message, /does NOT block writes/);
    await none.share.createShareInstance({ shareInstance: instance('n1'), sourceSnapshotInstance: undefined, shareServer: undefined });
    await none.share.updateAccess(access('n1', 'ro', true));
    const exported = join(root, 'exports/n1');
    assert.ok(lstatSync(exported).isSymbolicLink());
    writeFileSync(join(exported, 'f'), 'not blocked');
    const record = JSON.parse(readFileSync(join(root, 'pools/pool1/shares/n1/instance.json'), 'utf8')) as { castRulesToReadonly: boolean; accessRules: unknown[] };
    assert.equal(record.castRulesToReadonly, true, 'rules are recorded');
    assert.equal(record.accessRules.length, 1);
    await none.share.updateAccess({ ...access('n1', 'rw', false), accessRules: [] });
    assert.ok(lstatSync(exported).isDirectory(), 'no rules: an empty directory');
    await none.share.deleteShareInstance({ shareInstance: instance('n1'), shareServer: undefined });
  });
});
