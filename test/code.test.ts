import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, codeFromHttpStatus, codeFromName, codeName, httpStatusOf, isCode } from '../src/code.js';

/** DESIGN.md, "Status normalization": the one table both transports and the emulator share. */
const table: ReadonlyArray<readonly [Code, string, number]> = [
  [0, 'OK', 200],
  [1, 'CANCELLED', 499],
  [2, 'UNKNOWN', 500],
  [3, 'INVALID_ARGUMENT', 400],
  [4, 'DEADLINE_EXCEEDED', 504],
  [5, 'NOT_FOUND', 404],
  [6, 'ALREADY_EXISTS', 409],
  [7, 'PERMISSION_DENIED', 403],
  [8, 'RESOURCE_EXHAUSTED', 429],
  [9, 'FAILED_PRECONDITION', 400],
  [10, 'ABORTED', 409],
  [11, 'OUT_OF_RANGE', 400],
  [12, 'UNIMPLEMENTED', 501],
  [13, 'INTERNAL', 500],
  [14, 'UNAVAILABLE', 503],
  [15, 'DATA_LOSS', 500],
  [16, 'UNAUTHENTICATED', 401],
];

describe('Code', () => {
  test('the table has all 17 google.rpc codes, numbered as gRPC numbers them', () => {
    assert.equal(table.length, 17);
    for (const [code, name] of table) assert.equal(Code[name as keyof typeof Code], code);
  });

  for (const [code, name, httpStatus] of table) {
    test(`${code} is named ${name}, ${name} is ${code} again, and it maps to HTTP ${httpStatus}`, () => {
      assert.equal(codeName(code), name);
      assert.equal(codeFromName(name), code);
      assert.equal(httpStatusOf(code), httpStatus);
      assert.ok(isCode(code));
    });
  }

  test('names that are not exactly one of the 17 give undefined', () => {
    for (const name of ['not_found', 'NotFound', '', ' NOT_FOUND', 'NOT_FOUND ', '5', 'toString', '__proto__', 'constructor']) {
      assert.equal(codeFromName(name), undefined, name);
    }
  });

  test('isCode accepts only the integers 0 to 16', () => {
    for (const value of [-1, 17, 1.5, Number.NaN, '5', null, undefined, {}, 5n]) assert.equal(isCode(value), false, String(value));
  });
});

describe('codeFromHttpStatus (a bare HTTP status, no Google JSON error body)', () => {
  const inverse: ReadonlyArray<readonly [number, Code]> = [
    [400, Code.INVALID_ARGUMENT],
    [401, Code.UNAUTHENTICATED],
    [403, Code.PERMISSION_DENIED],
    [404, Code.NOT_FOUND],
    [409, Code.ABORTED],
    [416, Code.OUT_OF_RANGE],
    [429, Code.RESOURCE_EXHAUSTED],
    [499, Code.CANCELLED],
    [500, Code.INTERNAL],
    [501, Code.UNIMPLEMENTED],
    [502, Code.UNAVAILABLE],
    [503, Code.UNAVAILABLE],
    [504, Code.UNAVAILABLE],
  ];
  for (const [status, code] of inverse) {
    test(`HTTP ${status} is ${codeName(code)}`, () => assert.equal(codeFromHttpStatus(status), code));
  }

  test('any other 4xx is FAILED_PRECONDITION', () => {
    for (const status of [402, 405, 406, 408, 410, 411, 412, 413, 415, 418, 422, 425, 428, 431, 451, 498]) {
      assert.equal(codeFromHttpStatus(status), Code.FAILED_PRECONDITION, String(status));
    }
  });

  test('any other 5xx is INTERNAL', () => {
    for (const status of [505, 507, 508, 511, 520, 599]) assert.equal(codeFromHttpStatus(status), Code.INTERNAL, String(status));
  });

  test('2xx is OK and statuses that are not errors or not HTTP are UNKNOWN', () => {
    assert.equal(codeFromHttpStatus(200), Code.OK);
    assert.equal(codeFromHttpStatus(204), Code.OK);
    for (const status of [0, 100, 301, 304, 600, 999, -1]) assert.equal(codeFromHttpStatus(status), Code.UNKNOWN, String(status));
  });

  test('each error code\'s own HTTP status maps back to a code with that same HTTP status (never OK)', () => {
    for (const [code, , httpStatus] of table) {
      if (code === Code.OK) continue;
      const back = codeFromHttpStatus(httpStatus);
      assert.notEqual(back, Code.OK);
      assert.equal(httpStatusOf(back), httpStatus === 504 ? 503 : httpStatus, `${codeName(code)} -> ${httpStatus} -> ${codeName(back)}`);
    }
  });
});
