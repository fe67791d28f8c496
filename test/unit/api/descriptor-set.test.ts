// The committed descriptor set (proto/ferry-admin.binpb) is what reflection serves and what
// `grpcurl -protoset` reads: it must parse, hold every admin service with exactly the methods
// the generated code serves, every file those import, and the comments.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { readAdminDescriptorSet } from '../../../src/api/descriptor-set.js';
import { CatalogService } from '../../../src/contract/gen/ferry/admin/v1/catalog.js';
import { ShareServersService } from '../../../src/contract/gen/ferry/admin/v1/share_servers.js';
import { SharesService } from '../../../src/contract/gen/ferry/admin/v1/shares.js';
import { VolumesService } from '../../../src/contract/gen/ferry/admin/v1/volumes.js';

const set = fromBinary(FileDescriptorSetSchema, readAdminDescriptorSet());
const files = new Map(set.file.map((file) => [file.name, file]));

function methodsOf(fullName: string): string[] {
  const dot = fullName.lastIndexOf('.');
  for (const file of set.file) {
    if (file.package !== fullName.slice(0, dot)) continue;
    const service = file.service.find((candidate) => candidate.name === fullName.slice(dot + 1));
    if (service) return service.method.map((method) => `/${fullName}/${method.name}`).sort();
  }
  return [];
}

describe('the committed admin descriptor set', () => {
  it('describes Shares, ShareServers, Volumes and Catalog with exactly the methods the server registers', () => {
    assert.deepEqual(methodsOf('ferry.admin.v1.Shares'), Object.values(SharesService).map((method) => method.path).sort());
    assert.deepEqual(methodsOf('ferry.admin.v1.ShareServers'), Object.values(ShareServersService).map((method) => method.path).sort());
    assert.deepEqual(methodsOf('ferry.admin.v1.Volumes'), Object.values(VolumesService).map((method) => method.path).sort());
    assert.deepEqual(methodsOf('ferry.admin.v1.Catalog'), Object.values(CatalogService).map((method) => method.path).sort());
    assert.equal(methodsOf('ferry.admin.v1.Shares').length, 21);
    assert.equal(methodsOf('ferry.admin.v1.ShareServers').length, 11);
    assert.equal(methodsOf('ferry.admin.v1.Volumes').length, 19);
    assert.equal(methodsOf('ferry.admin.v1.Catalog').length, 12);
  });

  it('describes health and both reflection versions', () => {
    assert.deepEqual(methodsOf('grpc.health.v1.Health'), ['/grpc.health.v1.Health/Check', '/grpc.health.v1.Health/List', '/grpc.health.v1.Health/Watch']);
    assert.deepEqual(methodsOf('grpc.reflection.v1.ServerReflection'), ['/grpc.reflection.v1.ServerReflection/ServerReflectionInfo']);
    assert.deepEqual(methodsOf('grpc.reflection.v1alpha.ServerReflection'), ['/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo']);
  });

  it('holds every file any of its files imports, including the well-known types, before its importers', () => {
    const seen = new Set<string>();
    for (const file of set.file) {
      for (const dependency of file.dependency) assert.ok(seen.has(dependency), `${file.name} imports ${dependency}, which is missing or comes later`);
      seen.add(file.name);
    }
    for (const name of ['google/protobuf/timestamp.proto', 'google/protobuf/descriptor.proto', 'ferry/driver/v1/options.proto']) assert.ok(files.has(name), name);
  });

  it('keeps the comments (source info), so reflection clients can show the documentation', () => {
    const shares = files.get('ferry/admin/v1/shares.proto');
    const comments = (shares?.sourceCodeInfo?.location ?? []).flatMap((location) => [location.leadingComments, ...location.leadingDetachedComments]).join('\n');
    assert.match(comments, /Shares, their access rules and snapshots, and share migration/);
    assert.match(comments, /Share migration lifecycle/);
    const servers = files.get('ferry/admin/v1/share_servers.proto');
    const serverComments = (servers?.sourceCodeInfo?.location ?? []).flatMap((location) => [location.leadingComments, ...location.leadingDetachedComments]).join('\n');
    assert.match(serverComments, /Share server migration lifecycle/);
    const volumes = files.get('ferry/admin/v1/volumes.proto');
    const volumeComments = (volumes?.sourceCodeInfo?.location ?? []).flatMap((location) => [location.leadingComments, ...location.leadingDetachedComments]).join('\n');
    assert.match(volumeComments, /Volume migration lifecycle/);
  });
});
