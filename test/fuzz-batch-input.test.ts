import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { isOperationName } from '../src/names.js';
import { RAW_MAX_CHARS, readNameLines, type InputLine } from '../src/batch/source.js';

/**
 * Batch input as people and programs make it: names, JSON lines (valid, malformed, not objects), comments, blank
 * lines, tokens pasted by mistake, odd Unicode, CRLF, a byte-order mark, no final newline, and a stream that splits
 * lines and multi-byte characters anywhere. Every meaningful line comes out once, in order, with its line number:
 * a valid name as a name, anything else as invalid with a bounded, redacted `raw`; nothing throws.
 */

const TOKEN = 'ya29.a0AfH6SMBx-known-test-token';
const validName = fc.tuple(
  fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
  fc.constantFrom('global', 'us-central1', 'europe-west4'),
  fc.stringMatching(/^[A-Za-z0-9_.~-]{1,16}$/).filter(s => s !== '.' && s !== '..'),
).map(([p, l, o]) => `projects/${p}/locations/${l}/operations/${o}`);

const lineText = fc.oneof(
  { weight: 4, arbitrary: validName },
  { weight: 1, arbitrary: validName.map(name => `  ${name}\t`) },
  { weight: 2, arbitrary: validName.map(name => JSON.stringify({ name, note: 'from a previous run' })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map(name => JSON.stringify({ name })) },
  { weight: 1, arbitrary: fc.constantFrom('{', '{"name": 1}', '{"name": null}', '{}', '{"name": "a"', '[]', '{"Name": "x"}') },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '# a comment', '#', '\t') },
  { weight: 1, arbitrary: fc.constantFrom(`Bearer ${TOKEN}`, `projects/p/locations/l/operations/${TOKEN}?access_token=${TOKEN}`, `{"name": "x", "token": "Bearer ${TOKEN}"}`) },
  { weight: 2, arbitrary: fc.string({ maxLength: 60, unit: 'grapheme' }).map(s => s.replace(/\n/g, '')) },
  { weight: 1, arbitrary: fc.constant(`projects/p/locations/l/operations/${'x'.repeat(3000)}`) },
);

/** The reference model: what a line must become (undefined: skipped). */
function expectedOf(text: string, lineNumber: number): InputLine | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  let name: unknown = trimmed;
  if (trimmed.startsWith('{')) {
    try {
      const value = JSON.parse(trimmed) as unknown;
      name = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)['name'] : undefined;
    } catch {
      name = undefined;
    }
  }
  return isOperationName(name) ? { lineNumber, name } : { lineNumber, invalid: '', raw: '' };
}

/** A stream that hands over `bytes` in the given pieces, cutting anywhere (inside characters and CRLF too). */
function chunked(bytes: Buffer, cuts: readonly number[]): Readable {
  const points = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) pieces.push(bytes.subarray(start, point));
    start = Math.max(start, point);
  }
  return Readable.from(pieces, { objectMode: false });
}

describe('batch input lines under random input', () => {
  test('every meaningful line comes out once, in order, as a name or as invalid, whatever the chunking', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(lineText, { maxLength: 30 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }),
      async (lines, crlf, bom, finalNewline, cuts) => {
        const separator = crlf ? '\r\n' : '\n';
        const content = `${bom ? '\ufeff' : ''}${lines.join(separator)}${finalNewline && lines.length > 0 ? separator : ''}`;
        const got: InputLine[] = [];
        for await (const item of readNameLines(chunked(Buffer.from(content, 'utf8'), cuts))) got.push(item);
        const expected = lines.map((text, i) => expectedOf(text, i + 1)).filter((item): item is InputLine => item !== undefined);
        assert.deepEqual(got.map(item => ('name' in item ? item : { lineNumber: item.lineNumber, invalid: '', raw: '' })), expected);
        for (const item of got) {
          if ('name' in item) continue;
          assert.ok(item.raw.length <= RAW_MAX_CHARS + 1, `raw of ${item.raw.length} characters`);
          assert.ok(item.invalid.startsWith(`line ${item.lineNumber}: `), item.invalid);
          assert.ok(!item.raw.includes(TOKEN) && !item.invalid.includes(TOKEN), `a token reached the report: ${item.raw}`);
        }
      },
    ), { numRuns: 400 });
  });
});
