import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Metadata } from '@grpc/grpc-js';
import { pino } from 'pino';
import { createDriverContext, errorForStatus } from '../../../plugins/sdk/call-handler.js';
import { CancelledError, FerryError, NotFoundError } from '../../../src/domain/errors.js';

const logger = pino({ level: 'silent' });

function fakeCall(deadline: Date | number) {
  const call = Object.assign(new EventEmitter(), { metadata: new Metadata(), getDeadline: () => deadline, cancelled: false });
  return call;
}

describe('createDriverContext', () => {
  it('has no deadline and no timeout when the client set none', () => {
    const { ctx, dispose } = createDriverContext('ShareService/X', logger, fakeCall(Infinity) as never);
    assert.equal(ctx.deadline, undefined);
    assert.equal(ctx.timeoutMs(), undefined);
    assert.equal(ctx.signal.aborted, false);
    assert.equal(ctx.method, 'ShareService/X');
    dispose();
  });

  it('aborts with CANCELLED when the call is cancelled well before its deadline', () => {
    const call = fakeCall(new Date(Date.now() + 60_000));
    const { ctx, dispose } = createDriverContext('ShareService/X', logger, call as never);
    assert.ok((ctx.timeoutMs() ?? 0) > 50_000);
    call.emit('cancelled', 'cancelled');
    assert.ok(ctx.signal.reason instanceof CancelledError);
    assert.equal((ctx.signal.reason as CancelledError).code, 'CANCELLED');
    dispose();
    assert.equal(call.listenerCount('cancelled'), 0);
  });

  it('aborts with DEADLINE_EXCEEDED at once when the deadline already passed', () => {
    const { ctx, dispose } = createDriverContext('ShareService/X', logger, fakeCall(Date.now() - 1) as never);
    assert.equal((ctx.signal.reason as CancelledError).code, 'DEADLINE_EXCEEDED');
    assert.equal(ctx.timeoutMs(), 0);
    dispose();
  });

  it('aborts with DEADLINE_EXCEEDED when its deadline timer fires', async () => {
    const { ctx, dispose } = createDriverContext('ShareService/X', logger, fakeCall(Date.now() + 20) as never);
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
    assert.equal((ctx.signal.reason as CancelledError).code, 'DEADLINE_EXCEEDED');
    dispose();
  });
});

describe('errorForStatus', () => {
  it('keeps a FerryError, and hides anything else behind INTERNAL "internal error"', () => {
    const notFound = new NotFoundError('share instance', 'si-1', 'SHARE_INSTANCE_NOT_FOUND');
    assert.equal(errorForStatus(notFound, new AbortController().signal), notFound);
    const internal = errorForStatus(new Error('secret detail'), new AbortController().signal);
    assert.equal(internal.code, 'INTERNAL');
    assert.equal(internal.message, 'internal error');
  });

  it('answers with the abort reason when the handler threw after its signal fired', () => {
    const controller = new AbortController();
    controller.abort(new CancelledError('late', 'DEADLINE_EXCEEDED'));
    const error = errorForStatus(new NotFoundError('share instance', 'si-1', 'SHARE_INSTANCE_NOT_FOUND'), controller.signal);
    assert.ok(error instanceof FerryError);
    assert.equal(error.code, 'DEADLINE_EXCEEDED');
  });
});
