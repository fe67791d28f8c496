import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError } from '../../../src/domain/errors.js';
import { grpcTarget, parseHandshake, type HandshakeResult } from '../../../src/host/handshake.js';

const context = { plugin: 'localfs1', offered: ['v1'], socketDir: '/run/ferry/p-localfs1' };
const good = { ferry_plugin: 1, contract_version: 'v1', network: 'unix', address: '/run/ferry/p-localfs1/plugin.sock', pid: 4242 };
const line = (fields: Record<string, unknown>): string => JSON.stringify(fields);

function errorOf(result: HandshakeResult): FerryError {
  assert.equal(result.ok, false);
  if (result.ok) throw new Error('unreachable');
  assert.ok(result.error instanceof FerryError);
  return result.error;
}

function malformed(text: string, why: string): string {
  return `plugin localfs1: malformed handshake line ${JSON.stringify(text)}: ${why}`;
}

describe('parseHandshake', () => {
  it('accepts the example line of the spec', () => {
    assert.deepEqual(parseHandshake(line(good), context), {
      ok: true,
      handshake: { contractVersion: 'v1', network: 'unix', address: '/run/ferry/p-localfs1/plugin.sock', pid: 4242 },
    });
  });

  it('defaults the network to unix', () => {
    const { network: _network, ...rest } = good;
    const result = parseHandshake(line(rest), context);
    assert.ok(result.ok && result.handshake.network === 'unix');
  });

  it('accepts a tcp host:port, including a bracketed IPv6 host', () => {
    for (const address of ['127.0.0.1:7000', 'plugin.local:443', '[::1]:7000']) {
      const result = parseHandshake(line({ ...good, network: 'tcp', address }), context);
      assert.ok(result.ok, address);
    }
  });

  it('ignores fields it does not know, so the format can grow', () => {
    assert.ok(parseHandshake(line({ ...good, extra: true }), context).ok);
  });

  it('refuses a line that is not JSON, saying logs go to stderr', () => {
    const text = 'plugin listening on /tmp/plugin.sock';
    const error = errorOf(parseHandshake(text, context));
    assert.equal(error.message, malformed(text, 'not JSON; the first line on stdout must be the handshake, logs go to stderr'));
    assert.equal(error.code, 'INTERNAL');
    assert.equal(error.reason, 'PLUGIN_PROTOCOL_ERROR');
    assert.deepEqual(error.metadata, { plugin: 'localfs1' });
  });

  it('refuses JSON that is not an object', () => {
    assert.equal(errorOf(parseHandshake('[1]', context)).message, malformed('[1]', 'not a JSON object'));
  });

  it('names each wrong field with what it got', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...good, ferry_plugin: 2 }, 'ferry_plugin must be 1, got 2'],
      [{ ...good, ferry_plugin: undefined }, 'ferry_plugin must be 1, got nothing'],
      [{ ...good, contract_version: '' }, 'contract_version must be a non-empty string, got ""'],
      [{ ...good, contract_version: 1 }, 'contract_version must be a non-empty string, got 1'],
      [{ ...good, network: 'udp' }, 'network must be "unix" or "tcp", got "udp"'],
      [{ ...good, address: undefined }, 'address must be a non-empty string, got nothing'],
      [{ ...good, pid: -1 }, 'pid must be a positive integer, got -1'],
      [{ ...good, pid: '4242' }, 'pid must be a positive integer, got "4242"'],
      [{ ...good, address: '/tmp/elsewhere.sock' }, 'unix address must be a socket path directly inside /run/ferry/p-localfs1 (FERRY_PLUGIN_SOCKET_DIR)'],
      [{ ...good, address: 'plugin.sock' }, 'unix address must be a socket path directly inside /run/ferry/p-localfs1 (FERRY_PLUGIN_SOCKET_DIR)'],
      [{ ...good, address: '/run/ferry/p-localfs1/../x.sock' }, 'unix address must be a socket path directly inside /run/ferry/p-localfs1 (FERRY_PLUGIN_SOCKET_DIR)'],
      [{ ...good, network: 'tcp', address: 'localhost' }, 'tcp address must be host:port'],
      [{ ...good, network: 'tcp', address: 'localhost:99999' }, 'tcp address must be host:port'],
    ];
    for (const [fields, why] of cases) {
      const text = line(fields);
      assert.equal(errorOf(parseHandshake(text, context)).message, malformed(text, why));
    }
  });

  it('quotes at most 200 characters of a long line', () => {
    const text = 'x'.repeat(500);
    assert.equal(errorOf(parseHandshake(text, context)).message, malformed(`${'x'.repeat(200)}…`, 'not JSON; the first line on stdout must be the handshake, logs go to stderr'));
  });

  it('refuses an unspoken contract version, naming the offered and the chosen one', () => {
    const error = errorOf(parseHandshake(line({ ...good, contract_version: 'v9' }), { ...context, offered: ['v2', 'v1'] }));
    assert.equal(error.message, 'plugin localfs1 speaks contract version "v9", but this host speaks v2, v1; install a plugin build that supports one of: v2, v1');
    assert.equal(error.code, 'FAILED_PRECONDITION');
    assert.equal(error.reason, 'CONTRACT_VERSION_MISMATCH');
    assert.deepEqual(error.metadata, { plugin: 'localfs1', offered: 'v2,v1', chosen: 'v9' });
  });
});

describe('grpcTarget', () => {
  it('prefixes unix socket paths and keeps host:port', () => {
    assert.equal(grpcTarget({ network: 'unix', address: '/run/p.sock' }), 'unix:/run/p.sock');
    assert.equal(grpcTarget({ network: 'tcp', address: '127.0.0.1:7000' }), '127.0.0.1:7000');
  });
});
