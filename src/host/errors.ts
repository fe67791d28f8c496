/**
 * The errors the plugin host raises on a plugin's behalf. Each is a FerryError with a reason
 * from the catalogue in proto/ferry/driver/v1/errors.proto and `plugin` in its metadata, so
 * callers decide from code + reason and operators see which back end is meant.
 */
import { CancelledError, FailedPreconditionError, InternalError, UnavailableError, type FerryError } from '../domain/errors.js';

/**
 * Thrown when a plugin breaks the launch contract: a malformed handshake line, output on
 * stdout after it, a GetPluginInfo answer that contradicts the handshake. Not retryable:
 * the plugin build must be fixed.
 */
export function pluginProtocolError(plugin: string, message: string, cause?: unknown): FerryError {
  return new InternalError(`plugin ${plugin}: ${message}`, { reason: 'PLUGIN_PROTOCOL_ERROR', metadata: { plugin }, cause });
}

/**
 * Thrown when a plugin chose a contract version this host does not speak. The message names
 * both sides so the operator knows which plugin build to install.
 */
export function contractVersionMismatchError(plugin: string, offered: readonly string[], chosen: string): FerryError {
  return new FailedPreconditionError(
    'CONTRACT_VERSION_MISMATCH',
    `plugin ${plugin} speaks contract version ${JSON.stringify(chosen)}, but this host speaks ${offered.join(', ')}; ` +
      `install a plugin build that supports one of: ${offered.join(', ')}`,
    { plugin, offered: offered.join(','), chosen },
  );
}

/** Thrown when a plugin is down, restarting, failed or not started: calls fail fast instead of hanging. Retry with backoff. */
export function pluginUnavailableError(plugin: string, why: string, cause?: unknown): FerryError {
  return new UnavailableError('PLUGIN_UNAVAILABLE', `plugin ${plugin} is unavailable: ${why}`, { plugin }, cause);
}

/** Thrown when a plugin did not answer within the call's deadline; the call was cancelled on the plugin. */
export function pluginDeadlineError(plugin: string, method: string, deadlineMs: number): FerryError {
  return new CancelledError(
    `plugin ${plugin} did not answer ${method} within ${deadlineMs} ms; the call was cancelled`,
    'DEADLINE_EXCEEDED',
    'PLUGIN_DEADLINE_EXCEEDED',
    { plugin, method, deadlineMs: String(deadlineMs) },
  );
}

/** Thrown when the caller's AbortSignal fired; the call was cancelled on the plugin. */
export function callCancelledError(plugin: string, method: string): FerryError {
  return new CancelledError(`call ${method} to plugin ${plugin} was cancelled by the caller`, 'CANCELLED', 'CANCELLED', { plugin, method });
}
