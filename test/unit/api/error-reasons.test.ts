// proto/ferry/admin/v1/errors.proto documents the reason catalogue for API clients; the
// orchestrator throws from src/domain/reasons.ts. They must name the same reasons.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorReason } from '../../../src/contract/gen/ferry/admin/v1/errors.js';
import { FERRY_REASONS } from '../../../src/domain/reasons.js';

describe('the admin ErrorReason enum', () => {
  it('lists exactly the reasons of src/domain/reasons.ts', () => {
    const protoReasons = Object.keys(ErrorReason)
      .filter((key) => Number.isNaN(Number(key)) && key !== 'ERROR_REASON_UNSPECIFIED')
      .map((key) => key.replace(/^ERROR_REASON_/, ''));
    assert.deepEqual(new Set(protoReasons), new Set(Object.keys(FERRY_REASONS)));
  });
});
