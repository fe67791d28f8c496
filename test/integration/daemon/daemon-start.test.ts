import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'daemon', 'main.js');
const HealthClient = makeGenericClientConstructor(healthService, 'Health');

function checkHealth(address: string, service: string): Promise<string> {
  const client = new HealthClient(address, credentials.createInsecure()) as unknown as {
    check(request: { service: string }, options: { deadline: number }, callback: (error: ServiceError | null, response: { status: string | number }) => void): void;
    close(): void;
  };
  return new Promise((resolve, reject) => {
    client.check({ service }, { deadline: Date.now() + 5000 }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(String(response.status));
    });
  });
}

test('npm start: the daemon runs the default back ends, reports health, and stops without orphans', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-daemon-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const daemon = spawn(process.execPath, [main], { env: { ...process.env, FERRY_DATA_DIR: dataDir, FERRY_LISTEN: '127.0.0.1:0', FERRY_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => daemon.kill('SIGKILL'));
  const pluginPids: number[] = [];
  createInterface({ input: daemon.stdout }).on('line', (line) => {
    try {
      const record = JSON.parse(line) as { msg?: string; pluginPid?: number; plugin?: string; state?: string };
      if (record.msg === 'back end' && typeof record.pluginPid === 'number' && record.plugin !== undefined) pluginPids.push(record.pluginPid);
    } catch {
      // not a log record
    }
  });
  const address = await new Promise<string>((resolve, reject) => {
    const stderr = createInterface({ input: daemon.stderr });
    stderr.on('line', (line) => {
      const match = /^ferry daemon listening on (\S+) /.exec(line);
      if (match) resolve(match[1]!);
    });
    daemon.once('exit', (code) => reject(new Error(`daemon exited early with ${code}`)));
  });
  assert.match(address, /^127\.0\.0\.1:\d+$/);
  assert.equal(await checkHealth(address, ''), 'SERVING');
  for (const backend of ['localfs1', 'localfs2', 'servers1', 'servers2', 'block1', 'block2', 'dummy']) {
    assert.equal(await checkHealth(address, `ferry.backend.${backend}`), 'SERVING', `back end ${backend}`);
  }
  assert.equal(pluginPids.length, 7, 'one pid per default back end');
  assert.ok(existsSync(join(dataDir, 'backends', 'localfs1', 'pools', 'pool1')), 'localfs1 created its pools under the data directory');
  assert.ok(existsSync(join(dataDir, 'backends', 'block2', 'pools', 'pool2')), 'block2 created its pools under the data directory');

  const exit = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
  daemon.kill('SIGTERM');
  assert.equal(await exit, 0);
  for (const pid of pluginPids) {
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `plugin process ${pid} outlived the daemon`);
  }
  assert.ok(!existsSync(join(dataDir, 'run', 'plugins')), 'plugin sockets removed');
});
