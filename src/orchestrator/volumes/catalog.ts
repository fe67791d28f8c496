/**
 * Volume types and volume groups. ferry creates Cinder's `__DEFAULT__` type (no extra specs:
 * any back end with volumes may hold it) so CreateVolume works out of the box.
 */
import type { VolumeGroup, VolumeType } from '../../domain/volumes.js';
import type { OrchestratorContext } from '../context.js';
import { ferryError, invalidField, notFound } from '../errors.js';
import type { CreateVolumeTypeRequest } from '../volume-api.js';

export const DEFAULT_VOLUME_TYPE = '__DEFAULT__';

export async function resolveVolumeType(ctx: OrchestratorContext, idOrName: string, field = 'volume_type'): Promise<VolumeType> {
  const type = (await ctx.store.getVolumeType(idOrName)) ?? (await ctx.store.getVolumeTypeByName(idOrName));
  if (type === undefined) throw ferryError('VOLUME_TYPE_NOT_FOUND', `volume type ${idOrName} not found`, { volumeType: idOrName, field });
  return type;
}

export async function createVolumeType(ctx: OrchestratorContext, request: CreateVolumeTypeRequest): Promise<VolumeType> {
  const name = (request.name ?? '').trim();
  if (name === '') throw invalidField('name', 'is required', 'MISSING_FIELD');
  for (const [field, specs] of [['extra_specs', request.extraSpecs], ['qos_specs', request.qosSpecs]] as const) {
    for (const key of Object.keys(specs ?? {})) if (key.trim() === '') throw invalidField(field, 'keys must not be empty');
  }
  const type: VolumeType = {
    id: ctx.newId(), name, description: request.description ?? '', extraSpecs: { ...request.extraSpecs }, qosSpecs: { ...request.qosSpecs },
    isPublic: request.isPublic ?? true, createdAt: ctx.now(),
  };
  return ctx.store.transaction(async (tx) => {
    if (await tx.getVolumeTypeByName(name)) throw ferryError('ALREADY_EXISTS', `volume type ${name} already exists`, { name });
    await tx.insertVolumeType(type);
    return type;
  });
}

export async function deleteVolumeType(ctx: OrchestratorContext, idOrName: string): Promise<void> {
  const type = await resolveVolumeType(ctx, idOrName, 'id');
  await ctx.store.transaction(async (tx) => {
    const users = await tx.listVolumes({ volumeTypeId: type.id });
    if (users.length > 0) throw ferryError('IN_USE', `volume type ${type.name} is used by ${users.length} volume(s), e.g. ${users[0]!.id}`, { volumeTypeId: type.id });
    await tx.deleteVolumeType(type.id);
  });
}

export async function ensureDefaultVolumeType(ctx: OrchestratorContext): Promise<void> {
  if (await ctx.store.getVolumeTypeByName(DEFAULT_VOLUME_TYPE)) return;
  await createVolumeType(ctx, { name: DEFAULT_VOLUME_TYPE, description: 'created by ferry: volumes on any back end that has volumes' });
}

export async function createVolumeGroup(ctx: OrchestratorContext, request: { name: string; description?: string }): Promise<VolumeGroup> {
  const name = (request.name ?? '').trim();
  if (name === '') throw invalidField('name', 'is required', 'MISSING_FIELD');
  const group: VolumeGroup = { id: ctx.newId(), name, description: request.description ?? '', createdAt: ctx.now() };
  await ctx.store.insertVolumeGroup(group);
  return group;
}

export async function requireVolumeGroup(ctx: OrchestratorContext, groupId: string): Promise<VolumeGroup> {
  const group = await ctx.store.getVolumeGroup(groupId);
  if (group === undefined) throw notFound('VOLUME_GROUP_NOT_FOUND', 'volume group', groupId, 'groupId');
  return group;
}

export async function deleteVolumeGroup(ctx: OrchestratorContext, groupId: string): Promise<void> {
  await requireVolumeGroup(ctx, groupId);
  await ctx.store.transaction(async (tx) => {
    const members = await tx.listVolumes({ groupId });
    if (members.length > 0) throw ferryError('IN_USE', `volume group ${groupId} still holds ${members.length} volume(s), e.g. ${members[0]!.id}`, { groupId });
    await tx.deleteVolumeGroup(groupId);
  });
}
