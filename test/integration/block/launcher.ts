/**
 * Test helpers for the block plugin: launch it as a real child process the way ferry's host
 * does (FERRY_PLUGIN_* env, a private socket directory, the handshake line on stdout), call its
 * services through the generated gRPC clients with FerryErrors out, and build the Volume models
 * ferry would send. createPluginHost is not used on purpose: the kill -9 tests kill and relaunch
 * exactly one process by pid.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import type { FerryError } from '../../../src/domain/errors.js';
import { PeerInfo, type Volume } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import { IdentityServiceClient, IdentityServiceService } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { PoolServiceClient, PoolServiceService } from '../../../src/contract/gen/ferry/driver/v1/pool.js';
import { VolumeServiceClient, VolumeServiceService } from '../../../src/contract/gen/ferry/driver/v1/volume.js';
import { pluginTestEnvironment, promiseCalls, spawnPlugin, type Calls } from '../../helpers/plugin-process.js';

export const BLOCK_MAIN = fileURLToPath(new URL('../../../plugins/block/main.js', import.meta.url));
export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

export type { Calls };

export interface BlockProcess {
  readonly pid: number;
  readonly identity: Calls<typeof IdentityServiceService>;
  readonly pool: Calls<typeof PoolServiceService>;
  readonly volume: Calls<typeof VolumeServiceService>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** SIGKILL, wait for the exit, close the clients. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful), wait for the exit, close the clients. */
  stop(): Promise<void>;
}

export interface LaunchBlockOptions {
  /** Directory for the socket dir; a short path (sun_path is ~107 bytes). */
  readonly dir: string;
  readonly config: Record<string, unknown>;
  /** FERRY_PLUGIN_NAME, the default volume_backend_name. */
  readonly name?: string;
}

/** Starts plugins/block/main.js and resolves once its handshake line arrived. */
export async function launchBlock(options: LaunchBlockOptions): Promise<BlockProcess> {
  const plugin = await spawnPlugin({ main: BLOCK_MAIN, dir: options.dir, name: options.name ?? 'block1', config: options.config, label: 'block' });
  const target = plugin.target;
  const clients = [new IdentityServiceClient(target, credentials.createInsecure()), new PoolServiceClient(target, credentials.createInsecure()), new VolumeServiceClient(target, credentials.createInsecure())] as const;
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    await plugin.end(signal);
    clients.forEach((c) => c.close());
  };
  return {
    pid: plugin.pid,
    identity: promiseCalls<typeof IdentityServiceService>(clients[0], 60_000),
    pool: promiseCalls<typeof PoolServiceService>(clients[1], 60_000),
    volume: promiseCalls<typeof VolumeServiceService>(clients[2], 60_000),
    exited: plugin.exited,
    stderr: plugin.stderr,
    kill9: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}

/** Starts the plugin expecting it to refuse its configuration; resolves with its stderr. */
export async function launchFailure(options: LaunchBlockOptions): Promise<{ code: number | null; stderr: string }> {
  mkdirSync(options.dir, { recursive: true });
  const socketDir = mkdtempSync(join(options.dir, 's'));
  const env = pluginTestEnvironment({ socketDir, name: options.name ?? 'block1', config: options.config });
  const child = spawn(process.execPath, [BLOCK_MAIN], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stderr };
}

/** A fresh short temp dir (unix socket paths are limited to ~107 bytes). */
export function makeTestDir(prefix = 'blk-', parent = '/tmp'): string {
  return mkdtempSync(join(parent, prefix));
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

/** A Volume model as ferry would send it: 1 GiB on pool1 of block1 unless overridden. */
export function volume(volumeId: string, overrides: Partial<Volume> = {}): Volume {
  const pool = overrides.pool ?? 'pool1';
  return { volumeId, nameId: '', sizeGib: 1, pool, host: `ferry@block1#${pool}`, providerLocation: '', volumeTypeExtraSpecs: {}, status: 'available', ...overrides };
}

/** The PeerInfo ferry builds for a back end from its GetPluginInfo and ListPools answers. */
export function peerOf(backend: string, root: string, pluginName = 'ferry.block', extra: Record<string, string> = {}): PeerInfo {
  return PeerInfo.fromPartial({ backend: `ferry@${backend}`, pluginName, vendorVersion: '0.1.0', properties: { root, ...extra } });
}

/** Writes `bytes` of a deterministic pattern at `offset` of an existing image (as a data node would). */
export function writePattern(image: string, offset: number, bytes: number, seed = 1): void {
  const fd = openSync(image, 'r+');
  try {
    const chunk = Buffer.alloc(Math.min(bytes, MIB));
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + seed * 7) & 0xff;
    for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written), offset + written);
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 of a file's first `limit` bytes, the whole file by default (holes read as zeros). */
export function sha256(path: string, limit = Infinity): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(4 * MIB);
    for (let read = 0; read < limit; ) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, limit - read), null);
      read += n;
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Bytes the file really occupies (st_blocks * 512). */
export function allocated(path: string): number {
  return statSync(path).blocks * 512;
}

export function readJsonFile<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
