/**
 * The processes of a soak run: the emulator (restarted on the same ports and state file) and the `lro-cancel batch`
 * command, both real child processes, plus a reader that follows the batch's journal as it grows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, createWriteStream, existsSync, openSync, readSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The compiled entry points when this runs from dist/scripts, the TypeScript ones (through tsx) otherwise. */
const compiled = here.endsWith(join('dist', 'scripts'));
const root = compiled ? resolve(here, '..', '..') : resolve(here, '..');

function entry(compiledPath: string, sourcePath: string): string[] {
  if (compiled) return [join(root, 'dist', compiledPath)];
  return ['--import', 'tsx', join(root, sourcePath)];
}

export const CLI = entry('src/cli/main.js', 'src/cli/main.ts');
export const EMULATOR = entry('src/emulator/bin.js', 'src/emulator/bin.ts');

export interface Ready {
  readonly grpc: string;
  readonly rest: string;
}

export interface RunningEmulator {
  readonly child: ChildProcess;
  readonly ready: Ready;
}

/** Starts the emulator CLI; resolves with its ready line. Its stderr is appended to `logPath`. */
export async function startEmulatorProcess(args: readonly string[], logPath: string): Promise<RunningEmulator> {
  const child = spawn(process.execPath, [...EMULATOR, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.pipe(createWriteStream(logPath, { flags: 'a' }));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, 'exit').then(([code]) => { throw new Error(`the emulator exited with ${String(code)} before it was ready (see ${logPath})`); });
  const [line] = await Promise.race([once(lines, 'line') as Promise<[string]>, exited]);
  exited.catch(() => undefined);
  return { child, ready: JSON.parse(line) as Ready };
}

/** Sends `signal` and waits for the exit; resolves with the exit code (null when killed by a signal). */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.kill(signal);
  return (await exited)[0];
}

export interface RunningBatch {
  readonly child: ChildProcess;
  /** Names each later pass took up again, as the batch logged them (`[batch] pass N: M names again ...`). */
  readonly passSizes: number[];
  /** What the summary says was sent (`requests: N cancel attempts, M retries, V read-backs of accepted cancels, ...`). */
  readonly sent: { attempts: number; retries: number; readBacks: number } | undefined;
  /** Times the batch paused for the service (`paused: N times ...`). */
  readonly pauses: number;
  /** The batch's stderr, kept for the report. */
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
}

const PASS_LINE = /^\[batch\] pass (\d+): (\d+) names again/;
const REQUESTS_LINE = /^\s*requests:\s+(\d+) cancel attempts, (\d+) retries, (\d+) read-backs/;
const PAUSED_LINE = /^\s*paused:\s+(\d+) time/;

/** Starts `lro-cancel batch` with `args` against the emulator named in `env`. */
export function startBatchProcess(args: readonly string[], env: NodeJS.ProcessEnv): RunningBatch {
  const child = spawn(process.execPath, [...CLI, 'batch', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
  const batch: { -readonly [K in keyof RunningBatch]: RunningBatch[K] } = {
    child, passSizes: [], sent: undefined, pauses: 0, stderr: [], exited: new Promise<number | null>(resolveExit => child.once('exit', code => resolveExit(code))),
  };
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', line => {
    batch.stderr.push(line);
    if (batch.stderr.length > 2000) batch.stderr.splice(0, 1000);
    const pass = PASS_LINE.exec(line);
    if (pass !== null) batch.passSizes[Number(pass[1])] = Number(pass[2]);
    const requests = REQUESTS_LINE.exec(line);
    if (requests !== null) batch.sent = { attempts: Number(requests[1]), retries: Number(requests[2]), readBacks: Number(requests[3]) };
    const paused = PAUSED_LINE.exec(line);
    if (paused !== null) batch.pauses = Number(paused[1]);
  });
  return batch;
}

/**
 * Records after which a name must get no more cancels: final ones, and `requested` (its cancel was accepted; with
 * --verify the batch only reads it from then on, by listing or GetOperation, in this run and in a rerun).
 */
const SETTLED: ReadonlySet<string> = new Set(['cancelled', 'completed', 'failed', 'not_found', 'invalid', 'requested']);

/**
 * Follows a JSON-lines journal as it is appended to: each `read()` returns the names of the whole lines added since
 * the last one whose cancel was accepted or that are final (a line still being written waits for the next read).
 */
export class JournalFollower {
  readonly #path: string;
  #offset = 0;
  #partial = '';
  /** Records read so far, final or not (an accepted cancel waiting for its verification is one too). */
  records = 0;

  constructor(path: string) {
    this.#path = path;
  }

  read(): string[] {
    if (!existsSync(this.#path)) return [];
    const fd = openSync(this.#path, 'r');
    const chunks: string[] = [];
    try {
      const buffer = Buffer.alloc(1 << 20);
      for (;;) {
        const bytes = readSync(fd, buffer, 0, buffer.length, this.#offset);
        if (bytes === 0) break;
        this.#offset += bytes;
        chunks.push(buffer.toString('utf8', 0, bytes));
      }
    } finally {
      closeSync(fd);
    }
    const text = this.#partial + chunks.join('');
    const end = text.lastIndexOf('\n');
    this.#partial = text.slice(end + 1);
    const names: string[] = [];
    for (const line of text.slice(0, end + 1).split('\n')) {
      if (line.trim() === '') continue;
      try {
        const record = JSON.parse(line) as { name?: unknown; outcome?: unknown };
        if (typeof record.name !== 'string') continue;
        this.records += 1;
        if (SETTLED.has(String(record.outcome))) names.push(record.name);
      } catch {
        // A line cut off by a crash: the reader of the journal skips it too.
      }
    }
    return names;
  }
}

/** Per-name cancels received, from `GET /emulator/v1/stats`; undefined when the emulator does not answer. */
export async function cancelsByName(restUrl: string): Promise<Map<string, number> | undefined> {
  try {
    const response = await fetch(`${restUrl}/emulator/v1/stats`, { signal: AbortSignal.timeout(10_000) });
    const stats = await response.json() as { cancels: { byName: Record<string, { received: number }> } };
    return new Map(Object.entries(stats.cancels.byName).map(([name, count]) => [name, count.received]));
  } catch {
    return undefined;
  }
}
