import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { Emulator } from '../src/emulator/index.js';
import { startTestEmulator } from './helpers/emulator.js';

interface GoogleError {
  error: { code: number; message: string; status: string; details?: Array<Record<string, unknown>> };
}

describe('the emulator over REST, driven by plain fetch', () => {
  let emulator: Emulator;
  let url: (path: string) => string;
  before(async () => {
    emulator = await startTestEmulator();
    url = path => `${emulator.restUrl}${path}`;
  });
  after(() => emulator.close());

  const cancel = (name: string, body?: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(url(`/v1/${name}:cancel`), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body } : {}) });

  async function googleError(response: Response, httpStatus: number, statusName: string): Promise<GoogleError> {
    assert.equal(response.status, httpStatus);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = await response.json() as GoogleError;
    assert.equal(body.error.code, httpStatus);
    assert.equal(body.error.status, statusName);
    assert.equal(typeof body.error.message, 'string');
    return body;
  }

  test('cancels a running operation with body {}: the answer is exactly {} and GET shows error code 1', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'rest-cancel-' });
    const response = await cancel(name, '{}');
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '{}');
    const op = await (await fetch(url(`/v1/${name}`))).json();
    assert.deepEqual(op, { name, done: true, error: { code: 1, message: 'Operation cancelled' } });
  });

  test('an empty cancel body is accepted too; any other body is INVALID_ARGUMENT and changes nothing', async () => {
    const [empty = '', other = ''] = emulator.createOperations({ count: 2, idPrefix: 'rest-body-' });
    assert.equal(await (await cancel(empty)).text(), '{}');
    assert.equal(emulator.getOperation(empty)?.state, 'cancelled');
    await googleError(await cancel(other, '{"name":"x"}'), 400, 'INVALID_ARGUMENT');
    await googleError(await cancel(other, '[]'), 400, 'INVALID_ARGUMENT');
    await googleError(await cancel(other, '{"unterminated'), 400, 'INVALID_ARGUMENT');
    assert.equal(emulator.getOperation(other)?.state, 'running');
  });

  test('a running operation is {"name"} only; a done one carries an Any response; cancelling it changes nothing', async () => {
    const [running = ''] = emulator.createOperations({ count: 1, idPrefix: 'rest-view-' });
    assert.deepEqual(await (await fetch(url(`/v1/${running}`))).json(), { name: running });
    const [done = ''] = emulator.createOperations({ count: 1, idPrefix: 'rest-view-', doneFraction: 1 });
    assert.equal(await (await cancel(done, '{}')).text(), '{}');
    assert.deepEqual(await (await fetch(url(`/v1/${done}`))).json(), {
      name: done, done: true, response: { '@type': 'type.googleapis.com/google.protobuf.Empty' },
    });
  });

  test('unknown names are 404 NOT_FOUND and malformed or percent-encoded ones 400 INVALID_ARGUMENT', async () => {
    await googleError(await cancel('projects/demo/locations/global/operations/missing', '{}'), 404, 'NOT_FOUND');
    const bad = await googleError(await fetch(url('/v1/projects/demo/locations/global/operations/a%20b')), 400, 'INVALID_ARGUMENT');
    assert.equal(bad.error.details?.[0]?.['@type'], 'type.googleapis.com/google.rpc.BadRequest');
    await googleError(await fetch(url('/v1/projects/demo/locations/global/operations/a%2Fb')), 400, 'INVALID_ARGUMENT');
    await googleError(await fetch(url('/v1/projects/demo/locations/global/operations/a%zzb')), 400, 'INVALID_ARGUMENT');
  });

  test('ListOperations pages with pageSize/pageToken and filters done=true|false, covering each operation once', async () => {
    const parent = 'projects/rest-list/locations/global';
    const names = emulator.createOperations({ count: 9, parent, doneFraction: 0.5 });
    const collect = async (filter: string): Promise<Array<{ name: string; done?: boolean }>> => {
      const all: Array<{ name: string; done?: boolean }> = [];
      let token = '';
      do {
        const query = new URLSearchParams({ pageSize: '2', ...(filter ? { filter } : {}), ...(token ? { pageToken: token } : {}) });
        const page = await (await fetch(url(`/v1/${parent}/operations?${query}`))).json() as { operations?: typeof all; nextPageToken?: string };
        all.push(...(page.operations ?? []));
        token = page.nextPageToken ?? '';
      } while (token !== '');
      return all;
    };
    const running = await collect('done=false');
    const done = await collect('done=true');
    assert.ok(running.every(op => op.done === undefined) && done.every(op => op.done === true));
    assert.deepEqual([...running, ...done].map(op => op.name).sort(), [...names].sort());
    assert.deepEqual((await collect('')).map(op => op.name), names);
    await googleError(await fetch(url(`/v1/${parent}/operations?pageSize=abc`)), 400, 'INVALID_ARGUMENT');
    await googleError(await fetch(url(`/v1/${parent}/operations?color=blue`)), 400, 'INVALID_ARGUMENT');
  });

  test('DELETE answers {} and the operation is gone', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'rest-delete-' });
    const response = await fetch(url(`/v1/${name}`), { method: 'DELETE' });
    assert.equal(await response.text(), '{}');
    await googleError(await fetch(url(`/v1/${name}`)), 404, 'NOT_FOUND');
  });

  test('an injected RESOURCE_EXHAUSTED is 429 with Retry-After and a RetryInfo detail', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'rest-429-' });
    const response = await cancel(name, '{}', { 'x-emulator-fault': 'code=RESOURCE_EXHAUSTED;retry-delay-ms=1500' });
    assert.equal(response.headers.get('retry-after'), '2');
    const body = await googleError(response, 429, 'RESOURCE_EXHAUSTED');
    assert.deepEqual(body.error.details?.find(d => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo'), {
      '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.500s',
    });
    assert.equal(emulator.getOperation(name)?.state, 'running');
  });

  test('a per-project quota answers 429 past N requests in a second', async () => {
    const parent = 'projects/rest-quota/locations/global';
    const names = emulator.createOperations({ count: 5, parent });
    emulator.setFaults({ quotaRps: 2 });
    try {
      const statuses = await Promise.all(names.map(async name => (await fetch(url(`/v1/${name}`))).status));
      // Two windows can meet inside one burst on a slow machine; at least one request is still over.
      assert.ok(statuses.filter(s => s === 429).length >= 1, `statuses ${statuses.join(',')}`);
      assert.ok(statuses.every(s => s === 200 || s === 429));
    } finally {
      emulator.setFaults({ quotaRps: 0 });
    }
  });

  test('with quotaRetryInfo false a quota refusal carries ErrorInfo RATE_LIMIT_EXCEEDED but no RetryInfo nor Retry-After', async () => {
    const parent = 'projects/rest-quota-bare/locations/global';
    const names = emulator.createOperations({ count: 6, parent });
    emulator.setFaults({ quotaRps: 1, quotaRetryInfo: false });
    try {
      const responses = await Promise.all(names.map(name => fetch(url(`/v1/${name}`))));
      const refused = responses.filter(r => r.status === 429);
      assert.ok(refused.length >= 1, `statuses ${responses.map(r => r.status).join(',')}`);
      for (const response of refused) {
        assert.equal(response.headers.get('retry-after'), null);
        const body = await response.json() as { error: { status: string; details: Array<Record<string, unknown>> } };
        assert.equal(body.error.status, 'RESOURCE_EXHAUSTED');
        const types = body.error.details.map(d => d['@type']);
        assert.ok(types.includes('type.googleapis.com/google.rpc.ErrorInfo'));
        assert.ok(!types.includes('type.googleapis.com/google.rpc.RetryInfo'), `details ${types.join(', ')}`);
        assert.equal(body.error.details.find(d => d['@type'] === 'type.googleapis.com/google.rpc.ErrorInfo')?.['reason'], 'RATE_LIMIT_EXCEEDED');
      }
      await Promise.all(responses.filter(r => r.status !== 429).map(r => r.arrayBuffer()));
    } finally {
      emulator.setFaults({ quotaRps: 0, quotaRetryInfo: true });
    }
  });

  test('DROP destroys the socket; the next request is served', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'rest-drop-' });
    await assert.rejects(fetch(url(`/v1/${name}`), { headers: { 'x-emulator-fault': 'code=DROP' } }), TypeError);
    assert.equal((await fetch(url(`/v1/${name}`))).status, 200);
  });

  test('unknown path, wrong method, 2 MiB body and malformed HTTP get Google JSON errors and it keeps serving', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'rest-bad-' });
    await googleError(await fetch(url('/v2/whatever')), 404, 'NOT_FOUND');
    const wrong = await fetch(url(`/v1/${name}:cancel`), { method: 'GET' });
    assert.equal(wrong.headers.get('allow'), 'POST');
    await googleError(wrong, 405, 'UNIMPLEMENTED');
    await googleError(await fetch(url(`/v1/${name}`), { method: 'PATCH' }), 405, 'UNIMPLEMENTED');
    await googleError(await cancel(name, 'x'.repeat(2 * 1024 * 1024)), 413, 'INVALID_ARGUMENT');
    const raw = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(url('/v1/x'), { method: 'GET', headers: { 'x-huge': 'y'.repeat(20_000) } }, res => {
        let text = '';
        res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
        res.on('end', () => resolve(`${res.statusCode} ${text}`));
      });
      req.on('error', reject);
      req.end();
    });
    assert.match(raw, /^431 \{"error":\{"code":431/);
    assert.equal(emulator.getOperation(name)?.state, 'running');
    assert.equal(await (await cancel(name, '{}')).text(), '{}');
  });

  test('GET /emulator/v1/stats shows what reached the server; the control endpoints create and read operations', async () => {
    const json = { 'content-type': 'application/json' };
    const created = await (await fetch(url('/emulator/v1/operations'), { method: 'POST', headers: json, body: JSON.stringify({ count: 2, idPrefix: 'ctl-' }) })).json() as { names: string[] };
    assert.equal(created.names.length, 2);
    const [name = ''] = created.names;
    assert.equal((await fetch(url('/emulator/v1/stats:reset'), { method: 'POST', headers: json })).status, 200);
    await cancel(name, '{}');
    await cancel(name, '{}');
    const stats = await (await fetch(url('/emulator/v1/stats'))).json() as {
      byTransport: { rest: number };
      byMethodCode: { CancelOperation: Record<string, number> };
      cancels: { byName: Record<string, unknown> };
    };
    assert.equal(stats.byTransport.rest, 2);
    assert.deepEqual(stats.byMethodCode.CancelOperation, { OK: 2 });
    assert.deepEqual(stats.cancels.byName[name], { received: 2, afterDone: 1 });
    const record = await (await fetch(url(`/emulator/v1/operations/${name}`))).json() as Record<string, unknown>;
    assert.equal(record['state'], 'cancelled');
    await googleError(await fetch(url('/emulator/v1/operations'), { method: 'POST', headers: json, body: '{"count": -1}' }), 400, 'INVALID_ARGUMENT');
    await googleError(await fetch(url('/emulator/nothing')), 404, 'NOT_FOUND');
  });
});
