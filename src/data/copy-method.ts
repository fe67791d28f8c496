/**
 * copyMethod 'auto': which way of moving a whole file's bytes is faster is a property of the
 * two filesystems, the page cache and the CPU, so it is measured on the job's own files rather
 * than fixed. Node offers two ways: a read/write loop through the thread's buffer, and
 * fs.copyFileSync on the two open fds (libuv: copy_file_range(2), i.e. in-kernel copy, reflinks
 * on btrfs/XFS where the kernel does them, server-side copy on NFS 4.2). copyFileSync costs
 * seven more syscalls per file (it reopens both fds through /proc, fstats, truncates, chmods),
 * so small files may lose what big files win.
 *
 * Every worker adds the nanoseconds and bytes of each data step to shared counters. The method
 * with fewer sampled bytes goes next until both have SAMPLE_BYTES; after that the faster one
 * (per byte, over all samples) is used, and every PROBE_EVERY-th file still goes the other way
 * so the choice follows changing conditions (cold vs warm cache, other load). A method at least
 * CLEAR_LEAD times slower once both have MIN_SAMPLE_BYTES stops being sampled and is probed
 * only every PROBE_EVERY_CLEAR-th file: on small files copy_file_range lost by 1.6-5x here,
 * and sampling 16 MiB of it plus every 32nd file cost 5-7% of the small set's time.
 */
import { C, type SharedState } from './shared-state.js';

const SAMPLE_BYTES = 16 * 1024 * 1024;
const MIN_SAMPLE_BYTES = 2 * 1024 * 1024;
const PROBE_EVERY = 32;
const CLEAR_LEAD = 2;
const PROBE_EVERY_CLEAR = 256;

export type DataStep = 'readwrite' | 'offload';

let counter = 0;

/** The method for the next eligible file (verification off, not sparse, not split). */
export function chooseStep(state: SharedState): DataStep {
  const rwBytes = state.get(C.readWriteBytes);
  const offBytes = state.get(C.offloadBytes);
  const rw = perByte(state, 'readwrite');
  const off = perByte(state, 'offload');
  const faster: DataStep = rw <= off ? 'readwrite' : 'offload';
  const clear = rwBytes >= MIN_SAMPLE_BYTES && offBytes >= MIN_SAMPLE_BYTES && Math.max(rw, off) >= CLEAR_LEAD * Math.min(rw, off);
  if (!clear && (rwBytes < SAMPLE_BYTES || offBytes < SAMPLE_BYTES)) return rwBytes <= offBytes ? 'readwrite' : 'offload';
  if (++counter % (clear ? PROBE_EVERY_CLEAR : PROBE_EVERY) === 0) return faster === 'readwrite' ? 'offload' : 'readwrite';
  return faster;
}

export function recordStep(state: SharedState, step: DataStep, ns: number, bytes: number): void {
  state.add(step === 'readwrite' ? C.readWriteNs : C.offloadNs, ns);
  state.add(step === 'readwrite' ? C.readWriteBytes : C.offloadBytes, bytes);
}

function perByte(state: SharedState, step: DataStep): number {
  const ns = state.get(step === 'readwrite' ? C.readWriteNs : C.offloadNs);
  const bytes = state.get(step === 'readwrite' ? C.readWriteBytes : C.offloadBytes);
  return bytes > 0 ? ns / bytes : Number.POSITIVE_INFINITY;
}

/** What auto measured, for the job's notes; null when it had nothing to compare. */
export function describeChoice(state: SharedState): string | null {
  const mibs = (step: DataStep): string => (1e9 / perByte(state, step) / 1048576).toFixed(0);
  if (state.get(C.readWriteBytes) === 0 || state.get(C.offloadBytes) === 0) return null;
  const winner = perByte(state, 'readwrite') <= perByte(state, 'offload') ? 'read/write' : 'copy_file_range';
  return `copyMethod auto measured read/write ${mibs('readwrite')} MiB/s and copy_file_range ${mibs('offload')} MiB/s per thread and preferred ${winner}`;
}
