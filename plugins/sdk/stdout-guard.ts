/**
 * Keeps stdout clean for the handshake line (docs/plugin-handshake.md: "After that line stdout
 * is reserved"). Importing this module - index.ts imports it before anything else - sends
 * console.log/info/debug/dir/table and any direct process.stdout.write to stderr. Only
 * writeHandshakeLine reaches the real stdout.
 */
import { Console } from 'node:console';

type Write = (chunk: string | Uint8Array, callback?: (error?: Error | null) => void) => boolean;

let realWrite: Write | undefined;

/** Redirects console and process.stdout to stderr; idempotent. */
export function installStdoutGuard(): void {
  if (realWrite !== undefined) return;
  const stdout = process.stdout;
  realWrite = stdout.write.bind(stdout) as Write;
  const toStderr = new Console({ stdout: process.stderr, stderr: process.stderr });
  const target = console as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(toStderr)) {
    if (typeof value === 'function') target[key] = value;
  }
  stdout.write = ((...args: Parameters<typeof process.stderr.write>) => process.stderr.write(...args)) as typeof stdout.write;
}

/** Writes the handshake line to the real stdout and resolves once it is flushed. */
export function writeHandshakeLine(line: string): Promise<void> {
  installStdoutGuard();
  const write = realWrite as Write;
  return new Promise((resolve, reject) => {
    write(line, (error) => (error ? reject(error) : resolve()));
  });
}

installStdoutGuard();
