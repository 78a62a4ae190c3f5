import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { openJsonLines, readJsonLines, type JsonLinesReadCounts, type JsonLineRecord } from '../src/batch/jsonl.js';

/**
 * A journal after crashes, disk trouble and stray edits: whole records mixed with truncated and garbled lines, blank
 * lines, CRLF, invalid UTF-8 and a last line cut off mid-write. The reader must yield exactly the whole records, in
 * order, count the rest, never throw, and a journal reopened after a cut-off tail must not glue its next record to it.
 */

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-fuzz-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

type Line =
  | { readonly kind: 'record'; readonly record: JsonLineRecord }
  | { readonly kind: 'other'; readonly bytes: Buffer };

const text = fc.string({ maxLength: 40, unit: 'grapheme' });
const record: fc.Arbitrary<JsonLineRecord> = fc.record({
  name: fc.oneof(text, fc.constant('projects/p/locations/l/operations/op-1')),
  outcome: fc.constantFrom('cancelled', 'requested', 'error', 'invalid', ''),
  extra: fc.dictionary(fc.string({ maxLength: 8 }).filter(key => key !== 'name' && key !== 'outcome'), fc.jsonValue(), { maxKeys: 3 }),
}).map(({ name, outcome, extra }) => ({ ...extra, name, outcome }));

/** Lines that are not records: cut-off records, JSON that is not a record, text, bytes (no newline inside). */
const other: fc.Arbitrary<Buffer> = fc.oneof(
  fc.tuple(record, fc.nat()).map(([r, cut]) => {
    const json = JSON.stringify(r);
    return Buffer.from(json.slice(0, 1 + (cut % (json.length - 1))));
  }),
  fc.constantFrom('{}', '[]', 'null', '"name"', '{"name": 1, "outcome": "x"}', '{"name": "a"}', '{"outcome": "a"}', 'not json', '{{', '\u0000').map(s => Buffer.from(s)),
  text.filter(s => s.trim() !== '').map(s => Buffer.from(s.replace(/[\n]/g, ' '))),
  fc.uint8Array({ minLength: 1, maxLength: 60 }).map(bytes => Buffer.from(bytes.map(b => (b === 10 ? 0xff : b)))),
);
const line: fc.Arbitrary<Line> = fc.oneof(
  { weight: 3, arbitrary: record.map(r => ({ kind: 'record' as const, record: r })) },
  { weight: 2, arbitrary: other.map(bytes => ({ kind: 'other' as const, bytes })) },
);

function bytesOf(item: Line): Buffer {
  return item.kind === 'record' ? Buffer.from(JSON.stringify(item.record)) : item.bytes;
}

/** What the reader must make of a line: a record, a blank line, or garbage. The reference model, kept simple. */
function classify(bytes: Buffer): JsonLineRecord | 'blank' | 'garbled' {
  const lineText = bytes.toString('utf8').replace(/\r$/, '');
  if (lineText.trim() === '') return 'blank';
  try {
    const value = JSON.parse(lineText) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const candidate = value as Record<string, unknown>;
      if (typeof candidate['name'] === 'string' && typeof candidate['outcome'] === 'string') return candidate as JsonLineRecord;
    }
  } catch {
    // garbled
  }
  return 'garbled';
}

async function readAll(path: string): Promise<{ records: JsonLineRecord[]; counts: JsonLinesReadCounts }> {
  const counts: JsonLinesReadCounts = { records: 0, garbled: 0, cutOff: false };
  const records: JsonLineRecord[] = [];
  for await (const item of readJsonLines(path, { counts })) records.push(item);
  return { records, counts };
}

describe('the journal reader under random damage', () => {
  test('yields exactly the whole records in order and counts everything else', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(line, { maxLength: 40 }), fc.boolean(), fc.boolean(), fc.nat({ max: 3 }),
      async (lines, crlf, endsWithNewline, padding) => {
        const path = join(dir, `j-${files++}.jsonl`);
        // Sometimes long filler records first, so lines cross the reader's 256 KiB chunks (and split characters).
        const filler: Line[] = Array.from({ length: padding * 40 }, (_, i) => ({ kind: 'record', record: { name: `é${'x'.repeat(2000 + i)}`, outcome: 'requested' } }));
        const all = [...filler, ...lines];
        const separator = Buffer.from(crlf ? '\r\n' : '\n');
        const parts = all.map(bytesOf);
        writeFileSync(path, Buffer.concat(parts.flatMap((bytes, i) => (i < parts.length - 1 || endsWithNewline ? [bytes, separator] : [bytes]))));

        const expected: JsonLineRecord[] = [];
        let garbled = 0;
        let cutOff = false;
        parts.forEach((bytes, i) => {
          const kind = classify(crlf && (i < parts.length - 1 || endsWithNewline) ? Buffer.concat([bytes, Buffer.from('\r')]) : bytes);
          const last = i === parts.length - 1 && !endsWithNewline;
          if (typeof kind === 'object') expected.push(kind);
          else if (kind === 'garbled') {
            if (last) cutOff = true;
            else garbled += 1;
          }
        });
        const { records, counts } = await readAll(path);
        assert.deepEqual(records, expected);
        assert.equal(counts.records, expected.length);
        assert.equal(counts.garbled, garbled);
        assert.equal(counts.cutOff, cutOff);
      },
    ), { numRuns: 200 });
  });

  test('a journal reopened after any cut-off tail appends its next record on a line of its own', async () => {
    await fc.assert(fc.asyncProperty(fc.array(record, { maxLength: 5 }), other, record, async (before, tail, next) => {
      const path = join(dir, `j-${files++}.jsonl`);
      writeFileSync(path, Buffer.concat([...before.map(r => Buffer.from(`${JSON.stringify(r)}\n`)), tail]));
      const journal = await openJsonLines(path);
      journal.append(next);
      await journal.close();
      const { records } = await readAll(path);
      const tailRecord = classify(tail);
      const asWritten = (r: JsonLineRecord): JsonLineRecord => JSON.parse(JSON.stringify(r)) as JsonLineRecord;
      assert.deepEqual(records, [...before.map(asWritten), ...(typeof tailRecord === 'object' ? [tailRecord] : []), asWritten(next)]);
    }), { numRuns: 150 });
  });

  test('a line of several MiB is counted as garbled without being held, and reading goes on after it', async () => {
    const path = join(dir, `j-${files++}.jsonl`);
    const first = { name: 'a', outcome: 'requested' };
    const last = { name: 'b', outcome: 'cancelled' };
    writeFileSync(path, `${JSON.stringify(first)}\n{"name": "${'z'.repeat(3 * 1024 * 1024)}", "outcome": "requested"}\n${JSON.stringify(last)}\n`);
    const { records, counts } = await readAll(path);
    assert.deepEqual(records, [first, last]);
    assert.equal(counts.garbled, 1);
  });
});
