import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { isOperationName, parseOperationName, parseParentName } from '../src/names.js';
import { CLOUDAICOMPANION_V1, profileFor } from '../src/protos.js';
import { buildRequest, compileRoutes } from '../src/transport/rest-route.js';

/**
 * Operation and parent names from anywhere (a file, a listing, a caller): the parser either accepts a name whose
 * every id is plain (so it means the same in a URL path, a routing header and a log line) or throws OperationsError
 * INVALID_ARGUMENT with a bounded message. Accepted names become exactly the REST path the http rule describes.
 */

const SAFE_ID = /^[A-Za-z0-9_.~-]{1,256}$/;

/** Pieces that make a REST path or a URL mean something else, plus ordinary ones. */
const tricky = fc.constantFrom(
  '..', '.', '', '%2F', '%2e%2e', '/', '\\', '?', '#', ':', ';', '@', '&', '=', '+', ' ', '\t', '\r\n', '\u0000', '\u00e9', '\u202e',
  '\uff0f', '%', '~', '-', '_', 'a', 'op-1', 'projects', 'locations', 'operations', '{name}', '*', '**',
);
const id = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.~-]{1,12}$/) },
  fc.array(tricky, { minLength: 1, maxLength: 4 }).map(parts => parts.join('')),
  fc.string({ maxLength: 12, unit: 'binary' }),
);
/** Mostly the right shape with a tricky id somewhere, sometimes anything at all. */
const operationName = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(id, id, id).map(([p, l, o]) => `projects/${p}/locations/${l}/operations/${o}`) },
  fc.array(fc.oneof(id, tricky), { maxLength: 9 }).map(parts => parts.join('/')),
  fc.string({ maxLength: 80, unit: 'grapheme' }),
);

function rejection(parse: () => unknown): OperationsError | undefined {
  try {
    parse();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof OperationsError, `only OperationsError may be thrown, got ${String(error)}`);
    assert.equal(error.code, Code.INVALID_ARGUMENT);
    assert.ok(error.message.length < 700, `a bounded message, got ${error.message.length} characters`);
    return error;
  }
}

describe('name parsing under random input', () => {
  test('an operation name is accepted only with plain ids, exactly as given; anything else is INVALID_ARGUMENT', () => {
    let accepted = 0;
    fc.assert(fc.property(operationName, input => {
      const error = rejection(() => parseOperationName(input));
      if (error !== undefined) return;
      accepted += 1;
      const parsed = parseOperationName(input);
      for (const part of [parsed.project, parsed.location, parsed.operation]) {
        assert.match(part, SAFE_ID);
        assert.notEqual(part, '.');
        assert.notEqual(part, '..');
      }
      assert.equal(`projects/${parsed.project}/locations/${parsed.location}/operations/${parsed.operation}`, input);
    }), { numRuns: 3000 });
    assert.ok(accepted > 150, `the generator makes valid names too (${accepted} of 3000)`);
  });

  test('the one-expression check accepts exactly the names the parser accepts', () => {
    let accepted = 0;
    fc.assert(fc.property(fc.oneof(operationName, fc.anything()), input => {
      const parses = rejection(() => parseOperationName(input)) === undefined;
      assert.equal(isOperationName(input), parses, JSON.stringify(input));
      if (parses) accepted += 1;
    }), { numRuns: 5000 });
    assert.ok(accepted > 150, `the generator makes valid names too (${accepted} of 5000)`);
    for (const edge of ['projects/./locations/l/operations/o', 'projects/p/locations/../operations/o', 'projects/p/locations/l/operations/..',
      'projects/.a/locations/..b/operations/...', `projects/p/locations/l/operations/${'x'.repeat(256)}`, `projects/p/locations/l/operations/${'x'.repeat(257)}`,
      `projects/${'p'.repeat(256)}/locations/${'l'.repeat(256)}/operations/${'o'.repeat(256)}x`, 'projects/p/locations/l/operations/o\n']) {
      assert.equal(isOperationName(edge), rejection(() => parseOperationName(edge)) === undefined, edge);
    }
  });

  test('a parent is accepted only with plain ids; anything else is INVALID_ARGUMENT', () => {
    fc.assert(fc.property(fc.oneof(fc.tuple(id, id).map(([p, l]) => `projects/${p}/locations/${l}`), operationName), input => {
      if (rejection(() => parseParentName(input)) !== undefined) return;
      const parsed = parseParentName(input);
      assert.match(parsed.project, SAFE_ID);
      assert.match(parsed.location, SAFE_ID);
    }), { numRuns: 2000 });
  });

  test('values that are not strings, and huge strings, are refused quickly with a short message', () => {
    fc.assert(fc.property(fc.anything(), value => {
      if (typeof value === 'string') return;
      assert.ok(rejection(() => parseOperationName(value)) !== undefined);
    }), { numRuns: 500 });
    for (const huge of ['a'.repeat(5_000_000), `projects/p/locations/l/operations/${'x'.repeat(2_000_000)}`, '/'.repeat(1_000_000)]) {
      const started = performance.now();
      assert.ok(rejection(() => parseOperationName(huge)) !== undefined);
      assert.ok(performance.now() - started < 500, 'linear, not worse');
    }
  });

  test('an accepted name is the REST path of the http rule, byte for byte: nothing encoded, nothing walked', () => {
    const routes = compileRoutes(profileFor(CLOUDAICOMPANION_V1), '/prefix');
    const cancel = routes.get('CancelOperation');
    const get = routes.get('GetOperation');
    assert.ok(cancel !== undefined && get !== undefined);
    fc.assert(fc.property(operationName, input => {
      if (rejection(() => parseOperationName(input)) !== undefined) return;
      assert.equal(buildRequest(cancel, { name: input }).path, `/prefix/v1/${input}:cancel`);
      assert.equal(buildRequest(get, { name: input }).path, `/prefix/v1/${input}`);
      const url = new URL(`http://h${buildRequest(cancel, { name: input }).path}`);
      assert.equal(url.pathname, `/prefix/v1/${input}:cancel`, 'a URL parser sees the same path');
      assert.equal(url.search + url.hash, '');
    }), { numRuns: 2000 });
  });
});
