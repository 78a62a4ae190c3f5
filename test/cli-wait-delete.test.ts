import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../src/emulator/index.js';
import { createNames, jsonLines, runCli } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

/** `lro-cancel wait` and `lro-cancel delete` over the real CLI (issue 14, item 3). */

const PARENT = 'projects/demo/locations/global';

describe('lro-cancel wait', { concurrency: true }, () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('waits while an operation runs and exits 0 when it is done with a response', async () => {
    const [name] = emulator.createOperations({ count: 1, idPrefix: 'finishes-', durationMs: 1500 });
    const started = Date.now();
    const run = await runCli(['wait', name as string, '--timeout', '30s', '--json'], { emulator });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(Date.now() - started >= 1400, 'it waited for the operation');
    const [operation] = jsonLines(run.stdout);
    assert.deepEqual([operation?.['done'], operation?.['error']], [true, undefined]);
  });

  test('exits 4 when an operation ended with an error (cancelled), 5 when one is still running at --timeout, 1 when one cannot be read', async () => {
    const [cancelled, running] = createNames(emulator, 2, 'wait-');
    assert.equal((await runCli(['cancel', cancelled as string], { emulator })).code, 0);
    emulator.createOperations({ count: 1, idPrefix: 'wait-done-', doneFraction: 1 });
    const finished = `${PARENT}/operations/wait-done-000001`;
    const [errored, timedOut, unread] = await Promise.all([
      runCli(['wait', finished, cancelled as string], { emulator }),
      runCli(['wait', running as string, '--timeout', '1s', '--format', 'value(name,done)'], { emulator }),
      runCli(['wait', `${PARENT}/operations/nothing-here`, running as string, '--timeout', '1s'], { emulator }),
    ]);
    assert.equal(errored.code, 4, errored.stderr);
    assert.match(errored.stdout, /wait-done-000001  done, response\n.*wait-000001  done, error 1 \(CANCELLED\): Operation cancelled\n$/);
    assert.equal(timedOut.code, 5, timedOut.stderr);
    assert.equal(timedOut.stdout, `${running}\tfalse\n`);
    assert.equal(unread.code, 1, unread.stderr);
    assert.match(unread.stderr, /^lro-cancel: projects\/demo\/locations\/global\/operations\/nothing-here: \[NOT_FOUND\] /);
  });
});

describe('lro-cancel delete', { concurrency: true }, () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('--verify proves each name deleted (it reads NOT_FOUND after), an unknown one is not_found, and both are final: exit 0', async () => {
    const [name] = createNames(emulator, 1, 'delete-');
    const run = await runCli(['delete', '--verify', '--json', name as string, `${PARENT}/operations/never-was`], { emulator });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(jsonLines(run.stdout).map(line => [line['name'], line['outcome'], line['codeName']]), [
      [name, 'deleted', 'OK'], [`${PARENT}/operations/never-was`, 'not_found', 'NOT_FOUND'],
    ]);
    assert.equal(emulator.getOperation(name as string)?.deleted, true);
    const get = await runCli(['get', name as string], { emulator });
    assert.equal(get.code, 1);
    assert.match(get.stderr, /\[NOT_FOUND\]/);
  });

  test('prints a line per name like cancel, and a token without the delete permission is denied with the permission to grant', async () => {
    const guarded = await startTestEmulator({ requireAuth: true, tokens: { reader: ['cloudaicompanion.operations.get'] } });
    try {
      const [name] = createNames(guarded, 1, 'guarded-');
      const run = await runCli(['delete', name as string], { emulator: guarded, env: { LRO_CANCEL_ACCESS_TOKEN: 'reader' } });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stdout, /^✗ denied +projects\/demo\/locations\/global\/operations\/guarded-000001 \(grpc, 1 attempt, \d+ ms\): \[PERMISSION_DENIED\]/);
      assert.match(run.stderr, /^lro-cancel: hint: grant cloudaicompanion.operations.delete to the caller on projects\/demo \(roles\/cloudaicompanion.user, or a custom role\)\n$/);
      assert.equal(guarded.getOperation(name as string)?.deleted, false);
    } finally {
      await guarded.close();
    }
  });
});
