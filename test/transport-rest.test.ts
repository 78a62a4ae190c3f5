import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { CLOUDAICOMPANION_V1, profileFor, type ServiceProfile } from '../src/protos.js';
import { createRestTransport, type RestTransportOptions } from '../src/transport/rest.js';
import type { AttemptContext } from '../src/policy/retry.js';
import type { Transport } from '../src/transport/transport.js';
import { withEmulator } from './helpers/emulator.js';
import { failure } from './helpers/scripted-attempt.js';

const OP = 'projects/p/locations/l/operations/o';
const TOKEN = 'ya29.secret-token-value-123';

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface TestServer {
  readonly baseUrl: string;
  readonly requests: Recorded[];
  /** TCP connections the server accepted. */
  sockets: number;
  close(): Promise<void>;
}

/** A real HTTP/1.1 server on 127.0.0.1:0 that records every request and answers with `handler`. */
async function startServer(handler: Handler): Promise<TestServer> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  const state: TestServer = {
    baseUrl: '',
    requests,
    sockets: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
  server.on('connection', () => { state.sockets++; });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const opened: Array<{ close(): Promise<void> }> = [];
after(async () => {
  await Promise.all(opened.map(o => o.close()));
});

async function setup(handler: Handler, options: Partial<RestTransportOptions> = {}): Promise<{ server: TestServer; transport: Transport }> {
  const server = await startServer(handler);
  const transport = createRestTransport({
    baseUrl: server.baseUrl,
    profile: profileFor(CLOUDAICOMPANION_V1),
    connections: 4,
    getAuthHeaders: async () => ({ authorization: `Bearer ${TOKEN}` }),
    userAgentHeaders: { 'x-goog-api-client': 'gl-node/20 lro-cancel/test' },
    maxResponseBytes: 4 * 1024 * 1024,
    ...options,
  });
  opened.push(transport, server);
  return { server, transport };
}

function ctx(timeoutMs = 5000, signal: AbortSignal = new AbortController().signal, headers?: Record<string, string>): AttemptContext {
  return { deadline: Date.now() + timeoutMs, signal, ...(headers === undefined ? {} : { headers }) };
}

describe('REST transport requests', () => {
  test('cancel is exactly POST /v1/{name}:cancel with an empty body and the caller headers', async () => {
    const { server, transport } = await setup((_req, res) => json(res, 200, {}));
    await transport.cancelOperation(OP, ctx(5000, undefined, { 'x-emulator-fault': 'none' }));
    assert.equal(server.requests.length, 1);
    const [request] = server.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.url, `/v1/${OP}:cancel`);
    assert.equal(request?.body, '');
    assert.equal(request?.headers['content-length'], '0');
    assert.equal(request?.headers['content-type'], undefined);
    assert.equal(request?.headers.accept, 'application/json');
    assert.equal(request?.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(request?.headers['x-goog-api-client'], 'gl-node/20 lro-cancel/test');
    assert.equal(request?.headers['x-emulator-fault'], 'none');
  });

  test('a refreshed token is used on the next call, and a call\'s own headers cannot replace it', async () => {
    let token = 'first';
    const { server, transport } = await setup((_req, res) => json(res, 200, {}), {
      getAuthHeaders: async () => ({ authorization: `Bearer ${token}` }),
    });
    await transport.cancelOperation(OP, ctx());
    await transport.cancelOperation(OP, ctx());
    token = 'second';
    await transport.cancelOperation(OP, ctx());
    await transport.cancelOperation(OP, ctx(5000, undefined, { authorization: 'Bearer other', 'x-extra': '1' }));
    assert.deepEqual(server.requests.map(r => r.headers.authorization), ['Bearer first', 'Bearer first', 'Bearer second', 'Bearer second']);
    assert.equal(server.requests[3]?.headers['x-extra'], '1');
  });

  test('get, delete and list use the paths of the rules, list with its query parameters URL-encoded', async () => {
    const { server, transport } = await setup((req, res) => {
      if (req.method === 'DELETE') return json(res, 200, {});
      if (req.url?.includes('/operations?') === true || req.url?.endsWith('/operations') === true) {
        return json(res, 200, { operations: [{ name: OP, done: true, error: { code: 1, message: 'cancelled' } }], nextPageToken: 'next' });
      }
      return json(res, 200, { name: OP, metadata: { '@type': 'type.googleapis.com/x.Meta', progress: 3 } });
    });
    const op = await transport.getOperation(OP, ctx());
    assert.deepEqual(op, { name: OP, done: false, metadata: { '@type': 'type.googleapis.com/x.Meta', fields: { progress: 3 } } });
    await transport.deleteOperation(OP, ctx());
    const page = await transport.listOperations({ name: 'projects/p/locations/l', filter: 'done = true', pageSize: 5, pageToken: 't+1/2' }, ctx());
    assert.deepEqual(page, { operations: [{ name: OP, done: true, error: { code: 1, message: 'cancelled', details: [] } }], nextPageToken: 'next' });
    await transport.listOperations({ name: 'projects/p/locations/l', pageSize: 0, filter: '' }, ctx());
    assert.deepEqual(server.requests.map(r => `${r.method} ${r.url} ${JSON.stringify(r.body)}`), [
      `GET /v1/${OP} ""`,
      `DELETE /v1/${OP} ""`,
      'GET /v1/projects/p/locations/l/operations?filter=done%20%3D%20true&pageSize=5&pageToken=t%2B1%2F2 ""',
      'GET /v1/projects/p/locations/l/operations ""',
    ]);
  });

  test('a body that arrives in pieces is put back together', async () => {
    const text = JSON.stringify({ name: OP, done: true, response: { '@type': 'type.googleapis.com/x.R', value: 'é'.repeat(300) } });
    const { transport } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const bytes = Buffer.from(text);
      res.write(bytes.subarray(0, 101));
      setTimeout(() => {
        res.write(bytes.subarray(101, 333));
        setTimeout(() => res.end(bytes.subarray(333)), 10);
      }, 10);
    });
    assert.deepEqual(await transport.getOperation(OP, ctx()), { name: OP, done: true, response: { '@type': 'type.googleapis.com/x.R', fields: { value: 'é'.repeat(300) } } });
  });

  test('a 204 and an empty {} both complete a cancel and a delete', async () => {
    let status = 204;
    const { transport } = await setup((_req, res) => {
      if (status === 204) res.writeHead(204).end();
      else json(res, 200, {});
    });
    await transport.cancelOperation(OP, ctx());
    await transport.deleteOperation(OP, ctx());
    status = 200;
    await transport.cancelOperation(OP, ctx());
    await transport.deleteOperation(OP, ctx());
  });

  test('a base URL with a path prefix and a profile with a body field are transcoded from the rules', async () => {
    const profile: ServiceProfile = {
      host: 'example.test',
      version: 'v9',
      rules: [{ selector: 'google.longrunning.Operations.ListOperations', method: 'POST', path: '/v9/{name=projects/*/locations/*}/operations:search', body: '*' }],
    };
    const { server, transport } = await setup((_req, res) => json(res, 200, {}), { profile });
    opened.push(transport);
    const prefixed = createRestTransport({
      baseUrl: `${server.baseUrl}/gateway/`,
      profile,
      connections: 1,
      getAuthHeaders: async () => ({}),
      userAgentHeaders: {},
      maxResponseBytes: 1024,
    });
    opened.push(prefixed);
    const page = await prefixed.listOperations({ name: 'projects/p/locations/l', filter: 'x', pageSize: 2 }, ctx());
    assert.deepEqual(page, { operations: [], nextPageToken: '' });
    const [request] = server.requests;
    assert.equal(request?.url, '/gateway/v9/projects/p/locations/l/operations:search');
    assert.deepEqual(JSON.parse(request?.body ?? ''), { filter: 'x', pageSize: 2 });
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers.authorization, undefined);
    const error = await failure(prefixed.cancelOperation(OP, ctx()));
    assert.equal(error.code, Code.UNIMPLEMENTED);
    assert.equal(server.requests.length, 1);
  });

  test('an unusable rule or base URL fails at creation, naming it', () => {
    const base = { connections: 1, getAuthHeaders: async () => ({}), userAgentHeaders: {}, maxResponseBytes: 1024 };
    const profile = (path: string, method: 'GET' | 'POST' = 'POST', body?: string): ServiceProfile => ({
      host: 'h', version: 'v', rules: [{ selector: 'google.longrunning.Operations.GetOperation', method, path, ...(body === undefined ? {} : { body }) }],
    });
    assert.throws(() => createRestTransport({ ...base, baseUrl: 'http://127.0.0.1:1', profile: profile('/v1/{name=**') }), /GetOperation.*unclosed/);
    assert.throws(() => createRestTransport({ ...base, baseUrl: 'http://127.0.0.1:1', profile: profile('/v1/{operation_id}') }), /operation_id/);
    assert.throws(() => createRestTransport({ ...base, baseUrl: 'http://127.0.0.1:1', profile: profile('/v1/{name}', 'GET', '*') }), /GET cannot have a body/);
    assert.throws(() => createRestTransport({ ...base, baseUrl: 'ftp://x', profile: profile('/v1/{name}') }), /baseUrl/);
    assert.throws(() => createRestTransport({ ...base, baseUrl: 'http://u:pw@x', profile: profile('/v1/{name}') }), (e: Error) => !e.message.includes('pw'));
    assert.throws(() => createRestTransport({ ...base, connections: 0, baseUrl: 'http://x', profile: profile('/v1/{name}') }), /connections/);
  });
});

describe('REST transport errors', () => {
  test('a Google JSON 404 becomes NOT_FOUND with transport rest and the server message', async () => {
    const { transport } = await setup((_req, res) => json(res, 404, {
      error: { code: 404, message: `Operation ${OP} not found`, status: 'NOT_FOUND' },
    }));
    const error = await failure(transport.getOperation(OP, ctx()));
    assert.equal(error.code, Code.NOT_FOUND);
    assert.equal(error.transport, 'rest');
    assert.equal(error.httpStatus, 404);
    assert.match(error.rawMessage, /not found/);
  });

  test('a bad name never reaches the server', async () => {
    const { server, transport } = await setup((_req, res) => json(res, 200, {}));
    for (const call of [
      transport.cancelOperation('projects/p/locations/l/operations/o/../x', ctx()),
      transport.getOperation('projects/p/operations/o', ctx()),
      transport.deleteOperation('projects/p/locations/l/operations/o?x=1', ctx()),
      transport.listOperations({ name: 'projects/p' }, ctx()),
      transport.listOperations({ name: 'projects/p/locations/l', pageSize: -1 }, ctx()),
    ]) {
      const error = await failure(call);
      assert.equal(error.code, Code.INVALID_ARGUMENT);
      assert.equal(error.transport, 'rest');
    }
    assert.equal(server.requests.length, 0);
    assert.equal(server.sockets, 0);
  });

  test('a server that stalls after the headers ends in DEADLINE_EXCEEDED at the deadline', async () => {
    const { transport } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"name":');
    });
    const started = Date.now();
    const error = await failure(transport.getOperation(OP, ctx(300)));
    const elapsedMs = Date.now() - started;
    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.equal(error.transport, 'rest');
    assert.ok(elapsedMs >= 250 && elapsedMs < 3000, `ended after ${elapsedMs} ms`);
  });

  test('a caller abort ends a call at once with CANCELLED', async () => {
    const { server, transport } = await setup(() => { /* never answers */ });
    const controller = new AbortController();
    const call = transport.cancelOperation(OP, ctx(60_000, controller.signal));
    while (server.requests.length === 0) await new Promise(resolve => setTimeout(resolve, 5));
    const started = Date.now();
    controller.abort();
    const error = await failure(call);
    assert.equal(error.code, Code.CANCELLED);
    assert.equal(error.transport, 'rest');
    assert.ok(Date.now() - started < 1000);
    const already = await failure(transport.cancelOperation(OP, ctx(60_000, controller.signal)));
    assert.equal(already.code, Code.CANCELLED);
    assert.equal(server.requests.length, 1);
  });

  test('a signal that fires for a deadline (its reason says so) ends in DEADLINE_EXCEEDED, not CANCELLED', async () => {
    const { transport } = await setup(() => { /* never answers */ });
    const controller = new AbortController();
    const call = transport.getOperation(OP, ctx(60_000, controller.signal));
    setTimeout(() => controller.abort(new OperationsError(Code.DEADLINE_EXCEEDED, 'attempt deadline')), 50);
    const error = await failure(call);
    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.equal(error.transport, 'rest');
  });

  test('a deadline already passed sends nothing, and an infinite one does not fire early', async () => {
    const { server, transport } = await setup((_req, res) => json(res, 200, {}));
    const error = await failure(transport.cancelOperation(OP, { deadline: Date.now() - 1, signal: new AbortController().signal }));
    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.equal(server.requests.length, 0);
    await transport.cancelOperation(OP, { deadline: Infinity, signal: new AbortController().signal });
    await transport.cancelOperation(OP, { deadline: Date.now() + 40 * 24 * 3600 * 1000, signal: new AbortController().signal });
    assert.equal(server.requests.length, 2);
  });

  test('a 10 MB body is not read whole: a 2xx fails INTERNAL, an error status still gives its code', async () => {
    let written = 0;
    let finished = false;
    let status = 200;
    const { transport } = await setup((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (written < 10 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        finished = true;
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    }, { maxResponseBytes: 64 * 1024 });
    const error = await failure(transport.getOperation(OP, ctx()));
    assert.equal(error.code, Code.INTERNAL);
    assert.match(error.message, /maxResponseBytes/);
    assert.equal(finished, false, `the server wrote ${written} bytes`);
    status = 503;
    written = 0;
    const unavailable = await failure(transport.getOperation(OP, ctx()));
    assert.equal(unavailable.code, Code.UNAVAILABLE);
    assert.equal(finished, false);
  });

  test('a declared content-length over the limit is refused before reading', async () => {
    const { transport } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 10 * 1024 * 1024 });
      res.write('{');
    }, { maxResponseBytes: 1024 });
    const error = await failure(transport.getOperation(OP, ctx()));
    assert.equal(error.code, Code.INTERNAL);
  });

  test('a 200 with invalid JSON or the wrong shape is INTERNAL with a clear message', async () => {
    const bodies = ['not json', '[1]', '{"name": 5}', '{"done": "yes"}', '{"error": {"code": "x"}}', '{"metadata": {"a": 1}}'];
    let index = 0;
    const { transport } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(bodies[index++] ?? 'oops');
    });
    const messages: string[] = [];
    for (const _ of bodies) {
      const error = await failure(transport.getOperation(OP, ctx()));
      assert.equal(error.code, Code.INTERNAL);
      assert.equal(error.transport, 'rest');
      messages.push(error.rawMessage);
    }
    assert.match(messages[0] ?? '', /not JSON/);
    assert.match(messages[3] ?? '', /"done"/);
    assert.match(messages[5] ?? '', /"@type"/);
    const cancelError = await failure(transport.cancelOperation(OP, ctx()));
    assert.equal(cancelError.code, Code.INTERNAL, 'a cancel answered with text that is not JSON is not a success');
  });

  test('connection refused is UNAVAILABLE with transport rest', async () => {
    const server = await startServer(() => undefined);
    await server.close();
    const transport = createRestTransport({
      baseUrl: server.baseUrl,
      profile: profileFor(CLOUDAICOMPANION_V1),
      connections: 1,
      getAuthHeaders: async () => ({ authorization: `Bearer ${TOKEN}` }),
      userAgentHeaders: {},
      maxResponseBytes: 1024,
    });
    opened.push(transport);
    const error = await failure(transport.cancelOperation(OP, ctx()));
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(error.transport, 'rest');
    assert.ok(!JSON.stringify({ message: error.message, stack: error.stack }).includes(TOKEN));
  });

  test('the auth header is sent but never appears in an error, even when the server echoes it', async () => {
    const { server, transport } = await setup((req, res) => json(res, 401, {
      error: { code: 401, message: `bad credentials: ${req.headers.authorization ?? ''} (token ${TOKEN})`, status: 'UNAUTHENTICATED' },
    }));
    const error = await failure(transport.cancelOperation(OP, ctx()));
    assert.equal(server.requests[0]?.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(error.code, Code.UNAUTHENTICATED);
    const shown = JSON.stringify({ message: error.message, raw: error.rawMessage, json: error.toJSON(), stack: error.stack });
    assert.ok(!shown.includes(TOKEN), shown);
    assert.ok(!shown.includes('secret-token'), shown);
  });

  test('a failing credential source is UNAUTHENTICATED and nothing is sent', async () => {
    const { server, transport } = await setup((_req, res) => json(res, 200, {}), {
      getAuthHeaders: async () => { throw new Error('refresh failed: refresh_token=1//abc-secret'); },
    });
    const error = await failure(transport.cancelOperation(OP, ctx()));
    assert.equal(error.code, Code.UNAUTHENTICATED);
    assert.ok(!error.message.includes('abc-secret'));
    assert.equal(server.requests.length, 0);
  });
});

describe('REST transport connections', () => {
  test('keep-alive reuses connections: 100 sequential calls open no more than the pool size', async () => {
    const { server, transport } = await setup((_req, res) => json(res, 200, {}), { connections: 2 });
    for (let i = 0; i < 100; i++) await transport.cancelOperation(OP, ctx());
    assert.equal(server.requests.length, 100);
    assert.ok(server.sockets >= 1 && server.sockets <= 2, `${server.sockets} sockets`);
  });

  test('close is idempotent and a closed transport sends nothing', async () => {
    const { server, transport } = await setup((_req, res) => json(res, 200, {}));
    await transport.close();
    await transport.close();
    const error = await failure(transport.cancelOperation(OP, ctx()));
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(server.requests.length, 0);
  });
});

describe('REST transport against the emulator', () => {
  const emulatorTransport = (restUrl: string, token: string | undefined, connections = 2): Transport => {
    const transport = createRestTransport({
      baseUrl: restUrl,
      profile: profileFor(CLOUDAICOMPANION_V1),
      connections,
      getAuthHeaders: async () => (token === undefined ? {} : { authorization: `Bearer ${token}` }),
      userAgentHeaders: { 'x-goog-api-client': 'gl-node/20 lro-cancel/test' },
      maxResponseBytes: 4 * 1024 * 1024,
    });
    opened.push(transport);
    return transport;
  };

  test('cancels a running operation and GetOperation shows it done with CANCELLED', async () => {
    await withEmulator({}, async emulator => {
      const [name = ''] = emulator.createOperations({ count: 1 });
      const transport = emulatorTransport(emulator.restUrl, undefined);
      await transport.cancelOperation(name, ctx());
      const op = await transport.getOperation(name, ctx());
      assert.equal(op.name, name);
      assert.equal(op.done, true);
      assert.equal(op.error?.code, Code.CANCELLED);
      assert.equal(emulator.stats().byTransportMethod.rest.CancelOperation, 1);
    });
  });

  test('lists page by page, deletes, and an unknown name is NOT_FOUND over rest', async () => {
    await withEmulator({}, async emulator => {
      const names = emulator.createOperations({ count: 5, parent: 'projects/p/locations/l' });
      const transport = emulatorTransport(emulator.restUrl, undefined);
      const seen: string[] = [];
      let pageToken = '';
      do {
        const page = await transport.listOperations({ name: 'projects/p/locations/l', pageSize: 2, pageToken }, ctx());
        assert.ok(page.operations.length <= 2);
        seen.push(...page.operations.map(op => op.name));
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      assert.deepEqual([...seen].sort(), [...names].sort());
      await transport.deleteOperation(names[0] ?? '', ctx());
      const gone = await failure(transport.getOperation(names[0] ?? '', ctx()));
      assert.equal(gone.code, Code.NOT_FOUND);
      assert.equal(gone.transport, 'rest');
      const unknown = await failure(transport.cancelOperation('projects/p/locations/l/operations/nope', ctx()));
      assert.equal(unknown.code, Code.NOT_FOUND);
    });
  });

  test('a bad name never reaches the emulator', async () => {
    await withEmulator({}, async emulator => {
      const transport = emulatorTransport(emulator.restUrl, undefined);
      const error = await failure(transport.cancelOperation('projects/p/locations/l/operations/a%2Fb', ctx()));
      assert.equal(error.code, Code.INVALID_ARGUMENT);
      assert.equal(emulator.stats().total, 0);
      assert.equal(emulator.stats().rejected, 0);
    });
  });

  test('auth failures are UNAUTHENTICATED and PERMISSION_DENIED without the token in any message', async () => {
    await withEmulator({ requireAuth: true, tokens: { [TOKEN]: ['cloudaicompanion.operations.get'] } }, async emulator => {
      const [name = ''] = emulator.createOperations({ count: 1 });
      const denied = await failure(emulatorTransport(emulator.restUrl, TOKEN).cancelOperation(name, ctx()));
      assert.equal(denied.code, Code.PERMISSION_DENIED);
      const anonymous = await failure(emulatorTransport(emulator.restUrl, undefined).cancelOperation(name, ctx()));
      assert.equal(anonymous.code, Code.UNAUTHENTICATED);
      for (const error of [denied, anonymous]) {
        assert.equal(error.transport, 'rest');
        assert.ok(!JSON.stringify({ m: error.message, j: error.toJSON() }).includes(TOKEN));
      }
      assert.equal((await emulatorTransport(emulator.restUrl, TOKEN).getOperation(name, ctx())).name, name);
    });
  });

  test('injected faults arrive as their codes, RESOURCE_EXHAUSTED with its retry delay, a dropped connection as UNAVAILABLE', async () => {
    await withEmulator({}, async emulator => {
      const [name = ''] = emulator.createOperations({ count: 1 });
      const transport = emulatorTransport(emulator.restUrl, undefined);
      const unavailable = await failure(transport.cancelOperation(name, ctx(5000, undefined, { 'x-emulator-fault': 'code=UNAVAILABLE' })));
      assert.equal(unavailable.code, Code.UNAVAILABLE);
      const exhausted = await failure(transport.cancelOperation(name, ctx(5000, undefined, { 'x-emulator-fault': 'code=RESOURCE_EXHAUSTED;retry-delay-ms=1500' })));
      assert.equal(exhausted.code, Code.RESOURCE_EXHAUSTED);
      assert.ok((exhausted.retryAfterMs ?? 0) >= 1500, `retryAfterMs ${exhausted.retryAfterMs}`);
      const dropped = await failure(transport.cancelOperation(name, ctx(5000, undefined, { 'x-emulator-fault': 'code=DROP' })));
      assert.equal(dropped.code, Code.UNAVAILABLE);
      assert.equal(dropped.transport, 'rest');
      const slow = await failure(transport.getOperation(name, ctx(200, undefined, { 'x-emulator-delay-ms': '5000' })));
      assert.equal(slow.code, Code.DEADLINE_EXCEEDED);
    });
  });
});
