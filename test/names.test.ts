import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { printable } from '../src/printable.js';
import {
  OPERATION_NAME_FORM, PARENT_NAME_FORM, isOperationName, parentOf, parseOperationName, parseParentName,
} from '../src/names.js';

/**
 * The parser throws OperationsError INVALID_ARGUMENT whose message shows the input (control characters spelled out, as
 * every OperationsError message has them) and the expected form.
 */
function assertRejected(parse: (input: unknown) => unknown, input: unknown, form: string, why?: RegExp): void {
  assert.throws(() => parse(input), (error: unknown) => {
    assert.ok(error instanceof OperationsError, 'an OperationsError');
    assert.equal(error.code, Code.INVALID_ARGUMENT);
    assert.ok(error.message.includes(form), `names the form: ${error.message}`);
    if (typeof input === 'string') assert.ok(error.message.includes(printable(JSON.stringify(input.slice(0, 200)).slice(1, -1))), `names the input: ${error.message}`);
    if (why !== undefined) assert.match(error.message, why);
    return true;
  });
}

const rejectOperation = (input: unknown, why?: RegExp): void => assertRejected(parseOperationName, input, OPERATION_NAME_FORM, why);
const rejectParent = (input: unknown, why?: RegExp): void => assertRejected(parseParentName, input, PARENT_NAME_FORM, why);

describe('parseOperationName', () => {
  test('splits a valid operation name into project, location and operation and keeps the name as given', () => {
    const name = 'projects/my-project/locations/us-central1/operations/operation-1712345678-abc_def.~x';
    assert.deepEqual(parseOperationName(name), {
      project: 'my-project', location: 'us-central1', operation: 'operation-1712345678-abc_def.~x', name,
    });
    assert.equal(parentOf(parseOperationName(name)), 'projects/my-project/locations/us-central1');
    assert.equal(isOperationName(name), true);
  });

  test('accepts numeric project ids, the global location and dots inside ids', () => {
    for (const name of [
      'projects/123456789012/locations/global/operations/1',
      'projects/p/locations/l/operations/a.b',
      'projects/p/locations/l/operations/...x',
    ]) assert.equal(parseOperationName(name).name, name);
  });

  test('rejects empty segments', () => {
    rejectOperation('', /segments/);
    rejectOperation('projects//locations/l/operations/o', /empty segment/);
    rejectOperation('projects/p/locations//operations/o', /empty segment/);
    rejectOperation('projects/p/locations/l/operations/', /empty segment/);
    rejectOperation('/projects/p/locations/l/operations/o', /segments/);
    rejectOperation('projects/p/locations/l/operations/o/', /segments/);
  });

  test('rejects "." and ".." segments that would walk the REST path', () => {
    rejectOperation('projects/./locations/l/operations/o', /"\." segment/);
    rejectOperation('projects/p/locations/l/operations/..', /"\.\." segment/);
  });

  test('rejects whitespace and control characters', () => {
    for (const bad of [' ', '\t', '\n', '\r', '\u0000', '\u001f', '\u007f']) {
      rejectOperation(`projects/p/locations/l/operations/a${bad}b`, /character/);
    }
    rejectOperation(' projects/p/locations/l/operations/o');
  });

  test('rejects ?, #, %, \\ and : which change what a URL or routing header names', () => {
    for (const bad of ['?', '#', '%', '%2F', '\\', ':', ':cancel']) {
      rejectOperation(`projects/p/locations/l/operations/o${bad}`, /character/);
    }
  });

  test('rejects non-ASCII characters', () => {
    for (const bad of ['é', 'ß', '\u200b', '\uff0f', '😀']) rejectOperation(`projects/p/locations/l/operations/o${bad}`, /character/);
  });

  test('rejects wrong collection words', () => {
    rejectOperation('project/p/locations/l/operations/o', /instead of "projects"/);
    rejectOperation('projects/p/location/l/operations/o', /instead of "locations"/);
    rejectOperation('projects/p/locations/l/operation/o', /instead of "operations"/);
    rejectOperation('Projects/p/locations/l/operations/o', /instead of "projects"/);
    rejectOperation('folders/p/locations/l/operations/o', /instead of "projects"/);
  });

  test('rejects too many and too few segments', () => {
    rejectOperation('projects/p/locations/l', /4 path segments instead of 6/);
    rejectOperation('operations/o', /2 path segments instead of 6/);
    rejectOperation('o', /1 path segments instead of 6/);
    rejectOperation('projects/p/locations/l/operations/o/extra/x', /8 path segments instead of 6/);
    rejectOperation('v1/projects/p/locations/l/operations/o', /segments/);
  });

  test('rejects an overlong name and shows only the start of it', () => {
    const long = `projects/p/locations/l/operations/${'a'.repeat(2000)}`;
    assert.throws(() => parseOperationName(long), (error: unknown) =>
      error instanceof OperationsError && error.code === Code.INVALID_ARGUMENT && error.message.length < 600 && error.message.includes(OPERATION_NAME_FORM));
  });

  test('rejects values that are not strings, naming the type received', () => {
    for (const value of [undefined, null, 42, {}, ['projects', 'p'], Symbol('x')]) {
      rejectOperation(value, /expected a string/);
    }
    assert.equal(isOperationName(42), false);
    assert.equal(isOperationName('projects/p/locations/l/operations/o?x'), false);
  });
});

describe('parseParentName', () => {
  test('splits a valid parent', () => {
    assert.deepEqual(parseParentName('projects/p-1/locations/europe-west4'), {
      project: 'p-1', location: 'europe-west4', name: 'projects/p-1/locations/europe-west4',
    });
  });

  test('rejects an operation name, empty segments, wrong words and bad characters', () => {
    rejectParent('projects/p/locations/l/operations/o', /6 path segments instead of 4/);
    rejectParent('projects/p', /2 path segments instead of 4/);
    rejectParent('projects/p/locations/', /empty segment/);
    rejectParent('projects/p/zones/l', /instead of "locations"/);
    rejectParent('projects/p/locations/l?filter=done', /character/);
    rejectParent('projects/../locations/l', /"\.\." segment/);
    rejectParent(7, /expected a string/);
  });
});
