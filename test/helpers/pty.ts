import { spawn } from 'node:child_process';
import { cliPath } from './paths.js';
import { canRun } from './process.js';

/** Whether util-linux `script` can be run here: it gives a child a pseudo-terminal, as a person's shell would. */
export function hasScript(): boolean {
  return canRun('script', ['--version']);
}

/** A word for `sh -c`: single-quoted, a single quote written as '\''. */
function shellWord(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

export interface PtyRun {
  readonly code: number | null;
  /** Everything the terminal showed: stdout and stderr as they came, and the answer echoed back. */
  readonly out: string;
}

/**
 * Runs `lro-cancel ...args` on a pseudo-terminal (`script -q -e -c CMD /dev/null`): its stdin, stdout and stderr are a
 * terminal. When the terminal shows `prompt`, `answer` is typed; killed past `timeoutMs`.
 */
export function runCliInPty(args: readonly string[], env: NodeJS.ProcessEnv, prompt: RegExp | undefined, answer: string, timeoutMs = 20_000): Promise<PtyRun> {
  const command = [process.execPath, cliPath(), ...args].map(shellWord).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let answered = false;
  const onData = (chunk: Buffer): void => {
    out += chunk.toString();
    if (!answered && prompt !== undefined && prompt.test(out)) {
      answered = true;
      child.stdin.write(answer);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.stdin.on('error', () => undefined);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', code => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}
