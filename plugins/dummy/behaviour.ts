/**
 * The injection engine: wraps every RPC of the dummy and applies its behaviour rule, in this
 * order: enteredFile, crash, holdUntilFile, delayMs, fail (failTimes), then the real handler,
 * then `result` merged over its response. Rules come from the configuration or, while it
 * exists, from the control file, which is re-read whenever its identity (inode, size, mtime)
 * changes, so a test can change behaviour while the plugin runs. Write the control file
 * atomically (temp file + rename) so the plugin never reads half of it.
 */
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { FerryError } from '../../src/domain/errors.js';
import { parseBehaviourRules, type BehaviourRule, type BehaviourRules } from './config.js';

/** How often holdUntilFile looks for its file. */
export const HOLD_POLL_MS = 10;

/** What the engine needs from a call: its cancellation, and optionally a logger. */
export interface BehaviourCallContext {
  readonly signal: AbortSignal;
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
}

export interface BehaviourEngineOptions {
  /** The rules while no control file exists (the config's `behaviour`). */
  readonly rules: BehaviourRules;
  /** A JSON file of rules re-read on change; wins over `rules` while it exists. */
  readonly controlFile?: string | undefined;
  /** Logs control-file problems. */
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** What `crash` calls. @default process.exit */
  readonly exit?: (code: number) => void;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Deep-merges `over` into `base`: plain objects merge key by key, anything else replaces. */
export function mergeResult(base: unknown, over: unknown): unknown {
  const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!plain(base) || !plain(over)) return over;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) merged[key] = key in base ? mergeResult(base[key], value) : value;
  return merged;
}

export class BehaviourEngine {
  private rules: BehaviourRules;
  private controlStamp = '';
  private readonly failures = new Map<string, number>();

  constructor(private readonly options: BehaviourEngineOptions) {
    this.rules = options.rules;
  }

  /** The effective rule of `method`: its own fields over the "*" rule's. */
  ruleFor(method: string): BehaviourRule {
    this.refresh();
    return { ...(this.rules['*'] ?? {}), ...(this.rules[method] ?? {}) };
  }

  /**
   * Runs `handler` for one call of `method` under its rule. `key` is the call's idempotency key
   * (or resource id), written to enteredFile. Injected failures are FerryErrors; a cancelled
   * wait rejects with the signal's reason.
   */
  async run<T>(method: string, key: string, ctx: BehaviourCallContext, handler: () => Promise<T> | T): Promise<T> {
    const rule = this.ruleFor(method);
    if (rule.enteredFile !== undefined) appendFileSync(rule.enteredFile, `${method} ${key}\n`);
    if (rule.crash === true) {
      ctx.logger?.warn({ key }, 'dummy: crashing on purpose');
      (this.options.exit ?? process.exit)(1);
    }
    if (rule.holdUntilFile !== undefined) {
      while (!existsSync(rule.holdUntilFile)) await sleep(HOLD_POLL_MS, ctx.signal);
    }
    if (rule.delayMs !== undefined && rule.delayMs > 0) await sleep(rule.delayMs, ctx.signal);
    if (rule.fail !== undefined) {
      const failed = this.failures.get(method) ?? 0;
      if (rule.failTimes === undefined || failed < rule.failTimes) {
        this.failures.set(method, failed + 1);
        const { code, reason, message, metadata } = rule.fail;
        ctx.logger?.info({ key, code, reason, injected: failed + 1 }, 'dummy: injecting failure');
        throw new FerryError({ code, reason, message: message ?? `injected failure of ${method} (${key})`, metadata: { ...metadata } });
      }
    }
    const response = await handler();
    return rule.result === undefined ? response : (mergeResult(response ?? {}, rule.result) as T);
  }

  /** Re-reads the control file when it changed; failure counters restart with new rules. */
  private refresh(): void {
    const file = this.options.controlFile;
    if (file === undefined) return;
    let stamp = 'absent';
    try {
      const stat = statSync(file);
      stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (stamp === this.controlStamp) return;
    this.controlStamp = stamp;
    try {
      this.rules = stamp === 'absent' ? this.options.rules : parseBehaviourRules(JSON.parse(readFileSync(file, 'utf8')), file);
      this.failures.clear();
      this.options.logger?.info({ controlFile: file, methods: Object.keys(this.rules) }, 'dummy: behaviour rules loaded');
    } catch (error) {
      // Keep the last good rules: a broken control file must not turn into random call failures.
      this.options.logger?.error({ err: error, controlFile: file }, 'dummy: control file ignored, keeping the previous rules');
    }
  }
}
