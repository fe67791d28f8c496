import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { FERRY_REASONS } from '../../../src/domain/reasons.js';

const docs = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..', 'docs', 'errors.md');

it('docs/errors.md lists every reason of the catalogue with its gRPC code, and no other', () => {
  const text = readFileSync(docs, 'utf8');
  const rows = [...text.matchAll(/^\| `([A-Z0-9_]+)` \| ([A-Z_]+) \|/gm)].map((m) => [m[1], m[2]]);
  assert.deepEqual(Object.fromEntries(rows), Object.fromEntries(Object.entries(FERRY_REASONS).map(([reason, entry]) => [reason, entry.code])));
});
