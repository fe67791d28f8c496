/**
 * runConformance: starts a plugin (and a second instance of it as a migration peer) under
 * ferry's real plugin host, runs every case whose capabilities the plugin advertises, and
 * reports each as passed, failed (with the rule it broke) or skipped (with why).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { createPluginHost, type PluginHandle, type PluginHost } from '../../src/host/index.js';
import { IdentityServiceService, PluginCapability, type GetPluginInfoResponse } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import { PoolServiceService, type ListPoolsResponse } from '../../src/contract/gen/ferry/driver/v1/pool.js';
import { CaseSkipped, ConformanceFailure, describe, type CaseContext, type ConformanceCase } from './case.js';
import { allCases } from './cases/index.js';

export interface ConformanceOptions {
  /** Executable that starts the plugin, e.g. `node`. */
  readonly command: string;
  readonly args?: readonly string[];
  /** FERRY_PLUGIN_CONFIG of the plugin under test; every "{tmp}" in a string becomes a fresh temporary directory. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Config of the peer instance (migration suites). @default `config` (with its own "{tmp}") */
  readonly peerConfig?: Readonly<Record<string, unknown>>;
  /** Only run these suites. @default all */
  readonly suites?: readonly string[];
  /** Log of the host and the plugins (stderr forwarded). @default pino at error on stderr: expected refusals stay quiet */
  readonly logger?: Logger;
  /** Called after each case, for streaming output. */
  readonly onResult?: (result: CaseResult) => void;
  /** Cases to run. @default the whole kit */
  readonly cases?: readonly ConformanceCase[];
}

export interface CaseResult {
  readonly suite: string;
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Why it failed or was skipped. */
  readonly message?: string;
  /** Where the broken rule is written. */
  readonly rule?: string;
  readonly durationMs: number;
}

export interface ConformanceReport {
  /** GetPluginInfo name, or the command when the plugin did not start. */
  readonly plugin: string;
  readonly results: readonly CaseResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

const CALL_DEADLINE_MS = 15_000;
const LIFECYCLE_CASE = { suite: 'lifecycle', name: 'the plugin starts: handshake line, contract version, health SERVING, identity' } as const;

export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const workDir = mkdtempSync(join(tmpdir(), 'ferry-conformance-'));
  const logger = options.logger ?? pino({ level: 'error' }, pino.destination(2));
  const results: CaseResult[] = [];
  const record = (result: CaseResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  let tmpCount = 0;
  const expand = (config: Readonly<Record<string, unknown>>) => expandTmp(config, () => {
    const dir = join(workDir, `tmp-${tmpCount++}`);
    mkdirSync(dir);
    return dir;
  });
  const launch = { command: options.command, args: [...(options.args ?? [])] };
  const pluginDefaults = { startTimeoutMs: 20_000, callTimeoutMs: CALL_DEADLINE_MS, restart: { maxRestarts: 0 }, shutdownGraceMs: 3000, logLevel: 'warn' };
  const host: PluginHost = createPluginHost({
    socketRoot: join(workDir, 'sockets'),
    logger,
    plugins: [
      { name: 'subject', launch, config: expand(options.config ?? {}), ...pluginDefaults },
      { name: 'peer', launch, config: expand(options.peerConfig ?? options.config ?? {}), ...pluginDefaults },
    ],
  });
  let pluginName = [options.command, ...(options.args ?? [])].join(' ');
  try {
    const started = Date.now();
    try {
      await host.start();
    } catch {
      // Inspected per plugin below: the peer failing must not hide a healthy subject.
    }
    const subjectStatus = host.plugins().find((p) => p.name === 'subject');
    if (subjectStatus?.state !== 'ready') {
      record({ ...LIFECYCLE_CASE, status: 'failed', message: subjectStatus?.lastError ? describe(subjectStatus.lastError) : `plugin ended in state ${subjectStatus?.state}`, rule: 'docs/plugin-handshake.md', durationMs: Date.now() - started });
      return summarise(pluginName, results);
    }
    record({ ...LIFECYCLE_CASE, status: 'passed', durationMs: Date.now() - started });
    const subject = host.plugin('subject');
    const peerStatus = host.plugins().find((p) => p.name === 'peer');
    const peer = peerStatus?.state === 'ready' ? host.plugin('peer') : undefined;
    const facts = await readFacts(subject);
    pluginName = facts.info.name || pluginName;
    const peerFacts = peer ? await readFacts(peer).catch(() => undefined) : undefined;
    const peerProblem = peer === undefined ? `the peer instance did not start: ${peerStatus?.lastError ? describe(peerStatus.lastError) : peerStatus?.state}` : undefined;

    for (const testCase of options.cases ?? allCases) {
      if (options.suites && !options.suites.includes(testCase.suite)) continue;
      const missing = (testCase.requires ?? []).filter((c) => !facts.capabilities.has(c));
      if (missing.length > 0) {
        record({ suite: testCase.suite, name: testCase.name, status: 'skipped', message: `not advertised: ${missing.map((c) => PluginCapability[c]).join(', ')}`, durationMs: 0 });
        continue;
      }
      if (testCase.needsPeer && (peer === undefined || peerFacts === undefined)) {
        record({ suite: testCase.suite, name: testCase.name, status: 'failed', message: peerProblem ?? 'the peer instance did not answer GetPluginInfo/ListPools', rule: 'plugins/README.md, conformance kit: migration suites need a second instance', durationMs: 0 });
        continue;
      }
      record(await runCase(testCase, { subject, peer, ...facts, peerInfo: peerFacts?.info, peerPools: peerFacts?.pools }));
    }
    return summarise(pluginName, results);
  } finally {
    await host.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function readFacts(plugin: PluginHandle): Promise<{ info: GetPluginInfoResponse; capabilities: ReadonlySet<PluginCapability>; pools: ListPoolsResponse }> {
  const info = await plugin.call(IdentityServiceService.getPluginInfo, {});
  const capabilities = new Set((await plugin.call(IdentityServiceService.getPluginCapabilities, {})).capabilities);
  const pools = capabilities.has(PluginCapability.PLUGIN_CAPABILITY_SHARES) || capabilities.has(PluginCapability.PLUGIN_CAPABILITY_VOLUMES)
    ? await plugin.call(PoolServiceService.listPools, {})
    : { pools: [], migrationPeerInfo: {} };
  return { info, capabilities, pools };
}

async function runCase(testCase: ConformanceCase, facts: Omit<CaseContext, 'defer'>): Promise<CaseResult> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const started = Date.now();
  const base = { suite: testCase.suite, name: testCase.name };
  try {
    await testCase.run({ ...facts, defer: (cleanup) => cleanups.push(cleanup) });
    return { ...base, status: 'passed', durationMs: Date.now() - started };
  } catch (error) {
    if (error instanceof CaseSkipped) return { ...base, status: 'skipped', message: error.message, durationMs: Date.now() - started };
    if (error instanceof ConformanceFailure) return { ...base, status: 'failed', message: error.message, rule: error.rule, durationMs: Date.now() - started };
    return { ...base, status: 'failed', message: `unexpected error: ${describe(error)}`, durationMs: Date.now() - started };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

function summarise(plugin: string, results: CaseResult[]): ConformanceReport {
  const count = (status: CaseResult['status']) => results.filter((r) => r.status === status).length;
  return { plugin, results, passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
}

/** Replaces every "{tmp}" in string values (deeply) with a directory from `nextDir`; one per config. */
export function expandTmp(config: Readonly<Record<string, unknown>>, nextDir: () => string): Record<string, unknown> {
  let dir: string | undefined;
  const visit = (value: unknown): unknown => {
    if (typeof value === 'string' && value.includes('{tmp}')) {
      dir ??= nextDir();
      return value.split('{tmp}').join(dir);
    }
    if (Array.isArray(value)) return value.map(visit);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v)]));
    return value;
  };
  return visit(config) as Record<string, unknown>;
}
