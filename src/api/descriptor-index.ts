/**
 * An index over a FileDescriptorSet for server reflection: files by name, the file that
 * defines each fully-qualified symbol, extensions by (extendee, number), and each file's
 * transitive dependencies. Built once from the committed descriptor set
 * (proto/ferry-admin.binpb); pure, no I/O.
 *
 * Symbols follow protobuf's scoping: messages, enums, services and extensions are named
 * `package.Name` (nested ones `package.Outer.Inner`), fields and oneofs `package.Message.field`,
 * methods `package.Service.Method`, and enum values live in the scope that encloses their enum
 * (`package.ENUM_VALUE`, as in C++), which is how protoc and other reflection servers resolve them.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema, FileDescriptorSetSchema, type DescriptorProto, type EnumDescriptorProto, type FieldDescriptorProto,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';

export interface DescriptorIndex {
  /** Every file name in the set, in the set's order (dependencies first, as buf writes it). */
  readonly fileNames: readonly string[];
  /** Fully-qualified names of every service in the set. */
  readonly serviceNames: readonly string[];
  /** The serialized FileDescriptorProto of a file, or undefined. */
  fileBytes(name: string): Uint8Array | undefined;
  /** The name of the file that defines a fully-qualified symbol (a leading dot is allowed), or undefined. */
  fileOfSymbol(symbol: string): string | undefined;
  /** The file that defines extension `number` of message `extendee`, or undefined. */
  fileOfExtension(extendee: string, number: number): string | undefined;
  /** The extension numbers of a message type, ascending; undefined when the type is unknown. */
  extensionNumbers(messageType: string): readonly number[] | undefined;
  /** The file followed by its transitive dependencies, each once, breadth first. */
  withDependencies(name: string): readonly string[];
}

/** Thrown at start when the descriptor set is unusable (a bug in the build, not in a request). */
export class DescriptorSetError extends Error {
  override readonly name = 'DescriptorSetError';
}

export function createDescriptorIndex(descriptorSet: Uint8Array): DescriptorIndex {
  const set = fromBinary(FileDescriptorSetSchema, descriptorSet);
  const files = new Map<string, { proto: FileDescriptorProto; bytes: Uint8Array }>();
  const symbols = new Map<string, string>();
  const messageTypes = new Set<string>();
  const extensions = new Map<string, Map<number, string>>();
  const serviceNames: string[] = [];

  const define = (symbol: string, file: string) => {
    // First definition wins; a duplicate would mean two files define the same name, which
    // protoc and buf refuse, so it cannot come from a valid build.
    if (!symbols.has(symbol)) symbols.set(symbol, file);
  };
  const addExtension = (field: FieldDescriptorProto, scope: string, file: string) => {
    define(`${scope}.${field.name}`, file);
    const extendee = `.${stripDot(field.extendee)}`;
    let byNumber = extensions.get(extendee);
    if (byNumber === undefined) extensions.set(extendee, (byNumber = new Map()));
    byNumber.set(field.number, file);
  };
  const addEnum = (enumType: EnumDescriptorProto, scope: string, file: string) => {
    define(`${scope}.${enumType.name}`, file);
    for (const value of enumType.value) define(`${scope}.${value.name}`, file);
  };
  const addMessage = (message: DescriptorProto, scope: string, file: string) => {
    const fullName = `${scope}.${message.name}`;
    define(fullName, file);
    messageTypes.add(fullName);
    for (const field of message.field) define(`${fullName}.${field.name}`, file);
    for (const oneof of message.oneofDecl) define(`${fullName}.${oneof.name}`, file);
    for (const nested of message.nestedType) addMessage(nested, fullName, file);
    for (const nested of message.enumType) addEnum(nested, fullName, file);
    for (const extension of message.extension) addExtension(extension, fullName, file);
  };

  for (const proto of set.file) {
    if (files.has(proto.name)) throw new DescriptorSetError(`descriptor set lists ${proto.name} twice`);
    files.set(proto.name, { proto, bytes: toBinary(FileDescriptorProtoSchema, proto) });
    const scope = proto.package === '' ? '' : `.${proto.package}`;
    const name = proto.name;
    for (const message of proto.messageType) addMessage(message, scope, name);
    for (const enumType of proto.enumType) addEnum(enumType, scope, name);
    for (const extension of proto.extension) addExtension(extension, scope, name);
    for (const service of proto.service) {
      const fullName = `${scope}.${service.name}`;
      define(fullName, name);
      serviceNames.push(stripDot(fullName));
      for (const method of service.method) define(`${fullName}.${method.name}`, name);
    }
  }
  for (const { proto } of files.values()) {
    for (const dependency of proto.dependency) {
      if (!files.has(dependency)) throw new DescriptorSetError(`${proto.name} imports ${dependency}, which the descriptor set lacks`);
    }
  }

  return {
    fileNames: [...files.keys()],
    serviceNames,
    fileBytes: (name) => files.get(name)?.bytes,
    fileOfSymbol: (symbol) => symbols.get(`.${stripDot(symbol)}`),
    fileOfExtension: (extendee, number) => extensions.get(`.${stripDot(extendee)}`)?.get(number),
    extensionNumbers: (messageType) => {
      const name = `.${stripDot(messageType)}`;
      if (!messageTypes.has(name)) return undefined;
      return [...(extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
    },
    withDependencies: (name) => {
      const order: string[] = [];
      const queue = [name];
      while (queue.length > 0) {
        const next = queue.shift() as string;
        const entry = files.get(next);
        if (entry === undefined || order.includes(next)) continue;
        order.push(next);
        queue.push(...entry.proto.dependency);
      }
      return order;
    },
  };
}

function stripDot(name: string): string {
  return name.startsWith('.') ? name.slice(1) : name;
}
