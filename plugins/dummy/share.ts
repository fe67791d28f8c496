/**
 * ShareService of the dummy: share instances, snapshot instances and access rules with the
 * contract's idempotency rules (share.proto), capacity accounted in the pools, and, with
 * dataRoot, a real directory per instance that GetConnectionInfo hands out as local_path.
 */
import { mkdirSync, readdirSync, rmSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, MissingFieldError, NotFoundError } from '../../src/domain/errors.js';
import { AccessRuleState, type ShareInstance } from '../../src/contract/gen/ferry/driver/v1/common.js';
import type { ShareServiceService } from '../../src/contract/gen/ferry/driver/v1/share.js';
import type { ServiceHandlers } from '../sdk/driver.js';
import { DummyBackend, fakeSnapshotPath, GIB, required, toExportLocations } from './backend.js';
import type { ShareRecord } from './state.js';

/** Manila's share protocols; the dummy serves them all. */
export const SHARE_PROTOCOLS = ['NFS', 'CIFS', 'GLUSTERFS', 'HDFS', 'CEPHFS', 'MAPRFS'];
const ACCESS_TYPES = ['ip', 'user', 'cert'];
const ACCESS_LEVELS = ['rw', 'ro'];

/** Checks the fields every ShareInstance request needs and returns its id. */
export function requireInstance(instance: ShareInstance | undefined, field = 'share_instance'): ShareInstance & { shareInstanceId: string } {
  const si = required(instance, field);
  required(si.shareInstanceId, `${field}.share_instance_id`);
  return si;
}

function createResponse(share: ShareRecord) {
  return { exportLocations: toExportLocations(share.exportLocations), providerLocation: share.providerLocation, backendDetails: { pool: share.pool } };
}

/** Bytes used under a directory (files and symlinks, recursively). */
function usedBytes(dir: string): number {
  let sum = 0;
  let entries: string[];
  try {
    entries = readdirSync(dir, { recursive: true }) as string[];
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const stat = lstatSync(join(dir, entry));
    if (!stat.isDirectory()) sum += stat.size;
  }
  return sum;
}

export function createShareHandlers(backend: DummyBackend): ServiceHandlers<typeof ShareServiceService> {
  const { state } = backend;
  return {
    createShareInstance(request) {
      const si = requireInstance(request.shareInstance);
      const id = si.shareInstanceId;
      required(si.pool, 'share_instance.pool');
      if (!(si.sizeGib >= 1)) throw new InvalidArgumentError('share_instance.size_gib', `must be >= 1, got ${si.sizeGib}`);
      if (!SHARE_PROTOCOLS.includes(si.shareProto)) {
        throw new InvalidArgumentError('share_instance.share_proto', `${JSON.stringify(si.shareProto)} is not served; use one of ${SHARE_PROTOCOLS.join(', ')}`);
      }
      const pool = backend.requirePool(si.pool);
      const serverId = request.shareServer?.shareServerId ?? '';
      if (si.shareTypeExtraSpecs['driver_handles_share_servers'] === 'true' && serverId === '') throw new MissingFieldError('share_server');
      if (serverId !== '' && state.data.servers[serverId] === undefined) throw new NotFoundError('share server', serverId, 'SHARE_SERVER_NOT_FOUND', 'shareServerId');
      const fromSnapshot = request.sourceSnapshotInstance?.snapshotInstanceId ?? '';
      if (fromSnapshot !== '' && state.data.snapshots[fromSnapshot] === undefined) {
        throw new NotFoundError('snapshot instance', fromSnapshot, 'SNAPSHOT_INSTANCE_NOT_FOUND', 'snapshotInstanceId');
      }

      const existing = state.data.shares[id];
      if (existing !== undefined) {
        const same = existing.pool === si.pool && existing.sizeGib === si.sizeGib && existing.shareProto === si.shareProto && existing.sourceSnapshotInstanceId === fromSnapshot;
        if (!same) {
          throw new AlreadyExistsError(
            `share instance ${id} already exists as ${existing.shareProto} ${existing.sizeGib} GiB on pool ${existing.pool}${existing.sourceSnapshotInstanceId ? ` from snapshot ${existing.sourceSnapshotInstanceId}` : ''}`,
            { shareInstanceId: id },
          );
        }
        return createResponse(existing);
      }
      backend.ensureCapacity(pool, si.sizeGib);
      const dir = backend.shareDir(id);
      if (dir !== undefined) mkdirSync(dir, { recursive: true });
      const share: ShareRecord = {
        shareInstanceId: id,
        shareId: si.shareId,
        pool: pool.name,
        sizeGib: si.sizeGib,
        shareProto: si.shareProto,
        shareServerId: serverId,
        sourceSnapshotInstanceId: fromSnapshot,
        exportLocations: backend.exportLocationsFor(id),
        providerLocation: dir ?? `dummy://share/${id}`,
        accessRules: [],
        readOnly: false,
      };
      state.data.shares[id] = share;
      state.save();
      return createResponse(share);
    },

    deleteShareInstance(request) {
      const { shareInstanceId: id } = requireInstance(request.shareInstance);
      if (state.data.shares[id] === undefined) return {};
      const snapshots = state.snapshotsOf(id);
      if (snapshots.length > 0) {
        throw new FailedPreconditionError('RESOURCE_IN_USE', `share instance ${id} still has ${snapshots.length} snapshot instance(s): ${snapshots.map((s) => s.snapshotInstanceId).join(', ')}`, {
          shareInstanceId: id,
        });
      }
      delete state.data.shares[id];
      state.save();
      const dir = backend.shareDir(id);
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      return {};
    },

    extendShareInstance(request) {
      const { shareInstanceId: id } = requireInstance(request.shareInstance);
      const share = backend.requireShare(id);
      const newSize = request.newSizeGib;
      if (newSize === share.sizeGib) return {};
      if (newSize < share.sizeGib) throw new InvalidArgumentError('new_size_gib', `${newSize} is below the current size ${share.sizeGib} GiB; use ShrinkShareInstance`);
      backend.ensureCapacity(backend.requirePool(share.pool), newSize - share.sizeGib);
      share.sizeGib = newSize;
      state.save();
      return {};
    },

    shrinkShareInstance(request) {
      const { shareInstanceId: id } = requireInstance(request.shareInstance);
      const share = backend.requireShare(id);
      const newSize = request.newSizeGib;
      if (newSize === share.sizeGib) return {};
      if (newSize < 1) throw new InvalidArgumentError('new_size_gib', `must be >= 1, got ${newSize}`);
      if (newSize > share.sizeGib) throw new InvalidArgumentError('new_size_gib', `${newSize} is above the current size ${share.sizeGib} GiB; use ExtendShareInstance`);
      const dir = backend.shareDir(id);
      const usedGib = dir === undefined ? 0 : Math.ceil(usedBytes(dir) / GIB);
      if (usedGib > newSize) {
        throw new FailedPreconditionError('SHRINK_BELOW_USED', `share instance ${id} uses ${usedGib} GiB, more than ${newSize} GiB`, { shareInstanceId: id, usedGib: String(usedGib) });
      }
      share.sizeGib = newSize;
      state.save();
      return {};
    },

    createSnapshotInstance(request) {
      const snap = required(request.snapshotInstance, 'snapshot_instance');
      const id = required(snap.snapshotInstanceId, 'snapshot_instance.snapshot_instance_id');
      const shareId = request.shareInstance?.shareInstanceId || snap.shareInstanceId;
      required(shareId, 'share_instance.share_instance_id');
      const existing = state.data.snapshots[id];
      if (existing !== undefined) {
        if (existing.shareInstanceId !== shareId) {
          throw new AlreadyExistsError(`snapshot instance ${id} already exists for share instance ${existing.shareInstanceId}`, { snapshotInstanceId: id });
        }
        return { providerLocation: existing.providerLocation, sizeGib: existing.sizeGib };
      }
      const share = backend.requireShare(shareId);
      const record = { snapshotInstanceId: id, snapshotId: snap.snapshotId, shareInstanceId: shareId, sizeGib: share.sizeGib, providerLocation: fakeSnapshotPath(id) };
      state.data.snapshots[id] = record;
      state.save();
      return { providerLocation: record.providerLocation, sizeGib: record.sizeGib };
    },

    deleteSnapshotInstance(request) {
      const snap = required(request.snapshotInstance, 'snapshot_instance');
      const id = required(snap.snapshotInstanceId, 'snapshot_instance.snapshot_instance_id');
      if (state.data.snapshots[id] !== undefined) {
        delete state.data.snapshots[id];
        state.save();
      }
      return {};
    },

    updateAccess(request) {
      const { shareInstanceId: id } = requireInstance(request.shareInstance);
      const share = backend.requireShare(id);
      const updates: Record<string, { state: AccessRuleState; message: string }> = {};
      const applied = [];
      for (const rule of request.accessRules) {
        if (!ACCESS_TYPES.includes(rule.accessType)) {
          updates[rule.accessRuleId] = { state: AccessRuleState.ACCESS_RULE_STATE_ERROR, message: `access type ${JSON.stringify(rule.accessType)} is not supported; use ${ACCESS_TYPES.join(', ')}` };
        } else if (!ACCESS_LEVELS.includes(rule.accessLevel)) {
          updates[rule.accessRuleId] = { state: AccessRuleState.ACCESS_RULE_STATE_ERROR, message: `access level ${JSON.stringify(rule.accessLevel)} is not supported; use rw or ro` };
        } else {
          updates[rule.accessRuleId] = { state: AccessRuleState.ACCESS_RULE_STATE_ACTIVE, message: '' };
          applied.push({ accessRuleId: rule.accessRuleId, accessType: rule.accessType, accessTo: rule.accessTo, accessLevel: request.castRulesToReadonly ? 'ro' : rule.accessLevel });
        }
      }
      share.accessRules = applied;
      share.readOnly = request.castRulesToReadonly;
      state.save();
      return { accessRuleUpdates: updates };
    },

    getConnectionInfo(request) {
      const { shareInstanceId: id } = requireInstance(request.shareInstance);
      const share = backend.requireShare(id);
      const dir = backend.shareDir(id);
      if (dir !== undefined) {
        mkdirSync(dir, { recursive: true });
        return { connectionInfo: { localPath: dir } };
      }
      const proto = share.shareProto.toLowerCase();
      return {
        connectionInfo: {
          mountArgv: ['mount', '-t', proto, '{options}', '{export}', '{path}'],
          unmountArgv: ['umount', '{path}'],
          accessMapping: { ip: { protocols: [proto] } },
        },
      };
    },

    getExportLocations(request) {
      const { shareInstanceId: id } = requireInstance(request.shareInstance);
      return { exportLocations: toExportLocations(backend.requireShare(id).exportLocations) };
    },
  };
}
