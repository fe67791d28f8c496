import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FerryError } from '../../../src/domain/errors.js';
import { DataCopyCancelledError, DataCopyError, dataCopyErrorFromFailure, EscapeAttemptError, HashMismatchError, reasonForErrno } from '../../../src/data/errors.js';

describe('data errors', () => {
  it('rebuilds the typed error a worker described as plain data', () => {
    const e = dataCopyErrorFromFailure({ ok: false, reason: 'HASH_MISMATCH', message: 'm', path: 'a/b' });
    assert.ok(e instanceof HashMismatchError && e instanceof DataCopyError && e instanceof FerryError);
    assert.equal(e.reason, 'HASH_MISMATCH');
    assert.equal(e.code, 'DATA_LOSS');
    assert.equal(e.path, 'a/b');
    assert.deepEqual(e.metadata, { path: 'a/b' });
    assert.ok(dataCopyErrorFromFailure({ ok: false, reason: 'CANCELLED', message: '', path: '' }) instanceof DataCopyCancelledError);
    assert.ok(dataCopyErrorFromFailure({ ok: false, reason: 'ESCAPE_ATTEMPT', message: 'x', path: 'l' }) instanceof EscapeAttemptError);
    const nospace = dataCopyErrorFromFailure({ ok: false, reason: 'NO_SPACE', message: 'full', path: 'f', errno: 'ENOSPC' });
    assert.equal(nospace.code, 'RESOURCE_EXHAUSTED');
    assert.equal(nospace.metadata.errno, 'ENOSPC');
  });

  it('maps errno codes to reasons by side', () => {
    assert.equal(reasonForErrno('ENOSPC', 'destination'), 'NO_SPACE');
    assert.equal(reasonForErrno('EDQUOT', 'destination'), 'NO_SPACE');
    assert.equal(reasonForErrno('EACCES', 'source'), 'PERMISSION_DENIED');
    assert.equal(reasonForErrno('ENOENT', 'source'), 'SOURCE_VANISHED');
    assert.equal(reasonForErrno('ELOOP', 'source'), 'ESCAPE_ATTEMPT');
    assert.equal(reasonForErrno('EIO', 'source'), 'SOURCE_UNREADABLE');
    assert.equal(reasonForErrno('EIO', 'destination'), 'COPY_FAILED');
  });
});
