import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { compileTemplate, expandTemplate } from '../src/transport/path-template.js';

function expand(template: string, fields: Record<string, string>): string {
  return expandTemplate(compileTemplate(template), fields).path;
}

function assertInvalid(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof OperationsError, `expected OperationsError, got ${String(error)}`);
    assert.equal(error.code, Code.INVALID_ARGUMENT);
    for (const fragment of fragments) assert.ok(error.message.includes(fragment), `${error.message} should mention ${fragment}`);
    return true;
  });
}

describe('compileTemplate', () => {
  test('splits the cancel template into literals, one variable and the custom verb', () => {
    const compiled = compileTemplate('/v1/{name=projects/*/locations/*/operations/*}:cancel');
    assert.deepEqual(compiled.literals, ['/v1/', ':cancel']);
    assert.deepEqual(compiled.fields, ['name']);
    assert.equal(compiled.verb, 'cancel');
    assert.equal(compiled.variables[0]?.multiSegment, true);
  });

  test('treats {field} as {field=*}, a single segment', () => {
    const compiled = compileTemplate('/v1/items/{id}');
    assert.equal(compiled.variables[0]?.pattern, '*');
    assert.equal(compiled.variables[0]?.multiSegment, false);
  });

  test('accepts nested field paths and several variables between literals', () => {
    const compiled = compileTemplate('/v2/{parent.name=shelves/*}/books/{book_id}:move');
    assert.deepEqual(compiled.fields, ['parent.name', 'book_id']);
    assert.deepEqual(compiled.literals, ['/v2/', '/books/', ':move']);
  });

  const bad: ReadonlyArray<readonly [string, string]> = [
    ['v1/{name}', 'must start with "/"'],
    ['/v1/{name=projects/*', 'unclosed "{"'],
    ['/v1/name}', 'unmatched "}"'],
    ['/v1/{a={b}}', 'cannot nest'],
    ['/v1/{name=**}/x', '"**" must be the last segment'],
    ['/v1/{name=a/**/b}', '"**" must be the last segment'],
    ['/v1/*/{name}', 'outside a variable'],
    ['/v1/{name}/{name}', 'appears twice'],
    ['/v1//x', 'empty segment'],
    ['/v1/{name}:a:b', 'more than one ":"'],
    ['/v1/x:cancel/y', 'after the last segment'],
    ['/v1/{9name}', 'not a field path'],
    ['/v1/a b', 'outside letters'],
    ['/v1/{name}x', 'mixes a variable and a literal'],
    ['/v1/../{name}', '".." segment'],
    ['/v1/{name}:', 'verb ""'],
  ];
  for (const [template, problem] of bad) {
    test(`refuses ${template} with a message that says ${problem}`, () => {
      assertInvalid(() => compileTemplate(template), JSON.stringify(template), problem);
    });
  }
});

describe('expandTemplate', () => {
  const cancel = compileTemplate('/v1/{name=projects/*/locations/*/operations/*}:cancel');

  test('expands an operation name into the cancel path and reports the field it consumed', () => {
    const { path, usedFields } = expandTemplate(cancel, { name: 'projects/p/locations/l/operations/o' });
    assert.equal(path, '/v1/projects/p/locations/l/operations/o:cancel');
    assert.deepEqual([...usedFields], ['name']);
  });

  test('names the field, the value and the pattern when a value does not match', () => {
    assertInvalid(() => expandTemplate(cancel, { name: 'projects/p/locations/l' }),
      'name', '"projects/p/locations/l"', 'projects/*/locations/*/operations/*');
    assertInvalid(() => expandTemplate(cancel, { name: 'projects/p/locations/l/operations/o/extra' }), 'does not match');
    assertInvalid(() => expandTemplate(cancel, { name: 'folders/p/locations/l/operations/o' }), 'does not match');
    assertInvalid(() => expandTemplate(cancel, { name: 'projects//locations/l/operations/o' }), 'does not match');
    assertInvalid(() => expandTemplate(cancel, { name: 'projects/../locations/l/operations/o' }), 'does not match');
    assertInvalid(() => expandTemplate(cancel, {}), 'missing');
    assertInvalid(() => expandTemplate(cancel, { name: '' }), 'empty');
  });

  test('percent-encodes everything outside unreserved in a single-segment variable', () => {
    assert.equal(expand('/v1/items/{id}', { id: "a b:c?d#e%f!'()*é" }),
      '/v1/items/a%20b%3Ac%3Fd%23e%25f%21%27%28%29%2A%C3%A9');
    assert.equal(expand('/v1/items/{id}', { id: 'A-z_0.9~' }), '/v1/items/A-z_0.9~');
  });

  test('refuses "/" in a single-segment variable rather than encoding it into another resource', () => {
    assertInvalid(() => expand('/v1/items/{id}', { id: 'a/b' }), 'id', '"a/b"', 'pattern *');
  });

  test('keeps "/" in a multi-segment variable and encodes everything else', () => {
    assert.equal(expand('/v1/{name=shelves/*/books/*}', { name: 'shelves/s 1/books/b:2' }), '/v1/shelves/s%201/books/b%3A2');
  });

  test('"**" matches zero or more segments, and only non-empty ones', () => {
    const template = '/v1/{name=operations/**}';
    assert.equal(expand(template, { name: 'operations' }), '/v1/operations');
    assert.equal(expand(template, { name: 'operations/a/b/c' }), '/v1/operations/a/b/c');
    assertInvalid(() => expand(template, { name: 'operations/' }), 'does not match');
    assertInvalid(() => expand(template, { name: 'operations/a//b' }), 'does not match');
    assertInvalid(() => expand(template, { name: 'operationsX/a' }), 'does not match');
    assert.equal(expand('/v1/{name=**}:wait', { name: 'a/b c' }), '/v1/a/b%20c:wait');
  });

  test('fills several variables with nested literals between them', () => {
    assert.equal(
      expand('/v2/{parent.name=shelves/*}/books/{book_id}:move', { 'parent.name': 'shelves/1', book_id: 'x:y' }),
      '/v2/shelves/1/books/x%3Ay:move',
    );
  });

  test('refuses a value that is not well-formed Unicode instead of throwing URIError', () => {
    assertInvalid(() => expand('/v1/items/{id}', { id: 'a\uD800b' }), 'well-formed');
  });

  test('any matching value round-trips: each expanded segment decodes back to the original', () => {
    const compiled = compileTemplate('/v1/{name=shelves/*/books/*}');
    const segment = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' })
      .filter(s => !s.includes('/') && s !== '.' && s !== '..');
    fc.assert(fc.property(segment, segment, (shelf, book) => {
      const { path } = expandTemplate(compiled, { name: `shelves/${shelf}/books/${book}` });
      assert.match(path, /^[A-Za-z0-9._~/%-]+$/);
      const parts = path.split('/').map(decodeURIComponent);
      assert.deepEqual(parts, ['', 'v1', 'shelves', shelf, 'books', book]);
    }));
  });
});
