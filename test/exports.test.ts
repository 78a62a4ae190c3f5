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

  test("the README's Exports tables name every export of the entry, values and types, and nothing else", () => {
    const index = readFileSync(join(projectRoot(), 'src', 'index.ts'), 'utf8');
    const exported = new Set<string>();
    for (const match of index.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
      for (const name of (match[1] ?? '').split(',').map(part => part.trim()).filter(part => part !== '')) exported.add(name);
    }
    const readme = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n### Exports\n'), readme.indexOf('\n## Use it from a service\n'));
    const listed = new Set<string>();
    for (const row of section.split('\n').filter(line => line.startsWith('| `'))) {
      const firstCell = row.split(' | ')[0] ?? '';
      for (const match of firstCell.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)[`(]/g)) listed.add(match[1] ?? '');
    }
    assert.ok(exported.has('createCanceller') && exported.has('CancelResult') && exported.size > 50, 'read the barrel');
    assert.deepEqual([...listed].sort(), [...exported].sort());
  });

  test('VERSION matches package.json so x-goog-api-client tells the truth', () => {
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});
