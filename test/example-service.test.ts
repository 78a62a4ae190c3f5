import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { startTestEmulator } from './helpers/emulator.js';
import { projectRoot } from './helpers/paths.js';
import { waitFor } from './helpers/cli.js';

describe('the README\'s service example (scripts/example-service.ts)', () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('is the code the README shows, word for word', () => {
    const source = readFileSync(join(projectRoot(), 'scripts', 'example-service.ts'), 'utf8').replace("from '../src/index.js'", "from 'lro-cancel'");
    const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
    assert.ok(readme.includes(`\`\`\`ts\n${source}\`\`\``), 'README "Use it from a service" holds scripts/example-service.ts');
  });

  test('cancels a list over HTTP, answers a line per name and the summary, and prints the spans and metrics on the console', async () => {
    const names = emulator.createOperations({ count: 5, idPrefix: 'service-' });
    const unknown = 'projects/demo/locations/global/operations/service-unknown';
    const child = spawn(process.execPath, [join(projectRoot(), 'dist', 'scripts', 'example-service.js')], {
      env: { ...process.env, PORT: '0', LRO_CANCEL_EMULATOR_HOST: emulator.grpcAddress, LRO_CANCEL_EMULATOR_REST: emulator.restUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => { out += text; });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { out += text; });
    const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
    try {
      await waitFor(() => /listening on (http:\S+)/.test(out), 'the service to listen', 20_000);
      const url = /listening on (http:\S+)/.exec(out)?.[1] as string;
      const response = await fetch(`${url}/cancel`, { method: 'POST', body: JSON.stringify({ names: [...names, unknown] }) });
      assert.equal(response.status, 200);
      const lines = (await response.text()).trim().split('\n').map(line => JSON.parse(line) as Record<string, unknown>);
      const outcomes = new Map(lines.slice(0, -1).map(line => [line['name'], line['outcome']]));
      assert.deepEqual([...outcomes.keys()].sort(), [...names, unknown].sort());
      assert.ok(names.every(name => outcomes.get(name) === 'cancelled'));
      assert.equal(outcomes.get(unknown), 'not_found');
      assert.deepEqual((lines.at(-1)?.['summary'] as { outcomes: unknown }).outcomes, { cancelled: 5, not_found: 1 });
      const bad = await fetch(`${url}/cancel`, { method: 'POST', body: 'not json' });
      assert.equal(bad.status, 400);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, out);
    for (const printed of ["'POST /cancel'", "'Canceller.cancel'", "'google.longrunning.Operations/CancelOperation'",
      "'Attempt.google.longrunning.Operations.CancelOperation'", "'rpc.client.call.duration'", "'lro_cancel.batch.names'"]) {
      assert.ok(out.includes(printed), `${printed} on the console`);
    }
  });
});
