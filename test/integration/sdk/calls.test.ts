import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  CreateShareInstanceRequest,
  CreateSnapshotInstanceRequest,
  ExtendShareInstanceRequest,
  ShareServiceClient,
  UpdateAccessRequest,
} from '../../../src/contract/gen/ferry/driver/v1/share.js';
import { PoolServiceClient } from '../../../src/contract/gen/ferry/driver/v1/pool.js';
import { fromGrpcError } from '../../../src/contract/status.js';
import { connect, launchPlugin, unary, type PluginProcess, type StderrLine } from './plugin-process.js';

const shareInstance = (id: string) => ({ shareInstanceId: id, shareId: 's1', pool: 'pool0', host: 'h@echo1#pool0', sizeGib: 1, shareProto: 'NFS' });
const instance = (id: string) => CreateShareInstanceRequest.fromPartial({ shareInstance: shareInstance(id) });

describe('SDK plugin calls', () => {
  let plugin: PluginProcess;
  let shares: ShareServiceClient;

  const fixtureEvent = (event: string, id: string) => (l: StderrLine) => {
    const e = l.json?.fixtureEvent as { event?: string; id?: string } | undefined;
    return e?.event === event && e.id === id;
  };
  const report = (): Record<string, unknown>[] =>
    readFileSync(plugin.reportFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const rejection = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => assert.fail('the call succeeded'),
      (e: unknown) => e,
    );
    return fromGrpcError(error);
  };

  before(async () => {
    plugin = launchPlugin({ env: { FERRY_PLUGIN_SHUTDOWN_GRACE_MS: '200' } });
    shares = connect(ShareServiceClient, String((await plugin.handshake).address));
  });
  after(async () => {
    shares.close();
    await plugin.close();
  });

  it('serves an implemented, advertised RPC and fills the defaults of its plain-object answer', async () => {
    const response = await unary(shares.createShareInstance.bind(shares), instance('si-1')).response;
    assert.deepEqual(response, { exportLocations: [{ path: '/exports/si-1', isAdminOnly: false, metadata: {} }], providerLocation: '', backendDetails: {} });
    const pools = connect(PoolServiceClient, String((await plugin.handshake).address));
    try {
      const listed = await unary(pools.listPools.bind(pools), {}).response;
      assert.equal(listed.pools[0]?.name, 'pool0');
    } finally {
      pools.close();
    }
  });

  it('answers UNIMPLEMENTED (CAPABILITY_NOT_SUPPORTED) for an RPC the driver implements but does not advertise', async () => {
    const error = await rejection(unary(shares.extendShareInstance.bind(shares), ExtendShareInstanceRequest.fromPartial({ shareInstance: shareInstance('si-1'), newSizeGib: 2 })).response);
    assert.equal(error.code, 'UNIMPLEMENTED');
    assert.equal(error.reason, 'CAPABILITY_NOT_SUPPORTED');
    assert.equal(error.metadata.capability, 'PLUGIN_CAPABILITY_SHARE_RESIZE');
  });

  it('answers UNIMPLEMENTED (CAPABILITY_NOT_SUPPORTED) for an RPC the driver neither implements nor advertises', async () => {
    const error = await rejection(unary(shares.createSnapshotInstance.bind(shares), CreateSnapshotInstanceRequest.fromPartial({})).response);
    assert.equal(error.code, 'UNIMPLEMENTED');
    assert.equal(error.reason, 'CAPABILITY_NOT_SUPPORTED');
  });

  it('delivers a FerryError thrown by a handler with its code, reason and metadata', async () => {
    const error = await rejection(unary(shares.createShareInstance.bind(shares), instance('ferry-error')).response);
    assert.equal(error.code, 'NOT_FOUND');
    assert.equal(error.reason, 'SHARE_INSTANCE_NOT_FOUND');
    assert.deepEqual(error.metadata, { shareInstanceId: 'si-404' });
    assert.equal(error.message, 'share instance si-404 not found');
  });

  it('turns any other error into INTERNAL with a generic message and logs the original at error', async () => {
    const error = await rejection(unary(shares.createShareInstance.bind(shares), instance('plain-error')).response);
    assert.equal(error.code, 'INTERNAL');
    assert.equal(error.message, 'internal error');
    const logged = await plugin.waitForStderr((l) => l.json?.level === 50 && (l.json.err as { message?: string } | undefined)?.message === 'boom: /secret/internal/path', 'error log');
    assert.equal(logged.json?.method, 'ShareService/CreateShareInstance');
  });

  it('aborts the handler signal with CANCELLED when the client cancels the call', async () => {
    const { response, call } = unary(shares.createShareInstance.bind(shares), instance('hang-cancel'), { deadline: Date.now() + 20_000 });
    await plugin.waitForStderr(fixtureEvent('started', 'hang-cancel'), 'handler started');
    call.cancel();
    assert.equal((await rejection(response)).code, 'CANCELLED');
    await plugin.waitForStderr(fixtureEvent('aborted', 'hang-cancel'), 'handler aborted');
    const seen = report().filter((e) => e.id === 'hang-cancel');
    assert.equal(seen[0]?.hasDeadline, true);
    assert.ok(typeof seen[0]?.timeoutMs === 'number' && seen[0].timeoutMs > 0 && seen[0].timeoutMs <= 20_000);
    assert.equal(seen[1]?.code, 'CANCELLED');
    assert.equal(seen[1]?.method, 'ShareService/CreateShareInstance');
  });

  it('aborts the handler signal with DEADLINE_EXCEEDED when the client deadline passes', async () => {
    const { response } = unary(shares.createShareInstance.bind(shares), instance('hang-deadline'), { deadline: Date.now() + 500 });
    assert.equal((await rejection(response)).code, 'DEADLINE_EXCEEDED');
    await plugin.waitForStderr(fixtureEvent('aborted', 'hang-deadline'), 'handler aborted by deadline');
    assert.equal(report().find((e) => e.id === 'hang-deadline' && e.event === 'aborted')?.code, 'DEADLINE_EXCEEDED');
  });

  it('answers ABORTED (OPERATION_IN_PROGRESS) to a call whose key is already running (createKeyedOperations)', async () => {
    const first = unary(shares.createShareInstance.bind(shares), instance('keyed-1'), { deadline: Date.now() + 20_000 });
    await plugin.waitForStderr(fixtureEvent('started', 'keyed-1'), 'first keyed call started');
    const error = await rejection(unary(shares.createShareInstance.bind(shares), instance('keyed-1')).response);
    assert.equal(error.code, 'ABORTED');
    assert.equal(error.reason, 'OPERATION_IN_PROGRESS');
    assert.equal(error.metadata.key, 'keyed-1');
    first.call.cancel();
    assert.equal((await rejection(first.response)).code, 'CANCELLED');
  });

  it('logs each call at debug with its payload, redacting secret fields', async () => {
    await unary(shares.updateAccess.bind(shares), UpdateAccessRequest.fromPartial({ shareInstance: shareInstance('si-1'), accessRules: [{ accessRuleId: 'r1', accessType: 'cephx', accessTo: 'alice', accessLevel: 'rw', accessKey: 'TOPSECRET' }] })).response;
    const logged = await plugin.waitForStderr((l) => l.json?.msg === 'driver call' && l.json.method === 'ShareService/UpdateAccess', 'update access debug log');
    assert.ok(!logged.raw.includes('TOPSECRET'));
    assert.match(logged.raw, /\[REDACTED\]/);
  });
});
