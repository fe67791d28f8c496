/** Rows <-> records for access rules and their per-instance mappings. */
import type { AccessRule, AccessRuleMapping } from '../../../domain/resources.js';
import { fromFlag, toFlag } from '../codec.js';
import type { AccessRuleMappingRow, AccessRuleRow } from '../database.js';

export function accessRuleToRow(rule: AccessRule): AccessRuleRow {
  return {
    id: rule.id,
    share_id: rule.shareId,
    access_type: rule.accessType,
    access_to: rule.accessTo,
    access_level: rule.accessLevel,
    access_key: rule.accessKey,
    for_data_service: toFlag(rule.forDataService),
    created_at: rule.createdAt,
  };
}

export function accessRuleFromRow(row: AccessRuleRow): AccessRule {
  return {
    id: row.id,
    shareId: row.share_id,
    accessType: row.access_type,
    accessTo: row.access_to,
    accessLevel: row.access_level,
    accessKey: row.access_key,
    forDataService: fromFlag(row.for_data_service),
    createdAt: row.created_at,
  };
}

export function accessMappingToRow(mapping: AccessRuleMapping): AccessRuleMappingRow {
  return {
    access_rule_id: mapping.accessRuleId,
    share_instance_id: mapping.shareInstanceId,
    state: mapping.state,
    message: mapping.message,
    updated_at: mapping.updatedAt,
  };
}

export function accessMappingFromRow(row: AccessRuleMappingRow): AccessRuleMapping {
  return {
    accessRuleId: row.access_rule_id,
    shareInstanceId: row.share_instance_id,
    state: row.state,
    message: row.message,
    updatedAt: row.updated_at,
  };
}
