/**
 * ferry's data copy engine (host-assisted migration): copies a share's tree between mounted
 * roots in a piscina worker pool — parallel, verified (SHA-256 by default), resumable from a
 * checkpoint, incremental on re-runs, confined to its roots. See pool.ts for the passes and
 * fs-at.ts for how the roots are never escaped.
 */
export { createCopyPool, type CopyJob, type CopyPool, type CopyPoolOptions } from './pool.js';
export type { CopyMethod, CopyPhase, CopyProgress, CopyResult, CopyTreeOptions, VerifyAlgorithm } from './types.js';
export {
  DATA_COPY_REASONS,
  DataCopyCancelledError,
  DataCopyError,
  DestinationNotEmptyError,
  EscapeAttemptError,
  HashMismatchError,
  InvalidCopyOptionsError,
  type DataCopyReason,
} from './errors.js';
