import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { emulatorCliCommand } from './helpers/emulator.js';

function spawnCli(args: string[]): ChildProcessWithoutNullStreams {
  const { command, args: base } = emulatorCliCommand();
  return spawn(command, [...base, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

async function exitOf(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const [code] = await once(child, 'exit') as [number | null];
  return { code, stderr };
}

describe('lro-cancel emulator (the CLI)', () => {
  test('prints the ready line first, serves a call, and exits 0 on SIGTERM', async () => {
    const child = spawnCli(['--ops', '10', '--done-fraction', '0']);
    const exited = exitOf(child);
    try {
      const lines = createInterface({ input: child.stdout });
      const [first] = await once(lines, 'line') as [string];
      const ready = JSON.parse(first) as { grpc: string; rest: string };
      assert.match(ready.grpc, /^127\.0\.0\.1:\d+$/);
      assert.match(ready.rest, /^http:\/\/127\.0\.0\.1:\d+$/);
      const name = 'projects/demo/locations/global/operations/op-000010';
      const response = await fetch(`${ready.rest}/v1/${name}:cancel`, { method: 'POST', body: '{}' });
      assert.equal(await response.text(), '{}');
      const stats = await (await fetch(`${ready.rest}/emulator/v1/stats`)).json() as { cancels: { byName: Record<string, unknown> } };
      assert.deepEqual(stats.cancels.byName[name], { received: 1, afterDone: 0 });
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal((await exited).code, 0);
  });

  test('a bad flag value exits 2 naming the flag and what was expected', async () => {
    const { code, stderr } = await exitOf(spawnCli(['--done-fraction', '1.5']));
    assert.equal(code, 2);
    assert.match(stderr, /--done-fraction/);
    assert.match(stderr, /from 0 to 1/);
  });

  test('--help lists every flag with its default and exits 0', async () => {
    const child = spawnCli(['--help']);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    assert.equal((await exitOf(child)).code, 0);
    for (const flag of ['--grpc-port', '--rest-port', '--ops', '--done-fraction', '--duration-ms', '--uncancellable-fraction', '--unimplemented',
      '--require-auth', '--tokens', '--fail-rate', '--fail-code', '--retry-delay-ms', '--latency-ms', '--quota-rps', '--seed']) {
      assert.ok(stdout.includes(flag), `--help mentions ${flag}`);
    }
    assert.match(stdout, /--fail-code <name>[\s\S]*default:\s+"UNAVAILABLE"/);
  });
});
