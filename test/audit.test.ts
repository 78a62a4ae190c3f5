import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './helpers/paths.js';
import { runProcess, type ProcessRun } from './helpers/process.js';

/**
 * `npm run audit:prod` (scripts/audit.mjs) is a gate, so it must not fail open: run against a registry on loopback
 * that answers the advisory endpoint with 405 (as the mirror of the machines this is built on does), with no
 * advisories, or with a high one for a production dependency.
 */

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Answer = 'refuse' | 'clean' | 'high';

describe('the audit gate', () => {
  let server: Server;
  let registry = '';
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        // The answer is chosen by the path prefix each run's registry URL carries.
        const answer = (req.url ?? '').split('/')[1] as Answer;
        const bulk = (req.url ?? '').includes('/-/npm/v1/security/advisories/bulk');
        if (!bulk || answer === 'refuse') {
          res.writeHead(405, { allow: 'GET,HEAD' });
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(answer === 'clean' ? '{}' : JSON.stringify({
          undici: [{ id: 1, url: 'https://example.invalid/advisory', title: 'test advisory', severity: 'high', vulnerable_versions: '<999.0.0', cwe: [], cvss: { score: 7.5, vectorString: null } }],
        }));
      });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });

  function audit(answer: Answer, record: string, env: Record<string, string> = {}): Promise<ProcessRun> {
    return runProcess(process.execPath, [join(projectRoot(), 'scripts', 'audit.mjs'), '--record', record], {
      cwd: projectRoot(),
      env: { ...process.env, npm_config_registry: `${registry}/${answer}/`, LRO_CANCEL_AUDIT_REQUIRED: '', ...env },
    });
  }

  test('an unreachable advisory endpoint is a warning annotation with the last audit that ran, and fails when an audit is required', async () => {
    const never = join(dir, 'never.json');
    const dated = join(dir, 'dated.json');
    writeFileSync(dated, JSON.stringify({ ranAt: '2026-11-02', summary: '0 critical, 0 high, 1 moderate, 0 low' }));
    const [first, required] = await Promise.all([audit('refuse', never), audit('refuse', dated, { LRO_CANCEL_AUDIT_REQUIRED: '1' })]);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /^::warning title=npm audit did not run::.*405 Method Not Allowed.*Last audit that ran: never\./m);
    assert.match(first.out, /^audit: WARNING: npm audit did not run.*NOT checked/m);
    assert.equal(required.code, 1, required.out);
    assert.match(required.out, /Last audit that ran: 2026-11-02 \(0 critical, 0 high, 1 moderate, 0 low\)/);
  });

  test('an audit that runs records its date, and a high advisory in a production dependency fails the gate', async () => {
    const record = join(dir, 'record.json');
    const today = (): string => new Date().toISOString().slice(0, 10);
    const dayBefore = today();
    const [clean, high] = await Promise.all([audit('clean', record), audit('high', join(dir, 'high.json'))]);
    assert.equal(clean.code, 0, clean.out);
    assert.match(clean.out, /production dependencies: 0 critical, 0 high, 0 moderate, 0 low/);
    assert.ok([dayBefore, today()].includes((JSON.parse(readFileSync(record, 'utf8')) as { ranAt: string }).ranAt), 'the record holds the date the audit ran');
    assert.equal(high.code, 1, high.out);
    assert.match(high.out, /high: undici/);
  });
});
