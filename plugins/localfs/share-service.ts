/**
 * ShareService for localfs: a share instance is a directory, its export is a bind mount of it,
 * access rules collapse into the export's state (exports.ts), a snapshot is a full copy made
 * with the copy engine (reflink where the file system supports it).
 *
 * Every handler validates first (INVALID_ARGUMENT naming the field), then takes the RPC's
 * idempotency key (ABORTED while the same key runs), then touches disk. Idempotency across
 * restarts comes from the disk: a create finds its instance.json, a delete finds nothing.
 */
import { mkdir, rm } from 'node:fs/promises';
import { AlreadyExistsError, InternalError, InvalidArgumentError, MissingFieldError, NotFoundError, FailedPreconditionError } from '../../src/domain/errors.js';
import { AccessRuleState } from '../../src/contract/gen/ferry/driver/v1/common.js';
import type {
  CreateShareInstanceRequest,
  CreateShareInstanceResponse,
  CreateSnapshotInstanceRequest,
  CreateSnapshotInstanceResponse,
  DeleteShareInstanceRequest,
  DeleteSnapshotInstanceRequest,
  ExtendShareInstanceRequest,
  GetConnectionInfoRequest,
  GetConnectionInfoResponse,
  GetExportLocationsRequest,
  GetExportLocationsResponse,
  ShrinkShareInstanceRequest,
  UpdateAccessRequest,
  UpdateAccessResponse,
} from '../../src/contract/gen/ferry/driver/v1/share.js';
import { createKeyedOperations, type DeepPartial, type DriverContext } from '../sdk/index.js';
import { instanceInUse, serverLock, type LocalFsBackend } from './backend.js';
import { copyIntoPlace, copyRootMetadata } from './copier.js';
import { GIB, usedBytes } from './disk.js';
import { ruleProblem } from './exports.js';
import { checkName, exportPath, shareDataDir, shareDir, snapshotDataDir, snapshotDir } from './layout.js';
import type { InstanceRecord, RecordedRule, SnapshotRecord } from './metadata-store.js';

export class ShareService {
  /** One key space for share instance and snapshot instance ids (they are UUIDs, never equal). */
  private readonly ops = createKeyedOperations();

  constructor(private readonly backend: LocalFsBackend) {}

  /**
   * Creates `<pool>/shares/<id>/data`, empty or as a copy of a snapshot, and its (unmounted)
   * export. With driverHandlesShareServers the instance goes onto `share_server`, which must be
   * set up here; instance.json (naming the server) is written under the server's lock.
   */
  async createShareInstance(req: CreateShareInstanceRequest, ctx: DriverContext): Promise<DeepPartial<CreateShareInstanceResponse>> {
    const b = this.backend;
    const si = req.shareInstance;
    const { id, pool } = b.checkInstance('share_instance', si);
    if (si!.shareId === '') throw new MissingFieldError('share_instance.share_id');
    if (si!.sizeGib < 1) throw new InvalidArgumentError('share_instance.size_gib', 'must be at least 1');
    if (si!.shareProto === '') throw new MissingFieldError('share_instance.share_proto');
    b.checkProtocol('share_instance.share_proto', si!.shareProto);
    const fromSnapshot = req.sourceSnapshotInstance?.snapshotInstanceId ?? '';
    if (fromSnapshot !== '') checkName('source_snapshot_instance.snapshot_instance_id', fromSnapshot);
    const serverId = b.config.driverHandlesShareServers ? b.checkServer('share_server', req.shareServer) : '';
    if (serverId !== '' && si!.shareServerId !== '' && si!.shareServerId !== serverId) {
      throw new InvalidArgumentError('share_instance.share_server_id', `is ${si!.shareServerId} but share_server is ${serverId}`);
    }
    b.requirePool(pool);

    return this.ops.run(id, async () => {
      for (const other of b.config.pools) {
        const existing = await b.store.readInstance(other, id);
        if (existing === undefined) continue;
        const existingServer = existing.shareServerId ?? '';
        const same = other === pool && existing.sizeGib === si!.sizeGib && existing.shareProto === si!.shareProto && existing.sourceSnapshotInstanceId === fromSnapshot && existingServer === serverId;
        if (!same) {
          const detail = `${existing.sourceSnapshotInstanceId ? `, from snapshot ${existing.sourceSnapshotInstanceId}` : ''}${existingServer ? `, on share server ${existingServer}` : ''}`;
          throw new AlreadyExistsError(`share instance ${id} already exists with pool ${existing.pool}, size ${existing.sizeGib} GiB, protocol ${existing.shareProto}${detail}`, { shareInstanceId: id });
        }
        await b.applyExport(existing);
        return this.created(existing);
      }
      if (serverId !== '') await b.requireServer(serverId);
      await b.checkCapacity(pool, si!.sizeGib);
      const snapshot = fromSnapshot === '' ? undefined : await this.findSnapshot(fromSnapshot);
      if (fromSnapshot !== '' && snapshot === undefined) throw new NotFoundError('snapshot instance', fromSnapshot, 'SNAPSHOT_INSTANCE_NOT_FOUND', 'snapshotInstanceId');

      // A directory without instance.json is a create that died half-way: start it over.
      const dir = shareDir(b.root, pool, id);
      const data = shareDataDir(b.root, pool, id);
      await rm(dir, { recursive: true, force: true });
      await mkdir(data, { recursive: true, mode: 0o755 });
      if (snapshot !== undefined) {
        const source = snapshotDataDir(b.root, snapshot.pool, fromSnapshot);
        await b.copier.copyTree({ source, destination: data, verify: 'none', copyMethod: 'clone', ignore: [] }, ctx.signal).done;
        await copyRootMetadata(source, data);
      }
      const record: InstanceRecord = {
        version: 1,
        shareInstanceId: id,
        shareId: si!.shareId,
        pool,
        sizeGib: si!.sizeGib,
        shareProto: si!.shareProto,
        sourceSnapshotInstanceId: fromSnapshot,
        accessRules: [],
        castRulesToReadonly: false,
        snapshotInstanceIds: [],
        ...(serverId === '' ? {} : { shareServerId: serverId }),
        createdAt: new Date().toISOString(),
      };
      if (serverId === '') await b.store.writeInstance(record);
      else await this.commitOntoServer(record, serverId);
      await b.applyExport(record);
      ctx.logger.info({ shareInstanceId: id, pool, sizeGib: record.sizeGib, fromSnapshot }, 'share instance created');
      return this.created(record);
    });
  }

  /** Writes instance.json unless the server was torn down meanwhile (then the half-made instance goes). */
  private async commitOntoServer(record: InstanceRecord, serverId: string): Promise<void> {
    const b = this.backend;
    await b.withLock(serverLock(serverId), async () => {
      if ((await b.store.readServer(serverId)) !== undefined) return b.store.writeInstance(record);
      await rm(shareDir(b.root, record.pool, record.shareInstanceId), { recursive: true, force: true });
      throw new NotFoundError('share server', serverId, 'SHARE_SERVER_NOT_FOUND', 'shareServerId');
    });
  }

  /** Unmounts the export, then removes data and metadata. Unknown ids succeed. */
  async deleteShareInstance(req: DeleteShareInstanceRequest, ctx: DriverContext): Promise<object> {
    const b = this.backend;
    const { id, pool } = b.checkInstance('share_instance', req.shareInstance);
    return this.ops.run(id, async () => {
      if (!b.config.pools.includes(pool)) return {};
      const record = await b.store.readInstance(pool, id);
      if (record !== undefined && record.snapshotInstanceIds.length > 0) throw instanceInUse(record);
      await this.removeInstance(pool, id);
      ctx.logger.info({ shareInstanceId: id, pool, existed: record !== undefined }, 'share instance deleted');
      return {};
    });
  }

  /** Removes an instance's export, data and metadata, in that order (used by delete and by migration). */
  removeInstance(pool: string, id: string): Promise<void> {
    return this.backend.own.removeInstance(pool, id);
  }

  async extendShareInstance(req: ExtendShareInstanceRequest, _ctx: DriverContext): Promise<object> {
    const b = this.backend;
    const { id } = b.checkInstance('share_instance', req.shareInstance);
    return this.ops.run(id, async () => {
      const record = await b.requireInstance('share_instance', req.shareInstance);
      if (req.newSizeGib === record.sizeGib) return {};
      if (req.newSizeGib < record.sizeGib) throw new InvalidArgumentError('new_size_gib', `${req.newSizeGib} is below the current size ${record.sizeGib} GiB; use ShrinkShareInstance`);
      await b.checkCapacity(record.pool, req.newSizeGib - record.sizeGib);
      await b.updateInstance(record.pool, id, (r) => ({ ...r, sizeGib: req.newSizeGib }));
      return {};
    });
  }

  async shrinkShareInstance(req: ShrinkShareInstanceRequest, _ctx: DriverContext): Promise<object> {
    const b = this.backend;
    const { id } = b.checkInstance('share_instance', req.shareInstance);
    if (req.newSizeGib < 1) throw new InvalidArgumentError('new_size_gib', 'must be at least 1');
    return this.ops.run(id, async () => {
      const record = await b.requireInstance('share_instance', req.shareInstance);
      if (req.newSizeGib === record.sizeGib) return {};
      if (req.newSizeGib > record.sizeGib) throw new InvalidArgumentError('new_size_gib', `${req.newSizeGib} is above the current size ${record.sizeGib} GiB; use ExtendShareInstance`);
      const used = await usedBytes(shareDataDir(b.root, record.pool, id));
      if (used > req.newSizeGib * GIB) {
        const usedGib = (used / GIB).toFixed(2);
        throw new FailedPreconditionError('SHRINK_BELOW_USED', `share instance ${id} uses ${usedGib} GiB, more than ${req.newSizeGib} GiB; size unchanged`, { shareInstanceId: id, usedGib });
      }
      await b.updateInstance(record.pool, id, (r) => ({ ...r, sizeGib: req.newSizeGib }));
      return {};
    });
  }

  /**
   * Copies the instance's data to `<pool>/snapshots/<id>/data` (through `data.partial`, renamed
   * when complete). The copy runs while the export stays writable: each file is copied as it is
   * when the engine reads it, so a tree written during the snapshot is not atomic across files.
   */
  async createSnapshotInstance(req: CreateSnapshotInstanceRequest, ctx: DriverContext): Promise<DeepPartial<CreateSnapshotInstanceResponse>> {
    const b = this.backend;
    const snap = req.snapshotInstance;
    if (snap === undefined) throw new MissingFieldError('snapshot_instance');
    if (snap.snapshotInstanceId === '') throw new MissingFieldError('snapshot_instance.snapshot_instance_id');
    const snapId = checkName('snapshot_instance.snapshot_instance_id', snap.snapshotInstanceId);
    const { id } = b.checkInstance('share_instance', req.shareInstance);
    if (snap.shareInstanceId !== '' && snap.shareInstanceId !== id) throw new InvalidArgumentError('snapshot_instance.share_instance_id', `is ${snap.shareInstanceId} but share_instance is ${id}`);

    return this.ops.run(snapId, async () => {
      const existing = await this.findSnapshot(snapId);
      if (existing !== undefined) {
        if (existing.record.shareInstanceId !== id) throw new AlreadyExistsError(`snapshot instance ${snapId} already exists for share instance ${existing.record.shareInstanceId}`, { snapshotInstanceId: snapId });
        return { providerLocation: snapshotDir(b.root, existing.pool, snapId), sizeGib: existing.record.sizeGib };
      }
      const instance = await b.requireInstance('share_instance', req.shareInstance);
      const pool = instance.pool;
      const dir = snapshotDir(b.root, pool, snapId);
      await rm(dir, { recursive: true, force: true });
      try {
        await copyIntoPlace(b.copier, shareDataDir(b.root, pool, id), snapshotDataDir(b.root, pool, snapId), { verify: 'none', copyMethod: 'clone' }, ctx.signal);
      } catch (error) {
        await rm(dir, { recursive: true, force: true });
        throw new InternalError(`snapshot ${snapId} of share instance ${id} failed: ${(error as Error).message}`, { reason: 'BACKEND_ERROR', metadata: { snapshotInstanceId: snapId }, cause: error });
      }
      const record: SnapshotRecord = { version: 1, snapshotInstanceId: snapId, snapshotId: snap.snapshotId, shareInstanceId: id, sizeGib: instance.sizeGib, createdAt: new Date().toISOString() };
      await b.store.writeSnapshot(pool, record);
      await b.updateInstance(pool, id, (r) => ({ ...r, snapshotInstanceIds: [...new Set([...r.snapshotInstanceIds, snapId])] }));
      ctx.logger.info({ snapshotInstanceId: snapId, shareInstanceId: id }, 'snapshot instance created');
      return { providerLocation: dir, sizeGib: record.sizeGib };
    });
  }

  /** Removes a snapshot's copy and its mention in the instance record. Unknown ids succeed. */
  async deleteSnapshotInstance(req: DeleteSnapshotInstanceRequest, _ctx: DriverContext): Promise<object> {
    const b = this.backend;
    const snap = req.snapshotInstance;
    if (snap === undefined) throw new MissingFieldError('snapshot_instance');
    if (snap.snapshotInstanceId === '') throw new MissingFieldError('snapshot_instance.snapshot_instance_id');
    const snapId = checkName('snapshot_instance.snapshot_instance_id', snap.snapshotInstanceId);
    return this.ops.run(snapId, async () => {
      const found = await this.findSnapshot(snapId);
      if (found === undefined) return {};
      await rm(snapshotDir(b.root, found.pool, snapId), { recursive: true, force: true });
      await b.updateInstance(found.pool, found.record.shareInstanceId, (r) => ({ ...r, snapshotInstanceIds: r.snapshotInstanceIds.filter((s) => s !== snapId) }));
      return {};
    });
  }

  /**
   * Records the full rule list and sets the export state it implies. Rules a local directory
   * cannot apply (type cert, a malformed address) are reported in state error; the others
   * are active.
   */
  async updateAccess(req: UpdateAccessRequest, ctx: DriverContext): Promise<DeepPartial<UpdateAccessResponse>> {
    const b = this.backend;
    const { id } = b.checkInstance('share_instance', req.shareInstance);
    const rules: RecordedRule[] = req.accessRules.map((rule, i) => {
      if (rule.accessRuleId === '') throw new MissingFieldError(`access_rules[${i}].access_rule_id`);
      return { id: rule.accessRuleId, type: rule.accessType, to: rule.accessTo, level: rule.accessLevel };
    });
    return this.ops.run(id, async () => {
      const record = await b.requireInstance('share_instance', req.shareInstance);
      const updated = await b.updateInstance(record.pool, id, (r) => ({ ...r, accessRules: rules, castRulesToReadonly: req.castRulesToReadonly }));
      try {
        await b.applyExport(updated ?? record);
      } catch (error) {
        throw new InternalError(`could not apply access rules to ${exportPath(b.root, id)}: ${(error as Error).message}`, { reason: 'BACKEND_ERROR', metadata: { shareInstanceId: id }, cause: error });
      }
      const accessRuleUpdates: Record<string, { state: AccessRuleState; message?: string }> = {};
      for (const rule of rules) {
        const problem = ruleProblem(rule);
        accessRuleUpdates[rule.id] = problem === undefined ? { state: AccessRuleState.ACCESS_RULE_STATE_ACTIVE } : { state: AccessRuleState.ACCESS_RULE_STATE_ERROR, message: problem };
      }
      ctx.logger.info({ shareInstanceId: id, rules: rules.length, cast: req.castRulesToReadonly }, 'access rules applied');
      return { accessRuleUpdates };
    });
  }

  /**
   * Host-assisted migration: the data node reads and writes the data directory directly
   * (local_path); the argv templates bind-mount the export for a data node that prefers a mount.
   */
  async getConnectionInfo(req: GetConnectionInfoRequest, _ctx: DriverContext): Promise<DeepPartial<GetConnectionInfoResponse>> {
    const record = await this.backend.requireInstance('share_instance', req.shareInstance);
    const proto = record.shareProto.toLowerCase();
    // Manila's default protocol_access_mapping: ip -> nfs, user -> cifs; keep the share's own.
    const accessMapping = proto === 'cifs' ? { user: { protocols: ['cifs'] } } : { ip: { protocols: [proto] } };
    return {
      connectionInfo: {
        localPath: shareDataDir(this.backend.root, record.pool, record.shareInstanceId),
        mountArgv: ['mount', '--bind', '{export}', '{path}'],
        unmountArgv: ['umount', '{path}'],
        accessMapping,
      },
    };
  }

  /** Re-applies the export state (mounts do not survive a reboot) and returns the export path. */
  async getExportLocations(req: GetExportLocationsRequest, _ctx: DriverContext): Promise<DeepPartial<GetExportLocationsResponse>> {
    const record = await this.backend.requireInstance('share_instance', req.shareInstance);
    await this.backend.applyExport(record);
    return { exportLocations: this.backend.exportLocations(record.shareInstanceId) };
  }

  /** The snapshot record with this id in any pool of this back end. */
  async findSnapshot(snapId: string): Promise<{ pool: string; record: SnapshotRecord } | undefined> {
    for (const pool of this.backend.config.pools) {
      const record = await this.backend.store.readSnapshot(pool, snapId);
      if (record !== undefined) return { pool, record };
    }
    return undefined;
  }

  private created(record: InstanceRecord): DeepPartial<CreateShareInstanceResponse> {
    return {
      exportLocations: this.backend.exportLocations(record.shareInstanceId),
      providerLocation: shareDir(this.backend.root, record.pool, record.shareInstanceId),
      backendDetails: { pool: record.pool },
    };
  }
}
