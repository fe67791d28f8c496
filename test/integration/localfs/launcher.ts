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
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, credentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { fromGrpcError } from '../../../src/contract/status.js';
import type { FerryError } from '../../../src/domain/errors.js';
import type { ShareInstance, ShareServer } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import type { NetworkInfo } from '../../../src/contract/gen/ferry/driver/v1/share_server.js';
import { IdentityServiceClient, IdentityServiceService } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { PoolServiceClient, PoolServiceService } from '../../../src/contract/gen/ferry/driver/v1/pool.js';
import { ShareServiceClient, ShareServiceService } from '../../../src/contract/gen/ferry/driver/v1/share.js';
import { ShareMigrationServiceClient, ShareMigrationServiceService } from '../../../src/contract/gen/ferry/driver/v1/share_migration.js';
import { ShareServerServiceClient, ShareServerServiceService } from '../../../src/contract/gen/ferry/driver/v1/share_server.js';
import { pluginTestEnvironment, readHandshake } from '../../helpers/plugin-process.js';
import { mountsUnder } from '../../helpers/mounts.js';

export const LOCALFS_MAIN = fileURLToPath(new URL('../../../plugins/localfs/main.js', import.meta.url));

type Callback<Res> = (error: ServiceError | null, response: Res) => void;
type UnaryFn<Req, Res> = (request: Req, metadata: Metadata, options: { deadline: Date }, callback: Callback<Res>) => unknown;
type RequestOf<M> = M extends { requestSerialize(value: infer Req): Buffer } ? Req : never;
type ResponseOf<M> = M extends { responseDeserialize(value: Buffer): infer Res } ? Res : never;

/** Promise-returning calls of one generated service: `await plugin.share.createShareInstance(req)`. */
export type Calls<S> = { readonly [K in keyof S]: (request: RequestOf<S[K]>, deadlineMs?: number) => Promise<ResponseOf<S[K]>> };

function calls<S>(client: Client): Calls<S> {
  return new Proxy({} as Calls<S>, {
    get(_target, name: string) {
      return (request: unknown, deadlineMs = 30_000) =>
        new Promise((resolve, reject) => {
          const fn = (client as unknown as Record<string, UnaryFn<unknown, unknown>>)[name];
          if (typeof fn !== 'function') return reject(new Error(`no method ${name}`));
          fn.call(client, request, new Metadata(), { deadline: new Date(Date.now() + deadlineMs) }, (error, response) =>
            error ? reject(fromGrpcError(error)) : resolve(response),
          );
        });
    },
  });
}

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
  mkdirSync(options.dir, { recursive: true });
  const socketDir = mkdtempSync(join(options.dir, 's'));
  const env = pluginTestEnvironment({ socketDir, name: options.name ?? 'localfs', config: options.config });
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [LOCALFS_MAIN], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const handshake = await readHandshake(child, exited, () => stderr, 'localfs', options.startTimeoutMs);
  const target = `unix:${handshake.address}`;
  const clients = [new IdentityServiceClient(target, credentials.createInsecure()), new PoolServiceClient(target, credentials.createInsecure()), new ShareServiceClient(target, credentials.createInsecure()), new ShareMigrationServiceClient(target, credentials.createInsecure()), new ShareServerServiceClient(target, credentials.createInsecure())] as const;
  const closeClients = (): void => clients.forEach((c) => c.close());
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    closeClients();
    rmSync(socketDir, { recursive: true, force: true });
  };
  return {
    pid: handshake.pid,
    address: handshake.address,
    identity: calls<typeof IdentityServiceService>(clients[0]),
    pool: calls<typeof PoolServiceService>(clients[1]),
    share: calls<typeof ShareServiceService>(clients[2]),
    migration: calls<typeof ShareMigrationServiceService>(clients[3]),
    server: calls<typeof ShareServerServiceService>(clients[4]),
    exited,
    stderr: () => stderr,
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
