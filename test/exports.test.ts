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
      'CANCEL_OUTCOMES', 'CHANNELS', 'Code', 'DEFAULT_RETRY_POLICY', 'DELETE_OUTCOMES', 'OPERATION_NAME_FORM', 'OperationsError',
      'PARENT_NAME_FORM', 'VERSION', 'cancelMany', 'codeFromName', 'codeName', 'createCanceller', 'httpStatusOf',
      'parseOperationName', 'parseParentName',
    ]);
  });

  test('re-exports nothing from grpc-js, google-gax, google-auth-library, undici or OpenTelemetry', () => {
    const text = readFileSync(join(projectRoot(), 'src', 'index.ts'), 'utf8');
    assert.doesNotMatch(text, /from '(@grpc|google-gax|google-auth-library|undici|@opentelemetry)/);
  });

  test('the public declarations never name @opentelemetry/api, an optional peer a user may not have', () => {
    // Every declaration file the entry's types reach, followed through relative imports.
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /@opentelemetry/, file);
      for (const match of text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) visit(join(file, '..', `${match[1] ?? ''}.d.ts`));
    };
    visit(join(projectRoot(), 'dist', 'src', 'index.d.ts'));
    assert.ok(seen.size > 10);
  });

  test('VERSION matches package.json so x-goog-api-client tells the truth', () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});
