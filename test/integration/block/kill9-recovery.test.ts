/**
 * block after `kill -9`: each state a killed process can leave on disk (set up exactly as the
 * plugin writes it) is undone or finished by the next start, and a replay of the interrupted
 * call then answers as if nothing happened. Last, a real kill -9 in the middle of a copy onto
 * another file system: whatever point it hit, restart and replay end with the volume at the
 * destination, identical, and nothing left at the source.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { launchBlock, makeTestDir, MIB, peerOf, readJsonFile, sha256, volume, writePattern, type BlockProcess } from './launcher.js';

/** Writes a record the way the plugin does (JSON, whole file). */
const writeJson = (path: string, value: unknown): void => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
const visible = (dir: string): string[] => readdirSync(dir).filter((n) => !n.startsWith('.')).sort();

describe('block recovery after kill -9', () => {
  let dir: string;
  let root: string;
  let plugin: BlockProcess;
  const config = () => ({ root, pools: ['pool1', 'pool2'] });
  const pool = (name: string) => join(root, 'pools', name);
  const restart = async (): Promise<void> => {
    await plugin.kill9();
    plugin = await launchBlock({ dir, config: config() });
  };
  const migrateRequest = (migrationId: string, id: string) => ({ migrationId, volume: volume(id), destinationHost: 'ferry@block1', destinationPool: 'pool2', destinationPeer: peerOf('block1', root), newVolumeTypeExtraSpecs: {} });

  before(async () => {
    dir = makeTestDir('blk-k9-');
    root = join(dir, 'root');
    plugin = await launchBlock({ dir, config: config() });
  });
  after(async () => {
    await plugin?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a move killed after the rename but before its commit point is rolled back, and the replay moves it again', async () => {
    await plugin.volume.createVolume({ volume: volume('k1') });
    writePattern(join(pool('pool1'), 'volume-k1.img'), 0, MIB);
    const hash = sha256(join(pool('pool1'), 'volume-k1.img'), 2 * MIB);
    await plugin.kill9();
    const record = readJsonFile<Record<string, unknown>>(join(pool('pool1'), 'volume-k1.json'));
    const now = new Date().toISOString();
    const answer = { moved: true, modelUpdate: { host: 'ferry@block1#pool2', nameId: '', providerLocation: join(pool('pool2'), 'volume-k1.img') } };
    // Steps 1-3 done: journal "moving", incoming record, image renamed.
    writeJson(join(root, 'migrations', 'mig-k1.json'), { version: 1, migrationId: 'mig-k1', fingerprint: 'from-an-older-call', phase: 'moving', answer, move: { mode: 'rename', name: 'k1', sourcePool: 'pool1', destinationRoot: root, destinationPool: 'pool2' }, createdAt: now, updatedAt: now });
    writeJson(join(pool('pool2'), 'volume-k1.json'), { ...record, pool: 'pool2', incomingMigrationId: 'mig-k1' });
    renameSync(join(pool('pool1'), 'volume-k1.img'), join(pool('pool2'), 'volume-k1.img'));
    plugin = await launchBlock({ dir, config: config() });

    assert.deepEqual(visible(pool('pool2')), []);
    assert.deepEqual(visible(pool('pool1')), ['volume-k1.img', 'volume-k1.json']);
    assert.deepEqual(visible(join(root, 'migrations')), [], 'the journal is forgotten, so a replay runs afresh');
    assert.deepEqual(await plugin.volume.migrateVolume(migrateRequest('mig-k1', 'k1')), answer);
    assert.equal(sha256(join(pool('pool2'), 'volume-k1.img'), 2 * MIB), hash);
    await plugin.volume.deleteVolume({ volume: volume('k1', { pool: 'pool2' }) });
  });

  test('a move killed after its commit point is finished at start, and the replay answers moved', async () => {
    await plugin.volume.createVolume({ volume: volume('k2') });
    const request = migrateRequest('mig-k2', 'k2');
    const answer = await plugin.volume.migrateVolume(request);
    await plugin.kill9();
    // Back to the commit point: journal "moved", destination still incoming, source record still there.
    const journal = readJsonFile<Record<string, unknown>>(join(root, 'migrations', 'mig-k2.json'));
    writeJson(join(root, 'migrations', 'mig-k2.json'), { ...journal, phase: 'moved' });
    const destination = readJsonFile<Record<string, unknown>>(join(pool('pool2'), 'volume-k2.json'));
    writeJson(join(pool('pool2'), 'volume-k2.json'), { ...destination, incomingMigrationId: 'mig-k2' });
    writeJson(join(pool('pool1'), 'volume-k2.json'), { ...destination, pool: 'pool1' });
    plugin = await launchBlock({ dir, config: config() });

    assert.deepEqual(visible(pool('pool1')), []);
    assert.equal(readJsonFile<{ incomingMigrationId?: string }>(join(pool('pool2'), 'volume-k2.json')).incomingMigrationId, undefined);
    assert.equal(readJsonFile<{ phase: string }>(join(root, 'migrations', 'mig-k2.json')).phase, 'done');
    assert.deepEqual(await plugin.volume.migrateVolume(request), answer);
    await plugin.volume.attachVolume({ volume: volume('k2', { pool: 'pool2' }), dataNode: 'n', readOnly: true });
    await plugin.volume.detachVolume({ volume: volume('k2', { pool: 'pool2' }), dataNode: 'n' });
    await plugin.volume.deleteVolume({ volume: volume('k2', { pool: 'pool2' }) });
  });

  test('half-made creates and snapshots are removed, half-done deletes finished; the replays then succeed', async () => {
    await plugin.volume.createVolume({ volume: volume('k3') });
    await plugin.volume.createVolume({ volume: volume('k4') });
    await plugin.kill9();
    const k3 = readJsonFile<Record<string, unknown>>(join(pool('pool1'), 'volume-k3.json'));
    writeJson(join(pool('pool1'), 'volume-k3.json'), { ...k3, state: 'creating' });
    const k4 = readJsonFile<Record<string, unknown>>(join(pool('pool1'), 'volume-k4.json'));
    writeJson(join(pool('pool1'), 'volume-k4.json'), { ...k4, state: 'deleting' });
    rmSync(join(pool('pool1'), 'volume-k4.img'));
    writeJson(join(pool('pool1'), 'snapshot-ks.json'), { version: 1, snapshotId: 'ks', volumeName: 'k3', volumeId: 'k3', pool: 'pool1', sizeGib: 1, state: 'creating', createdAt: '' });
    writeFileSync(join(pool('pool1'), 'snapshot-ks.img.partial'), 'half');
    plugin = await launchBlock({ dir, config: config() });

    assert.deepEqual(visible(pool('pool1')), []);
    await plugin.volume.createVolume({ volume: volume('k3') });
    await plugin.volume.deleteVolume({ volume: volume('k4') });
    await plugin.volume.deleteVolume({ volume: volume('k3') });
  });

  test('a post-migration rename killed half-way is finished at start, and the replay answers name_id cleared', async () => {
    await plugin.volume.createVolume({ volume: volume('k5-temp') });
    await plugin.kill9();
    const temp = readJsonFile<Record<string, unknown>>(join(pool('pool1'), 'volume-k5-temp.json'));
    const answer = { nameId: '', providerLocation: join(pool('pool1'), 'volume-k5-user.img') };
    writeJson(join(root, 'updates', 'k5-user--k5-temp.json'), { version: 1, volumeId: 'k5-user', newVolumeId: 'k5-temp', phase: 'renaming', pool: 'pool1', fromName: 'k5-temp', toName: 'k5-user', answer, createdAt: '' });
    writeJson(join(pool('pool1'), 'volume-k5-user.json'), { ...temp, name: 'k5-user', volumeId: 'k5-user' });
    plugin = await launchBlock({ dir, config: config() });

    assert.deepEqual(visible(pool('pool1')), ['volume-k5-user.img', 'volume-k5-user.json']);
    assert.deepEqual(await plugin.volume.updateMigratedVolume({ volume: volume('k5-user'), newVolume: volume('k5-temp'), originalVolumeStatus: 'available' }), answer);
    await plugin.volume.deleteVolume({ volume: volume('k5-user') });
  });

  test('a real kill -9 during a copy onto another file system: restart and replay leave the volume at the destination, identical, the source gone', async (t) => {
    if (!existsSync('/dev/shm')) return t.skip('/dev/shm is not available');
    const otherDir = makeTestDir('blk-k9-', '/dev/shm');
    t.after(() => rmSync(otherDir, { recursive: true, force: true }));
    const peerRoot = join(otherDir, 'peer');
    const peer = await launchBlock({ dir, name: 'block2', config: { root: peerRoot } });
    t.after(() => peer.stop());
    await plugin.volume.createVolume({ volume: volume('k6') });
    writePattern(join(pool('pool1'), 'volume-k6.img'), 0, 384 * MIB, 6);
    const hash = sha256(join(pool('pool1'), 'volume-k6.img'));
    const request = { ...migrateRequest('mig-k6', 'k6'), destinationHost: 'ferry@block2', destinationPool: 'pool1', destinationPeer: peerOf('block2', peerRoot) };
    const partial = join(peerRoot, 'pools', 'pool1', 'volume-k6.img.partial');
    const call = plugin.volume.migrateVolume(request).catch(() => 'interrupted');
    // Synchronise on the copy having started (its partial file), not on time.
    while (!existsSync(partial) && !existsSync(join(peerRoot, 'pools', 'pool1', 'volume-k6.img'))) await yieldToEvents();
    await restart();
    await call;

    const answer = await plugin.volume.migrateVolume(request);
    assert.equal(answer.moved, true);
    assert.equal(answer.modelUpdate?.host, 'ferry@block2#pool1');
    assert.equal(sha256(join(peerRoot, 'pools', 'pool1', 'volume-k6.img')), hash);
    assert.deepEqual(visible(pool('pool1')), [], 'nothing left at the source');
    assert.deepEqual(visible(join(peerRoot, 'pools', 'pool1')), ['volume-k6.img', 'volume-k6.json']);
    await peer.volume.deleteVolume({ volume: volume('k6') });
  });
});
