import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { runConformance, type ConformanceReport } from '../../../plugins/conformance/kit.js';
import { referencePlugins } from '../../../plugins/conformance/reference-plugins.js';
import { shareServerMigrationCases } from '../../../plugins/conformance/cases/share-server-migration.js';
import { volumeCases } from '../../../plugins/conformance/cases/volumes.js';

const distRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const brokenDriver = join(distRoot, 'test', 'fixtures', 'conformance', 'broken-driver.js');
const malformedHandshake = join(distRoot, 'test', 'fixtures', 'plugins', 'broken-malformed-handshake.js');
const cli = join(distRoot, 'plugins', 'conformance', 'cli.js');
const logger = pino({ level: 'silent' });

function failures(report: ConformanceReport): string {
  return report.results.filter((r) => r.status === 'failed').map((r) => `${r.suite} › ${r.name}: ${r.message}`).join('\n');
}

const SHARE_SUITES = ['lifecycle', 'identity', 'pools', 'shares', 'access', 'snapshots', 'connection-info', 'share-migration'];
/** Suites that must pass for each reference plugin; share-server-migration in full where listed. */
const EXPECTED_SUITES: Readonly<Record<string, readonly string[]>> = {
  localfs: SHARE_SUITES,
  'localfs-dhss': ['lifecycle', 'identity', 'pools', 'share-server-migration'],
  block: ['lifecycle', 'identity', 'volumes'],
  dummy: [...SHARE_SUITES, 'share-server-migration', 'volumes'],
};

describe('conformance kit against the reference plugins', () => {
  for (const plugin of referencePlugins) {
    test(`${plugin.label} passes every case it is subject to, including driver-assisted and share-server migration`, async () => {
      const report = await runConformance({ command: plugin.command, args: plugin.args, config: plugin.config, suites: plugin.suites, logger });
      assert.equal(report.failed, 0, failures(report));
      const ran = new Set(report.results.filter((r) => r.status === 'passed').map((r) => r.suite));
      const expected = EXPECTED_SUITES[plugin.label];
      assert.ok(expected !== undefined, `no expectation for reference plugin ${plugin.label}`);
      for (const suite of expected) assert.ok(ran.has(suite), `suite ${suite} did not run for ${plugin.label}`);
      if (expected.includes('share-server-migration')) {
        const serverCases = report.results.filter((r) => r.suite === 'share-server-migration');
        assert.deepEqual(serverCases.map((r) => r.name), shareServerMigrationCases.map((c) => c.name));
        assert.ok(serverCases.every((r) => r.status === 'passed'), serverCases.map((r) => `${r.name}: ${r.status} ${r.message ?? ''}`).join('\n'));
      }
    });
  }
});

test('the vendor guide\'s minimal example plugin passes the suites it advertises', async () => {
  const example = join(distRoot, 'plugins', 'examples', 'memory', 'main.js');
  const report = await runConformance({ command: process.execPath, args: [example], logger });
  assert.equal(report.failed, 0, failures(report));
  assert.ok(report.results.some((r) => r.suite === 'shares' && r.status === 'passed'));
});

describe('conformance kit against a broken plugin', () => {
  test('fails each broken rule with a message naming the call, the expectation and the answer', async () => {
    const report = await runConformance({ command: process.execPath, args: [brokenDriver], logger });
    const byName = new Map(report.results.map((r) => [r.name, r]));
    const failed = (name: string) => {
      const result = byName.get(name);
      assert.ok(result, `no case named "${name}"`);
      assert.equal(result.status, 'failed', `"${name}" should fail against the broken plugin`);
      return `${result.message}\nrule: ${result.rule}`;
    };
    assert.match(failed('CreateShareInstance replayed with the same id returns the same export locations'), /replay returned .* first call/);
    assert.match(failed('DeleteShareInstance is idempotent: a second delete and a delete of an unknown id are OK'), /second DeleteShareInstance of the same id: expected OK, got NOT_FOUND \(SHARE_INSTANCE_NOT_FOUND\)/);
    assert.match(failed('UpdateAccess on an unknown instance fails with NOT_FOUND'), /expected NOT_FOUND \(SHARE_INSTANCE_NOT_FOUND\), but the call succeeded\nrule: share.proto UpdateAccess errors/);
    assert.match(failed('Continue, GetProgress and Complete of a migration id never started fail with NOT_FOUND (MIGRATION_NOT_FOUND); Cancel is OK'), /MigrationContinue of an unknown migration_id: expected NOT_FOUND \(MIGRATION_NOT_FOUND\)/);
    assert.match(failed('Cancel during phase 1 stops the migration: a replay is OK and a later Continue is refused'), /MigrationContinue after MigrationCancel: expected FAILED_PRECONDITION \(MIGRATION_WRONG_PHASE\)/);
    // What the broken plugin does right still passes: the kit is not failing everything.
    assert.equal(byName.get('GetPluginInfo names the plugin, its version and the negotiated contract version')?.status, 'passed');
    assert.equal(byName.get('snapshots: create is idempotent, they block deleting their instance, delete is idempotent')?.status, 'skipped');
  });

  test('reports a plugin that cannot start as a failed lifecycle case quoting the handshake problem', async () => {
    const report = await runConformance({ command: process.execPath, args: [malformedHandshake], logger });
    assert.equal(report.results.length, 1);
    assert.equal(report.results[0]?.suite, 'lifecycle');
    assert.equal(report.results[0]?.status, 'failed');
    assert.match(report.results[0]?.message ?? '', /handshake/i);
  });
});

describe('conformance kit: the volumes suite', () => {
  test('every volume case runs and passes against block and the dummy', async () => {
    for (const label of ['block', 'dummy']) {
      const plugin = referencePlugins.find((p) => p.label === label)!;
      const report = await runConformance({ command: plugin.command, args: plugin.args, config: plugin.config, suites: ['volumes'], logger });
      assert.deepEqual(report.results.filter((r) => r.suite === 'volumes').map((r) => `${r.name}: ${r.status}`), volumeCases.map((c) => `${c.name}: passed`), label);
    }
  });

  test('fails a plugin whose volume RPCs break the contract (the dummy with injected behaviour), naming call, expectation and answer', async () => {
    const dummy = referencePlugins.find((p) => p.label === 'dummy')!;
    const behaviour = {
      deleteVolume: { fail: { code: 'INTERNAL', reason: 'BACKEND_ERROR', message: 'injected' } },
      migrateVolume: { result: { moved: false } },
      retypeVolume: { result: { retyped: true } },
    };
    const report = await runConformance({ command: dummy.command, args: dummy.args, config: { ...dummy.config, behaviour }, suites: ['volumes'], logger });
    const byName = new Map(report.results.map((r) => [r.name, r]));
    const failed = (name: string) => {
      const result = byName.get(name);
      assert.equal(result?.status, 'failed', `"${name}" should fail`);
      return `${result?.message}\nrule: ${result?.rule}`;
    };
    assert.match(failed('DeleteVolume is idempotent: a second delete and a delete of an unknown id are OK, and the volume is gone'), /DeleteVolume: expected OK, got INTERNAL \(BACKEND_ERROR\): injected/);
    assert.match(failed('MigrateVolume between two pools of the back end moves the volume (model update, data intact by hash) and a replay answers the same'), /answered moved = false for a move between two of its own pools/);
    assert.match(failed('RetypeVolume retypes in place when the diff is empty, answers retyped = false when volume_backend_name changes, NOT_FOUND for an unknown volume'), /retyped = true for a diff that moves the volume to another back end/);
    assert.equal(byName.get('CreateVolume replayed answers the same; the same id with another size fails with ALREADY_EXISTS')?.status, 'passed', 'what the plugin does right still passes');
  });

  test('a migration between pools is skipped, not failed, for a plugin reporting one pool', async () => {
    const block = referencePlugins.find((p) => p.label === 'block')!;
    const report = await runConformance({ command: block.command, args: block.args, config: { root: '{tmp}/backend' }, suites: ['volumes'], logger });
    assert.equal(report.failed, 0, failures(report));
    const between = report.results.find((r) => r.name.startsWith('MigrateVolume between two pools'));
    assert.deepEqual([between?.status, between?.message], ['skipped', 'the plugin reports one pool; the case needs two']);
  });
});

describe('npm run conformance (cli)', () => {
  test('exits 1 and prints the failed rules for a broken plugin', () => {
    const run = spawnSync(process.execPath, [cli, '--suite', 'shares', '--', process.execPath, brokenDriver], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /✗ shares › DeleteShareInstance is idempotent/);
    assert.match(run.stdout, /rule: share.proto DeleteShareInstance: an unknown id returns OK/);
    assert.match(run.stdout, /^conformance: \d+ passed, [1-9]\d* failed, \d+ skipped$/m);
  });

  test('prints one JSON object with --json', () => {
    const run = spawnSync(process.execPath, [cli, '--json', '--suite', 'identity', '--', process.execPath, brokenDriver], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const parsed = JSON.parse(run.stdout) as { failed: number; passed: number; reports: { plugin: string }[] };
    assert.equal(parsed.failed, 0);
    assert.ok(parsed.passed >= 4);
    assert.equal(parsed.reports[0]?.plugin, 'test.broken');
  });

  test('exits 2 with the usage text on a bad option', () => {
    const run = spawnSync(process.execPath, [cli, '--config', '{not json', 'node', 'x.js'], { encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /--config: not valid JSON/);
    assert.match(run.stderr, /usage: npm run conformance/);
  });
});
