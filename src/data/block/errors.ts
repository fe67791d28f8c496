/**
 * Typed errors of the block copy engine. They are DataCopyErrors (src/data/errors.ts), so a
 * caller handles a volume copy's failure with the same reasons as a share copy's; the class
 * names say what happened to a volume, and `offset` (also in `metadata.offset`) names the
 * volume offset where a read, write or comparison failed.
 */
import { DataCopyError, type DataCopyReason } from '../errors.js';
import type { BlockFailure } from './types.js';

/** Base class: a volume copy failed; `path` names the source or destination, `offset` where. */
export class VolumeCopyError extends DataCopyError {
  override readonly name: string = 'VolumeCopyError';
  override readonly metadata: Readonly<Record<string, string>>;
  /** Volume offset of the failing read, write or mismatch; null when none applies. */
  readonly offset: number | null;
  constructor(reason: DataCopyReason, message: string, path: string, options: { errno?: string; offset?: number | null; cause?: unknown } = {}) {
    super(reason, message, path, { ...(options.errno ? { errno: options.errno } : {}), cause: options.cause });
    this.offset = options.offset ?? null;
    const metadata: Record<string, string> = { path };
    if (options.errno) metadata.errno = options.errno;
    if (this.offset !== null) metadata.offset = String(this.offset);
    this.metadata = metadata;
  }
}

/** Thrown when the source image or device does not exist (reason SOURCE_VANISHED, NOT_FOUND). */
export class VolumeSourceMissingError extends VolumeCopyError {
  override readonly name = 'VolumeSourceMissingError';
  constructor(path: string) {
    super('SOURCE_VANISHED', `volume source ${path} does not exist; is the volume attached?`, path, { errno: 'ENOENT' });
  }
}

/**
 * Thrown when the destination holds fewer bytes than the volume (reason DESTINATION_CONFLICT,
 * FAILED_PRECONDITION): the copy would not fit, and ferry never grows a sized destination.
 */
export class DestinationTooSmallError extends VolumeCopyError {
  override readonly name = 'DestinationTooSmallError';
  readonly destinationBytes: number;
  readonly volumeBytes: number;
  constructor(path: string, destinationBytes: number, volumeBytes: number) {
    super('DESTINATION_CONFLICT', `volume destination ${path} holds ${destinationBytes} bytes, fewer than the volume's ${volumeBytes}; extend the destination volume first`, path);
    this.destinationBytes = destinationBytes;
    this.volumeBytes = volumeBytes;
  }
}

/** Thrown when a range still differs from the source after one retry (reason HASH_MISMATCH, DATA_LOSS). */
export class VolumeHashMismatchError extends VolumeCopyError {
  override readonly name = 'VolumeHashMismatchError';
  constructor(path: string, offset: number, message?: string) {
    super('HASH_MISMATCH', message ?? `volume destination ${path} differs from the source at offset ${offset} after a retry`, path, { offset });
  }
}

/** Thrown when the copy was cancelled through its AbortSignal; finished ranges stay in the checkpoint. */
export class VolumeCopyCancelledError extends VolumeCopyError {
  override readonly name = 'VolumeCopyCancelledError';
  constructor() {
    super('CANCELLED', 'volume copy cancelled; ranges recorded in the checkpoint are not copied again by a restart', '');
  }
}

/** Thrown for a job that cannot run as given (both or neither path set, a negative size, source = destination). */
export class InvalidVolumeCopyError extends VolumeCopyError {
  override readonly name = 'InvalidVolumeCopyError';
  constructor(message: string, path = '') {
    super('INVALID_COPY_OPTIONS', message, path);
  }
}

/** Rebuilds the typed error from a worker's failure record. */
export function volumeCopyErrorFromFailure(failure: BlockFailure): VolumeCopyError {
  const offset = failure.offset >= 0 ? failure.offset : null;
  switch (failure.reason) {
    case 'CANCELLED':
      return new VolumeCopyCancelledError();
    case 'HASH_MISMATCH':
      return new VolumeHashMismatchError(failure.path, failure.offset, failure.message);
    default:
      return new VolumeCopyError(failure.reason, failure.message, failure.path, { ...(failure.errno ? { errno: failure.errno } : {}), offset });
  }
}
