import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonLines, runCli } from './helpers/cli.js';

/**
 * ListOperations answers are the server's word, and a hostile or broken server on loopback gets to choose them:
 * names outside the parent that was listed (which `batch --from-list` must not cancel), the same page token forever,
 * empty pages forever, and pages slow enough that only a deadline over the whole listing ends it.
 */

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-listing-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// The tests use different parents and run at once: two of them mostly wait on a server's timers.
describe('a listing cannot make the CLI cancel other names or run forever', { concurrency: true }, () => {
  let server: Server;
  let endpoint = '';
  /** Requests per project, and the names cancelled. */
  const requests = new Map<string, number>();
  const cancelled: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const project = /^\/v1\/projects\/([^/]+)\//.exec(url.pathname)?.[1] ?? '';
      requests.set(project, (requests.get(project) ?? 0) + 1);
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST') {
        cancelled.push(decodeURIComponent(url.pathname.slice('/v1/'.length).replace(/:cancel$/, '')));
        res.end('{}');
        return;
      }
      const page = Number(url.searchParams.get('pageToken')?.replace('page-', '') ?? '0');
      const answer = (body: object): void => { res.end(JSON.stringify(body)); };
      switch (project) {
        case 'p': // its own operation and two that are not under projects/p/locations/l
          answer({ operations: [
            { name: 'projects/p/locations/l/operations/mine', done: false },
            { name: 'projects/VICTIM/locations/other/operations/theirs', done: false },
            { name: 'projects/p/locations/other/operations/elsewhere', done: false },
          ] });
          break;
        case 'loop': // the same token, no operations, forever
          answer({ nextPageToken: 'same' });
          break;
        case 'empty': // a new token every time, never an operation
          answer({ nextPageToken: `page-${page + 1}` });
          break;
        case 'slow': // one operation a page, 200 ms a page, forever
          setTimeout(() => answer({ operations: [{ name: `projects/slow/locations/l/operations/op-${page}`, done: false }], nextPageToken: `page-${page + 1}` }), 200);
          break;
        default:
          res.statusCode = 404;
          answer({ error: { code: 404, status: 'NOT_FOUND', message: 'no such parent' } });
      }
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  const connection = (): string[] => ['--rest-endpoint', endpoint, '--transport', 'rest', '--insecure'];

  test('batch --from-list cancels only the names under the parent, and reports the others as invalid', async () => {
    const output = join(dir, 'from-list.jsonl');
    const run = await runCli(['batch', '--from-list', 'projects/p/locations/l', '--output', output, '--progress', 'none', ...connection()]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(cancelled, ['projects/p/locations/l/operations/mine']);
    const records = readJsonLines(output) as Array<{ name: string; outcome: string; message?: string }>;
    assert.deepEqual(records.map(record => record.outcome).sort(), ['invalid', 'invalid', 'requested']);
    for (const record of records.filter(r => r.outcome === 'invalid')) assert.match(record.message ?? '', /is not an operation under projects\/p\/locations\/l; not cancelled/);
  });

  test('list and batch --from-list stop when the server repeats its page token', async () => {
    for (const args of [['list', 'projects/loop/locations/l', '--limit', '1'], ['batch', '--from-list', 'projects/loop/locations/l', '--progress', 'none']]) {
      requests.set('loop', 0);
      const run = await runCli([...args, ...connection()], { timeoutMs: 8000 });
      assert.equal(run.timedOut, false, `${args[0]} ended by itself`);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /INTERNAL.*answered with a page token it had already given/);
      assert.equal(requests.get('loop'), 2, `${args[0]}: requests sent`);
    }
  });

  test('list stops after 100 empty pages in a row', async () => {
    const run = await runCli(['list', 'projects/empty/locations/l', '--limit', '1', ...connection()], { timeoutMs: 8000 });
    assert.equal(run.timedOut, false);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /INTERNAL.*answered 100 empty pages in a row/);
    assert.equal(requests.get('empty'), 100);
  });

  test('the deadline covers the whole listing, not each page', async () => {
    const started = Date.now();
    const run = await runCli(['list', 'projects/slow/locations/l', '--deadline-ms', '1500', ...connection()], { timeoutMs: 8000 });
    assert.equal(run.timedOut, false, 'ended by its deadline');
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /DEADLINE_EXCEEDED/);
    const pages = requests.get('slow') ?? 0;
    assert.ok(pages >= 2 && pages <= 10, `${pages} pages in 1.5 s of 200 ms pages`);
    assert.ok(Date.now() - started < 7000);
  });
});
