/**
 * For tests that drive one plugin process directly (kill -9 and relaunch the exact process,
 * read its stdout): the FERRY_PLUGIN_* environment the host would give it, and the handshake
 * line it answers with. Tests that only need a supervised plugin use createPluginHost instead.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { MAGIC_COOKIE } from '../../src/host/index.js';

/** The environment of a plugin launched by hand in a test: ours minus FERRY_* and node:test's own, plus the plugin contract. */
export function pluginTestEnvironment(options: { socketDir: string; name: string; config?: unknown; logLevel?: string }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('FERRY_') && !key.startsWith('NODE_TEST')) env[key] = value;
  }
  return {
    ...env,
    FERRY_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE,
    FERRY_PLUGIN_CONTRACT_VERSIONS: 'v1',
    FERRY_PLUGIN_SOCKET_DIR: options.socketDir,
    FERRY_PLUGIN_NAME: options.name,
    FERRY_PLUGIN_CONFIG: JSON.stringify(options.config ?? {}),
    FERRY_PLUGIN_LOG_LEVEL: options.logLevel ?? 'info',
  };
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Resolves with the parsed handshake line (the first stdout line); rejects when the process
 * exits first or `timeoutMs` passes, quoting `stderr()` so the failure explains itself.
 */
export function readHandshake(child: ChildProcessWithoutNullStreams, exited: Promise<ProcessExit>, stderr: () => string, label: string, timeoutMs = 10_000): Promise<{ address: string; pid: number }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      action();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`${label} sent no handshake within ${timeoutMs} ms; stderr:\n${stderr()}`))), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline >= 0) settle(() => resolve(JSON.parse(out.slice(0, newline)) as { address: string; pid: number }));
    });
    void exited.then(({ code, signal }) => settle(() => reject(new Error(`${label} exited (${code ?? signal}) before its handshake; stderr:\n${stderr()}`))));
  });
}
