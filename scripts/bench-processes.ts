/**
 * Child processes for `npm run bench`: the emulator (`lro-cancel emulator`, compiled), its CPU time from /proc, fresh
 * operation names from its control endpoint, and one client worker per measured run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Endpoints } from './bench-clients.js';
import type { WorkerResult, WorkerSpec } from './bench-worker.js';

/** dist/ of the package: benchmarks run compiled code only (`npm run bench` builds first). */
export const DIST_DIR = fileURLToPath(new URL('..', import.meta.url));
export const CLI_PATH = join(DIST_DIR, 'src', 'cli', 'main.js');
const WORKER_PATH = join(DIST_DIR, 'scripts', 'bench-worker.js');

export interface Emulator {
  readonly child: ChildProcess;
  readonly endpoints: Endpoints;
}

/** Reads lines of a child's stdout until the first one, or fails with its stderr if it exits first. */
async function firstLine(child: ChildProcess, what: string): Promise<string> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  try {
    return await Promise.race([
      once(lines, 'line').then(([line]) => line as string),
      once(child, 'exit').then(([code]) => { throw new Error(`${what} exited ${String(code)} early: ${stderr.slice(-2000)}`); }),
    ]);
  } finally {
    lines.close();
  }
}

export async function startEmulatorProcess(): Promise<Emulator> {
  const child = spawn(process.execPath, [CLI_PATH, 'emulator', '--ops', '0', '--seed', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const line = await firstLine(child, 'the emulator');
  child.stdout?.resume();
  return { child, endpoints: JSON.parse(line) as Endpoints };
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU of a process so far, in microseconds (from /proc/PID/stat, 10 ms resolution). */
export function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * POSTs JSON to a control endpoint of the emulator on a connection of its own (no keep-alive pool): a pooled
 * connection left idle through a long measured run can be closed under a request that reuses it.
 */
export function controlPost(endpoints: Endpoints, path: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${endpoints.rest}${path}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, response => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 200) reject(new Error(`POST ${path}: HTTP ${String(response.statusCode)} ${text.slice(0, 500)}`));
        else resolve(JSON.parse(text));
      });
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

/** Creates `count` fresh running operations (in chunks the emulator accepts) and writes their names to `path`. */
export async function writeFreshNames(endpoints: Endpoints, count: number, idPrefix: string, path: string): Promise<void> {
  const out = createWriteStream(path);
  const chunk = 500_000;
  for (let done = 0, part = 0; done < count; done += chunk, part++) {
    const body = { count: Math.min(chunk, count - done), idPrefix: `${idPrefix}${String.fromCharCode(97 + part)}-` };
    const { names } = (await controlPost(endpoints, '/emulator/v1/operations', body)) as { names: string[] };
    if (!out.write(`${names.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

export interface MeasuredRun extends WorkerResult {
  /** The emulator's CPU over the measured run, user + system. */
  readonly emulatorCpuUs: number;
}

/**
 * With `LRO_BENCH_PROFILE_DIR` set, every worker runs under `node --cpu-prof` and leaves a .cpuprofile there, named by
 * client and concurrency (open it in Chrome DevTools, or summarize it with `node dist/scripts/bench-profile.js`).
 */
function profileArgs(spec: WorkerSpec): string[] {
  const dir = process.env['LRO_BENCH_PROFILE_DIR'];
  if (dir === undefined || dir === '') return [];
  return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${spec.client}-c${spec.concurrency}-${Date.now()}.cpuprofile`];
}

/** Runs one worker: warm-up, then the measured run with the emulator's CPU read just before and after. */
export async function runWorker(spec: WorkerSpec, emulatorPid: number): Promise<MeasuredRun> {
  const child = spawn(process.execPath, [...profileArgs(spec), WORKER_PATH, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await Promise.race([lines.next(), exited.then(([code]) => { throw new Error(`worker ${spec.client} exited ${String(code)}: ${stderr.slice(-2000)}`); })]);
    if (line.done === true) throw new Error(`worker ${spec.client} closed stdout: ${stderr.slice(-2000)}`);
    return line.value;
  };
  await next();
  const emulatorBefore = processCpuUs(emulatorPid);
  child.stdin?.write('go\n');
  const result = JSON.parse(await next()) as WorkerResult;
  const emulatorCpuUs = processCpuUs(emulatorPid) - emulatorBefore;
  await exited;
  if (result.failures > 0) throw new Error(`${spec.client} at ${spec.concurrency}: ${result.failures} failed cancels, first: ${result.firstFailure}`);
  return { ...result, emulatorCpuUs };
}

/** A numeric command-line flag of a bench script (`--names 100000`), or `fallback` when it is not given. */
export function numberFlag(args: readonly string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
}
