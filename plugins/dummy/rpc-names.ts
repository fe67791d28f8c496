/**
 * The RPC names of the contract in lowerCamel (the Driver's method names), read from the
 * generated service definitions so a new RPC is known here without an edit. Behaviour rules are
 * keyed by these names.
 */
import { IdentityServiceService } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import { PoolServiceService } from '../../src/contract/gen/ferry/driver/v1/pool.js';
import { ShareServiceService } from '../../src/contract/gen/ferry/driver/v1/share.js';
import { ShareMigrationServiceService } from '../../src/contract/gen/ferry/driver/v1/share_migration.js';
import { ShareServerServiceService } from '../../src/contract/gen/ferry/driver/v1/share_server.js';
import { VolumeServiceService } from '../../src/contract/gen/ferry/driver/v1/volume.js';

/** Answered by the SDK itself: a behaviour rule for them would never run. */
const SDK_ANSWERED = new Set(['getPluginInfo', 'getPluginCapabilities']);

/** Every RPC a behaviour rule may name, e.g. "createShareInstance", "migrationStart", "probe". */
export const RPC_NAMES: ReadonlySet<string> = new Set(
  [IdentityServiceService, PoolServiceService, ShareServiceService, ShareMigrationServiceService, ShareServerServiceService, VolumeServiceService]
    .flatMap((service) => Object.keys(service))
    .filter((name) => !SDK_ANSWERED.has(name)),
);
