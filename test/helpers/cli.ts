import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { cliPath } from './paths.js';

/** What a finished `lro-cancel` run left behind. */
export interface CliRun {
  /** Exit code; null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the helper killed it for running past `timeoutMs`. */
  readonly timedOut: boolean;
}

export interface CliOptions {
  /** Points the child at this emulator through LRO_CANCEL_EMULATOR_HOST / _REST. */
  readonly emulator?: Emulator | undefined;
  /** Extra environment (undefined removes a variable). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  readonly stdin?: string | undefined;
  /** Leave stdin open after writing `stdin`, as a pipe from a slow producer (write more through `child.stdin`). */
  readonly keepStdinOpen?: boolean | undefined;
  /** Killed with SIGKILL past this. @default 20000 */
  readonly timeoutMs?: number | undefined;
}

/** A child still running: signal it, watch its files, await its end. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly done: Promise<CliRun>;
}

/** Variables a job platform or the developer's shell may set that would change what a test's child does. */
const SCRUBBED = [
  'LRO_CANCEL_EMULATOR_HOST', 'LRO_CANCEL_EMULATOR_REST', 'JOB_COMPLETION_INDEX', 'CLOUD_RUN_TASK_INDEX', 'CLOUD_RUN_TASK_COUNT',
  'LRO_CANCEL_ACCESS_TOKEN', 'CLOUDSDK_AUTH_ACCESS_TOKEN_FILE', 'CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT', 'CLOUDSDK_CORE_PROJECT',
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS',
];

function childEnv(options: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of SCRUBBED) delete env[key];
  if (options.emulator !== undefined) {
    env['LRO_CANCEL_EMULATOR_HOST'] = options.emulator.grpcAddress;
    env['LRO_CANCEL_EMULATOR_REST'] = options.emulator.restUrl;
  }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Starts the built binary (`npm run build` first) with a kill timer; see CliProcess. */
export function spawnCli(args: readonly string[], options: CliOptions = {}): CliProcess {
  if (!existsSync(cliPath())) throw new Error(`${cliPath()} is missing: run npm run build first`);
  const child = spawn(process.execPath, [cliPath(), ...args], { env: childEnv(options), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => { stdout += text; });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
  child.stdin?.on('error', () => undefined); // a child that exits before reading all of it
  if (options.keepStdinOpen === true) child.stdin?.write(options.stdin ?? '');
  else child.stdin?.end(options.stdin ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 20_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', error => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  return { child, done };
}

/** Runs `lro-cancel ...args` to its end. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return spawnCli(args, options).done;
}

/** The JSON objects of a JSON-lines text; throws (failing the test) on a line that is not one whole object. */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter(line => line.trim() !== '').map((line, i) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
  });
}

/** The records of a JSONL file (empty when it does not exist), without a journal's header lines (`lroCancel`). */
export function readJsonLines(path: string): Array<Record<string, unknown>> {
  return existsSync(path) ? jsonLines(readFileSync(path, 'utf8')).filter(line => !('lroCancel' in line)) : [];
}

/** Complete lines in a file so far (a line still being written is not counted; a journal's header lines are). */
export function completeLines(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines += 1;
  return lines;
}

/** Polls `condition` every 10 ms until it holds; rejects after `timeoutMs` with `what`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

/** `count` operation names under projects/demo/locations/global, created in the emulator (running unless told). */
export function createNames(emulator: Emulator, count: number, idPrefix: string, doneFraction = 0): string[] {
  return emulator.createOperations({ count, parent: 'projects/demo/locations/global', idPrefix, doneFraction });
}

/** The files of one resumable batch in `dir`: the input (written now from `lines`), journal, output, and the args. */
export function batchFiles(dir: string, prefix: string, lines: readonly string[], extraArgs: readonly string[] = []): {
  input: string; journal: string; output: string; args: string[];
} {
  const input = join(dir, `${prefix}.txt`);
  writeFileSync(input, `${lines.join('\n')}\n`);
  const journal = join(dir, `${prefix}-journal.jsonl`);
  const output = join(dir, `${prefix}-output.jsonl`);
  return { input, journal, output, args: ['batch', '--input', input, '--journal', journal, '--output', output, ...extraArgs] };
}

/** Starts `lro-cancel ...args`, sends `signal` once `journal` holds `records` whole lines, and awaits the end. */
export async function signalAfterRecords(
  args: readonly string[], options: CliOptions, journal: string, records: number, signal: NodeJS.Signals,
): Promise<CliRun> {
  const running = spawnCli(args, options);
  await waitFor(() => completeLines(journal) >= records, `the journal to hold ${records} records`);
  running.child.kill(signal);
  return running.done;
}
