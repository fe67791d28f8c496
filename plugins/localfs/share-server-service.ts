/**
 * Share servers for localfs (driverHandlesShareServers): SetupShareServer and
 * TeardownShareServer. A directory serves no network, so a server is a record,
 * `<root>/servers/<id>/server.json`, that share instances are created on; the networks it was
 * given are recorded (they make its identity for replays) and its addresses kept for operators.
 * Records are written atomically (metadata-store.ts), so `kill -9` leaves a server set up or not.
 */
import { AlreadyExistsError, FailedPreconditionError, MissingFieldError } from '../../src/domain/errors.js';
import type { NetworkAllocation } from '../../src/contract/gen/ferry/driver/v1/common.js';
import type {
  SetupShareServerRequest,
  SetupShareServerResponse,
  TeardownShareServerRequest,
  TeardownShareServerResponse,
} from '../../src/contract/gen/ferry/driver/v1/share_server.js';
import { createKeyedOperations, type DeepPartial, type DriverContext } from '../sdk/index.js';
import { serverLock, type LocalFsBackend } from './backend.js';
import { checkName, serverDir } from './layout.js';
import type { ServerRecord } from './metadata-store.js';

/** What a teardown must clear besides the record: unfinished server migrations onto the server. */
export interface ServerLeftovers {
  /** Removes what unfinished migrations onto `shareServerId` wrote here; refuses (FAILED_PRECONDITION) one that is cutting over. */
  abandonMigrationsOnto(shareServerId: string): Promise<void>;
}

export class ShareServerService {
  private readonly ops = createKeyedOperations();

  constructor(
    private readonly backend: LocalFsBackend,
    private readonly leftovers: ServerLeftovers,
  ) {}

  /** Records the server; a replay returns the same identifier, other networks are ALREADY_EXISTS. */
  async setupShareServer(req: SetupShareServerRequest, ctx: DriverContext): Promise<DeepPartial<SetupShareServerResponse>> {
    const b = this.backend;
    const id = b.checkServer('share_server', req.shareServer);
    const server = req.shareServer!;
    if (server.shareNetworkId === '') throw new MissingFieldError('share_server.share_network_id');
    if (req.networkInfo.length === 0) throw new MissingFieldError('network_info');
    req.networkInfo.forEach((info, i) => {
      if (info.shareNetworkSubnetId === '') throw new MissingFieldError(`network_info[${i}].share_network_subnet_id`);
    });
    const sourceShareServerId = req.migrationDestination && req.sourceShareServerId !== '' ? checkName('source_share_server_id', req.sourceShareServerId) : '';
    const subnets = sortedUnique([...server.shareNetworkSubnetIds, ...req.networkInfo.map((n) => n.shareNetworkSubnetId)]);
    const allocations: NetworkAllocation[] = [...server.networkAllocations, ...req.networkInfo.flatMap((n) => [...n.networkAllocations, ...n.adminNetworkAllocations])];

    return this.ops.run(id, () =>
      b.withLock(serverLock(id), async () => {
        const existing = await b.store.readServer(id);
        if (existing !== undefined) {
          if (existing.shareNetworkId !== server.shareNetworkId || existing.shareNetworkSubnetIds.join(',') !== subnets.join(',')) {
            throw new AlreadyExistsError(`share server ${id} is already set up on share network ${existing.shareNetworkId} (subnets ${existing.shareNetworkSubnetIds.join(', ')})`, { shareServerId: id });
          }
          return setupResponse(existing);
        }
        const record: ServerRecord = {
          version: 1,
          shareServerId: id,
          shareNetworkId: server.shareNetworkId,
          shareNetworkSubnetIds: subnets,
          ipAddresses: sortedUnique(allocations.map((a) => a.ipAddress).filter((ip) => ip !== '')),
          identifier: `localfs-${id}`,
          // Where the server lives; nothing secret (a directory has no credentials).
          backendDetails: { root: b.root, server_dir: serverDir(b.root, id) },
          sourceShareServerId,
          createdAt: new Date().toISOString(),
        };
        await b.store.writeServer(record);
        ctx.logger.info({ shareServerId: id, shareNetworkId: record.shareNetworkId, migrationDestination: req.migrationDestination }, 'share server set up');
        return setupResponse(record);
      }),
    );
  }

  /** Removes the server once it holds no instance; unknown ids are OK. */
  async teardownShareServer(req: TeardownShareServerRequest, ctx: DriverContext): Promise<DeepPartial<TeardownShareServerResponse>> {
    const b = this.backend;
    const id = b.checkServer('share_server', req.shareServer);
    return this.ops.run(id, () =>
      b.withLock(serverLock(id), async () => {
        if ((await b.store.readServer(id)) === undefined) {
          await b.store.removeServer(id); // a directory a crashed teardown left
          return {};
        }
        const held = await b.instancesOnServer(id);
        if (held.length > 0) {
          const ids = held.map((r) => r.shareInstanceId).sort();
          throw new FailedPreconditionError('RESOURCE_IN_USE', `share server ${id} still holds share instances ${ids.join(', ')}; delete or migrate them first`, { shareServerId: id });
        }
        await this.leftovers.abandonMigrationsOnto(id);
        await b.store.removeServer(id);
        ctx.logger.info({ shareServerId: id }, 'share server torn down');
        return {};
      }),
    );
  }
}

function setupResponse(record: ServerRecord): DeepPartial<SetupShareServerResponse> {
  return { identifier: record.identifier, backendDetails: { ...record.backendDetails } };
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
