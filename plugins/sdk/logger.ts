/**
 * The plugin's logger: pino JSON lines on stderr (fd 2), synchronously so nothing is lost when
 * the process exits, with `plugin` bound. stdout is reserved for the handshake line.
 */
import { pino, type Logger } from 'pino';

export function createPluginLogger(options: { plugin: string; level: string }): Logger {
  return pino({ level: options.level, base: { pid: process.pid, plugin: options.plugin } }, pino.destination({ fd: 2, sync: true }));
}
