/**
 * Turns a generated ts-proto service definition (`XxxServiceService`, outputServices=grpc-js)
 * into the runtime description the SDK serves from: per RPC its names, the capability that
 * gates it, the message type names (for redaction) and the generated `fromPartial` that fills
 * a handler's plain-object answer with defaults.
 */
import type { PluginCapability } from '../../src/contract/gen/ferry/driver/v1/identity.js';

/** The shape of one unary method in a ts-proto grpc-js service definition. */
export interface GeneratedMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  requestSerialize(value: never): Buffer;
  requestDeserialize(value: Buffer): unknown;
  responseSerialize(value: never): Buffer;
  responseDeserialize(value: Buffer): unknown;
}

/** A generated service definition: method key (lowerCamel) -> method. */
export type GeneratedService = { readonly [key: string]: GeneratedMethod };

/**
 * How capabilities gate one RPC.
 * - `anyOf`: the RPC is served only when the driver advertises one of these; empty: no
 *   capability needed (served whenever the driver implements it).
 * - `required`: advertising one of `anyOf` obliges the driver to implement the RPC (checked at
 *   start). false for RPCs the contract lets a plugin leave out (ferry then uses a default).
 */
export interface MethodGate {
  readonly anyOf: readonly PluginCapability[];
  readonly required: boolean;
}

/** The RPC needs one of these capabilities, and each of them obliges the driver to implement it. */
export function needs(...anyOf: PluginCapability[]): MethodGate {
  return { anyOf, required: true };
}

/** The RPC needs one of these capabilities but a driver advertising them MAY leave it out. */
export function optionalWith(...anyOf: PluginCapability[]): MethodGate {
  return { anyOf, required: false };
}

/** The RPC needs no capability and is optional. */
export const UNGATED: MethodGate = { anyOf: [], required: false };

/** The gates of a service's RPCs: `default` for every RPC, overridden per RPC key. */
export interface MethodCapabilities<S> {
  readonly default: MethodGate;
  readonly methods?: { readonly [K in keyof S]?: MethodGate };
}

/** One RPC as the SDK serves it. */
export interface MethodSpec {
  /** The driver's handler name, e.g. "createShareInstance". */
  readonly key: string;
  /** "/ferry.driver.v1.ShareService/CreateShareInstance" */
  readonly path: string;
  /** "ShareService/CreateShareInstance", for logs and messages. */
  readonly method: string;
  readonly requestType: string;
  readonly responseType: string;
  readonly streaming: boolean;
  /** Which capabilities gate this RPC. */
  readonly gate: MethodGate;
  /** The generated `fromPartial` of the response: fills defaults of a plain-object answer. */
  readonly fillResponse: (partial: unknown) => unknown;
}

/** One service as the SDK serves it. */
export interface ServiceSpec<S extends GeneratedService = GeneratedService> {
  /** "ferry.driver.v1.ShareService" */
  readonly name: string;
  readonly definition: S;
  readonly methods: readonly MethodSpec[];
}

interface MessageFns {
  fromPartial(object: never): unknown;
}

/**
 * Describes one generated service. `messages` is the generated module itself
 * (`import * as share from '.../share.js'`): response `fromPartial`s are found in it by buf's
 * standard names (`XxxResponse` or `<Service>XxxResponse`). Throws at load when one is
 * missing, so a contract change that breaks the convention fails every plugin's start and the
 * SDK's unit tests, not a call in production.
 */
export function defineService<S extends GeneratedService>(definition: S, messages: object, capabilities: MethodCapabilities<S>): ServiceSpec<S> {
  const exports = messages as Record<string, unknown>;
  let serviceName = '';
  const methods: MethodSpec[] = [];
  for (const [key, method] of Object.entries(definition)) {
    const match = /^\/([\w.]+)\.(\w+)\/(\w+)$/.exec(method.path);
    if (match === null) throw new Error(`ferry plugin SDK: unexpected method path ${method.path}`);
    const [, pkg, service, rpc] = match as unknown as [string, string, string, string];
    serviceName = `${pkg}.${service}`;
    const shortService = service.replace(/Service$/, '');
    const pick = (suffix: 'Request' | 'Response'): string => {
      for (const candidate of [`${rpc}${suffix}`, `${shortService}${rpc}${suffix}`]) {
        const fns = exports[candidate] as Partial<MessageFns> | undefined;
        if (typeof fns?.fromPartial === 'function') return candidate;
      }
      throw new Error(`ferry plugin SDK: ${service}/${rpc}: the generated module exports no ${rpc}${suffix} (or ${shortService}${rpc}${suffix}) message`);
    };
    const requestType = pick('Request');
    const responseType = pick('Response');
    const responseFns = exports[responseType] as MessageFns;
    const override = capabilities.methods?.[key as keyof S];
    methods.push({
      key,
      path: method.path,
      method: `${service}/${rpc}`,
      requestType: `${pkg}.${requestType}`,
      responseType: `${pkg}.${responseType}`,
      streaming: method.requestStream || method.responseStream,
      gate: override ?? capabilities.default,
      fillResponse: (partial) => responseFns.fromPartial(partial as never),
    });
  }
  if (serviceName === '') throw new Error('ferry plugin SDK: a service definition without methods');
  return { name: serviceName, definition, methods };
}
