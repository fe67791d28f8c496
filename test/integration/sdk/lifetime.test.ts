import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { credentials, makeGenericClientConstructor, type Client, type ClientReadableStream, type ServiceDefinition } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { CreateShareInstanceRequest, ShareServiceClient } from '../../../src/contract/gen/ferry/driver/v1/share.js';
import { fromGrpcError } from '../../../src/contract/status.js';
import { connect, launchPlugin, unary, type StderrLine } from './plugin-process.js';

const ORPHANING_PARENT = fileURLToPath(new URL('../../fixtures/sdk/orphaning-parent.js', import.meta.url));
const create = (id: string) => CreateShareInstanceRequest.fromPartial({ shareInstance: { shareInstanceId: id, shareId: 's1', pool: 'pool0', sizeGib: 1, shareProto: 'NFS' } });
const started = (id: string) => (l: StderrLine) => (l.json?.fixtureEvent as { event?: string; id?: string } | undefined)?.event === 'started' && (l.json?.fixtureEvent as { id?: string }).id === id;
const stopped = (reason: string) => (l: StderrLine) => l.json?.msg === 'plugin stopped' && l.json.reason === reason;

interface HealthWatchClient extends Client {
  watch(request: { service: string }): ClientReadableStream<{ status: string }>;
}

describe('SDK plugin lifetime', () => {
  it('on SIGTERM lets a running call finish, calls driver.close(), removes the socket and exits 0', async () => {
    const plugin = launchPlugin({ env: { FERRY_PLUGIN_SHUTDOWN_GRACE_MS: '10000' } });
    const address = String((await plugin.handshake).address);
    const shares = connect(ShareServiceClient, address);
    try {
      const running = unary(shares.createShareInstance.bind(shares), create('sleep-300'));
      await plugin.waitForStderr(started('sleep-300'), 'slow call started');
      plugin.child.kill('SIGTERM');
      assert.deepEqual((await running.response).exportLocations.map((e) => e.path), ['/exports/sleep-300']);
      assert.deepEqual(await plugin.exited, { code: 0, signal: null });
      assert.equal(existsSync(address), false);
      assert.ok(readFileSync(plugin.reportFile, 'utf8').includes('"event":"closed"'));
      await plugin.waitForStderr(stopped('SIGTERM'), 'plugin stopped log');
    } finally {
      shares.close();
      await plugin.close();
    }
  });

  it('on SIGTERM reports NOT_SERVING, and after the grace period aborts calls still running and exits 0', async () => {
    const plugin = launchPlugin({ env: { FERRY_PLUGIN_SHUTDOWN_GRACE_MS: '200' } });
    const address = String((await plugin.handshake).address);
    const shares = connect(ShareServiceClient, address);
    const Health = makeGenericClientConstructor(healthService as unknown as ServiceDefinition, 'Health') as unknown as new (a: string, c: ReturnType<typeof credentials.createInsecure>) => HealthWatchClient;
    const health = new Health(`unix:${address}`, credentials.createInsecure());
    try {
      const statuses: string[] = [];
      const watch = health.watch({ service: '' });
      watch.on('error', () => undefined);
      const notServing = new Promise<void>((resolve) => {
        watch.on('data', (message: { status: string }) => {
          statuses.push(message.status);
          if (message.status === 'NOT_SERVING') resolve();
        });
      });
      const hanging = unary(shares.createShareInstance.bind(shares), create('hang-shutdown'), { deadline: Date.now() + 20_000 });
      hanging.response.catch(() => undefined);
      await plugin.waitForStderr(started('hang-shutdown'), 'hanging call started');
      plugin.child.kill('SIGTERM');
      await notServing;
      assert.deepEqual(statuses, ['SERVING', 'NOT_SERVING']);
      assert.deepEqual(await plugin.exited, { code: 0, signal: null });
      const aborted = readFileSync(plugin.reportFile, 'utf8').split('\n').filter((l) => l.includes('"aborted"'));
      assert.match(aborted[0] ?? '', /the plugin is shutting down/);
      assert.equal(existsSync(address), false);
      await hanging.response.then(
        () => assert.fail('the aborted call succeeded'),
        (error: unknown) => assert.ok(['CANCELLED', 'UNAVAILABLE'].includes(fromGrpcError(error).code)),
      );
    } finally {
      health.close();
      shares.close();
      await plugin.close();
    }
  });

  it('exits 0 when its stdin reaches end-of-file (the host died or closed it)', async () => {
    const plugin = launchPlugin();
    try {
      await plugin.handshake;
      plugin.child.stdin.end();
      assert.deepEqual(await plugin.exited, { code: 0, signal: null });
      await plugin.waitForStderr(stopped('stdin closed'), 'stopped because stdin closed');
    } finally {
      await plugin.close();
    }
  });

  it('exits when its parent process changes, even with stdin still open (no orphans)', async () => {
    const plugin = launchPlugin({ script: ORPHANING_PARENT, env: { ECHO_PARENT_POLL_MS: '50' } });
    try {
      await plugin.handshake;
      const pluginPid = Number((await plugin.waitForStderr((l) => l.json?.pluginPid !== undefined, 'plugin pid')).json?.pluginPid);
      plugin.child.kill('SIGKILL');
      await plugin.waitForStderr(stopped('parent process changed'), 'stopped because the parent changed');
      // stdout/stderr close once the orphan exits: its pipes were the last writers.
      await new Promise<void>((resolve) => (plugin.child.stderr.readableEnded ? resolve() : plugin.child.stderr.once('end', resolve)));
      // Gone, or a zombie waiting for whoever adopted it to reap it.
      const state = existsSync(`/proc/${pluginPid}/status`) ? /State:\s+(\w)/.exec(readFileSync(`/proc/${pluginPid}/status`, 'utf8'))?.[1] : 'gone';
      assert.ok(state === 'gone' || state === 'Z', `plugin ${pluginPid} still running (state ${state})`);
    } finally {
      await plugin.close();
    }
  });
});
