import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './helpers/paths.js';
import { canRun, runProcess } from './helpers/process.js';

/**
 * The package as a dependency sees it: a consumer folder whose node_modules/lro-cancel is this project (a link, as
 * npm link makes), so `require` and TypeScript resolve it by name through package.json.
 */
let consumer: string;
before(() => {
  consumer = mkdtempSync(join(tmpdir(), 'lro-cancel-consumer-'));
  mkdirSync(join(consumer, 'node_modules'));
  symlinkSync(projectRoot(), join(consumer, 'node_modules', 'lro-cancel'), 'dir');
  writeFileSync(join(consumer, 'package.json'), '{"private": true}\n');
});
after(() => { rmSync(consumer, { recursive: true, force: true }); });

/** Node 22.19 (the oldest engines.node admits) where .ci/run fetched it; the suite itself runs on both there. */
const NODE_22 = join(projectRoot(), '.tmp', 'node-22.19.0', 'node_modules', 'node', 'bin', 'node');
const NODES = [process.execPath, ...(existsSync(NODE_22) && process.version !== 'v22.19.0' ? [NODE_22] : [])];

describe('the package entry', () => {
  for (const node of NODES) {
    test(`require('lro-cancel') from CommonJS works on Node ${node === process.execPath ? process.version : '22.19.0'}, without a warning`, async () => {
      const script = [
        "const lro = require('lro-cancel');",
        "const emulator = require('lro-cancel/emulator');",
        "process.stdout.write(JSON.stringify([typeof lro.createCanceller, typeof lro.cancelMany, lro.Code.NOT_FOUND, lro.CHANNELS.attempt, typeof emulator.startEmulator]));",
      ].join('\n');
      writeFileSync(join(consumer, 'entry.cjs'), script);
      const run = await runProcess(node, ['entry.cjs'], { cwd: consumer });
      assert.equal(run.code, 0, run.out);
      assert.equal(run.out, JSON.stringify(['function', 'function', 5, 'lro-cancel:attempt', 'function']), 'nothing else printed: no ExperimentalWarning');
    });
  }

  test('TypeScript with moduleResolution "node" (node10) and CommonJS output finds the types through top-level "types"', async () => {
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'commonjs', moduleResolution: 'node', target: 'ES2022', strict: true, noEmit: true, types: [], skipLibCheck: false, ignoreDeprecations: '6.0' },
      files: ['consumer.ts'],
    }));
    writeFileSync(join(consumer, 'consumer.ts'), [
      "import { cancelMany, createCanceller, type CancelManySummary, type CancelResult } from 'lro-cancel';",
      'export async function run(names: string[]): Promise<CancelManySummary> {',
      '  const canceller = createCanceller({ insecure: true, grpcEndpoint: "127.0.0.1:1" });',
      '  const results: CancelResult[] = [];',
      '  for await (const result of cancelMany(names, { canceller })) results.push(result);',
      '  // @ts-expect-error a typo in an option is caught: the types were found, not any',
      '  cancelMany(names, { concurency: 2 });',
      '  return cancelMany(names).summary();',
      '}',
    ].join('\n'));
    const tsc = join(projectRoot(), 'node_modules', 'typescript', 'bin', 'tsc');
    const run = await runProcess(process.execPath, [tsc, '-p', consumer], { cwd: consumer });
    assert.equal(run.code, 0, run.out);
  });
});

describe('the command in a clone', { skip: canRun('npx', ['--version']) ? false : 'npx is not installed' }, () => {
  test('npx lro-cancel runs the CLI: npx finds it through package.json\'s bin, as the README says', async () => {
    const { version } = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
    const run = await runProcess('npx', ['--offline', 'lro-cancel', '--version'], { cwd: projectRoot() });
    assert.equal(run.code, 0, run.out);
    assert.ok(run.out.split('\n').includes(version), run.out);
  });
});
