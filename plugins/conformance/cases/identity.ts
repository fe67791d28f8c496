import { PluginCapability } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { IdentityServiceService } from '../../../src/contract/gen/ferry/driver/v1/identity.js';
import { PoolServiceService } from '../../../src/contract/gen/ferry/driver/v1/pool.js';
import { check, expectOk, type ConformanceCase } from '../case.js';

const known = new Set(Object.values(PluginCapability).filter((v): v is PluginCapability => typeof v === 'number' && v > 0));

export const identityCases: ConformanceCase[] = [
  {
    suite: 'identity',
    name: 'GetPluginInfo names the plugin, its version and the negotiated contract version',
    async run({ info }) {
      check(info.name.trim() !== '', 'GetPluginInfo.name is empty', 'identity.proto GetPluginInfoResponse.name: REQUIRED');
      check(info.vendorVersion.trim() !== '', 'GetPluginInfo.vendor_version is empty', 'identity.proto GetPluginInfoResponse.vendor_version: REQUIRED');
      check(info.contractVersion === 'v1', `GetPluginInfo.contract_version is "${info.contractVersion}", the handshake chose "v1"`, 'identity.proto GetPluginInfoResponse.contract_version');
    },
  },
  {
    suite: 'identity',
    name: 'GetPluginInfo answers the same on every call',
    async run({ subject, info }) {
      const again = await expectOk(subject.call(IdentityServiceService.getPluginInfo, {}), 'second GetPluginInfo', 'identity.proto GetPluginInfoResponse.name: MUST NOT change');
      check(again.name === info.name && again.vendorVersion === info.vendorVersion, `GetPluginInfo changed from ${info.name}/${info.vendorVersion} to ${again.name}/${again.vendorVersion}`, 'identity.proto GetPluginInfoResponse.name: MUST NOT change');
    },
  },
  {
    suite: 'identity',
    name: 'GetPluginCapabilities lists at least one known capability',
    async run({ capabilities }) {
      check([...capabilities].some((c) => known.has(c)), 'GetPluginCapabilities returned no known capability', 'identity.proto GetPluginCapabilitiesResponse.capabilities: REQUIRED, at least one');
    },
  },
  {
    suite: 'identity',
    name: 'Probe answers ready=true for a usable back end',
    async run({ subject }) {
      const probe = await expectOk(subject.call(IdentityServiceService.probe, {}), 'Probe', 'identity.proto Probe');
      check(probe.ready, `Probe answered ready=false${probe.message ? ` ("${probe.message}")` : ''}; the kit needs a ready back end`, 'identity.proto ProbeResponse.ready');
    },
  },
];

export const poolCases: ConformanceCase[] = [
  {
    suite: 'pools',
    name: 'ListPools reports at least one named pool, names unique',
    requires: [PluginCapability.PLUGIN_CAPABILITY_SHARES],
    async run({ pools }) {
      check(pools.pools.length > 0, 'ListPools returned no pool; a back end with SHARES or VOLUMES must report where to place them', 'pool.proto ListPoolsResponse.pools');
      const names = pools.pools.map((p) => p.name);
      check(names.every((n) => n.trim() !== '' && !n.includes('#') && !n.includes('@')), `pool names must be non-empty and contain no "#" or "@": ${JSON.stringify(names)}`, 'pool.proto Pool.name');
      check(new Set(names).size === names.length, `pool names repeat: ${JSON.stringify(names)}`, 'pool.proto Pool.name');
    },
  },
  {
    suite: 'pools',
    name: 'free and allocated capacity never exceed a known total',
    requires: [PluginCapability.PLUGIN_CAPABILITY_SHARES],
    async run({ pools }) {
      for (const pool of pools.pools) {
        if (pool.totalCapacityGib === 0) continue;
        check(pool.freeCapacityGib <= pool.totalCapacityGib, `pool ${pool.name}: free ${pool.freeCapacityGib} GiB > total ${pool.totalCapacityGib} GiB`, 'pool.proto Pool.free_capacity_gib');
        check(pool.freeCapacityGib >= 0 && pool.allocatedCapacityGib >= 0, `pool ${pool.name}: negative capacity`, 'pool.proto Pool');
      }
    },
  },
  {
    suite: 'pools',
    name: 'ListPools answers the same pool names twice in a row',
    requires: [PluginCapability.PLUGIN_CAPABILITY_SHARES],
    async run({ subject, pools }) {
      const again = await expectOk(subject.call(PoolServiceService.listPools, {}), 'second ListPools', 'pool.proto ListPools');
      check(JSON.stringify(again.pools.map((p) => p.name)) === JSON.stringify(pools.pools.map((p) => p.name)), 'pool names changed between two ListPools calls', 'pool.proto ListPools');
    },
  },
];
