import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DummyState } from '../../../plugins/dummy/state.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fds-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('without a state file the state lives in memory only', () => {
  const state = new DummyState(undefined);
  state.save();
  assert.deepEqual(state.data.shares, {});
  assert.match(state.data.backendId, /^[0-9a-f-]{36}$/);
});

test('a saved state is reloaded with the same back end id and records, leaving no temp file', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sub', 'state.json');
  const first = new DummyState(file);
  first.data.volumes.v1 = { volumeId: 'v1', pool: 'alpha', sizeGib: 3, providerLocation: 'x', attachedTo: '' };
  first.data.migrations.m1 = { migrationId: 'm1', kind: 'share', fingerprint: 'a>b', phase: 'in_progress', progress: 50, totalBytes: 1 };
  first.save();
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['state.json']);
  const second = new DummyState(file);
  assert.equal(second.data.backendId, first.data.backendId);
  assert.deepEqual(second.data.volumes, first.data.volumes);
  assert.equal(second.data.migrations.m1?.progress, 50);
  assert.equal(second.allocatedGib('alpha'), 3);
});

test('a corrupt state file is an error that names the file', (t) => {
  const file = join(tempDir(t), 'state.json');
  writeFileSync(file, '{"shares": ');
  assert.throws(() => new DummyState(file), new RegExp(`stateFile ${file} is not valid JSON`));
});
