/**
 * The dummy driver's configuration (FERRY_PLUGIN_CONFIG) and its behaviour rules: types,
 * defaults and strict validation. Every problem is a DummyConfigError whose message names the
 * exact field, e.g. `pools[1].freeCapacityGib must be a number >= 0, got "lots"`; unknown keys
 * are errors too, so a typo never silently disables a test's injected failure. Pure.
 *
 * @example
 * ```json
 * {
 *   "name": "ferry.dummy",
 *   "pools": [{ "name": "alpha", "totalCapacityGib": 100, "freeCapacityGib": 100, "availabilityZone": "nova" }],
 *   "dataRoot": "/var/tmp/dummy1",
 *   "stateFile": "/var/tmp/dummy1.state.json",
 *   "capabilities": ["PLUGIN_CAPABILITY_SHARES", "SHARE_SNAPSHOTS"],
 *   "controlFile": "/var/tmp/dummy1.control.json",
 *   "progressStep": 50,
 *   "behaviour": {
 *     "migrationContinue": { "fail": { "code": "INTERNAL", "reason": "BACKEND_ERROR" }, "failTimes": 1 },
 *     "*": { "delayMs": 5 }
 *   }
 * }
 * ```
 */
import { ERROR_CODES, type ErrorCode } from '../../src/domain/errors.js';
import { PluginCapability } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import { RPC_NAMES } from './rpc-names.js';

/** One pool the dummy reports. Free capacity shrinks as instances and volumes are placed on it. */
export interface PoolConfig {
  readonly name: string;
  readonly totalCapacityGib: number;
  /** Free capacity before anything is placed; ListPools reports this minus what is allocated. */
  readonly freeCapacityGib: number;
  readonly availabilityZone: string;
  /** Merged over the default capabilities (snapshot_support "true", ...). */
  readonly capabilities: Readonly<Record<string, string>>;
}

/** An injected failure, thrown as a FerryError. */
export interface FailSpec {
  /** gRPC code name, e.g. "UNAVAILABLE". */
  readonly code: ErrorCode;
  /** ErrorInfo reason, e.g. "BACKEND_UNAVAILABLE"; "" when none. */
  readonly reason: string;
  readonly message: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

/** What the dummy does when an RPC is called, beyond its normal simulation. */
export interface BehaviourRule {
  /** Wait this long before answering; the call's cancellation ends the wait. */
  readonly delayMs?: number;
  /** Fail the call with this error (after the delay). */
  readonly fail?: FailSpec;
  /** Fail only the first N calls of the method, then succeed. Absent: fail every call. */
  readonly failTimes?: number;
  /** A partial response deep-merged over the computed one (objects merge, everything else replaces). */
  readonly result?: Readonly<Record<string, unknown>>;
  /** Wait (honouring cancellation) until this file exists: the "hold until released" hook. */
  readonly holdUntilFile?: string;
  /** Append "<method> <key>\n" to this file when the method is entered. */
  readonly enteredFile?: string;
  /** process.exit(1) when the method is entered (after enteredFile is written). */
  readonly crash?: boolean;
}

/** Rules by RPC lowerCamel name ("migrationStart"); "*" applies to every RPC. */
export type BehaviourRules = Readonly<Record<string, BehaviourRule>>;

export interface DummyConfig {
  /** The plugin name (GetPluginInfo.name); peers with the same name count as compatible. */
  readonly name: string;
  readonly pools: readonly PoolConfig[];
  /** When set, each share instance is a real directory and each volume a real image file under it. */
  readonly dataRoot: string | undefined;
  /** When set, resources are persisted here (JSON, atomic write) and reloaded at start. */
  readonly stateFile: string | undefined;
  /** The advertised capabilities. */
  readonly capabilities: readonly PluginCapability[];
  /** A JSON file of behaviour rules re-read on every call when it changed; wins over `behaviour`. */
  readonly controlFile: string | undefined;
  /** The rules used while no controlFile exists. */
  readonly behaviour: BehaviourRules;
  /** Percent added by every MigrationContinue (share and share server). */
  readonly progressStep: number;
}

/** A configuration problem; the message names the field. */
export class DummyConfigError extends Error {
  override readonly name = 'DummyConfigError';
}

export const DEFAULT_NAME = 'ferry.dummy';
export const DEFAULT_PROGRESS_STEP = 50;

/** Every capability of the contract: the dummy implements every RPC. */
export const ALL_CAPABILITIES: readonly PluginCapability[] = Object.values(PluginCapability).filter(
  (v): v is PluginCapability => typeof v === 'number' && v > PluginCapability.PLUGIN_CAPABILITY_UNSPECIFIED,
);

export const DEFAULT_POOLS: readonly PoolConfig[] = ['alpha', 'beta'].map((name) => ({
  name,
  totalCapacityGib: 1000,
  freeCapacityGib: 1000,
  availabilityZone: 'nova',
  capabilities: {},
}));

const CONFIG_KEYS = ['name', 'pools', 'dataRoot', 'stateFile', 'capabilities', 'controlFile', 'behaviour', 'progressStep'];
const POOL_KEYS = ['name', 'totalCapacityGib', 'freeCapacityGib', 'availabilityZone', 'capabilities'];
const RULE_KEYS = ['delayMs', 'fail', 'failTimes', 'result', 'holdUntilFile', 'enteredFile', 'crash'];
const FAIL_KEYS = ['code', 'reason', 'message', 'metadata'];

/** Throws naming the field; pass the offending value (even undefined) to have it shown. */
function fail(field: string, description: string, ...got: unknown[]): never {
  if (got.length > 0 && got[0] === undefined && description.startsWith('must ')) {
    throw new DummyConfigError(`dummy config: ${field} is missing; it ${description}`);
  }
  const suffix = got.length === 0 ? '' : `, got ${JSON.stringify(got[0]) ?? String(got[0])}`;
  throw new DummyConfigError(`dummy config: ${field} ${description}${suffix}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (!isObject(value)) fail(field, 'must be a JSON object', value);
  return value;
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(`${field === '' ? '' : `${field}.`}${key}`, `is not a known key; use one of ${allowed.join(', ')}`);
  }
}

function text(value: unknown, field: string, allowEmpty = false): string {
  if (typeof value !== 'string' || (!allowEmpty && value === '')) fail(field, allowEmpty ? 'must be a string' : 'must be a non-empty string', value);
  return value;
}

function optionalText(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : text(value, field);
}

function number(value: unknown, field: string, { min = 0, integer = false, max = Infinity } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    fail(field, `must be ${integer ? 'an integer' : 'a number'} >= ${min}${max === Infinity ? '' : ` and <= ${max}`}`, value);
  }
  return value;
}

function stringMap(value: unknown, field: string): Record<string, string> {
  const map = object(value, field);
  for (const [key, entry] of Object.entries(map)) text(entry, `${field}.${key}`, true);
  return map as Record<string, string>;
}

function parsePool(value: unknown, field: string): PoolConfig {
  const raw = object(value, field);
  onlyKeys(raw, POOL_KEYS, field);
  const totalCapacityGib = number(raw.totalCapacityGib, `${field}.totalCapacityGib`);
  const freeCapacityGib = number(raw.freeCapacityGib, `${field}.freeCapacityGib`);
  if (freeCapacityGib > totalCapacityGib) fail(`${field}.freeCapacityGib`, `must be <= totalCapacityGib (${totalCapacityGib})`, freeCapacityGib);
  return {
    name: text(raw.name, `${field}.name`),
    totalCapacityGib,
    freeCapacityGib,
    availabilityZone: text(raw.availabilityZone, `${field}.availabilityZone`),
    capabilities: raw.capabilities === undefined ? {} : stringMap(raw.capabilities, `${field}.capabilities`),
  };
}

/** Accepts "PLUGIN_CAPABILITY_SHARES" or the short "SHARES". */
function parseCapability(value: unknown, field: string): PluginCapability {
  const name = text(value, field);
  const full = name.startsWith('PLUGIN_CAPABILITY_') ? name : `PLUGIN_CAPABILITY_${name}`;
  const capability = (PluginCapability as unknown as Record<string, unknown>)[full];
  if (typeof capability !== 'number' || capability <= 0) {
    fail(field, `is not a PluginCapability name; use one of ${ALL_CAPABILITIES.map((c) => PluginCapability[c]).join(', ')}`, value);
  }
  return capability as PluginCapability;
}

function parseFail(value: unknown, field: string): FailSpec {
  const raw = object(value, field);
  onlyKeys(raw, FAIL_KEYS, field);
  const code = text(raw.code, `${field}.code`);
  if (!(ERROR_CODES as readonly string[]).includes(code)) fail(`${field}.code`, `must be a gRPC code name other than OK (${ERROR_CODES.join(', ')})`, code);
  const reason = raw.reason === undefined ? '' : text(raw.reason, `${field}.reason`, true);
  if (reason !== '' && !/^[A-Z][A-Z0-9_]*$/.test(reason)) fail(`${field}.reason`, 'must be UPPER_SNAKE, e.g. "BACKEND_ERROR"', reason);
  return {
    code: code as ErrorCode,
    reason,
    message: optionalText(raw.message, `${field}.message`),
    metadata: raw.metadata === undefined ? {} : stringMap(raw.metadata, `${field}.metadata`),
  };
}

function parseRule(value: unknown, field: string): BehaviourRule {
  const raw = object(value, field);
  onlyKeys(raw, RULE_KEYS, field);
  const rule: { -readonly [K in keyof BehaviourRule]: BehaviourRule[K] } = {};
  if (raw.delayMs !== undefined) rule.delayMs = number(raw.delayMs, `${field}.delayMs`, { integer: true });
  if (raw.fail !== undefined) rule.fail = parseFail(raw.fail, `${field}.fail`);
  if (raw.failTimes !== undefined) {
    rule.failTimes = number(raw.failTimes, `${field}.failTimes`, { integer: true, min: 1 });
    if (rule.fail === undefined) fail(`${field}.failTimes`, 'needs a fail to inject');
  }
  if (raw.result !== undefined) rule.result = object(raw.result, `${field}.result`);
  if (raw.holdUntilFile !== undefined) rule.holdUntilFile = text(raw.holdUntilFile, `${field}.holdUntilFile`);
  if (raw.enteredFile !== undefined) rule.enteredFile = text(raw.enteredFile, `${field}.enteredFile`);
  if (raw.crash !== undefined) {
    if (typeof raw.crash !== 'boolean') fail(`${field}.crash`, 'must be true or false', raw.crash);
    rule.crash = raw.crash;
  }
  return rule;
}

/**
 * Validates behaviour rules (the config's `behaviour` or the control file's content). `at`
 * prefixes field names, e.g. "behaviour" or the control file's path.
 */
export function parseBehaviourRules(value: unknown, at: string): BehaviourRules {
  const raw = object(value, at);
  const rules: Record<string, BehaviourRule> = {};
  for (const [method, rule] of Object.entries(raw)) {
    if (method !== '*' && !RPC_NAMES.has(method)) {
      fail(`${at}.${method}`, `is not an RPC of the contract; use "*" or a lowerCamel RPC name such as ${[...RPC_NAMES].slice(0, 4).join(', ')} (all: ${[...RPC_NAMES].join(', ')})`);
    }
    rules[method] = parseRule(rule, `${at}.${method}`);
  }
  return rules;
}

/** Validates FERRY_PLUGIN_CONFIG and fills the defaults. Throws DummyConfigError naming the field. */
export function parseDummyConfig(value: unknown): DummyConfig {
  const raw = object(value ?? {}, 'config');
  onlyKeys(raw, CONFIG_KEYS, '');

  let pools = DEFAULT_POOLS;
  if (raw.pools !== undefined) {
    if (!Array.isArray(raw.pools) || raw.pools.length === 0) fail('pools', 'must be a non-empty array of pools', raw.pools);
    pools = raw.pools.map((pool, i) => parsePool(pool, `pools[${i}]`));
    pools.forEach((pool, i) => {
      if (pools.findIndex((p) => p.name === pool.name) !== i) fail(`pools[${i}].name`, 'duplicates an earlier pool name', pool.name);
    });
  }

  let capabilities = ALL_CAPABILITIES;
  if (raw.capabilities !== undefined) {
    if (!Array.isArray(raw.capabilities) || raw.capabilities.length === 0) fail('capabilities', 'must be a non-empty array of PluginCapability names', raw.capabilities);
    capabilities = [...new Set(raw.capabilities.map((c, i) => parseCapability(c, `capabilities[${i}]`)))];
  }

  return {
    name: raw.name === undefined ? DEFAULT_NAME : text(raw.name, 'name'),
    pools,
    dataRoot: optionalText(raw.dataRoot, 'dataRoot'),
    stateFile: optionalText(raw.stateFile, 'stateFile'),
    capabilities,
    controlFile: optionalText(raw.controlFile, 'controlFile'),
    behaviour: raw.behaviour === undefined ? {} : parseBehaviourRules(raw.behaviour, 'behaviour'),
    progressStep: raw.progressStep === undefined ? DEFAULT_PROGRESS_STEP : number(raw.progressStep, 'progressStep', { integer: true, min: 1, max: 100 }),
  };
}
