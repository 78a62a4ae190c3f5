import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as api from '../src/index.js';
import { VERSION } from '../src/version.js';
import { projectRoot } from './helpers/paths.js';

describe('the public surface', () => {
  test('exports exactly the documented runtime names, user-facing ones first', () => {
    assert.deepEqual(Object.keys(api).sort(), [
      'CANCEL_OUTCOMES', 'Code', 'DEFAULT_RETRY_POLICY', 'OPERATION_NAME_FORM', 'OperationsError',
      'PARENT_NAME_FORM', 'VERSION', 'codeFromName', 'codeName', 'createCanceller', 'httpStatusOf',
      'parseOperationName', 'parseParentName',
    ]);
  });

  test('re-exports nothing from grpc-js, google-gax or google-auth-library', () => {
    const text = readFileSync(join(projectRoot(), 'src', 'index.ts'), 'utf8');
    assert.doesNotMatch(text, /from '(@grpc|google-gax|google-auth-library|undici)/);
  });

  test('VERSION matches package.json so x-goog-api-client tells the truth', () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});
