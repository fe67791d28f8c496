/**
 * Share-server migration tests against real dummy plugin processes: a ferry whose dummy1 and
 * dummy2 handle share servers, a share type with driver_handles_share_servers, a share
 * network, and shares on one server of dummy1. Waits poll the store; nothing sleeps for a
 * fixed time.
 */
import type { ShareServerView, ShareView } from '../../src/orchestrator/ferry-api.js';
import type { TaskState } from '../../src/domain/statuses.js';
import { startMigrationFerry, type MigrationFerry, type MigrationFerryOptions } from './migration-harness.js';

export interface ServerMigrationFerry extends MigrationFerry {
  readonly typeId: string;
  readonly networkId: string;
  /** Creates `count` shares on one new server of dummy1; returns the server and the shares. */
  serverWithShares(count: number, options?: { snapshot?: boolean; rule?: boolean }): Promise<{ server: ShareServerView; shares: ShareView[] }>;
  /** Resolves with the server once `done` holds for it (or for its deletion: undefined). */
  waitForServer(id: string, done: (server: ShareServerView | undefined) => boolean, what: string, timeoutMs?: number): Promise<ShareServerView | undefined>;
  /** Resolves once the server's migration history contains `taskState`. */
  waitForServerTaskState(id: string, taskState: TaskState): Promise<ShareServerView>;
  /** Starts a migration of `id` to `host` with the three flags false unless given. */
  startServer(id: string, host: string, flags?: { writable?: boolean; nondisruptive?: boolean; preserveSnapshots?: boolean; newShareNetworkId?: string }): Promise<string>;
}

const POLL_MS = 10;

export async function startServerMigrationFerry(t: { after(fn: () => unknown): void }, options: MigrationFerryOptions = {}): Promise<ServerMigrationFerry> {
  const h = await startMigrationFerry(t, { shareServers: ['dummy1', 'dummy2'], ...options });
  const { ferry } = h;
  // A ferry restarted on the same directory finds them already there.
  const type = (await ferry.listShareTypes()).find((existing) => existing.name === 'dhss')
    ?? await ferry.createShareType({ name: 'dhss', extraSpecs: { driver_handles_share_servers: 'true', snapshot_support: 'true' } });
  const network = (await ferry.listShareNetworks()).find((existing) => existing.name === 'net1')
    ?? await ferry.createShareNetwork({ name: 'net1', subnets: [{ availabilityZone: null, neutronNetId: 'net-a', neutronSubnetId: 'subnet-a' }] });
  const serverOf = async (id: string) => {
    try {
      return await ferry.getShareServer(id);
    } catch {
      return undefined;
    }
  };
  const waitForServer: ServerMigrationFerry['waitForServer'] = async (id, done, what, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const server = await serverOf(id);
      if (done(server)) return server;
      if (Date.now() > deadline) throw new Error(`share server ${id} never reached ${what}: ${JSON.stringify({ status: server?.status, taskState: server?.taskState, error: server?.migration?.error })}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  return {
    ...h,
    typeId: type.id,
    networkId: network.id,
    async serverWithShares(count, shareOptions = {}) {
      const shares: ShareView[] = [];
      for (let i = 0; i < count; i += 1) {
        const share = await ferry.createShare({ shareProto: 'NFS', sizeGib: 1, host: 'ferry@dummy1#alpha', shareType: type.id, shareNetworkId: network.id, name: `s${i}` });
        if (shareOptions.rule) await ferry.grantAccess({ shareId: share.id, accessType: 'ip', accessTo: `10.0.0.${i + 1}`, accessLevel: 'rw' });
        if (shareOptions.snapshot && i === 0) await ferry.createSnapshot({ shareId: share.id, name: 'snap' });
        shares.push(await ferry.getShare(share.id));
      }
      const serverId = shares[0]!.shareServerId!;
      return { server: await ferry.getShareServer(serverId), shares };
    },
    waitForServer,
    async waitForServerTaskState(id, taskState) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const server = await ferry.getShareServer(id);
        const migration = server.migration;
        const history = migration ? (await ferry.serverMigrationHistory(migration.id)).map((event) => event.taskState) : [];
        if (history.includes(taskState)) return server;
        if (Date.now() > deadline) throw new Error(`share server ${id} never passed ${taskState}; history ${history.join(' > ')}; error ${migration?.error ?? ''}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    },
    async startServer(id, host, flags = {}) {
      const started = await ferry.serverMigrationStart({ shareServerId: id, host, writable: false, nondisruptive: false, preserveSnapshots: false, ...flags });
      return started.migrationId;
    },
  };
}
