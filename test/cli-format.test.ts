import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { Emulator } from '../src/emulator/index.js';
import { toYaml } from '../src/cli/yaml.js';
import { createNames, jsonLines, runCli } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

/** `--format` over the real CLI (issue 14, item 2): every format for cancel, get, list, wait and batch's lines. */

const PARENT = 'projects/demo/locations/global';
const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-cli-format-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function lines(text: string): string[] {
  return text.split('\n').filter(line => line !== '');
}

describe('lro-cancel --format', { concurrency: true }, () => {
  let emulator: Emulator;
  /** A parent of its own with three operations: running, cancelled, done with a response. */
  const listParent = 'projects/format/locations/global';
  before(async () => {
    emulator = await startTestEmulator();
    emulator.createOperations({ count: 2, parent: listParent, idPrefix: 'op-' });
    emulator.createOperations({ count: 1, parent: listParent, idPrefix: 'done-', doneFraction: 1 });
    const cancelled = await runCli(['cancel', `${listParent}/operations/op-000002`], { emulator });
    assert.equal(cancelled.code, 0, cancelled.stderr);
  });
  after(async () => { await emulator.close(); });

  test('json prints one object per line for cancel, get, list and wait, and --json is the same', async () => {
    const [a, b] = createNames(emulator, 2, 'json-');
    const [cancelJson, cancelAlias, get, list, wait] = await Promise.all([
      runCli(['cancel', a as string, '--format', 'json'], { emulator }),
      runCli(['cancel', b as string, '--json'], { emulator }),
      runCli(['get', `${listParent}/operations/op-000002`, '--format', 'json'], { emulator }),
      runCli(['list', listParent, '--format', 'json'], { emulator }),
      runCli(['wait', `${listParent}/operations/done-000001`, '--format', 'json'], { emulator }),
    ]);
    for (const run of [cancelJson, cancelAlias, get, list, wait]) assert.equal(run.code, 0, run.stderr);
    const [viaFormat, viaAlias] = [jsonLines(cancelJson.stdout)[0], jsonLines(cancelAlias.stdout)[0]];
    assert.deepEqual(Object.keys(viaFormat ?? {}).sort(), Object.keys(viaAlias ?? {}).sort());
    assert.deepEqual([viaFormat?.['name'], viaFormat?.['outcome']], [a, 'requested']);
    assert.deepEqual(jsonLines(get.stdout), [{ name: `${listParent}/operations/op-000002`, done: true, error: { code: 1, message: 'Operation cancelled', details: [] } }]);
    assert.deepEqual(jsonLines(list.stdout).map(op => [op['name'], op['done']]), [
      [`${listParent}/operations/op-000001`, false], [`${listParent}/operations/op-000002`, true], [`${listParent}/operations/done-000001`, true],
    ]);
    assert.equal(jsonLines(wait.stdout)[0]?.['done'], true);
  });

  test('yaml prints documents separated by ---, which a YAML parser reads back as the JSON records', async () => {
    const [yaml, json] = await Promise.all([
      runCli(['list', listParent, '--format', 'yaml'], { emulator }),
      runCli(['list', listParent, '--format', 'json'], { emulator }),
    ]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.equal(yaml.stdout.match(/^---$/gm)?.length, 2);
    assert.deepEqual(loadAll(yaml.stdout), jsonLines(json.stdout));
  });

  test('table prints a header and aligned columns; table(name,error.code) chooses them', async () => {
    const [name] = createNames(emulator, 1, 'table-');
    const [cancel, list] = await Promise.all([
      runCli(['cancel', name as string, '--format', 'table'], { emulator }),
      runCli(['list', listParent, '--format', 'table(name,error.code)'], { emulator }),
    ]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, new RegExp(`^NAME +OUTCOME +CODE_NAME +TRANSPORT +ATTEMPTS +LATENCY_MS\\n${name} +requested +OK +grpc +1 +\\d+(\\.\\d)?\\n$`));
    const width = `${listParent}/operations/done-000001`.length;
    assert.deepEqual(lines(list.stdout), [
      `${'NAME'.padEnd(width)}  CODE`,
      `${listParent}/operations/op-000001`,
      `${`${listParent}/operations/op-000002`.padEnd(width)}  1`,
      `${listParent}/operations/done-000001`,
    ]);
  });

  test('value(name,error.code) prints the fields of each record separated by a tab, empty when missing', async () => {
    const [list, wait, cancel] = await Promise.all([
      runCli(['list', listParent, '--format', 'value(name,done,error.code)'], { emulator }),
      runCli(['wait', `${listParent}/operations/op-000002`, `${listParent}/operations/done-000001`, '--format', 'value(name,error.message)'], { emulator }),
      runCli(['cancel', `${PARENT}/operations/no-such-op`, '--format', 'value(outcome,codeName,message)'], { emulator }),
    ]);
    assert.deepEqual(lines(list.stdout), [
      `${listParent}/operations/op-000001\tfalse\t`,
      `${listParent}/operations/op-000002\ttrue\t1`,
      `${listParent}/operations/done-000001\ttrue\t`,
    ]);
    assert.equal(wait.code, 4, 'one of the two ended with an error (cancelled)');
    assert.deepEqual(lines(wait.stdout), [`${listParent}/operations/op-000002\tOperation cancelled`, `${listParent}/operations/done-000001\t`]);
    assert.equal(cancel.stdout, `not_found\tNOT_FOUND\tOperation "${PARENT}/operations/no-such-op" not found.\n`);
  });

  test('batch prints each name\'s line in the chosen format on stdout', async () => {
    const names = createNames(emulator, 3, 'batch-');
    const input = join(dir, 'batch.txt');
    writeFileSync(input, `${names.join('\n')}\n`);
    const [value, yaml] = await Promise.all([
      runCli(['batch', '--input', input, '--format', 'value(name,outcome)', '--progress', 'none'], { emulator }),
      runCli(['batch', '--input', input, '--format', 'yaml', '--progress', 'none'], { emulator }),
    ]);
    assert.equal(value.code, 0, value.stderr);
    assert.deepEqual(lines(value.stdout).sort(), names.map(name => `${name}\trequested`).sort());
    const docs = loadAll(yaml.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(docs.map(doc => doc['name']).sort(), [...names].sort());
  });

  test('a format that is not one is bad usage naming --format and what it takes', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--format', 'xml'], /--format expects json, yaml, table, table\(field,\.\.\.\) or value\(field,\.\.\.\)/],
      [['--format', 'value()'], /--format value\(\) needs at least one field, e.g. value\(name,done\)/],
      [['--format', 'json(name)'], /--format json takes no fields/],
      [['--format', 'value(name,,)'], /"" is not a field path/],
      [['--format', 'value(a b)'], /"a b" is not a field path/],
      [['--json', '--format', 'yaml'], /--json is --format json; it cannot go with --format yaml/],
    ];
    const runs = await Promise.all(cases.map(([flags]) => runCli(['get', `${PARENT}/operations/x`, ...flags], { emulator })));
    for (const [i, run] of runs.entries()) {
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, (cases[i] as [string[], RegExp])[1]);
      assert.match(run.stderr, /^lro-cancel: /);
    }
  });
});

describe('YAML of JSON data', () => {
  test('reads back as the same data, whatever the strings hold', () => {
    const tricky = ['', 'true', 'no', 'null', '~', '1.5', '0x10', '1e3', '-', '- a', 'a: b', 'a #b', '#c', ' lead', 'trail ', '"q"', "'s'",
      '[x]', '{x}', '&a', '*a', '!t', '%p', '@at', '`b`', 'line\nbreak', 'tab\there', 'ü ✓', '...', '---', '?', ':', 'a:b', 'http://x/y?z=1'];
    const value = {
      strings: tricky, numbers: [0, -1, 1.5, 1e21], flags: [true, false], nothing: null, empty: {}, none: [],
      nested: [[1, [2]], { 'key: colon': { 'true': 'yes' } }, []], operation: { name: 'projects/p/locations/l/operations/o', done: true, error: { code: 1, message: 'x', details: [] } },
    };
    assert.deepEqual(loadAll(toYaml(value)), [value]);
    for (const text of tricky) assert.deepEqual(loadAll(toYaml({ text })), [{ text }], JSON.stringify(text));
  });
});
