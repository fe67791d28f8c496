/** The shape every migration step has, and small helpers they share. */
import type { Logger } from 'pino';
import { FerryError } from '../../domain/errors.js';
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

export type Step = (scope: MigrationScope, runtime: StepRuntime) => Promise<StepResult>;

export function describe(error: unknown): { message: string; reason: string } {
  if (error instanceof FerryError) return { message: error.message, reason: error.reason };
  return { message: error instanceof Error ? error.message : String(error), reason: '' };
}

/** Manila 2.3: host-assisted is allowed only without preservation flags and without snapshots. */
export function fallbackAllowed(scope: MigrationScope): boolean {
  const request = scope.migration.request;
  return !request.writable && !request.preserveMetadata && !request.nondisruptive && !request.preserveSnapshots && scope.snapshots.length === 0;
}

/** Errors worth waiting out rather than failing a migration for: the plugin is restarting. */
export function isTransient(error: unknown): boolean {
  return error instanceof FerryError && (error.code === 'UNAVAILABLE' || error.code === 'DEADLINE_EXCEEDED');
}

/** Resolves after ms, or at once when the signal aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
