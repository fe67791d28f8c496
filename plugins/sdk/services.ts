/**
 * The contract services the SDK serves, one line each, and how each RPC maps to the capability
 * that gates it (the service comments in proto/ferry/driver/v1/*.proto and enum
 * PluginCapability in identity.proto). Adding a service to the contract: import its generated
 * module and add one `defineService(...)` line to CONTRACT_SERVICES; the Driver type,
 * registration, gating and logging follow from it.
 *
 * | Service               | RPC                                          | Gate                                         |
 * |-----------------------|----------------------------------------------|----------------------------------------------|
 * | IdentityService       | GetPluginInfo, GetPluginCapabilities         | answered by the SDK                          |
 * |                       | Probe                                        | none; `{ready: true}` when not implemented   |
 * | PoolService           | ListPools                                    | SHARES or VOLUMES (required by either)       |
 * | ShareService          | Create/DeleteShareInstance, UpdateAccess, GetExportLocations | SHARES                       |
 * |                       | Create/DeleteSnapshotInstance                | SHARE_SNAPSHOTS                              |
 * |                       | Extend/ShrinkShareInstance                   | SHARE_RESIZE                                 |
 * |                       | GetConnectionInfo                            | SHARE_HOST_ASSISTED_MIGRATION                |
 * | ShareMigrationService | Migration* except MigrationUpdateModel       | SHARE_DRIVER_MIGRATION                       |
 * |                       | MigrationUpdateModel                         | none, optional (destination side)            |
 * | ShareServerService    | Setup/TeardownShareServer                    | SHARE_SERVERS                                |
 * |                       | ShareServerMigration*                        | SHARE_SERVER_MIGRATION                       |
 * | VolumeService         | Create/Delete/Attach/DetachVolume            | VOLUMES                                      |
 * |                       | UpdateMigratedVolume                         | VOLUMES, optional (ferry applies defaults)   |
 * |                       | MigrateVolume                                | VOLUME_DRIVER_MIGRATION                      |
 * |                       | RetypeVolume                                 | VOLUME_RETYPE                                |
 * |                       | Create/DeleteVolumeSnapshot                  | VOLUME_SNAPSHOTS                             |
 *
 * "Required" gates make serve() refuse to start when a capability is advertised but one of its
 * RPCs is missing; "optional" ones are just refused (UNIMPLEMENTED) when missing.
 */
import * as identity from '../../src/contract/gen/ferry/driver/v1/identity.js';
import * as pool from '../../src/contract/gen/ferry/driver/v1/pool.js';
import * as share from '../../src/contract/gen/ferry/driver/v1/share.js';
import * as shareMigration from '../../src/contract/gen/ferry/driver/v1/share_migration.js';
import * as shareServer from '../../src/contract/gen/ferry/driver/v1/share_server.js';
import * as volume from '../../src/contract/gen/ferry/driver/v1/volume.js';
import { PluginCapability as C } from '../../src/contract/gen/ferry/driver/v1/identity.js';
import { defineService, needs, optionalWith, UNGATED, type MethodSpec, type ServiceSpec } from './service-spec.js';

/** Every ferry.driver.v1 service the SDK registers. */
export const CONTRACT_SERVICES = [
  defineService(identity.IdentityServiceService, identity, { default: UNGATED }),
  defineService(pool.PoolServiceService, pool, { default: needs(C.PLUGIN_CAPABILITY_SHARES, C.PLUGIN_CAPABILITY_VOLUMES) }),
  defineService(share.ShareServiceService, share, {
    default: needs(C.PLUGIN_CAPABILITY_SHARES),
    methods: {
      createSnapshotInstance: needs(C.PLUGIN_CAPABILITY_SHARE_SNAPSHOTS),
      deleteSnapshotInstance: needs(C.PLUGIN_CAPABILITY_SHARE_SNAPSHOTS),
      extendShareInstance: needs(C.PLUGIN_CAPABILITY_SHARE_RESIZE),
      shrinkShareInstance: needs(C.PLUGIN_CAPABILITY_SHARE_RESIZE),
      getConnectionInfo: needs(C.PLUGIN_CAPABILITY_SHARE_HOST_ASSISTED_MIGRATION),
    },
  }),
  defineService(shareMigration.ShareMigrationServiceService, shareMigration, {
    default: needs(C.PLUGIN_CAPABILITY_SHARE_DRIVER_MIGRATION),
    methods: { migrationUpdateModel: UNGATED },
  }),
  defineService(shareServer.ShareServerServiceService, shareServer, {
    default: needs(C.PLUGIN_CAPABILITY_SHARE_SERVER_MIGRATION),
    methods: { setupShareServer: needs(C.PLUGIN_CAPABILITY_SHARE_SERVERS), teardownShareServer: needs(C.PLUGIN_CAPABILITY_SHARE_SERVERS) },
  }),
  defineService(volume.VolumeServiceService, volume, {
    default: needs(C.PLUGIN_CAPABILITY_VOLUMES),
    methods: {
      updateMigratedVolume: optionalWith(C.PLUGIN_CAPABILITY_VOLUMES),
      migrateVolume: needs(C.PLUGIN_CAPABILITY_VOLUME_DRIVER_MIGRATION),
      retypeVolume: needs(C.PLUGIN_CAPABILITY_VOLUME_RETYPE),
      createVolumeSnapshot: needs(C.PLUGIN_CAPABILITY_VOLUME_SNAPSHOTS),
      deleteVolumeSnapshot: needs(C.PLUGIN_CAPABILITY_VOLUME_SNAPSHOTS),
    },
  }),
] as const;

/** The generated service definitions, as a union (used to derive the Driver's handler types). */
export type ContractServiceDefinition = (typeof CONTRACT_SERVICES)[number]['definition'];

/**
 * Every RPC of the contract by driver method key. Throws at load when two services use the same
 * method name: the Driver is one flat object, so names must be unique across the contract.
 */
export const CONTRACT_METHODS: ReadonlyMap<string, MethodSpec> = indexMethods(CONTRACT_SERVICES);

function indexMethods(services: readonly ServiceSpec[]): Map<string, MethodSpec> {
  const byKey = new Map<string, MethodSpec>();
  for (const method of services.flatMap((s) => s.methods)) {
    const other = byKey.get(method.key);
    if (other !== undefined) {
      throw new Error(`ferry plugin SDK: ${method.method} and ${other.method} both map to driver method ${method.key}; rename one RPC in the contract`);
    }
    byKey.set(method.key, method);
  }
  return byKey;
}
