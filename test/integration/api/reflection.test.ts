// Server reflection and health as real clients see them: the real `buf curl` (from
// node_modules) against a real grpc-js server that carries grpc.health.v1, the reflection
// services and the admin API over a real ferry, using no schema but reflection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharesService } from '../../../src/contract/gen/ferry/admin/v1/shares.js';
import { CatalogService } from '../../../src/contract/gen/ferry/admin/v1/catalog.js';
import { ShareServersService } from '../../../src/contract/gen/ferry/admin/v1/share_servers.js';
import { VolumesService } from '../../../src/contract/gen/ferry/admin/v1/volumes.js';
import { ErrorInfo } from '../../../src/contract/gen/google/rpc/error_details.js';
import { bufCurl, bufCurlError, bufCurlJson, startAdminServer } from './admin-server.js';

const SERVICES = [
  'ferry.admin.v1.Catalog',
  'ferry.admin.v1.ShareServers',
  'ferry.admin.v1.Shares',
  'ferry.admin.v1.Volumes',
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
];

const lines = (text: string) => text.split('\n').filter((line) => line !== '').sort();

describe('server reflection through buf curl', () => {
  it('lists services and methods, checks health and calls the admin API by reflection only', async (t) => {
    const { address } = await startAdminServer(t);

    await t.test('--list-services names every service the server carries', async () => {
      const result = await bufCurl(address, '', ['--list-services']);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.deepEqual(lines(result.stdout), SERVICES);
    });

    for (const protocol of ['grpc-v1', 'grpc-v1alpha']) {
      await t.test(`--list-methods over ${protocol} names every method of every service`, async () => {
        const result = await bufCurl(address, '', ['--list-methods', '--reflect-protocol', protocol]);
        assert.equal(result.exitCode, 0, result.stderr);
        const expected = [
          ...Object.values(SharesService).map((method) => method.path.slice(1)),
          ...Object.values(ShareServersService).map((method) => method.path.slice(1)),
          ...Object.values(VolumesService).map((method) => method.path.slice(1)),
          ...Object.values(CatalogService).map((method) => method.path.slice(1)),
          'grpc.health.v1.Health/Check', 'grpc.health.v1.Health/List', 'grpc.health.v1.Health/Watch',
          'grpc.reflection.v1.ServerReflection/ServerReflectionInfo', 'grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
        ].sort();
        assert.deepEqual(lines(result.stdout), expected);
      });
    }

    await t.test('grpc.health.v1.Health/Check answers SERVING', async () => {
      assert.deepEqual(await bufCurlJson(address, 'grpc.health.v1.Health/Check', {}), { status: 'SERVING' });
    });

    await t.test('ferry.admin.v1.Catalog/ListBackends lists the three back ends, ready, with their plugins', async () => {
      const answer = await bufCurlJson<{ backends: { name: string; host: string; pluginName: string; state: string; capabilities?: string[] }[] }>(address, 'ferry.admin.v1.Catalog/ListBackends');
      assert.deepEqual(answer.backends.map((backend) => [backend.name, backend.host, backend.state]), [
        ['localfs1', 'ferry@localfs1', 'BACKEND_STATE_READY'],
        ['localfs2', 'ferry@localfs2', 'BACKEND_STATE_READY'],
        ['dummy', 'ferry@dummy', 'BACKEND_STATE_READY'],
      ]);
      assert.ok(answer.backends.every((backend) => backend.pluginName !== '' && (backend.capabilities ?? []).length > 0));
    });

    await t.test('a failed call shows its code and carries google.rpc.ErrorInfo with the reason', async () => {
      const error = await bufCurlError(address, 'ferry.admin.v1.Shares/GetShare', { share_id: 'no-such-share' });
      assert.equal(error.code, 'not_found');
      const info = error.details?.find((detail) => detail.type === 'google.rpc.ErrorInfo');
      assert.ok(info, 'ErrorInfo detail present');
      // buf curl prints details it cannot decode itself as base64; decode it here.
      assert.deepEqual(ErrorInfo.decode(Buffer.from(info.value, 'base64')), { reason: 'SHARE_NOT_FOUND', domain: 'ferry.dev', metadata: { shareId: 'no-such-share' } });
    });

    await t.test('ShareServers answers by reflection, its errors with their ErrorInfo reason', async () => {
      assert.deepEqual(await bufCurlJson(address, 'ferry.admin.v1.ShareServers/ListShareServers', { status: 'SHARE_SERVER_STATUS_ACTIVE' }), {});
      const error = await bufCurlError(address, 'ferry.admin.v1.ShareServers/MigrationStart', { share_server_id: 'no-such-server', host: 'ferry@dummy', writable: false });
      assert.equal(error.code, 'not_found', 'an unknown server is reported before the missing flags, as in Manila');
      const info = error.details?.find((detail) => detail.type === 'google.rpc.ErrorInfo');
      assert.equal(info && ErrorInfo.decode(Buffer.from(info.value, 'base64')).reason, 'SHARE_SERVER_NOT_FOUND');
    });

    await t.test('a request field named by its proto name reaches the server (optional bools included)', async () => {
      const error = await bufCurlError(address, 'ferry.admin.v1.Shares/MigrationStart', { share_id: 'no-such-share', host: 'ferry@localfs2#pool1', writable: false });
      assert.equal(error.code, 'not_found', 'an unknown share is reported before the missing flags, as in Manila');
    });
  });
});
