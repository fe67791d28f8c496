/**
 * Test helpers for the localfs plugin: launch it as a real child process the way ferry's host
 * does (FERRY_PLUGIN_* env, a private 0700 socket directory, the handshake line on stdout),
 * call its services through the generated gRPC clients with FerryErrors out, and unmount
 * everything a test mounted under its temp directory.
 *
 * src/host's createPluginHost is not used on purpose: the kill -9 test needs to kill and
 * relaunch exactly one process by pid, and these tests should not depend on the host's
 * supervision policy.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import type { FerryError } from '../../../src/domain/errors.js';
import type { ShareInstance, ShareServer } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import type { NetworkInfo } from '../../../src/contract/gen/ferry/driver/v1/share_server.js';
import { IdentityServiceClient, IdentityServiceService } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { PoolServiceClient, PoolServiceService } from '../../../src/contract/gen/ferry/driver/v1/pool.js';
import { ShareServiceClient, ShareServiceService } from '../../../src/contract/gen/ferry/driver/v1/share.js';
import { ShareMigrationServiceClient, ShareMigrationServiceService } from '../../../src/contract/gen/ferry/driver/v1/share_migration.js';
import { ShareServerServiceClient, ShareServerServiceService } from '../../../src/contract/gen/ferry/driver/v1/share_server.js';
import { promiseCalls, spawnPlugin, type Calls } from '../../helpers/plugin-process.js';
import { mountsUnder } from '../../helpers/mounts.js';

export const LOCALFS_MAIN = fileURLToPath(new URL('../../../plugins/localfs/main.js', import.meta.url));

export type { Calls };

export interface LocalFsProcess {
  readonly pid: number;
  readonly address: string;
  readonly identity: Calls<typeof IdentityServiceService>;
  readonly pool: Calls<typeof PoolServiceService>;
  readonly share: Calls<typeof ShareServiceService>;
  readonly migration: Calls<typeof ShareMigrationServiceService>;
  readonly server: Calls<typeof ShareServerServiceService>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** SIGKILL, wait for the exit, close the clients. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful), wait for the exit, close the clients. */
  stop(): Promise<void>;
}

export interface LaunchLocalFsOptions {
  /** Directory for the socket dir; a short path (sun_path is ~107 bytes). */
  readonly dir: string;
  readonly config: Record<string, unknown>;
  readonly name?: string;
  readonly startTimeoutMs?: number;
}

/** Starts plugins/localfs/main.js and resolves once its handshake line arrived. */
export async function launchLocalFs(options: LaunchLocalFsOptions): Promise<LocalFsProcess> {
  const plugin = await spawnPlugin({ main: LOCALFS_MAIN, dir: options.dir, name: options.name ?? 'localfs', config: options.config, label: 'localfs', startTimeoutMs: options.startTimeoutMs });
  const target = plugin.target;
  const clients = [new IdentityServiceClient(target, credentials.createInsecure()), new PoolServiceClient(target, credentials.createInsecure()), new ShareServiceClient(target, credentials.createInsecure()), new ShareMigrationServiceClient(target, credentials.createInsecure()), new ShareServerServiceClient(target, credentials.createInsecure())] as const;
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    await plugin.end(signal);
    clients.forEach((c) => c.close());
  };
  return {
    pid: plugin.pid,
    address: plugin.address,
    identity: promiseCalls<typeof IdentityServiceService>(clients[0], 30_000),
    pool: promiseCalls<typeof PoolServiceService>(clients[1], 30_000),
    share: promiseCalls<typeof ShareServiceService>(clients[2], 30_000),
    migration: promiseCalls<typeof ShareMigrationServiceService>(clients[3], 30_000),
    server: promiseCalls<typeof ShareServerServiceService>(clients[4], 30_000),
    exited: plugin.exited,
    stderr: plugin.stderr,
    kill9: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}

/** Unmounts every mount under `dir` (lazily if busy). Call it in `after` before removing the dir. */
export function unmountAllUnder(dir: string): void {
  for (let i = 0; i < 64; i++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    try {
      execFileSync('umount', [points[0]!], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', points[0]!], { stdio: 'ignore' });
    }
  }
}

/** A fresh short temp dir (unix socket paths are limited to ~107 bytes). */
export function makeTestDir(prefix = 'lfs-'): string {
  return mkdtempSync(join('/tmp', prefix));
}

/** Unmounts everything mounted under `dir`, clears immutable flags, removes it. For `after`. */
export function removeTestDir(dir: string): void {
  unmountAllUnder(dir);
  try {
    execFileSync('chattr', ['-R', '-f', '-i', dir], { stdio: 'ignore' });
  } catch {
    // chattr exits non-zero on entries that cannot carry flags (symlinks); nothing to undo there.
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Awaits a rejection and returns the FerryError (fails when the promise resolves). */
export async function ferryError(promise: Promise<unknown>): Promise<FerryError> {
  try {
    await promise;
  } catch (error) {
    return error as FerryError;
  }
  throw new Error('expected the call to fail');
}

/** A ShareInstance model as ferry would send it; pool1, 1 GiB, NFS unless overridden. */
export function instance(id: string, overrides: Partial<ShareInstance> = {}): ShareInstance {
  return {
    shareInstanceId: id,
    shareId: `share-${id}`,
    pool: 'pool1',
    host: 'host@localfs#pool1',
    sizeGib: 1,
    shareProto: 'NFS',
    exportLocations: [],
    shareTypeExtraSpecs: {},
    shareServerId: '',
    providerLocation: '',
    backendDetails: {},
    availabilityZone: '',
    ...overrides,
  };
}

/** A ShareServer model as ferry would send it: network "net-1", one subnet, one address. */
export function shareServer(id: string, overrides: Partial<ShareServer> = {}): ShareServer {
  return {
    shareServerId: id,
    host: 'host@localfs',
    shareNetworkId: 'net-1',
    shareNetworkSubnetIds: ['subnet-1'],
    availabilityZone: '',
    networkAllocations: [],
    backendDetails: {},
    identifier: '',
    ...overrides,
  };
}

/** One subnet's network info with one user allocation. */
export function networkInfo(subnet = 'subnet-1', ipAddress = '10.0.0.21'): NetworkInfo {
  return {
    shareNetworkSubnetId: subnet,
    neutronNetId: '',
    neutronSubnetId: '',
    networkType: 'flat',
    segmentationId: 0,
    cidr: '10.0.0.0/24',
    gateway: '10.0.0.1',
    ipVersion: 4,
    mtu: 1500,
    networkAllocations: [{ networkAllocationId: `alloc-${ipAddress}`, shareNetworkSubnetId: subnet, ipAddress, ipVersion: 4, cidr: '10.0.0.0/24', gateway: '10.0.0.1', mtu: 1500, networkType: 'flat', segmentationId: 0, macAddress: '', label: 'user' }],
    adminNetworkAllocations: [],
    securityServices: [],
  };
}

export { mountsUnder };
