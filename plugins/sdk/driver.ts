/**
 * What a plugin author writes: a Driver (identity facts, capabilities, and one optional method
 * per RPC) and the DriverContext every handler receives. Handler types are derived from the
 * generated service definitions listed in services.ts, so a new contract service needs no
 * change here.
 */
import type { Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { DeepPartial, PluginCapability, ProbeRequest, ProbeResponse } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import type { ContractServiceDefinition } from './services.js';

/** What a handler learns about the call it serves. */
export interface DriverContext {
  /**
   * Aborted when the client cancels the call, its deadline passes, or the plugin is forced to
   * stop at the end of the shutdown grace. `signal.reason` is a CancelledError (code CANCELLED
   * or DEADLINE_EXCEEDED). Pass it to every I/O call and stop promptly when it fires.
   */
  readonly signal: AbortSignal;
  /** The call's deadline, or undefined when the client set none. */
  readonly deadline: Date | undefined;
  /** Milliseconds left until the deadline (0 when passed), or undefined when there is none. */
  timeoutMs(): number | undefined;
  /** The RPC being served, e.g. "ShareService/CreateShareInstance". */
  readonly method: string;
  /** pino logger (JSON to stderr) with `plugin` and `method` bound. */
  readonly logger: Logger;
  /** The call's request metadata. */
  readonly metadata: Metadata;
}

/** Who the plugin is; GetPluginInfo answers with it plus the negotiated contract version. */
export interface DriverInfo {
  /** REQUIRED. The plugin's name, e.g. "ferry.localfs"; MUST NOT change across restarts. */
  readonly name: string;
  /** REQUIRED. The plugin build's own version, e.g. "1.4.2". */
  readonly vendorVersion: string;
  /** OPTIONAL. Free-form facts shown by ListBackends (vendor, build, back-end model). */
  readonly manifest?: Readonly<Record<string, string>>;
}

type RequestOf<M> = M extends { requestDeserialize(value: Buffer): infer Req } ? Req : never;
type ResponseOf<M> = M extends { responseDeserialize(value: Buffer): infer Res } ? Res : never;

/**
 * One RPC handler: the decoded request and the call's context in, the response out. A plain
 * object is fine: missing fields get their proto defaults (the generated `fromPartial`).
 * Throw FerryErrors (src/domain/errors.ts) for failures; anything else becomes INTERNAL.
 */
export type DriverHandler<Req, Res> = (request: Req, ctx: DriverContext) => Promise<DeepPartial<Res>> | DeepPartial<Res>;

/** Optional handlers for every RPC of one generated service definition. */
export type ServiceHandlers<S> = { [K in keyof S]?: DriverHandler<RequestOf<S[K]>, ResponseOf<S[K]>> };

type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (arg: infer I) => void ? I : never;

/** Handlers of every contract service, flattened (method names are unique across the contract). */
export type ContractHandlers = UnionToIntersection<ServiceHandlers<ContractServiceDefinition>>;

/** Identity RPCs the SDK answers from `info` and `capabilities`; a driver does not implement them. */
type SdkAnswered = 'getPluginInfo' | 'getPluginCapabilities';

/**
 * A ferry driver: identity facts, the capabilities it advertises, and one optional method per
 * RPC, named like the RPC in lowerCamel (`createShareInstance(request, ctx)`). Every method
 * takes the decoded request and a {@link DriverContext} and returns the response (or a Promise
 * of it; a partial plain object is filled with defaults).
 *
 * Capabilities gate RPCs (see services.ts): an RPC whose capability is not advertised, or that
 * the driver does not implement, answers UNIMPLEMENTED (CAPABILITY_NOT_SUPPORTED). Advertising a
 * capability without implementing each of its RPCs fails serve() at start, naming the missing
 * methods, so advertised and implemented cannot drift.
 *
 * @example
 * ```ts
 * import { rm } from 'node:fs/promises';
 * import { join } from 'node:path';
 * import { serve, PluginCapability, MissingFieldError, type Driver, type DriverContext, type DeleteShareInstanceRequest, type GetExportLocationsRequest } from 'ferry/plugin-sdk';
 *
 * class TinyDriver implements Driver {
 *   readonly info = { name: 'example.tiny', vendorVersion: '0.1.0' };
 *   readonly capabilities = [PluginCapability.PLUGIN_CAPABILITY_SHARES];
 *   constructor(private readonly root: string) {}
 *   probe() {
 *     return { ready: true };
 *   }
 *   async deleteShareInstance(req: DeleteShareInstanceRequest, ctx: DriverContext) {
 *     if (!req.shareInstance) throw new MissingFieldError('share_instance');
 *     ctx.logger.info({ shareInstanceId: req.shareInstance.shareInstanceId }, 'deleting share instance');
 *     await rm(join(this.root, req.shareInstance.shareInstanceId), { recursive: true, force: true });
 *     return {}; // idempotent: deleting what is already gone is OK
 *   }
 *   getExportLocations(req: GetExportLocationsRequest) {
 *     if (!req.shareInstance) throw new MissingFieldError('share_instance');
 *     return { exportLocations: [{ path: join(this.root, req.shareInstance.shareInstanceId) }] };
 *   }
 *   // ...listPools, createShareInstance and updateAccess: PLUGIN_CAPABILITY_SHARES requires them,
 *   // and serve() refuses to start until they exist.
 * }
 *
 * await serve((env) => new TinyDriver(String(env.config.root)));
 * ```
 */
export interface Driver extends Omit<ContractHandlers, SdkAnswered | 'probe'> {
  /** Who the plugin is. */
  readonly info: DriverInfo;
  /** What the plugin can do; MUST stay the same for the life of the process. */
  readonly capabilities: readonly PluginCapability[];
  /** Readiness of the back end; when absent the SDK answers `{ ready: true }`. */
  probe?(request: ProbeRequest, ctx: DriverContext): Promise<DeepPartial<ProbeResponse>> | DeepPartial<ProbeResponse>;
  /** Called once on the way out (after the server stopped), to release back-end resources. */
  close?(): Promise<void> | void;
}
