import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../src/emulator/index.js';
import { jsonLines, runCli } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

/** `--project`, `--location` and CLOUDSDK_CORE_PROJECT with bare operation ids over the real CLI (issue 14, item 4). */
describe('lro-cancel with --project and --location', { concurrency: true }, () => {
  let emulator: Emulator;
  const parent = 'projects/scope-p/locations/us-central1';
  before(async () => {
    emulator = await startTestEmulator();
    emulator.createOperations({ count: 4, parent, idPrefix: 'op-' });
  });
  after(async () => { await emulator.close(); });

  test('a bare id means projects/P/locations/L/operations/ID for cancel, get and wait; a full name is taken as given', async () => {
    const scope = ['--project', 'scope-p', '--location', 'us-central1'];
    const cancel = await runCli(['cancel', 'op-000001', `${parent}/operations/op-000002`, '--json', ...scope], { emulator });
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.deepEqual(jsonLines(cancel.stdout).map(line => line['name']), [`${parent}/operations/op-000001`, `${parent}/operations/op-000002`]);
    assert.equal(emulator.getOperation(`${parent}/operations/op-000001`)?.state, 'cancelled');
    const [get, wait] = await Promise.all([
      runCli(['get', 'op-000001', '--format', 'value(name,error.code)', ...scope], { emulator }),
      runCli(['wait', 'op-000002', '--format', 'value(name,done)', ...scope], { emulator }),
    ]);
    assert.equal(get.stdout, `${parent}/operations/op-000001\t1\n`);
    assert.equal(wait.stdout, `${parent}/operations/op-000002\ttrue\n`);
  });

  test('the project may come from CLOUDSDK_CORE_PROJECT, and --project wins over it', async () => {
    const [fromEnv, fromFlag] = await Promise.all([
      runCli(['get', 'op-000003', '--location', 'us-central1', '--format', 'value(name)'], { emulator, env: { CLOUDSDK_CORE_PROJECT: 'scope-p' } }),
      runCli(['get', 'op-000003', '--project', 'scope-p', '--location', 'us-central1', '--format', 'value(name)'], { emulator, env: { CLOUDSDK_CORE_PROJECT: 'elsewhere' } }),
    ]);
    assert.equal(fromEnv.stdout, `${parent}/operations/op-000003\n`, fromEnv.stderr);
    assert.equal(fromFlag.stdout, `${parent}/operations/op-000003\n`, fromFlag.stderr);
  });

  test('list and batch --from-list take the parent from them', async () => {
    const scope = ['--project', 'scope-p', '--location', 'us-central1'];
    const list = await runCli(['list', '--format', 'value(name)', ...scope], { emulator });
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout.split('\n').filter(Boolean).length, 4);
    const batch = await runCli(['batch', '--from-list', '--filter', 'done=false', '--format', 'value(name,outcome)', '--progress', 'none', ...scope], { emulator });
    assert.equal(batch.code, 0, batch.stderr);
    assert.ok(batch.stdout.split('\n').filter(Boolean).every(line => line.startsWith(`${parent}/operations/`) && line.endsWith('\trequested')), batch.stdout);
  });

  test('a bare id without them, or with only one, is bad usage naming both flags', async () => {
    const [none, noLocation, badProject, noParent] = await Promise.all([
      runCli(['cancel', 'op-1'], { emulator }),
      runCli(['get', 'op-1', '--project', 'p'], { emulator }),
      runCli(['get', 'op-1', '--project', 'a/b', '--location', 'l'], { emulator }),
      runCli(['list'], { emulator }),
    ]);
    for (const run of [none, noLocation, badProject, noParent]) assert.equal(run.code, 2, run.stderr);
    assert.match(none.stderr, /^lro-cancel: "op-1" is an operation id, not a full name: pass --project \(or set CLOUDSDK_CORE_PROJECT\) and --location, or give projects\/PROJECT\/locations\/LOCATION\/operations\/op-1\n$/);
    assert.match(noLocation.stderr, /needs both --project \(or CLOUDSDK_CORE_PROJECT\) and --location; --location is missing/);
    assert.match(badProject.stderr, /--project "a\/b" and --location "l" do not make a parent name/);
    assert.match(noParent.stderr, /list needs a parent: projects\/PROJECT\/locations\/LOCATION, or --project \(or CLOUDSDK_CORE_PROJECT\) and --location/);
  });
});
