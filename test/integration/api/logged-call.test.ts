// The handler wrappers of src/api/logged-call.ts on a real server and socket: errors become
// statuses with ErrorInfo exactly once, they are logged at warn with code and reason, and a
// cancelled stream aborts the signal the handler got.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Server, ServerCredentials, credentials, makeGenericClientConstructor, status, type ClientReadableStream, type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { serverStream, unary } from '../../../src/api/logged-call.js';
import { fromGrpcError } from '../../../src/contract/status.js';
import { FailedPreconditionError } from '../../../src/domain/errors.js';
import { captureLog } from '../../helpers/plugin-host-harness.js';

interface Text { readonly text: string }
const json = {
  serialize: (value: Text) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as Text,
};
const method = (name: string, responseStream: boolean) => ({
  path: `/test.Probe/${name}`, requestStream: false, responseStream,
  requestSerialize: json.serialize, requestDeserialize: json.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize,
});
const definition = { busy: method('Busy', false), crash: method('Crash', false), ticks: method('Ticks', true), refuse: method('Refuse', true) };

interface ProbeClient {
  busy(request: Text, callback: (error: ServiceError | null, response?: Text) => void): void;
  crash(request: Text, callback: (error: ServiceError | null, response?: Text) => void): void;
  ticks(request: Text): ClientReadableStream<Text>;
  refuse(request: Text): ClientReadableStream<Text>;
  close(): void;
}

async function startProbe(t: { after(fn: () => unknown): void }, implementation: UntypedServiceImplementation): Promise<ProbeClient> {
  const server = new Server();
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))));
  const Client = makeGenericClientConstructor(definition, 'Probe');
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as ProbeClient;
  t.after(() => {
    client.close();
    return new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });
  return client;
}

const callUnary = (invoke: (callback: (error: ServiceError | null, response?: Text) => void) => void) =>
  new Promise<Text>((resolve, reject) => invoke((error, response) => (error ? reject(error) : resolve(response as Text))));

describe('logged-call wrappers', () => {
  it('send a FerryError as its code with ErrorInfo, and log it at warn with code and reason', async (t) => {
    const log = captureLog('debug');
    const client = await startProbe(t, {
      busy: unary('test.Probe/Busy', log.logger, async (request: Text) => {
        throw new FailedPreconditionError('SHARE_BUSY', `share ${request.text} is busy`, { shareId: request.text });
      }),
    });
    const error = await callUnary((callback) => client.busy({ text: 's1' }, callback)).then(() => assert.fail('expected an error'), (caught: unknown) => caught);
    const ferryError = fromGrpcError(error);
    assert.equal(ferryError.code, 'FAILED_PRECONDITION');
    assert.equal(ferryError.reason, 'SHARE_BUSY');
    assert.deepEqual(ferryError.metadata, { shareId: 's1' });
    assert.equal(ferryError.message, 'share s1 is busy');
    const record = await log.waitFor((entry) => entry.msg === 'admin call failed');
    assert.equal(record.level, 40);
    assert.equal(record.code, 'FAILED_PRECONDITION');
    assert.equal(record.reason, 'SHARE_BUSY');
    assert.ok(log.records.some((entry) => entry.msg === 'admin call' && entry.method === 'test.Probe/Busy' && entry.level === 20));
  });

  it('turn an unexpected error into INTERNAL without its message on the wire, logging the original', async (t) => {
    const log = captureLog('debug');
    const client = await startProbe(t, {
      crash: unary('test.Probe/Crash', log.logger, async () => {
        throw new Error('secret path /etc/x');
      }),
    });
    const error = (await callUnary((callback) => client.crash({ text: '' }, callback)).catch((caught: unknown) => caught)) as ServiceError;
    assert.equal(error.code, status.INTERNAL);
    assert.equal(error.details, 'internal error');
    const record = await log.waitFor((entry) => entry.msg === 'admin call failed');
    assert.match(JSON.stringify(record.err), /secret path/);
  });

  it('abort the stream handler\'s signal when the client cancels, and end its iteration', async (t) => {
    const log = captureLog('info');
    let ended!: () => void;
    const iterationEnded = new Promise<void>((resolve) => (ended = resolve));
    const client = await startProbe(t, {
      ticks: serverStream('test.Probe/Ticks', log.logger, (_request: Text, { signal }) => (async function* () {
        try {
          for (let n = 0; !signal.aborted; n += 1) {
            yield { text: String(n) };
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        } finally {
          ended();
        }
      })()),
    });
    const stream = client.ticks({ text: '' });
    stream.on('error', () => undefined);
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.cancel();
    await iterationEnded;
  });

  it('send the status of an error thrown before the first message', async (t) => {
    const log = captureLog('info');
    const client = await startProbe(t, {
      refuse: serverStream('test.Probe/Refuse', log.logger, (): AsyncIterable<Text> => {
        throw new FailedPreconditionError('MIGRATION_NOT_IN_PROGRESS', 'no migration');
      }),
    });
    const stream = client.refuse({ text: '' });
    const error = await new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    assert.equal(fromGrpcError(error).reason, 'MIGRATION_NOT_IN_PROGRESS');
    assert.equal(error.code, status.FAILED_PRECONDITION);
  });
});
