import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadDaemonConfig, parseConfig } from '../../../src/daemon/config.js';

const FILE = '/etc/ferry/ferry.json';

function rejects(raw: unknown, message: string): void {
  assert.throws(() => parseConfig(raw, FILE), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.reason, 'CONFIG_INVALID');
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.equal(error.message, `${FILE}: ${message}`);
    return true;
  });
}

describe('daemon configuration file', () => {
  it('without a file: the embedded default under ./.ferry, FERRY_* overrides', () => {
    const config = loadDaemonConfig([], { FERRY_DATA_DIR: 'state', FERRY_LISTEN: '127.0.0.1:0' }, '/srv');
    assert.equal(config.dataDir, '/srv/state');
    assert.equal(config.listen, '127.0.0.1:0');
    assert.equal(config.configFile, undefined);
    assert.deepEqual(config.ferry.backends.map((b) => b.name), ['localfs1', 'localfs2', 'servers1', 'servers2', 'block1', 'block2', 'dummy']);
    assert.equal(loadDaemonConfig([], {}, '/srv').dataDir, '/srv/.ferry');
  });

  it('reads back ends, the data service options and relative paths against the file', () => {
    const config = parseConfig({
      listen: '0.0.0.0:9000', data_dir: 'state', node_name: 'node-a', migration_driver_continue_update_interval: 0.5,
      store: { driver: 'sqlite', path: 'db/ferry.db' },
      backends: [
        { name: 'fs1', plugin: 'localfs', config: { root: '/srv/fs1' }, share_mount_template: 'mount -t %(proto)s %(options)s %(export)s %(path)s', share_unmount_template: ['umount', '{path}'] },
        { name: 'vendor', launch: { command: './bin/vendor-plugin', args: ['--fast'] } },
        { name: 'remote', endpoint: { address: 'unix:///run/vendor.sock' } },
      ],
      data_service: { check_hash: true, migration_ignore_files: ['lost+found', '.snapshot'], data_node_access_ips: ['10.0.0.5'], data_node_mount_options: { NFS: '-o vers=4.2' }, mount_tmp_location: 'mnt' },
    }, FILE);
    assert.equal(config.dataDir, '/etc/ferry/state');
    assert.equal(config.ferry.storePath, '/etc/ferry/state/db/ferry.db');
    assert.equal(config.ferry.nodeName, 'node-a');
    assert.equal(config.ferry.driverContinueIntervalMs, 500);
    assert.equal(config.ferry.backends[1]!.launch!.command, '/etc/ferry/bin/vendor-plugin');
    assert.equal(config.ferry.backends[2]!.endpoint!.address, 'unix:///run/vendor.sock');
    const service = config.ferry.dataService!;
    assert.equal(service.checkHash, 'sha256');
    assert.deepEqual(service.mountOptions, { nfs: '-o vers=4.2' });
    assert.equal(service.mountTmpLocation, '/etc/ferry/mnt');
    assert.deepEqual(service.mountTemplates, { fs1: { mount: ['mount', '-t', '%(proto)s', '{options}', '{export}', '{path}'], unmount: ['umount', '{path}'] } });
  });

  it('names the field of every mistake', () => {
    rejects([], '(root): must be a JSON object');
    rejects({ listen: 'localhost' }, 'listen: must be host:port, got "localhost"');
    rejects({ colour: 'blue' }, 'colour: is not a known option (known: listen, data_dir, node_name, log_level, store, backends, data_service, migration_driver_continue_update_interval, server_migration_driver_continue_update_interval, pool_refresh_interval)');
    rejects({ store: { driver: 'postgres' } }, 'store.driver: only "sqlite" is available, got "postgres"');
    rejects({ backends: [] }, 'backends: must be a non-empty array');
    rejects({ backends: [{ name: 'a' }] }, 'backends[0].plugin: set exactly one of plugin (a built-in: localfs, dummy, memory), launch {command, args, env} or endpoint {address, tls}');
    rejects({ backends: [{ name: 'a', plugin: 'nfs' }] }, 'backends[0].plugin: must be one of localfs, block, dummy, memory, got "nfs"');
    rejects({ backends: [{ name: 'a', plugin: 'dummy' }, { name: 'a', plugin: 'dummy' }] }, 'backends[1].name: duplicates an earlier back end "a"');
    rejects({ backends: [{ name: 'a', plugin: 'dummy', share_mount_template: 'mount x' , share_unmount_template: 'umount {path}' }] }, 'backends[0].share_mount_template: must contain {path} (where the data service mounts the share)');
    rejects({ data_service: { check_hash: 'md5' } }, 'data_service.check_hash: must be true, false, "sha256", "xxh128" or "none", got "md5"');
    rejects({ data_service: { data_node_access_ips: '10.0.0.1' } }, 'data_service.data_node_access_ips: must be an array of non-empty strings');
    rejects({ migration_driver_continue_update_interval: 0 }, 'migration_driver_continue_update_interval: must be a number >= 0.01, got 0');
  });

  it('a file that is not JSON is refused with its path', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'fc-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'ferry.json'), '{ listen: ');
    assert.throws(() => loadDaemonConfig(['--config', 'ferry.json'], {}, dir), /ferry\.json: \(file\): cannot be read as JSON/);
    assert.throws(() => loadDaemonConfig(['--config'], {}, dir), /--config: needs a file name/);
  });
});
