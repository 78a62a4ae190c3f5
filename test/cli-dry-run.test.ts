import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { createNames, jsonLines, runCli } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';
import { hasScript, runCliInPty } from './helpers/pty.js';

/** `batch --dry-run` and the confirmation of `--from-list` over the real CLI (issue 14, item 5). */

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-cli-dry-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cancelsOf(emulator: Emulator, names: readonly string[]): number {
  const byName = emulator.stats().cancels.byName;
  return names.reduce((sum, name) => sum + (byName.get(name)?.received ?? 0), 0);
}

describe('lro-cancel batch --dry-run', { concurrency: true }, () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('of a file prints each name a run would cancel and how many, skipping invalid lines, duplicates and names final in the journal; sends nothing, writes nothing', async () => {
    const [done, b, c, d] = createNames(emulator, 4, 'dry-file-') as [string, string, string, string];
    const journal = join(dir, 'dry.journal');
    const first = join(dir, 'first.txt');
    writeFileSync(first, `${done}\n`);
    assert.equal((await runCli(['batch', '--input', first, '--journal', journal, '--progress', 'none'], { emulator })).code, 0);
    const journalBefore = readFileSync(journal, 'utf8');
    const input = join(dir, 'dry.txt');
    writeFileSync(input, [done, b, c, 'not a name', d, b].join('\n'));
    const run = await runCli(['batch', '--input', input, '--journal', journal, '--dry-run'], { emulator });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${b}\n${c}\n${d}\n`);
    assert.match(run.stderr, /^lro-cancel: line 4: invalid operation name "not a name"/);
    assert.match(run.stderr, new RegExp(`lro-cancel: dry run: 3 operations would be cancelled from ${input} \\(1 final in the journal skipped, 1 invalid, 1 duplicate\\); nothing was sent\\n$`));
    assert.equal(cancelsOf(emulator, [b, c, d]), 0);
    assert.equal(readFileSync(journal, 'utf8'), journalBefore, 'the journal is unchanged');
  });

  test('of a file needs no credentials: with none to be found it looks for none, prints the names and exits 0', async () => {
    // Where Application Default Credentials would look: no file, no gcloud folder, and a metadata server that counts
    // the connections made to it and drops them (a real lookup would end "no credentials found", exit 3).
    let lookups = 0;
    const metadata = createServer(req => { lookups += 1; req.socket.destroy(); });
    await new Promise<void>(resolve => metadata.listen(0, '127.0.0.1', resolve));
    try {
      const home = mkdtempSync(join(dir, 'no-credentials-'));
      const input = join(dir, 'no-credentials.txt');
      const names = ['a', 'b'].map(id => `projects/p/locations/l/operations/${id}`);
      writeFileSync(input, names.join('\n'));
      const run = await runCli(['batch', '--input', input, '--dry-run'], {
        env: {
          HOME: home, CLOUDSDK_CONFIG: home, GOOGLE_APPLICATION_CREDENTIALS: undefined, METADATA_SERVER_DETECTION: undefined,
          GCE_METADATA_HOST: `127.0.0.1:${(metadata.address() as AddressInfo).port}`,
        },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `${names.join('\n')}\n`);
      assert.equal(run.stderr, `lro-cancel: dry run: 2 operations would be cancelled from ${input}; nothing was sent\n`);
      assert.equal(lookups, 0, 'no credential lookup');
    } finally {
      metadata.closeAllConnections();
      await new Promise(resolve => metadata.close(resolve));
    }
  });

  test('of --from-list reads the listing with its filter and prints what matches, in the chosen format; no cancel is sent', async () => {
    const parent = 'projects/dry-list/locations/global';
    const running = emulator.createOperations({ count: 3, parent, idPrefix: 'run-' });
    emulator.createOperations({ count: 2, parent, idPrefix: 'done-', doneFraction: 1 });
    const run = await runCli(['batch', '--from-list', parent, '--filter', 'done=false', '--dry-run', '--format', 'json'], { emulator });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(jsonLines(run.stdout), running.map(name => ({ name })));
    assert.match(run.stderr, /dry run: 3 operations would be cancelled under projects\/dry-list\/locations\/global matching done=false; nothing was sent/);
    assert.equal(cancelsOf(emulator, running), 0);
  });

  test('--from-list whose stdin is not a terminal asks nothing and goes on', async () => {
    const parent = 'projects/no-tty/locations/global';
    const names = emulator.createOperations({ count: 2, parent });
    const run = await runCli(['batch', '--from-list', parent, '--progress', 'none'], { emulator });
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /\[y\/N\]/);
    assert.equal(cancelsOf(emulator, names), 2);
  });
});

describe('lro-cancel batch --from-list on a terminal', { skip: hasScript() ? false : 'util-linux script is not installed', concurrency: true }, () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    emulator = await startTestEmulator();
    env = { ...process.env, LRO_CANCEL_EMULATOR_HOST: emulator.grpcAddress, LRO_CANCEL_EMULATOR_REST: emulator.restUrl };
    for (const key of ['LRO_CANCEL_ACCESS_TOKEN', 'CLOUDSDK_CORE_PROJECT', 'CLOUDSDK_AUTH_ACCESS_TOKEN_FILE']) delete env[key];
  });
  after(async () => { await emulator.close(); });

  const PROMPT = /\[y\/N\] /;

  test('asks "cancel N operations under P matching F? [y/N]"; anything but y cancels nothing and exits 1', async () => {
    const parent = 'projects/tty-no/locations/us-central1';
    const names = emulator.createOperations({ count: 3, parent });
    const run = await runCliInPty(['batch', '--from-list', parent, '--filter', 'done=false'], env, PROMPT, 'n\r');
    assert.match(run.out, /cancel 3 operations under projects\/tty-no\/locations\/us-central1 matching done=false\? \[y\/N\] /);
    assert.equal(run.code, 1, run.out);
    assert.match(run.out, /lro-cancel: not confirmed: nothing was cancelled/);
    assert.equal(cancelsOf(emulator, names), 0);
  });

  test('y cancels what the listing holds', async () => {
    const parent = 'projects/tty-yes/locations/us-central1';
    const names = emulator.createOperations({ count: 3, parent });
    const run = await runCliInPty(['batch', '--from-list', parent], env, PROMPT, 'y\r');
    assert.match(run.out, /cancel 3 operations under projects\/tty-yes\/locations\/us-central1\? \[y\/N\] /);
    assert.equal(run.code, 0, run.out);
    assert.equal(cancelsOf(emulator, names), 3);
  });

  test('--quiet asks nothing', async () => {
    const parent = 'projects/tty-quiet/locations/us-central1';
    const names = emulator.createOperations({ count: 2, parent });
    const run = await runCliInPty(['batch', '--from-list', parent, '--quiet'], env, undefined, '');
    assert.equal(run.code, 0, run.out);
    assert.doesNotMatch(run.out, /\[y\/N\]/);
    assert.equal(cancelsOf(emulator, names), 2);
  });
});
