/** The shape every migration step has, and small helpers they share. */
import type { Logger } from 'pino';
import { pause } from '../step-loop.js';
import { FERRY_ERROR_DOMAIN, FerryError } from '../../domain/errors.js';
import type { MigrationRequest, Share } from '../../domain/resources.js';
import type { RunningShareCopy } from '../data-port.js';
import type { MachineEvent } from './machine.js';
import type { MigrationScope } from './scope.js';

export interface StepRuntime {
  /** Aborted when an operator's action supersedes the running phase, or when ferry closes. */
  readonly signal: AbortSignal;
  /** Commits an event that moves task_state inside the current phase; false when superseded. */
  advance(event: MachineEvent): Promise<boolean>;
  /** Lets progress calls read a running copy. */
  setCopy(copy: RunningShareCopy | undefined): void;
  readonly log: Logger;
}

export interface StepResult {
  readonly event: MachineEvent;
  /** Recorded as the migration's error (message and reason). */
  readonly error?: unknown;
  /** Recorded as why the driver-assisted attempt was not used. */
  readonly fallbackReason?: string;
}

/** What the path rules read: the request, the share and its snapshots (a scope, or MigrationCheck's evaluation). */
export interface PathInput {
  readonly migration: { readonly request: MigrationRequest };
  readonly share: Pick<Share, 'id'>;
  readonly snapshots: readonly unknown[];
}

export type Step = (scope: MigrationScope, runtime: StepRuntime) => Promise<StepResult>;

export function describe(error: unknown): { message: string; reason: string } {
  if (error instanceof FerryError) return { message: error.message, reason: error.reason };
  return { message: error instanceof Error ? error.message : String(error), reason: '' };
}

/** Why Manila's host-assisted gate (2.1 step 5: flags first, then snapshots) is closed, or undefined when open. */
export function fallbackRefusal(scope: PathInput): string | undefined {
  const request = scope.migration.request;
  if (request.writable || request.preserveMetadata || request.nondisruptive || request.preserveSnapshots) {
    return 'host-assisted migration is not allowed when the share must remain writable, preserve snapshots and/or file metadata or be performed nondisruptively';
  }
  if (scope.snapshots.length > 0) return `share ${scope.share.id} must not have snapshots in order to perform a host-assisted migration`;
  return undefined;
}

/**
 * A failed driver-assisted attempt's error when no fallback may follow: the driver's code and
 * reason, its message followed by why host-assisted was not tried (without it an operator reads
 * only the driver's refusal and cannot tell why ferry did not copy the data itself).
 */
export function withoutFallback(error: unknown, refusal: string): FerryError {
  const { message, reason } = describe(error);
  const known = error instanceof FerryError ? error : undefined;
  return new FerryError({
    code: known?.code ?? 'INTERNAL', reason, metadata: known?.metadata, domain: known?.domain ?? FERRY_ERROR_DOMAIN, cause: error,
    message: `${message}; no host-assisted fallback: ${refusal}`,
  });
}

/** Errors worth waiting out rather than failing a migration for: the plugin is restarting. */
export function isTransient(error: unknown): boolean {
  return error instanceof FerryError && (error.code === 'UNAVAILABLE' || error.code === 'DEADLINE_EXCEEDED');
}

export { pause } from '../step-loop.js';

/** Retries of a cut-over call whose back end is unavailable, before it counts as failed. */
const CUT_OVER_RETRIES = 5;

/**
 * Runs an idempotent cut-over call (MigrationComplete, MigrationUpdateModel, a server
 * migration's Start or Complete), retrying while its back end is unavailable (a restarting
 * plugin, an unreachable peer) as the contract's error tables promise, with pauses starting at
 * `intervalMs` and doubling; after CUT_OVER_RETRIES the error stands. Without this, one
 * UNAVAILABLE put both sides in error for an operator to repair.
 */
export async function retryTransient<T>(intervalMs: number, runtime: Pick<StepRuntime, 'signal' | 'log'>, what: string, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!isTransient(error) || attempt >= CUT_OVER_RETRIES || runtime.signal.aborted) throw error;
      const delayMs = intervalMs * 2 ** attempt;
      runtime.log.warn({ err: error, attempt: attempt + 1, delayMs }, `${what}: back end unavailable, retrying`);
      await pause(delayMs, runtime.signal);
    }
  }
}
