/**
 * Content hashes for verification: SHA-256 (node:crypto, default) or XXH3-128 (hash-wasm,
 * fast and non-cryptographic). Hashers are synchronous after a one-time asynchronous
 * initialisation per thread (hash-wasm compiles its WebAssembly once).
 */
import { createHash } from 'node:crypto';
import { createXXHash128, type IHasher } from 'hash-wasm';
import type { VerifyAlgorithm } from './types.js';

export interface Hasher {
  update(data: Uint8Array): void;
  digest(): string;
}

const xxhPool: IHasher[] = [];

/** Prepares `count` xxh128 instances for this thread; call before createHasher('xxh128'). */
export async function initHashing(count = 3): Promise<void> {
  while (xxhPool.length < count) xxhPool.push(await createXXHash128());
}

let xxhNext = 0;
export function createHasher(algorithm: Exclude<VerifyAlgorithm, 'none'>): Hasher {
  if (algorithm === 'sha256') {
    const hash = createHash('sha256');
    return { update: (data) => void hash.update(data), digest: () => hash.digest('hex') };
  }
  if (xxhPool.length === 0) throw new Error('initHashing() must run before xxh128 hashers are created');
  // Instances are reused round-robin; a thread never has more than two hashes open at once.
  const hasher = xxhPool[xxhNext++ % xxhPool.length]!;
  hasher.init();
  return { update: (data) => void hasher.update(data), digest: () => hasher.digest('hex') };
}

/** Hash of a file copied in chunks: the algorithm over the concatenated chunk digests. */
export function combineChunkHashes(algorithm: Exclude<VerifyAlgorithm, 'none'>, chunkHashes: readonly string[]): string {
  const hasher = createHasher(algorithm);
  for (const h of chunkHashes) hasher.update(Buffer.from(h, 'hex'));
  return `chunks:${hasher.digest()}`;
}
