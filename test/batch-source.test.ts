import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readNameLines, type InputLine } from '../src/batch/source.js';

const OP = (id: string | number): string => `projects/p1/locations/us-central1/operations/${id}`;

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lro-batch-source-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(lines: AsyncIterable<InputLine>): Promise<InputLine[]> {
  const out: InputLine[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

function fileWith(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function invalidOf(line: InputLine | undefined): { lineNumber: number; invalid: string; raw: string } {
  assert.ok(line !== undefined && 'invalid' in line, `expected an invalid line, got ${JSON.stringify(line)}`);
  return line;
}

describe('readNameLines', () => {
  test('reads plain names and JSON lines, skipping blanks and comments, with CRLF and no final newline', async () => {
    const path = fileWith('mixed.txt', [
      '# operations to cancel',
      `  ${OP('a')}  `,
      '',
      `{"name": "${OP('b')}", "outcome": "error"}`,
      '   # indented comment',
      `${OP('c')}\r`,
      '\t',
      OP('d'),
    ].join('\n'));
    assert.deepEqual(await collect(readNameLines(path)), [
      { lineNumber: 2, name: OP('a') },
      { lineNumber: 4, name: OP('b') },
      { lineNumber: 6, name: OP('c') },
      { lineNumber: 8, name: OP('d') },
    ]);
  });

  test('reads a Windows file with CRLF everywhere and a byte-order mark', async () => {
    const path = fileWith('crlf.txt', `\ufeff${OP(1)}\r\n\r\n${OP(2)}\r\n`);
    assert.deepEqual(await collect(readNameLines(path)), [
      { lineNumber: 1, name: OP(1) },
      { lineNumber: 3, name: OP(2) },
    ]);
  });

  test('reports invalid lines with their line number, the problem and what was expected', async () => {
    const path = fileWith('invalid.txt', [
      OP('ok'),
      'projects/p1/operations/x',
      '{"name": ',
      '{"id": "x"}',
      '{"name": 42}',
      '{"name": null}',
      `{"name": "${OP('bad id')}"}`,
      OP('ok2'),
    ].join('\n'));
    const lines = await collect(readNameLines(path));
    assert.equal(lines.length, 8);
    assert.deepEqual(lines[0], { lineNumber: 1, name: OP('ok') });
    assert.deepEqual(lines[7], { lineNumber: 8, name: OP('ok2') });

    const wrongShape = invalidOf(lines[1]);
    assert.equal(wrongShape.lineNumber, 2);
    assert.equal(wrongShape.raw, 'projects/p1/operations/x');
    assert.match(wrongShape.invalid, /^line 2: invalid operation name "projects\/p1\/operations\/x": 4 path segments instead of 6; expected projects\/\{project\}\/locations\/\{location\}\/operations\/\{operation\}$/);

    const malformed = invalidOf(lines[2]);
    assert.match(malformed.invalid, /^line 3: malformed JSON \(.+\); expected an operation name .* or a JSON object \{"name": /);
    assert.equal(malformed.raw, '{"name":');

    assert.match(invalidOf(lines[3]).invalid, /^line 4: a JSON object with no "name" field; expected /);
    assert.match(invalidOf(lines[4]).invalid, /^line 5: a JSON object with a "name" that is number, not a string; expected /);
    assert.match(invalidOf(lines[5]).invalid, /^line 6: a JSON object with a "name" that is null, not a string; expected /);
    assert.match(invalidOf(lines[6]).invalid, /^line 7: invalid operation name .*the operations id has the character " "/);
  });

  test('cuts the raw text and the message of a long invalid line, and redacts what looks like a credential', async () => {
    const long = 'x'.repeat(5000);
    const path = fileWith('long.txt', `${long}\n{"name": 1, "token": "Bearer ya29.secretsecret"}\n`);
    const [first, second] = await collect(readNameLines(path));
    const cut = invalidOf(first);
    assert.equal(cut.raw, `${'x'.repeat(1024)}…`);
    assert.ok(cut.invalid.length < 600, `message is ${cut.invalid.length} characters`);
    assert.doesNotMatch(invalidOf(second).raw, /secretsecret/);
  });

  test('reports a line over 1 MiB as invalid without holding it, and reads on after it', async () => {
    const huge = 'y'.repeat(3 * 1024 * 1024);
    const path = fileWith('huge.txt', `${OP(1)}\n${huge}\n${OP(2)}\n${huge}`);
    const lines = await collect(readNameLines(path));
    assert.equal(lines.length, 4);
    assert.deepEqual(lines[0], { lineNumber: 1, name: OP(1) });
    assert.match(invalidOf(lines[1]).invalid, /^line 2: 3145728 characters, more than the 1048576 a line may have/);
    assert.ok(invalidOf(lines[1]).raw.length <= 1025);
    assert.deepEqual(lines[2], { lineNumber: 3, name: OP(2) });
    assert.match(invalidOf(lines[3]).invalid, /^line 4: 3145728 characters/);
  });

  test('reads a stdin-like stream whose chunks split lines and multi-byte characters', async () => {
    const stream = new PassThrough();
    const reading = collect(readNameLines(stream));
    const bytes = Buffer.from(`# café ☕\n${OP('x')}\r\n{"name":"${OP('y')}"}\n${OP('z')}`, 'utf8');
    for (let i = 0; i < bytes.length; i += 3) {
      stream.write(bytes.subarray(i, i + 3));
      await new Promise(resolve => setImmediate(resolve));
    }
    stream.end();
    assert.deepEqual(await reading, [
      { lineNumber: 2, name: OP('x') },
      { lineNumber: 3, name: OP('y') },
      { lineNumber: 4, name: OP('z') },
    ]);
  });

  test('ends without an error when the signal aborts, even while a stream sends nothing, and closes it', async () => {
    const stream = new PassThrough();
    const controller = new AbortController();
    const seen: InputLine[] = [];
    const reading = (async () => {
      for await (const line of readNameLines(stream, { signal: controller.signal })) seen.push(line);
    })();
    stream.write(`${OP(1)}\n`);
    while (seen.length === 0) await new Promise(resolve => setImmediate(resolve));
    controller.abort();
    await reading;
    assert.deepEqual(seen, [{ lineNumber: 1, name: OP(1) }]);
    assert.equal(stream.destroyed, true);
  });

  test('closes the file when the signal aborts part way through', async () => {
    const path = fileWith('many.txt', Array.from({ length: 100_000 }, (_, i) => OP(i)).join('\n'));
    const file = createReadStream(path);
    const controller = new AbortController();
    let count = 0;
    for await (const line of readNameLines(file, { signal: controller.signal })) {
      assert.ok('name' in line);
      count += 1;
      if (count === 10) controller.abort();
    }
    assert.equal(count, 10);
    if (!file.closed) await new Promise<void>(resolve => file.once('close', () => resolve()));
    assert.equal(file.closed, true);
  });

  test('reads nothing from an already aborted signal', async () => {
    const path = fileWith('one.txt', `${OP(1)}\n`);
    assert.deepEqual(await collect(readNameLines(path, { signal: AbortSignal.abort() })), []);
  });

  test('throws when the file does not exist, naming it', async () => {
    await assert.rejects(collect(readNameLines(join(dir, 'missing.txt'))), /missing\.txt/);
  });

  test('streams 1,000,000 lines in bounded memory, far faster than a batch can cancel', async t => {
    const path = join(dir, 'million.txt');
    const out = createWriteStream(path);
    let chunk = '';
    for (let i = 0; i < 1_000_000; i += 1) {
      chunk += `projects/p${i % 100}/locations/l/operations/op-${i}\n`;
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await new Promise<void>(resolve => out.once('drain', () => resolve()));
        chunk = '';
      }
    }
    await new Promise(resolve => out.end(chunk, () => resolve(undefined)));
    // Measured in a child process: the test runner's async tracking would add its own cost to every promise here.
    const report = await measureInChild(path);
    t.diagnostic(`${Math.round(report.names / (report.elapsedMs / 1000))} lines/s; peak heap growth ${(report.peakBytes / 2 ** 20).toFixed(1)} MiB`);
    assert.equal(report.names, 1_000_000);
    assert.ok(report.peakBytes < 50 * 2 ** 20, `heap grew ${report.peakBytes} bytes`);
    // What stays after a collection must not depend on how far the input has been read.
    assert.ok(report.retainedGrowthBytes < 4 * 2 ** 20, `retained ${report.retainedGrowthBytes} more bytes at 1e6 lines than at 1e5`);
    assert.ok(report.names / (report.elapsedMs / 1000) > 20_000, 'slower than the 20,000 names/s a batch needs');
  });
});

interface MemoryReport {
  readonly names: number;
  readonly elapsedMs: number;
  readonly peakBytes: number;
  readonly retainedGrowthBytes: number;
}

const CHILD = `
const { readNameLines } = await import(process.env.SOURCE_MODULE);
gc();
const base = process.memoryUsage().heapUsed;
let peakBytes = 0, names = 0, at100k = 0;
const started = performance.now();
for await (const line of readNameLines(process.env.INPUT_PATH)) {
  if ('name' in line) names += 1;
  if ((names & 0x3fff) === 0) peakBytes = Math.max(peakBytes, process.memoryUsage().heapUsed - base);
  if (names === 100000) { gc(); at100k = process.memoryUsage().heapUsed; }
}
const elapsedMs = performance.now() - started;
gc();
process.stdout.write(JSON.stringify({ names, elapsedMs, peakBytes, retainedGrowthBytes: process.memoryUsage().heapUsed - at100k }));
`;

/** Runs CHILD in a fresh Node with this process's loader flags (tsx when the tests run from source). */
async function measureInChild(path: string): Promise<MemoryReport> {
  const loaders: string[] = [];
  process.execArgv.forEach((flag, i) => {
    const value = process.execArgv[i + 1];
    if ((flag === '--require' || flag === '--import') && value !== undefined) loaders.push(flag, value);
  });
  const { stdout } = await promisify(execFile)(process.execPath, [...loaders, '--expose-gc', '--input-type=module', '-e', CHILD], {
    env: { ...process.env, SOURCE_MODULE: new URL('../src/batch/source.js', import.meta.url).href, INPUT_PATH: path },
  });
  return JSON.parse(stdout) as MemoryReport;
}
