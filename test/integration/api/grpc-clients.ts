/**
 * The generated admin clients over a real socket, with promise wrappers: `call(cb => client.x(req, cb))`
 * resolves with the response or rejects with the call's FerryError (decoded from the status
 * details by fromGrpcError, so tests assert code, reason and field violations).
 */
import { credentials, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { CatalogClient } from '../../../src/contract/gen/ferry/admin/v1/catalog.js';
import { ShareServersClient } from '../../../src/contract/gen/ferry/admin/v1/share_servers.js';
import { SharesClient } from '../../../src/contract/gen/ferry/admin/v1/shares.js';
import { fromGrpcError } from '../../../src/contract/status.js';
import { FerryError } from '../../../src/domain/errors.js';

export function adminClients(t: { after(fn: () => unknown): void }, address: string): { shares: SharesClient; shareServers: ShareServersClient; catalog: CatalogClient } {
  const shares = new SharesClient(address, credentials.createInsecure());
  const shareServers = new ShareServersClient(address, credentials.createInsecure());
  const catalog = new CatalogClient(address, credentials.createInsecure());
  t.after(() => {
    shares.close();
    shareServers.close();
    catalog.close();
  });
  return { shares, shareServers, catalog };
}

export function call<Res>(invoke: (callback: (error: ServiceError | null, response: Res) => void) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke((error, response) => (error ? reject(fromGrpcError(error)) : resolve(response)));
  });
}

/** The FerryError a call fails with; fails the test when the call succeeds. */
export async function failure<Res>(invoke: (callback: (error: ServiceError | null, response: Res) => void) => unknown): Promise<FerryError> {
  try {
    const response = await call(invoke);
    throw new Error(`expected the call to fail, it answered ${JSON.stringify(response)}`);
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
}

/** Every message of a server stream, until it ends; rejects with the stream's FerryError. */
export function collect<T>(stream: ClientReadableStream<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const messages: T[] = [];
    stream.on('data', (message: T) => messages.push(message));
    stream.on('error', (error: ServiceError) => reject(fromGrpcError(error)));
    stream.on('end', () => resolve(messages));
  });
}
