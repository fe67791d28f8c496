import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import { createDescriptorIndex } from '../../../src/api/descriptor-index.js';
import { readAdminDescriptorSet } from '../../../src/api/descriptor-set.js';
import { answer } from '../../../src/api/reflection.js';
import type { ServerReflectionRequest } from '../../../src/contract/gen/grpc/reflection/v1/reflection.js';

const index = createDescriptorIndex(readAdminDescriptorSet());
const services = ['ferry.admin.v1.Shares', 'grpc.health.v1.Health'];

function ask(messageRequest: ServerReflectionRequest['messageRequest'], sent = new Set<string>()) {
  return answer(index, services, { host: '', messageRequest }, sent);
}

function fileNames(response: ReturnType<typeof ask>): string[] {
  assert.equal(response?.$case, 'fileDescriptorResponse');
  return response.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

describe('descriptor index', () => {
  it('finds the file of services, methods, messages, nested types, fields, enums, enum values and extensions', () => {
    const cases: [string, string][] = [
      ['ferry.admin.v1.Shares', 'ferry/admin/v1/shares.proto'],
      ['ferry.admin.v1.Shares.MigrationStart', 'ferry/admin/v1/shares.proto'],
      ['ferry.admin.v1.MigrationStartRequest', 'ferry/admin/v1/share_migration.proto'],
      ['.ferry.admin.v1.MigrationStartRequest.writable', 'ferry/admin/v1/share_migration.proto'],
      ['ferry.admin.v1.CreateShareNetworkRequest.Subnet', 'ferry/admin/v1/catalog.proto'],
      ['ferry.admin.v1.TaskState', 'ferry/admin/v1/enums.proto'],
      ['ferry.admin.v1.TASK_STATE_MIGRATION_DRIVER_PHASE1_DONE', 'ferry/admin/v1/enums.proto'],
      ['grpc.health.v1.HealthCheckResponse.ServingStatus', 'grpc/health/v1/health.proto'],
      ['grpc.health.v1.HealthCheckResponse.SERVING', 'grpc/health/v1/health.proto'],
      ['ferry.driver.v1.secret', 'ferry/driver/v1/options.proto'],
      ['google.protobuf.Timestamp', 'google/protobuf/timestamp.proto'],
    ];
    for (const [symbol, file] of cases) assert.equal(index.fileOfSymbol(symbol), file, symbol);
    assert.equal(index.fileOfSymbol('ferry.admin.v1.Nope'), undefined);
    assert.equal(index.fileOfSymbol('ferry.admin'), undefined, 'a package is not a symbol');
  });

  it('lists a file with its transitive dependencies, each once, breadth first', () => {
    const files = index.withDependencies('ferry/admin/v1/shares.proto');
    assert.equal(files[0], 'ferry/admin/v1/shares.proto');
    assert.equal(new Set(files).size, files.length);
    for (const name of ['ferry/admin/v1/share.proto', 'ferry/admin/v1/migration.proto', 'ferry/driver/v1/options.proto', 'google/protobuf/descriptor.proto', 'google/protobuf/timestamp.proto']) {
      assert.ok(files.includes(name), name);
    }
  });

  it('knows the ferry.driver.v1 field options as extensions of google.protobuf.FieldOptions', () => {
    assert.deepEqual(index.extensionNumbers('google.protobuf.FieldOptions'), [50101, 50102]);
    assert.deepEqual(index.extensionNumbers('ferry.admin.v1.Share'), []);
    assert.equal(index.extensionNumbers('no.Such'), undefined);
    assert.equal(index.fileOfExtension('.google.protobuf.FieldOptions', 50101), 'ferry/driver/v1/options.proto');
  });
});

describe('reflection answers', () => {
  it('lists the services it was given', () => {
    assert.deepEqual(ask({ $case: 'listServices', value: '*' }), { $case: 'listServicesResponse', value: { service: services.map((name) => ({ name })) } });
  });

  it('sends each dependency once per stream but always the file asked for', () => {
    const sent = new Set<string>();
    const first = fileNames(ask({ $case: 'fileContainingSymbol', value: 'ferry.admin.v1.Shares' }, sent));
    assert.ok(first.includes('google/protobuf/timestamp.proto'));
    const second = fileNames(ask({ $case: 'fileContainingSymbol', value: 'ferry.admin.v1.ShareServers' }, sent));
    assert.ok(second.includes('ferry/admin/v1/catalog.proto') && !second.includes('google/protobuf/timestamp.proto'), 'only the imports not sent yet');
    const volumes = fileNames(ask({ $case: 'fileContainingSymbol', value: 'ferry.admin.v1.Volumes' }, sent));
    assert.deepEqual(volumes.sort(), ['ferry/admin/v1/volume_migration.proto', 'ferry/admin/v1/volumes.proto'], 'volume.proto went out with catalog.proto, an import of share_servers.proto');
    const third = fileNames(ask({ $case: 'fileContainingSymbol', value: 'ferry.admin.v1.Catalog' }, sent));
    assert.deepEqual(third, ['ferry/admin/v1/catalog.proto'], 'sent again when asked for; its imports went out with the earlier answers');
    assert.deepEqual(fileNames(ask({ $case: 'fileByFilename', value: 'ferry/admin/v1/shares.proto' }, sent)), ['ferry/admin/v1/shares.proto']);
    const fresh = fileNames(ask({ $case: 'fileByFilename', value: 'ferry/admin/v1/catalog.proto' }));
    assert.ok(fresh.includes('google/protobuf/timestamp.proto'), 'a new stream gets the dependencies again');
  });

  it('answers an extension by its containing type and number', () => {
    assert.deepEqual(fileNames(ask({ $case: 'fileContainingExtension', value: { containingType: 'google.protobuf.FieldOptions', extensionNumber: 50101 } })), [
      'ferry/driver/v1/options.proto', 'google/protobuf/descriptor.proto',
    ]);
    assert.deepEqual(ask({ $case: 'allExtensionNumbersOfType', value: '.google.protobuf.FieldOptions' }), {
      $case: 'allExtensionNumbersResponse', value: { baseTypeName: 'google.protobuf.FieldOptions', extensionNumber: [50101, 50102] },
    });
  });

  it('answers NOT_FOUND for unknown files, symbols, extensions and types', () => {
    for (const request of [
      { $case: 'fileByFilename', value: 'nope.proto' },
      { $case: 'fileContainingSymbol', value: 'ferry.admin.v1.Nope' },
      { $case: 'fileContainingExtension', value: { containingType: 'google.protobuf.FieldOptions', extensionNumber: 1 } },
      { $case: 'allExtensionNumbersOfType', value: 'ferry.admin.v1.Nope' },
    ] as const) {
      const response = ask(request);
      assert.equal(response?.$case, 'errorResponse');
      assert.equal(response.value.errorCode, status.NOT_FOUND);
    }
    assert.equal(ask(undefined)?.$case, 'errorResponse');
  });
});
