/**
 * Asking the destination driver whether it can take the server (Manila 1.2 and 4.6
 * migration_check), and validating its answer against the request. MigrationCheck shows the
 * result; the prepare step refuses the migration when it finds a blocker.
 */
import { backendOf } from '../../domain/host.js';
import type { ServerMigrationCapabilities, ServerMigrationRequest, ShareServer } from '../../domain/resources.js';
import type { OrchestratorContext } from '../context.js';
import { toDriverInstance, toDriverServer, toPeerInfo } from '../driver-models.js';
import type { ServerMigrationBlocker } from '../ferry-api.js';
import type { ServerShare } from './scope.js';
import { describe } from '../share-migration/step.js';

export interface CompatibilityOutcome {
  /** The driver's answer; null when it was not asked or failed. */
  readonly capabilities: ServerMigrationCapabilities | null;
  readonly blockers: readonly ServerMigrationBlocker[];
}

const incompatible = (message: string): ServerMigrationBlocker => ({ reason: 'SHARE_SERVER_MIGRATION_INCOMPATIBLE', message });

/** Manila 1.2's validation of an answer: compatible, each requested guarantee given, snapshots preservable. */
export function answerProblems(request: ServerMigrationRequest, answer: ServerMigrationCapabilities, snapshotCount: number): ServerMigrationBlocker[] {
  const problems: ServerMigrationBlocker[] = [];
  if (!answer.compatible) {
    const reasons = answer.reasons.length > 0 ? answer.reasons.join('; ') : 'no reason given';
    problems.push(incompatible(`the destination driver answered compatible = false: ${reasons}`));
  }
  if (request.writable && !answer.writable) problems.push(incompatible('writable was requested, the destination driver cannot keep the shares writable during phase 1'));
  if (request.nondisruptive && !answer.nondisruptive) problems.push(incompatible('nondisruptive was requested, the destination driver cannot migrate without disrupting clients'));
  if (request.preserveSnapshots && !answer.preserveSnapshots) problems.push(incompatible('preserve_snapshots was requested, the destination driver cannot preserve snapshots'));
  if (!request.preserveSnapshots && !answer.preserveSnapshots && snapshotCount > 0) {
    problems.push(incompatible(`the destination driver cannot preserve snapshots and the server's shares have ${snapshotCount}; delete them first`));
  }
  return problems;
}

/**
 * The destination's answer for this server and request. A back end that does not handle share
 * servers, or whose plugin does not offer server migration, is refused without a call.
 */
export async function askCompatibility(ctx: OrchestratorContext, server: ShareServer, shares: readonly ServerShare[], request: ServerMigrationRequest, networkChange: boolean): Promise<CompatibilityOutcome> {
  const backend = backendOf(request.destinationHost);
  const record = await ctx.store.getBackend(backend);
  const driver = ctx.drivers.backend(backend);
  const offered = driver.status().identity?.capabilities.includes('SHARE_SERVER_MIGRATION') ?? false;
  if (record !== undefined && !record.driverHandlesShareServers) {
    return { capabilities: null, blockers: [{ reason: 'SHARE_SERVERS_NOT_SUPPORTED', message: `destination back end ${backend} does not handle share servers (driver_handles_share_servers = false)` }] };
  }
  if (!offered) {
    return { capabilities: null, blockers: [{ reason: 'SHARE_SERVERS_NOT_SUPPORTED', message: `destination back end ${backend}'s plugin does not offer share server migration` }] };
  }
  const snapshotCount = shares.reduce((sum, entry) => sum + entry.snapshots.length, 0);
  try {
    const answer = await driver.shareServerMigrationCheckCompatibility({
      server: toDriverServer(server),
      destinationHost: request.destinationHost,
      oldShareNetworkId: server.shareNetworkId,
      newShareNetworkId: request.shareNetworkId,
      sharesSizeGib: shares.reduce((sum, entry) => sum + entry.share.sizeGib, 0),
      snapshotsSizeGib: shares.reduce((sum, entry) => sum + entry.snapshots.reduce((s, snap) => s + snap.snapshot.sizeGib, 0), 0),
      shares: shares.map((entry) => ({
        instance: toDriverInstance(entry.instance, entry.share, entry.type),
        shareTypeId: entry.instance.shareTypeId,
        shareTypeName: entry.type?.name ?? '',
        shareProperties: { display_name: entry.share.name, share_proto: entry.share.shareProto, snapshot_support: String(entry.share.snapshotSupport) },
      })),
      sourcePeer: toPeerInfo(await ctx.store.getBackend(backendOf(server.host)), backendOf(server.host)),
    });
    const capabilities: ServerMigrationCapabilities = {
      compatible: answer.compatible,
      writable: answer.writable,
      // Manila 4.6: a change of subnets cannot be nondisruptive, whatever the driver says.
      nondisruptive: answer.nondisruptive && !networkChange,
      preserveSnapshots: answer.preserveSnapshots,
      migrationCancel: answer.migrationCancel,
      migrationGetProgress: answer.migrationGetProgress,
      shareNetworkId: answer.shareNetworkId || request.shareNetworkId,
      reasons: answer.incompatibilityReasons,
    };
    return { capabilities, blockers: answerProblems(request, capabilities, snapshotCount) };
  } catch (error) {
    return { capabilities: null, blockers: [incompatible(`the destination driver's compatibility check failed: ${describe(error).message}`)] };
  }
}
