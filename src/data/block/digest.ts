/**
 * The volume digest: one deterministic value for a volume's content that threads copying
 * ranges in any order can compute together, and that does not depend on how the source
 * stores its zeros (a hole, an allocated zero block and a zero block of a device hash alike).
 *
 *   leaf digest   = H(the bytes of one 1 MiB leaf)                (the last leaf may be shorter)
 *   range digest  = H(leaf digest ‖ leaf digest ‖ …)              (the 64 leaves of a 64 MiB range, raw bytes, in order)
 *   volume digest = H(range digest ‖ range digest ‖ …)            (every range, raw bytes, in volume order)
 *
 * H is the job's algorithm (sha256 or xxh128, src/data/verify.ts). Leaves and ranges start at
 * multiples of their size from the volume's first byte, so the tree is fixed by the volume's
 * size alone. A leaf of zeros has a constant digest, computed once per thread: a sparse
 * volume's holes cost no hashing. Two volumes with the same bytes have the same digest; it is
 * not the value `sha256sum` prints for the image (that would need one thread reading in order).
 */
import { createHasher } from '../verify.js';
import type { HashAlgorithm } from '../../orchestrator/data-port.js';

type Algorithm = Exclude<HashAlgorithm, 'none'>;

const zeroLeaves = new Map<string, Buffer>();
let zeros = Buffer.alloc(0);

/** The digest of `length` zero bytes, cached per thread. */
export function zeroLeafDigest(algorithm: Algorithm, length: number): Buffer {
  const key = `${algorithm}:${length}`;
  let digest = zeroLeaves.get(key);
  if (digest === undefined) {
    if (zeros.length < length) zeros = Buffer.alloc(length);
    const h = createHasher(algorithm);
    h.update(zeros.subarray(0, length));
    digest = Buffer.from(h.digest(), 'hex');
    zeroLeaves.set(key, digest);
  }
  return digest;
}

/** A range's digest (hex) from its leaf digests in order. */
export function rangeDigest(algorithm: Algorithm, leafDigests: readonly Uint8Array[]): string {
  const h = createHasher(algorithm);
  for (const d of leafDigests) h.update(d);
  return h.digest();
}

/** The volume's digest (hex) from every range digest (hex) in volume order. */
export function volumeDigest(algorithm: Algorithm, rangeDigests: readonly string[]): string {
  const h = createHasher(algorithm);
  for (const d of rangeDigests) h.update(Buffer.from(d, 'hex'));
  return h.digest();
}
