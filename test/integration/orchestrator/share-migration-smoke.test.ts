import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startTestFerry } from '../../helpers/ferry-harness.js';

describe('share migration between localfs back ends', () => {
  it('host-assisted: copies the files, stops at data_copying_completed, completes on request', async (t) => {
    const { ferry, waitForTaskState, history } = await startTestFerry(t);
    const share = await ferry.createShare({ shareProto: 'NFS', sizeGib: 1, host: 'ferry@localfs1#pool1' });
    assert.equal(share.status, 'available');
    const data = share.instances[0]!.providerLocation;
    mkdirSync(join(data, 'data', 'd'), { recursive: true });
    writeFileSync(join(data, 'data', 'a'), 'alpha');
    writeFileSync(join(data, 'data', 'd', 'b'), 'beta');
    const started = await ferry.migrationStart({ shareId: share.id, host: 'ferry@localfs2#pool1', writable: false, preserveMetadata: false, preserveSnapshots: false, nondisruptive: false, forceHostAssistedMigration: true });
    assert.equal(started.noop, false);
    await waitForTaskState(share.id, ['data_copying_completed', 'migration_error']);
    await ferry.migrationComplete(share.id);
    await waitForTaskState(share.id, ['migration_success', 'migration_error']);
    const after = await ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_success', after.migration?.error);
    assert.equal(after.host, 'ferry@localfs2#pool1');
    assert.equal(after.instances.length, 1);
    assert.equal(readFileSync(join(after.instances[0]!.providerLocation, 'data', 'd', 'b'), 'utf8'), 'beta');
    assert.deepEqual(await history(share.id), [
      'migration_starting', 'migration_in_progress', 'data_copying_starting', 'data_copying_in_progress', 'data_copying_completing', 'data_copying_completed', 'migration_completing', 'migration_success',
    ]);
  });

  it('driver-assisted: phase 1 by the driver, then complete', async (t) => {
    const { ferry, waitForTaskState, history } = await startTestFerry(t);
    const share = await ferry.createShare({ shareProto: 'NFS', sizeGib: 1, host: 'ferry@localfs1#pool1' });
    writeFileSync(join(share.instances[0]!.providerLocation, 'data', 'a'), 'alpha');
    await ferry.migrationStart({ shareId: share.id, host: 'ferry@localfs2#pool2', writable: false, preserveMetadata: true, preserveSnapshots: false, nondisruptive: false });
    await waitForTaskState(share.id, ['migration_driver_phase1_done', 'migration_error']);
    await ferry.migrationComplete(share.id);
    await waitForTaskState(share.id, ['migration_success', 'migration_error']);
    const after = await ferry.getShare(share.id);
    assert.equal(after.taskState, 'migration_success', after.migration?.error);
    assert.equal(after.host, 'ferry@localfs2#pool2');
    assert.equal(readFileSync(join(after.instances[0]!.providerLocation, 'data', 'a'), 'utf8'), 'alpha');
    assert.deepEqual(await history(share.id), [
      'migration_starting', 'migration_in_progress', 'migration_driver_starting', 'migration_driver_in_progress', 'migration_driver_phase1_done', 'migration_completing', 'migration_success',
    ]);
  });
});
