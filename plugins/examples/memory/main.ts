/**
 * The smallest useful ferry plugin: shares kept in memory, written for the vendor guide
 * (plugins/README.md). It advertises only PLUGIN_CAPABILITY_SHARES and passes the conformance
 * kit's identity, pools, shares and access suites. Not for storing data: nothing is on disk.
 */
import { serve, AlreadyExistsError, MissingFieldError, NotFoundError, PluginCapability, type Driver, type DriverContext } from '../../sdk/index.js';
import type { ShareInstance } from '../../../src/contract/gen/ferry/driver/v1/common.js';
import type { CreateShareInstanceRequest, DeleteShareInstanceRequest, GetExportLocationsRequest, UpdateAccessRequest } from '../../../src/contract/gen/ferry/driver/v1/share.js';

const POOL = 'memory';

class MemoryDriver implements Driver {
  readonly info = { name: 'example.memory', vendorVersion: '1.0.0' };
  readonly capabilities = [PluginCapability.PLUGIN_CAPABILITY_SHARES];
  private readonly shares = new Map<string, { sizeGib: number; path: string }>();

  listPools() {
    return { pools: [{ name: POOL, totalCapacityGib: 100, freeCapacityGib: 100 - this.usedGib() }] };
  }

  createShareInstance(request: CreateShareInstanceRequest, ctx: DriverContext) {
    const instance = required(request.shareInstance);
    if (instance.pool !== POOL) throw new NotFoundError('pool', instance.pool, 'POOL_NOT_FOUND', 'pool');
    const existing = this.shares.get(instance.shareInstanceId);
    // Idempotent: a replay gets the same answer; the same id with another size is a conflict.
    if (existing && existing.sizeGib !== instance.sizeGib) throw new AlreadyExistsError(`share instance ${instance.shareInstanceId} exists with size ${existing.sizeGib} GiB`, { shareInstanceId: instance.shareInstanceId });
    const share = existing ?? { sizeGib: instance.sizeGib, path: `memory:/${instance.shareInstanceId}` };
    this.shares.set(instance.shareInstanceId, share);
    ctx.logger.info({ shareInstanceId: instance.shareInstanceId }, 'share instance created');
    return { exportLocations: [{ path: share.path }] };
  }

  deleteShareInstance(request: DeleteShareInstanceRequest) {
    this.shares.delete(required(request.shareInstance).shareInstanceId); // unknown id: OK
    return {};
  }

  getExportLocations(request: GetExportLocationsRequest) {
    return { exportLocations: [{ path: this.lookup(required(request.shareInstance)).path }] };
  }

  updateAccess(request: UpdateAccessRequest) {
    this.lookup(required(request.shareInstance));
    return { accessRuleUpdates: {} }; // no entry = every rule active
  }

  private lookup(instance: ShareInstance) {
    const share = this.shares.get(instance.shareInstanceId);
    if (!share) throw new NotFoundError('share instance', instance.shareInstanceId, 'SHARE_INSTANCE_NOT_FOUND', 'shareInstanceId');
    return share;
  }

  private usedGib() {
    return [...this.shares.values()].reduce((sum, s) => sum + s.sizeGib, 0);
  }
}

function required(instance: ShareInstance | undefined): ShareInstance {
  if (!instance?.shareInstanceId) throw new MissingFieldError('share_instance.share_instance_id');
  return instance;
}

await serve(() => new MemoryDriver());
