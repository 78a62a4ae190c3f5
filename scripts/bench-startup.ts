/**
 * Start-up: wall time from spawn to exit of `lro-cancel --help`, of `lro-cancel cancel NAME` (the emulator already
 * up, found through LRO_CANCEL_EMULATOR_HOST / _REST as a user would point it there: transport auto), and of a plain
 * grpc-js script that makes the same one call. Runs are interleaved so a busy moment of the machine hits all three.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { CLI_PATH, controlPost, DIST_DIR, type Emulator } from './bench-processes.js';

export type StartupCase = 'help' | 'cancel' | 'one-call';

export interface StartupRun {
  readonly case: StartupCase;
  readonly wallMs: number;
}

async function timed(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const [code] = (await once(child, 'exit')) as [number | null];
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited ${String(code)}: ${stderr.slice(-1000)}`);
  return wallMs;
}

export async function measureStartup(emulator: Emulator, runs: number, log: (line: string) => void): Promise<StartupRun[]> {
  const { names } = (await controlPost(emulator.endpoints, '/emulator/v1/operations', { count: 2 * runs + 2, idPrefix: 'startup-' })) as { names: string[] };
  const env = { ...process.env, LRO_CANCEL_EMULATOR_HOST: emulator.endpoints.grpc, LRO_CANCEL_EMULATOR_REST: emulator.endpoints.rest };
  const oneCall = join(DIST_DIR, 'scripts', 'bench-one-call.js');
  // One unmeasured round first, so every case starts with the files in the page cache.
  await timed([CLI_PATH, '--help'], env);
  await timed([CLI_PATH, 'cancel', names.pop() as string], env);
  await timed([oneCall, emulator.endpoints.grpc, names.pop() as string], env);
  const results: StartupRun[] = [];
  for (let round = 1; round <= runs; round++) {
    const help = await timed([CLI_PATH, '--help'], env);
    const cancel = await timed([CLI_PATH, 'cancel', names.pop() as string], env);
    const plain = await timed([oneCall, emulator.endpoints.grpc, names.pop() as string], env);
    results.push({ case: 'help', wallMs: help }, { case: 'cancel', wallMs: cancel }, { case: 'one-call', wallMs: plain });
    log(`round ${round} start-up: --help ${help.toFixed(0)} ms, cancel ${cancel.toFixed(0)} ms, plain grpc-js one call ${plain.toFixed(0)} ms`);
  }
  return results;
}
