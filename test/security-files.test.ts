import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { startEmulator } from '../src/emulator/index.js';
import { createNames, runCli } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

/**
 * The files a run writes (journal, output, the emulator's state) hold the user's operation names and results, and are
 * often put in shared places like /tmp. They are created 0600, a symbolic link planted where one of them will be
 * written is refused rather than written through, and the emulator's temporary state file has a name nobody can
 * plant a link at in advance.
 */

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const VICTIM_TEXT = 'a file the user cares about\n';

function victim(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, VICTIM_TEXT);
  return path;
}

function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

describe('files are private and never written through a symbolic link', () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(() => emulator.close());

  test('batch refuses an --output or a --journal that is a symbolic link, and leaves the file it points at alone', async () => {
    const names = createNames(emulator, 2, 'link-');
    for (const flag of ['--output', '--journal']) {
      const target = victim(`victim${flag}.txt`);
      const link = join(dir, `link${flag}.jsonl`);
      symlinkSync(target, link);
      const run = await runCli(['batch', '--input', '-', flag, link, '--progress', 'none'], { emulator, stdin: `${names.join('\n')}\n` });
      assert.notEqual(run.code, 0, `${flag}: ${run.stderr}`);
      assert.match(run.stderr, /is a symbolic link; refusing to write through it/);
      assert.equal(readFileSync(target, 'utf8'), VICTIM_TEXT, `${flag}: the file behind the link is unchanged`);
      assert.ok(lstatSync(link).isSymbolicLink());
    }
  });

  test('a fresh journal and output are readable by their owner only', async () => {
    const names = createNames(emulator, 2, 'mode-');
    const journal = join(dir, 'fresh-journal.jsonl');
    const output = join(dir, 'fresh-output.jsonl');
    const run = await runCli(['batch', '--input', '-', '--journal', journal, '--output', output, '--progress', 'none'], { emulator, stdin: `${names.join('\n')}\n` });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(modeOf(journal), '600');
    assert.equal(modeOf(output), '600');
  });

  test('the emulator state file is 0600 and its temporary file cannot be planted: a link at STATE.tmp is left alone', async () => {
    const state = join(dir, 'emulator.state');
    const target = victim('victim-state.txt');
    symlinkSync(target, `${state}.tmp`);
    const saving = await startEmulator({ stateFile: state, ops: 3, seed: 1 });
    saving.createOperations({ count: 5 });
    await saving.close();
    assert.equal(readFileSync(target, 'utf8'), VICTIM_TEXT, 'the planted link was not written through');
    assert.ok(lstatSync(state).isFile() && !lstatSync(state).isSymbolicLink());
    assert.equal(modeOf(state), '600');
    const again = await startEmulator({ stateFile: state, seed: 1 });
    try {
      assert.equal(again.stats().total, 0);
      assert.equal(again.createOperations({ count: 1 }).length, 1);
      assert.ok(again.getOperation('projects/demo/locations/global/operations/op-000003') !== undefined, 'the state was saved and loads');
    } finally {
      await again.close();
    }
  });
});
