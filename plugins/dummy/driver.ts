/**
 * Assembles the dummy driver: state, back end, one handler set per contract service, and
 * around every handler the behaviour engine (delays, failures, holds, crashes, result
 * overrides) and, for mutating RPCs, the SDK's keyed operations so overlapping calls with the
 * same key answer ABORTED (OPERATION_IN_PROGRESS).
 */
import type { Logger } from 'pino';
import { createKeyedOperations } from '../sdk/keyed-operations.js';
import type { Driver, DriverContext } from '../sdk/driver.js';
import { BehaviourEngine } from './behaviour.js';
import { DummyBackend } from './backend.js';
import type { DummyConfig } from './config.js';
import { createIdentityHandlers, dummyInfo } from './identity.js';
import { callKey, READ_ONLY_RPCS } from './keys.js';
import { createPoolHandlers } from './pool.js';
import { createShareHandlers } from './share.js';
import { createShareMigrationHandlers } from './share-migration.js';
import { createShareServerHandlers } from './share-server.js';
import { DummyState } from './state.js';
import { createVolumeHandlers } from './volume.js';

type Handler = (request: unknown, ctx: DriverContext) => unknown;

/** The dummy as the SDK serves it, plus its back end for in-process tests. */
export interface DummyDriver extends Driver {
  readonly backend: DummyBackend;
}

export function createDummyDriver(config: DummyConfig, logger?: Logger): DummyDriver {
  const state = new DummyState(config.stateFile);
  state.save(); // pins the back end id across restarts
  const backend = new DummyBackend(config, state);
  const engine = new BehaviourEngine({ rules: config.behaviour, controlFile: config.controlFile, logger });
  const ops = createKeyedOperations();

  const handlers = {
    ...createIdentityHandlers(backend),
    ...createPoolHandlers(backend),
    ...createShareHandlers(backend),
    ...createShareMigrationHandlers(backend),
    ...createShareServerHandlers(backend),
    ...createVolumeHandlers(backend),
  } as unknown as Record<string, Handler>;

  const driver: Record<string, unknown> = { info: dummyInfo(config.name), capabilities: config.capabilities, backend };
  for (const [method, handler] of Object.entries(handlers)) {
    driver[method] = (request: unknown, ctx: DriverContext): Promise<unknown> => {
      const key = callKey(request);
      const run = (): Promise<unknown> => engine.run(method, key, ctx, () => handler(request, ctx));
      return READ_ONLY_RPCS.has(method) ? run() : ops.run(key, run);
    };
  }
  return driver as unknown as DummyDriver;
}
