/**
 * The dummy's behaviour injection seen from a gRPC client of a real plugin process: failures
 * arrive with code, reason and metadata; failTimes; delays and holds end when the call is
 * cancelled; enteredFile and holdUntilFile let a test synchronise on "the call reached the
 * plugin" and "release it now"; the control file changes behaviour live; crash exits 1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IdentityServiceService, PluginCapability, ProbeRequest, GetPluginCapabilitiesRequest } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { ListPoolsRequest, PoolServiceService } from '../../../src/contract/gen/ferry/driver/v1/pool.js';
import { CreateShareInstanceRequest, ShareServiceService } from '../../../src/contract/gen/ferry/driver/v1/share.js';
import { MigrationStartRequest, ShareMigrationServiceService } from '../../../src/contract/gen/ferry/driver/v1/share_migration.js';
import { fromGrpcError } from '../../../src/contract/status.js';
import { ferryErrorOf, launchDummy, waitForFile, writeControlFile, type DummyProcess } from './launch-dummy.js';

let dir: string;
let control: string;
let dummy: DummyProcess;

before(async () => {
  dir = mkdtempSync('/tmp/fdi-');
  control = join(dir, 'control.json');
  dummy = await launchDummy({ dir, config: { controlFile: control, behaviour: { listPools: { fail: { code: 'UNAVAILABLE', reason: 'BACKEND_UNAVAILABLE' }, failTimes: 1 } } } });
});

after(async () => {
  await dummy.close();
  rmSync(dir, { recursive: true, force: true });
});

const createRequest = (id: string, sizeGib = 1) =>
  CreateShareInstanceRequest.fromPartial({ shareInstance: { shareInstanceId: id, shareId: `s-${id}`, pool: 'alpha', host: 'h@d#alpha', sizeGib, shareProto: 'NFS' } });

test('config behaviour: the first ListPools fails with the injected status, the next succeeds', async () => {
  const error = await ferryErrorOf(dummy.call(PoolServiceService.listPools, ListPoolsRequest.fromPartial({})));
  assert.deepEqual([error.code, error.reason], ['UNAVAILABLE', 'BACKEND_UNAVAILABLE']);
  const pools = await dummy.call(PoolServiceService.listPools, ListPoolsRequest.fromPartial({}));
  assert.deepEqual(pools.pools.map((p) => p.name), ['alpha', 'beta']);
});

test('an injected failure reaches the client with code, reason, message and metadata', async () => {
  writeControlFile(control, { migrationStart: { fail: { code: 'UNAVAILABLE', reason: 'PEER_UNAVAILABLE', message: 'peer h@other is down', metadata: { backend: 'h@other' } } } });
  const error = await ferryErrorOf(dummy.call(ShareMigrationServiceService.migrationStart, MigrationStartRequest.fromPartial({ migrationId: 'm-fail' })));
  assert.equal(error.code, 'UNAVAILABLE');
  assert.equal(error.reason, 'PEER_UNAVAILABLE');
  assert.equal(error.message, 'peer h@other is down');
  assert.deepEqual(error.metadata, { backend: 'h@other' });
  assert.equal(error.domain, 'driver.ferry.dev');
});

test('failTimes: the first N calls fail, then the real handler answers', async () => {
  writeControlFile(control, { createShareInstance: { fail: { code: 'INTERNAL', reason: 'BACKEND_ERROR' }, failTimes: 2 } });
  const outcomes: string[] = [];
  for (let i = 0; i < 3; i++) {
    outcomes.push(await dummy.call(ShareServiceService.createShareInstance, createRequest('ft-1')).then(() => 'ok', (e: unknown) => fromGrpcError(e).reason));
  }
  assert.deepEqual(outcomes, ['BACKEND_ERROR', 'BACKEND_ERROR', 'ok']);
});

test('the control file changes behaviour while the plugin runs', async () => {
  writeControlFile(control, {});
  assert.equal((await dummy.call(IdentityServiceService.probe, ProbeRequest.fromPartial({}))).ready, true);
  writeControlFile(control, { probe: { result: { ready: false, message: 'array rebooting' } } });
  assert.deepEqual(await dummy.call(IdentityServiceService.probe, ProbeRequest.fromPartial({})), { ready: false, message: 'array rebooting' });
  writeControlFile(control, { '*': { fail: { code: 'FAILED_PRECONDITION', reason: 'BACKEND_ERROR' } } });
  assert.equal((await ferryErrorOf(dummy.call(IdentityServiceService.probe, ProbeRequest.fromPartial({})))).code, 'FAILED_PRECONDITION');
  writeControlFile(control, {});
  assert.equal((await dummy.call(IdentityServiceService.probe, ProbeRequest.fromPartial({}))).ready, true);
});

test('a delay ends when the call times out, and the key is free again afterwards', async () => {
  writeControlFile(control, { createShareInstance: { delayMs: 60_000 } });
  const started = Date.now();
  const error = await ferryErrorOf(dummy.call(ShareServiceService.createShareInstance, createRequest('delay-1'), { deadlineMs: 300 }));
  assert.equal(error.code, 'DEADLINE_EXCEEDED');
  // The plugin's own handler must stop too (not just the client giving up): the SDK logs it.
  await dummy.waitForStderr((l) => l.json?.msg === 'driver call cancelled' && l.json.method === 'ShareService/CreateShareInstance', 'the delayed call cancelled in the plugin');
  assert.ok(Date.now() - started < 5_000, 'the 60 s delay was cut short');
  writeControlFile(control, {});
  const created = await dummy.call(ShareServiceService.createShareInstance, createRequest('delay-1'));
  assert.equal(created.exportLocations[0]?.path, '/path/to/fake/share/delay-1', 'not ABORTED: the cancelled call released its key');
});

test('holdUntilFile + enteredFile: wait for the call to arrive, see overlaps refused, then release it', async () => {
  const release = join(dir, 'release-1');
  const entered = join(dir, 'entered-1');
  writeControlFile(control, { createShareInstance: { holdUntilFile: release, enteredFile: entered } });
  let settled = false;
  const held = dummy.call(ShareServiceService.createShareInstance, createRequest('hold-1')).finally(() => (settled = true));
  await waitForFile(entered, (content) => content.includes('createShareInstance hold-1\n'));
  const overlap = await ferryErrorOf(dummy.call(ShareServiceService.createShareInstance, createRequest('hold-1')));
  assert.deepEqual([overlap.code, overlap.reason, overlap.metadata.key], ['ABORTED', 'OPERATION_IN_PROGRESS', 'hold-1']);
  assert.equal(settled, false, 'the held call is still waiting');
  writeFileSync(release, '');
  const created = await held;
  assert.equal(created.exportLocations[0]?.path, '/path/to/fake/share/hold-1');
});

test('capabilities in the config restrict what is advertised and served', async () => {
  const limited = await launchDummy({ dir, config: { capabilities: ['SHARES'] } });
  try {
    const caps = await limited.call(IdentityServiceService.getPluginCapabilities, GetPluginCapabilitiesRequest.fromPartial({}));
    assert.deepEqual(caps.capabilities, [PluginCapability.PLUGIN_CAPABILITY_SHARES]);
    const error = await ferryErrorOf(limited.call(ShareMigrationServiceService.migrationStart, MigrationStartRequest.fromPartial({ migrationId: 'm' })));
    assert.deepEqual([error.code, error.reason], ['UNIMPLEMENTED', 'CAPABILITY_NOT_SUPPORTED']);
    assert.equal((await limited.call(ShareServiceService.createShareInstance, createRequest('cap-1'))).exportLocations.length, 1);
  } finally {
    await limited.close();
  }
});

test('crash: the plugin exits 1 when the method is entered', async () => {
  const crashing = await launchDummy({ dir, config: { behaviour: { probe: { crash: true } } } });
  try {
    await ferryErrorOf(crashing.call(IdentityServiceService.probe, ProbeRequest.fromPartial({}))); // the connection drops
    assert.deepEqual(await crashing.exited, { code: 1, signal: null });
  } finally {
    await crashing.close();
  }
});
