/**
 * Volume-migration tests against real plugin processes: dummy1 and dummy2 (behaviour rules for
 * failures) and block1 and block2 (the block reference plugin, pools pool1 and pool2), with
 * helpers to write data into a volume's image, hash and measure images, and wait for a
 * migration to end. Waits poll the store; nothing sleeps for a fixed time.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseHost } from '../../src/domain/host.js';
import type { VolumeMigrationProgress, VolumeView } from '../../src/orchestrator/volume-api.js';
import { startMigrationFerry, type MigrationFerry, type MigrationFerryOptions } from './migration-harness.js';

export const MIB = 1024 * 1024;

export interface VolumeFerry extends MigrationFerry {
  /** The image file of a volume record as its back end names it (name_id, else id). */
  imageOf(volume: Pick<VolumeView, 'id' | 'nameId' | 'host'>): string;
  /** Writes `length` bytes of a deterministic pattern (seeded) at `offset` of the volume's image. */
  writePattern(volume: VolumeView, offset: number, length: number, seed: number): void;
  /** Resolves with the migration's progress once it is no longer active. */
  waitForEnd(volumeId: string, timeoutMs?: number): Promise<VolumeMigrationProgress>;
}

/** sha256 of a whole file, read in 1 MiB pieces. */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(MIB);
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Bytes the file system allocated for the file (st_blocks are 512-byte units). */
export function allocatedBytes(path: string): number {
  return statSync(path).blocks * 512;
}

export async function startVolumeFerry(t: { after(fn: () => unknown): void }, options: MigrationFerryOptions = {}): Promise<VolumeFerry> {
  const h = await startMigrationFerry(t, { block: true, ...options });
  const root = (backend: string) => join(h.dir, 'b', backend);
  const imageOf: VolumeFerry['imageOf'] = (volume) => {
    const address = parseHost(volume.host);
    const name = volume.nameId ?? volume.id;
    if (address.backend.startsWith('block')) return join(root(address.backend), 'pools', address.pool ?? '', `volume-${name}.img`);
    return join(h.dataRoot(address.backend as 'dummy1' | 'dummy2'), `volume-${name}.img`);
  };
  return {
    ...h,
    imageOf,
    writePattern(volume, offset, length, seed) {
      const data = Buffer.alloc(length);
      let x = seed >>> 0 || 1;
      for (let i = 0; i < length; i += 4) {
        // xorshift32: cheap, deterministic, never all zeros.
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        data.writeUInt32LE(x, i);
      }
      const fd = openSync(imageOf(volume), 'r+');
      try {
        writeSync(fd, data, 0, length, offset);
      } finally {
        closeSync(fd);
      }
    },
    async waitForEnd(volumeId, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const progress = await h.ferry.getVolumeMigration(volumeId);
        if (!progress.active) return progress;
        if (Date.now() > deadline) throw new Error(`volume ${volumeId} migration still ${progress.phase}: ${JSON.stringify(progress)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

export { existsSync };
