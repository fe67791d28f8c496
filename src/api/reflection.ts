/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha) served from a FileDescriptorSet,
 * so `buf curl`, grpcurl and friends can call the admin API without local .proto files.
 *
 * Written here instead of using @grpc/reflection, which resolves multi-file protos badly
 * (files without their imports, symbols of nested types not found). This one answers from the
 * descriptor set buf wrote (proto/ferry-admin.binpb): every answer carries the defining file
 * and its transitive imports, so a client can always build the full type graph.
 *
 * Per stream, a dependency already sent is not sent again (the protocol allows it and clients
 * cache files per stream); the file asked for is always sent, even if it went out before, so
 * every answer is useful on its own.
 */
import { status, type Server, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  ServerReflectionService as ReflectionV1, type ServerReflectionRequest, type ServerReflectionResponse,
} from '../contract/gen/grpc/reflection/v1/reflection.js';
import { ServerReflectionService as ReflectionV1Alpha } from '../contract/gen/grpc/reflection/v1alpha/reflection.js';
import { createDescriptorIndex, DescriptorSetError, type DescriptorIndex } from './descriptor-index.js';

export const REFLECTION_SERVICE_NAMES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'] as const;

export interface ReflectionOptions {
  /** A serialized google.protobuf.FileDescriptorSet that describes every service listed, with all imports. */
  readonly descriptorSet: Uint8Array;
  /**
   * Fully-qualified names of the services the server exposes, as list_services reports them.
   * The reflection services are added by addReflectionService itself.
   */
  readonly services: readonly string[];
  /** Receives one debug line per reflection request. */
  readonly logger?: Logger;
}

type ResponseBody = ServerReflectionResponse['messageResponse'];

/**
 * Adds grpc.reflection.v1.ServerReflection and grpc.reflection.v1alpha.ServerReflection to
 * `server`. Throws DescriptorSetError when the set does not describe a listed service (or the
 * reflection services), so a server never advertises what it cannot describe.
 */
export function addReflectionService(server: Server, options: ReflectionOptions): void {
  const index = createDescriptorIndex(options.descriptorSet);
  const services = [...new Set([...options.services, ...REFLECTION_SERVICE_NAMES])];
  for (const name of services) {
    if (!index.serviceNames.includes(name)) throw new DescriptorSetError(`the descriptor set does not describe service ${name}`);
  }
  const handler = createReflectionHandler(index, services, options.logger);
  // The two versions share messages, numbers and semantics; only the package differs.
  server.addService(ReflectionV1, { serverReflectionInfo: handler });
  server.addService(ReflectionV1Alpha, { serverReflectionInfo: handler });
}

/** The bidirectional-stream handler; exported for tests of the answers themselves. */
export function createReflectionHandler(index: DescriptorIndex, services: readonly string[], logger?: Logger) {
  return (call: ServerDuplexStream<ServerReflectionRequest, ServerReflectionResponse>): void => {
    const sentFiles = new Set<string>();
    call.on('data', (request: ServerReflectionRequest) => {
      logger?.debug({ reflection: request.messageRequest?.$case ?? 'none' }, 'reflection request');
      call.write({ validHost: request.host, originalRequest: request, messageResponse: answer(index, services, request, sentFiles) });
    });
    call.on('end', () => call.end());
    // A client that cancels the stream leaves nothing to clean up; without a listener an
    // 'error' event would be thrown.
    call.on('error', () => undefined);
  };
}

export function answer(index: DescriptorIndex, services: readonly string[], request: ServerReflectionRequest, sentFiles: Set<string>): ResponseBody {
  const question = request.messageRequest;
  switch (question?.$case) {
    case 'listServices':
      return { $case: 'listServicesResponse', value: { service: services.map((name) => ({ name })) } };
    case 'fileByFilename':
      return files(index, index.fileBytes(question.value) === undefined ? undefined : question.value, sentFiles, `file ${question.value} not found`);
    case 'fileContainingSymbol':
      return files(index, index.fileOfSymbol(question.value), sentFiles, `symbol ${question.value} not found`);
    case 'fileContainingExtension': {
      const { containingType, extensionNumber } = question.value;
      return files(index, index.fileOfExtension(containingType, extensionNumber), sentFiles, `extension ${extensionNumber} of ${containingType} not found`);
    }
    case 'allExtensionNumbersOfType': {
      const numbers = index.extensionNumbers(question.value);
      if (numbers === undefined) return error(status.NOT_FOUND, `message type ${question.value} not found`);
      const baseTypeName = question.value.startsWith('.') ? question.value.slice(1) : question.value;
      return { $case: 'allExtensionNumbersResponse', value: { baseTypeName, extensionNumber: [...numbers] } };
    }
    case undefined:
      return error(status.INVALID_ARGUMENT, 'the request names no question (message_request is empty)');
    default: {
      const unknown: never = question;
      return error(status.UNIMPLEMENTED, `unsupported request ${String(unknown)}`);
    }
  }
}

function files(index: DescriptorIndex, name: string | undefined, sentFiles: Set<string>, notFound: string): ResponseBody {
  if (name === undefined) return error(status.NOT_FOUND, notFound);
  const names = index.withDependencies(name).filter((file, position) => position === 0 || !sentFiles.has(file));
  for (const file of names) sentFiles.add(file);
  return { $case: 'fileDescriptorResponse', value: { fileDescriptorProto: names.map((file) => Buffer.from(index.fileBytes(file) as Uint8Array)) } };
}

function error(code: status, message: string): ResponseBody {
  return { $case: 'errorResponse', value: { errorCode: code, errorMessage: message } };
}
