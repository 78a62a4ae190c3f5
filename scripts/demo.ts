/**
 * `npm start`: the first thing a new user runs. Starts the emulator in this process (loopback only, no credentials),
 * seeds 20,000 operations, writes an input file with a few deliberate problems, and runs the real `lro-cancel batch
 * --verify` binary over it with a journal and a results file, then shows what the server saw.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../src/emulator/index.js';

const OPERATIONS = 20_000;
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[22m` : s);
const say = (s = ''): void => { process.stdout.write(`${s}\n`); };

const emulator = await startEmulator({});
const names = emulator.createOperations({
  count: OPERATIONS,
  parent: 'projects/demo/locations/global',
  idPrefix: 'demo-',
  doneFraction: 0.1,            // already finished before we start: cancelling them changes nothing
  uncancellableFraction: 0.05,  // these complete despite the cancel, as the API allows
  durationMs: 10 * 60_000,      // the rest keep running until cancelled
});

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-demo-'));
const inputPath = join(dir, 'names.txt');
const lines = [
  '# one operation name per line; JSON lines with a "name" field work too',
  ...names,
  names[0] ?? '',                                                       // a duplicate: cancelled once
  'projects/demo/locations/global/operations/does-not-exist',            // NOT_FOUND
  'projects/demo/locations/global/operations/../../secrets',            // refused before anything is sent
  '{"name": "projects/demo/locations/global/operations/also bad"}',     // invalid too: whitespace
];
writeFileSync(inputPath, `${lines.join('\n')}\n`);
const outputPath = join(dir, 'results.jsonl');
const journalPath = join(dir, 'journal.jsonl');

say(bold('lro-cancel demo'));
say(`An emulator of google.longrunning.Operations is listening on ${emulator.grpcAddress} (gRPC) and ${emulator.restUrl} (REST).`);
say(`It holds ${OPERATIONS.toLocaleString('en-US')} operations: 10% already done, 5% that finish despite a cancel, the rest running.`);
say(`The input file has those names plus a duplicate, an unknown name and two malformed ones.`);
say();
say(`Running: ${bold('lro-cancel batch --input names.txt --verify --journal journal.jsonl --output results.jsonl')}`);
say('Each name is cancelled over gRPC (REST is the fallback), then read back with GetOperation: only that proves it.');
say();

const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const started = Date.now();
const code = await new Promise<number>(resolve => {
  const child = spawn(process.execPath, [cli, 'batch', '--input', inputPath, '--verify', '--journal', journalPath, '--output', outputPath], {
    stdio: 'inherit',
    env: { ...process.env, LRO_CANCEL_EMULATOR_HOST: emulator.grpcAddress, LRO_CANCEL_EMULATOR_REST: emulator.restUrl },
  });
  child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal === 'SIGINT' ? 130 : 1)));
});
const seconds = (Date.now() - started) / 1000;

const stats = emulator.stats();
const results = readFileSync(outputPath, 'utf8').trim().split('\n');
const example = (outcome: string): string => results.find(line => line.includes(`"outcome":"${outcome}"`)) ?? '(none)';
say();
say(bold('What the server saw') + ` (emulator counters): ${JSON.stringify(stats.byMethod)}`);
say(`Results: ${results.length} lines in ${outputPath} (one per input name), for example:`);
for (const outcome of ['cancelled', 'completed', 'not_found', 'invalid']) say(`  ${example(outcome)}`);
say();
say(`Batch exit code ${code} after ${seconds.toFixed(1)} s. Run it again with the same --journal and nothing is sent twice.`);
say('Next: README.md (library, CLI, emulator), `npx lro-cancel --help`.');
await emulator.close();
process.exitCode = code;
