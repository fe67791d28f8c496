/**
 * No orphans (docs/plugin-handshake.md, "Readiness, lifetime, shutdown" 4 and 5): the plugin
 * stops when its stdin reaches end-of-file (the host died or closed it), when its parent
 * process changes, and on SIGTERM/SIGINT (a second signal forces the stop).
 */

export type StopReason = 'SIGTERM' | 'SIGINT' | 'stdin closed' | 'parent process changed';

export interface LifetimeOptions {
  /** Called with the reason; `force` is true for a second signal. */
  readonly onStop: (reason: StopReason, force: boolean) => void;
  /** How often to compare process.ppid with the parent at start. */
  readonly parentPollMs: number;
  /** Whether stdin EOF stops the plugin. */
  readonly watchStdin: boolean;
}

/** Starts watching; returns a function that stops watching (listeners and timers removed). */
export function watchLifetime(options: LifetimeOptions): () => void {
  let signalled = false;
  const onSignal = (signal: 'SIGTERM' | 'SIGINT') => (): void => {
    options.onStop(signal, signalled);
    signalled = true;
  };
  const onTerm = onSignal('SIGTERM');
  const onInt = onSignal('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);

  const onStdinEnd = (): void => options.onStop('stdin closed', false);
  if (options.watchStdin) {
    process.stdin.on('end', onStdinEnd);
    process.stdin.on('error', onStdinEnd);
    process.stdin.on('data', () => undefined);
    process.stdin.resume();
  }

  const parent = process.ppid;
  const poll = setInterval(() => {
    if (process.ppid !== parent) options.onStop('parent process changed', false);
  }, options.parentPollMs);
  poll.unref();

  return () => {
    clearInterval(poll);
    process.removeListener('SIGTERM', onTerm);
    process.removeListener('SIGINT', onInt);
    if (options.watchStdin) {
      process.stdin.removeListener('end', onStdinEnd);
      process.stdin.removeListener('error', onStdinEnd);
      process.stdin.pause();
      process.stdin.destroy();
    }
  };
}
