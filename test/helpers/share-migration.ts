/**
 * Helpers shared by the orchestrator's share-migration tests (test/integration/orchestrator):
 * requests with every flag spelled out, error assertions on code + reason, a snapshot of what
 * a refused action must not have changed, and the localfs paths a test writes through.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { FerryError } from '../../src/domain/errors.js';
import type { MigrationStartRequest, ShareView } from '../../src/orchestrator/ferry-api.js';
import { startTestFerry, type TestFerry, type TestFerryOptions } from './ferry-harness.js';

/** The pools of the harness's default back ends. */
export const L1P1 = 'ferry@localfs1#pool1';
export const L1P2 = 'ferry@localfs1#pool2';
export const L2P1 = 'ferry@localfs2#pool1';
export const L2P2 = 'ferry@localfs2#pool2';
export const DUMMY = 'ferry@dummy#alpha';

/** A MigrationStart request with all four flags false unless overridden. */
export function migrationRequest(shareId: string, host: string, overrides: Partial<MigrationStartRequest> = {}): MigrationStartRequest {
  return { shareId, host, writable: false, preserveMetadata: false, preserveSnapshots: false, nondisruptive: false, ...overrides };
}

/** Awaits a rejection and checks its FerryError code and reason; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: string, reason: string): Promise<FerryError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected ${code} ${reason}, but the call succeeded`);
  assert.ok(caught instanceof FerryError, `expected a FerryError, got ${String(caught)}`);
  assert.equal(`${caught.code} ${caught.reason}`, `${code} ${reason}`, caught.message);
  return caught;
}

/** What a refused action must leave untouched: task_state, the migration, every instance. */
export interface ShareState {
  readonly taskState: string | null;
  readonly migrationId: string | null;
  readonly instances: readonly { id: string; status: string; host: string; castRulesToReadonly: boolean; accessRulesStatus: string }[];
  readonly sizeGib: number;
}

export function shareState(share: ShareView): ShareState {
  return {
    taskState: share.taskState,
    migrationId: share.migration?.id ?? null,
    sizeGib: share.sizeGib,
    instances: share.instances
      .map((i) => ({ id: i.id, status: i.status, host: i.host, castRulesToReadonly: i.castRulesToReadonly, accessRulesStatus: i.accessRulesStatus }))
      .sort((a, b) => a.id.localeCompare(b.id)),
  };
}

/** Asserts the share is as `before` (taken with shareState). */
export async function assertUnchanged(env: TestFerry, shareId: string, before: ShareState, what: string): Promise<void> {
  assert.deepEqual(shareState(await env.ferry.getShare(shareId)), before, `${what} changed the share`);
}

/** The root directory the harness gives a localfs back end ("localfs1" -> <dir>/b/l1). */
export function localfsRoot(env: TestFerry, backend: 'localfs1' | 'localfs2'): string {
  return join(env.dir, 'b', backend === 'localfs1' ? 'l1' : 'l2');
}

/** The data directory of a localfs instance (its provider location + /data). */
export function dataDir(instance: { providerLocation: string }): string {
  return join(instance.providerLocation, 'data');
}

/** localfs's export of an instance: <root>/exports/<instance id>. */
export function exportDir(env: TestFerry, backend: 'localfs1' | 'localfs2', instanceId: string): string {
  return join(localfsRoot(env, backend), 'exports', instanceId);
}

/** Writes a file; returns undefined on success or the errno code (EROFS, EACCES, ...). */
export function tryWrite(path: string, content = 'x'): string | undefined {
  try {
    writeFileSync(path, content);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** Creates a share on `host` and returns it (available). */
export async function newShare(env: TestFerry, host: string, sizeGib = 1, shareType?: string): Promise<ShareView> {
  const share = await env.ferry.createShare({ shareProto: 'NFS', sizeGib, host, ...(shareType ? { shareType } : {}) });
  assert.equal(share.status, 'available');
  return share;
}

/** Calls an action that must be refused with `code`/`reason` and asserts it changed nothing on the share. */
export async function assertRefused(env: TestFerry, shareId: string, call: () => Promise<unknown>, code: string, reason: string, what = `${code} ${reason}`): Promise<FerryError> {
  const before = shareState(await env.ferry.getShare(shareId));
  const error = await rejectsWith(call(), code, reason);
  await assertUnchanged(env, shareId, before, what);
  return error;
}

/**
 * One ferry for every test of the enclosing describe (started in `before`, closed in `after`),
 * for files whose tests each create their own shares and need no special back end.
 */
export function sharedTestFerry(options: TestFerryOptions = {}): () => TestFerry {
  let env: TestFerry | undefined;
  const cleanups: (() => unknown)[] = [];
  before(async () => {
    env = await startTestFerry({ after: (fn) => cleanups.push(fn) }, options);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  return () => {
    assert.ok(env, 'the shared ferry did not start');
    return env;
  };
}
