/**
 * A small promise-based client for ferry's admin API (ferry.admin.v1.Shares, ShareServers and Catalog) over
 * the generated grpc-js clients, for tests that talk to a real daemon. Every unary method of
 * the generated clients becomes `(request) => Promise<response>` with a deadline; a failed
 * call rejects with a FerryError carrying the server's code, reason and metadata
 * (src/contract/status.ts), so tests assert on `reason` as they do in-process.
 */
import { credentials, Metadata, type CallOptions, type Client, type ClientReadableStream, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { fromGrpcError } from '../../src/contract/status.js';
import { CatalogClient } from '../../src/contract/gen/ferry/admin/v1/catalog.js';
import type { WatchMigrationRequest, WatchMigrationResponse } from '../../src/contract/gen/ferry/admin/v1/share_migration.js';
import type { ShareServersWatchMigrationRequest, ShareServersWatchMigrationResponse } from '../../src/contract/gen/ferry/admin/v1/share_server_migration.js';
import { ShareServersClient } from '../../src/contract/gen/ferry/admin/v1/share_servers.js';
import { SharesClient } from '../../src/contract/gen/ferry/admin/v1/shares.js';

type UnaryOf<M> = M extends (request: infer Q, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: infer R) => void) => ClientUnaryCall
  ? (request: Q) => Promise<R>
  : never;

/** The unary methods of a generated client, promisified (the 4-argument overload gives the types). */
export type Unary<C> = { [K in keyof C as [UnaryOf<C[K]>] extends [never] ? never : K]: UnaryOf<C[K]> };

export interface AdminClient {
  readonly shares: Unary<SharesClient>;
  readonly shareServers: Unary<ShareServersClient>;
  readonly catalog: Unary<CatalogClient>;
  /** WatchMigration's progress events until the server ends the stream (a resting state). */
  watchMigration(request: WatchMigrationRequest): AsyncIterable<WatchMigrationResponse>;
  /** ShareServers.WatchMigration's progress events until the server ends the stream. */
  watchServerMigration(request: ShareServersWatchMigrationRequest): AsyncIterable<ShareServersWatchMigrationResponse>;
  close(): void;
}

const DEFAULT_DEADLINE_MS = 30_000;

function promisify<C extends Client>(client: C, deadlineMs: number): Unary<C> {
  return new Proxy({} as Unary<C>, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      const method = (client as unknown as Record<string, unknown>)[name];
      if (typeof method !== 'function') return undefined;
      return (request: unknown) =>
        new Promise((resolve, reject) => {
          (method as (...args: unknown[]) => unknown).call(client, request, new Metadata(), { deadline: Date.now() + deadlineMs }, (error: ServiceError | null, response: unknown) => {
            if (error) reject(fromGrpcError(error));
            else resolve(response);
          });
        });
    },
  });
}

/** Connects to the admin API at host:port (plaintext, as the daemon serves it on loopback). */
export function connectAdmin(address: string, options: { deadlineMs?: number } = {}): AdminClient {
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const shares = new SharesClient(address, credentials.createInsecure());
  const shareServers = new ShareServersClient(address, credentials.createInsecure());
  const catalog = new CatalogClient(address, credentials.createInsecure());
  return {
    shares: promisify(shares, deadlineMs),
    shareServers: promisify(shareServers, deadlineMs),
    catalog: promisify(catalog, deadlineMs),
    watchMigration: (request) => follow<WatchMigrationResponse>(shares.watchMigration(request)),
    watchServerMigration: (request) => follow<ShareServersWatchMigrationResponse>(shareServers.watchMigration(request)),
    close() {
      shares.close();
      shareServers.close();
      catalog.close();
    },
  };
}

async function* follow<T>(stream: ClientReadableStream<T>): AsyncIterable<T> {
  try {
    for await (const event of stream) yield event as T;
  } catch (error) {
    throw fromGrpcError(error);
  } finally {
    stream.cancel();
  }
}
