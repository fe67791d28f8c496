/**
 * The block copy engine: copies an attached volume's bytes (a raw image file or a block
 * device) to another, in parallel ranges on its own piscina pool, leaving zero ranges
 * unwritten on a sparse destination, verified with a volume digest, resumable from a
 * checkpoint. docs/volume-copy.md describes it; copier.ts is the place to start reading.
 */
export { createVolumeCopier, type BlockCopyOptions, type RunningBlockCopy, type VolumeCopier, type VolumeCopierOptions } from './copier.js';
export { LEAF_BYTES, PIECE_BYTES, RANGE_BYTES, ZERO_BLOCK_BYTES, type BlockCopyResult, type BlockCopyTestHooks, type TransferMode } from './types.js';
export {
  DestinationTooSmallError,
  InvalidVolumeCopyError,
  VolumeCopyCancelledError,
  VolumeCopyError,
  VolumeHashMismatchError,
  VolumeSourceMissingError,
} from './errors.js';
