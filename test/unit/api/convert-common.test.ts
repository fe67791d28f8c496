import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromTimestamp, toTimestamp } from '../../../src/api/convert-common.js';

describe('convert-common timestamps', () => {
  it('converts an ISO time to seconds and nanos, keeping sub-millisecond digits', () => {
    assert.deepEqual(toTimestamp('1970-01-01T00:00:01.500Z'), { seconds: 1, nanos: 500_000_000 });
    assert.deepEqual(toTimestamp('2024-05-01T10:00:00.123456789Z'), { seconds: 1714557600, nanos: 123_456_789 });
    assert.deepEqual(toTimestamp('2024-05-01T10:00:00Z'), { seconds: 1714557600, nanos: 0 });
  });

  it('leaves the field unset for null, empty or malformed times', () => {
    assert.equal(toTimestamp(null), undefined);
    assert.equal(toTimestamp(''), undefined);
    assert.equal(toTimestamp('yesterday'), undefined);
  });

  it('round-trips to an ISO string', () => {
    const iso = '2024-05-01T10:05:30.250Z';
    assert.equal(fromTimestamp(toTimestamp(iso)!), iso);
  });
});
