import { execFileSync, spawn } from 'node:child_process';

/** What a finished child process printed; `out` is stdout and stderr as they arrived, interleaved. */
export interface ProcessRun {
  readonly code: number | null;
  readonly out: string;
}

/** Runs `command args` to its end with stdin closed, collecting everything it prints. */
export function runProcess(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ProcessRun> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(options.env === undefined ? {} : { env: options.env }), ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', code => resolve({ code, out }));
  });
}

/** Whether `command args` runs here and exits 0 (tests that need a tool skip without it). */
export function canRun(command: string, args: readonly string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
