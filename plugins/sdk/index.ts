/**
 * ferry plugin SDK: write a Driver class, call serve(), get a plugin that does the handshake,
 * health, graceful stop and stderr logging. See serve() and Driver for an example.
 *
 * Import this module before anything that might print: its first import moves console output
 * and process.stdout writes to stderr, keeping stdout for the handshake line.
 */
// Must stay the first import: it redirects stdout before any other module's code runs.
import './stdout-guard.js';

// --- For plugin authors ---
export { serve } from './serve.js';
export type { ServeOptions, ServingPlugin, DriverSource } from './serve.js';
export type { Driver, DriverContext, DriverInfo, DriverHandler, ServiceHandlers } from './driver.js';
export type { PluginEnvironment } from './environment.js';
export { createKeyedOperations, createKeyedQueue, createCompletedResults } from './keyed-operations.js';
export type { KeyedOperations, KeyedQueue, CompletedResults, CompletedResultsOptions, ReplayOptions } from './keyed-operations.js';
export { pathExists, readJson, removeDurably, renameDurably, syncDirectory, syncFile, writeJsonAtomic } from './durable-files.js';
export { NAME_PATTERN, absoluteRoot, capacityGibOf, configObject, nonEmptyString, poolNames } from './config-fields.js';

export {
  FerryError,
  InvalidArgumentError,
  MissingFieldError,
  NotFoundError,
  AlreadyExistsError,
  FailedPreconditionError,
  OperationInProgressError,
  UnimplementedError,
  UnavailableError,
  CancelledError,
  ResourceExhaustedError,
  InternalError,
} from '../../src/domain/errors.js';
export type { ErrorCode, FieldViolation, FerryErrorOptions } from '../../src/domain/errors.js';

// Generated contract types plugin authors implement against. Message and enum types flat
// (`import type { CreateShareInstanceRequest } from 'ferry/plugin-sdk'`); enum values and message
// helpers (`fromPartial`) per contract file (`share.AccessRuleState.ACCESS_RULE_STATE_ACTIVE`).
// A new contract file adds one line to each block.
export { PluginCapability } from '../../src/contract/gen/ferry/driver/v1/identity.js';
export type * from '../../src/contract/gen/ferry/driver/v1/common.js';
export type * from '../../src/contract/gen/ferry/driver/v1/identity.js';
export type * from '../../src/contract/gen/ferry/driver/v1/pool.js';
export type * from '../../src/contract/gen/ferry/driver/v1/share.js';
export type * from '../../src/contract/gen/ferry/driver/v1/share_migration.js';
export type * from '../../src/contract/gen/ferry/driver/v1/share_server.js';
export type * from '../../src/contract/gen/ferry/driver/v1/volume.js';
// Every generated file declares these; name one to settle the ambiguity.
export type { DeepPartial, Exact, MessageFns, protobufFileName, protobufPackage } from '../../src/contract/gen/ferry/driver/v1/identity.js';

export * as common from '../../src/contract/gen/ferry/driver/v1/common.js';
export * as identity from '../../src/contract/gen/ferry/driver/v1/identity.js';
export * as pool from '../../src/contract/gen/ferry/driver/v1/pool.js';
export * as share from '../../src/contract/gen/ferry/driver/v1/share.js';
export * as shareMigration from '../../src/contract/gen/ferry/driver/v1/share_migration.js';
export * as shareServer from '../../src/contract/gen/ferry/driver/v1/share_server.js';
export * as volume from '../../src/contract/gen/ferry/driver/v1/volume.js';

// --- For the host, the conformance kit and SDK tests (not needed to write a plugin) ---
export {
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  RUN_BY_HAND_MESSAGE,
  readPluginEnvironment,
  PluginEnvironmentError,
} from './environment.js';
export { SUPPORTED_CONTRACT_VERSIONS, chooseContractVersion, renderHandshakeLine } from './handshake.js';
export type { HandshakeLine } from './handshake.js';
export { CONTRACT_SERVICES } from './services.js';
