import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readPluginEnvironment, PluginEnvironmentError, RUN_BY_HAND_MESSAGE } from '../../../plugins/sdk/environment.js';
import { chooseContractVersion, renderHandshakeLine } from '../../../plugins/sdk/handshake.js';

const base = { FERRY_PLUGIN_MAGIC_COOKIE: 'ferry-driver-plugin-7c1e', FERRY_PLUGIN_CONTRACT_VERSIONS: 'v1', FERRY_PLUGIN_SOCKET_DIR: '/run/ferry/p' };

describe('readPluginEnvironment', () => {
  it('reads the FERRY_PLUGIN_* variables with their defaults', () => {
    assert.deepEqual(readPluginEnvironment(base), { contractVersions: ['v1'], socketDir: '/run/ferry/p', name: '', config: {}, logLevel: 'info', shutdownGraceMs: undefined });
  });

  it('parses versions, config, level and grace', () => {
    const env = readPluginEnvironment({ ...base, FERRY_PLUGIN_CONTRACT_VERSIONS: ' v2 , v1,', FERRY_PLUGIN_NAME: 'localfs1', FERRY_PLUGIN_CONFIG: '{"root":"/srv"}', FERRY_PLUGIN_LOG_LEVEL: 'debug', FERRY_PLUGIN_SHUTDOWN_GRACE_MS: '250' });
    assert.deepEqual(env, { contractVersions: ['v2', 'v1'], socketDir: '/run/ferry/p', name: 'localfs1', config: { root: '/srv' }, logLevel: 'debug', shutdownGraceMs: 250 });
  });

  it('refuses a run by hand (no or wrong cookie) with the documented message', () => {
    for (const cookie of [undefined, 'nope']) {
      assert.throws(() => readPluginEnvironment({ ...base, FERRY_PLUGIN_MAGIC_COOKIE: cookie }), (e: unknown) => e instanceof PluginEnvironmentError && e.runByHand && e.message === RUN_BY_HAND_MESSAGE);
    }
  });

  it('names the variable that is missing or malformed', () => {
    const cases: [Record<string, string | undefined>, RegExp][] = [
      [{ FERRY_PLUGIN_CONTRACT_VERSIONS: ' , ' }, /^FERRY_PLUGIN_CONTRACT_VERSIONS is empty/],
      [{ FERRY_PLUGIN_SOCKET_DIR: undefined }, /^FERRY_PLUGIN_SOCKET_DIR is not set/],
      [{ FERRY_PLUGIN_CONFIG: '{oops' }, /^FERRY_PLUGIN_CONFIG is not valid JSON/],
      [{ FERRY_PLUGIN_CONFIG: '[1]' }, /^FERRY_PLUGIN_CONFIG must be one JSON object/],
      [{ FERRY_PLUGIN_LOG_LEVEL: 'loud' }, /^FERRY_PLUGIN_LOG_LEVEL "loud" is not a pino level/],
      [{ FERRY_PLUGIN_SHUTDOWN_GRACE_MS: '-1' }, /^FERRY_PLUGIN_SHUTDOWN_GRACE_MS must be a non-negative integer/],
    ];
    for (const [override, message] of cases) {
      assert.throws(() => readPluginEnvironment({ ...base, ...override }), (e: unknown) => e instanceof PluginEnvironmentError && !e.runByHand && message.test(e.message));
    }
  });
});

describe('chooseContractVersion', () => {
  it('takes the first offered version the SDK speaks', () => {
    assert.deepEqual(chooseContractVersion(['v3', 'v2', 'v1'], ['v1', 'v2']), { version: 'v2', matched: true });
  });

  it('answers with its own newest version when it speaks none of the offered ones', () => {
    assert.deepEqual(chooseContractVersion(['v9']), { version: 'v1', matched: false });
  });
});

describe('renderHandshakeLine', () => {
  it('renders one JSON line with the documented field names', () => {
    assert.equal(
      renderHandshakeLine({ contractVersion: 'v1', address: '/run/ferry/p/plugin.sock', pid: 4242 }),
      '{"ferry_plugin":1,"contract_version":"v1","network":"unix","address":"/run/ferry/p/plugin.sock","pid":4242}\n',
    );
  });
});
