import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Code } from '../src/code.js';
import { ApiError } from '../src/emulator/api-error.js';
import { DROP, Faults } from '../src/emulator/faults.js';
import { resolveFaults, type FaultSettings } from '../src/emulator/options.js';
import { seededRandom } from '../src/emulator/random.js';
import { emulatorCliCommand, plainGrpcClient, startTestEmulator, unary } from './helpers/emulator.js';

const faults = (settings: FaultSettings = {}, seed = 1): Faults => new Faults(resolveFaults(settings), seededRandom(seed));

function tally(f: Faults, calls: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < calls; i++) {
    const decision = f.decide(undefined, undefined, 0, 'GetOperation');
    const key = decision === undefined ? 'served' : decision === DROP ? 'DROP' : Code[decision.code] as string;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe('global fault mix and latency jitter', () => {
  test('a mix injects each fault at its own share, RESOURCE_EXHAUSTED with RetryInfo', () => {
    const f = faults({ failMix: { UNAVAILABLE: 0.2, RESOURCE_EXHAUSTED: 0.05, DROP: 0.01 }, retryDelayMs: 40 });
    const counts = tally(f, 40_000);
    const share = (key: string): number => (counts.get(key) ?? 0) / 40_000;
    assert.ok(Math.abs(share('UNAVAILABLE') - 0.2) < 0.01, `UNAVAILABLE ${share('UNAVAILABLE')}`);
    assert.ok(Math.abs(share('RESOURCE_EXHAUSTED') - 0.05) < 0.006, `RESOURCE_EXHAUSTED ${share('RESOURCE_EXHAUSTED')}`);
    assert.ok(Math.abs(share('DROP') - 0.01) < 0.003, `DROP ${share('DROP')}`);
    assert.ok(Math.abs(share('served') - 0.74) < 0.012, `served ${share('served')}`);
    let exhausted: ApiError | undefined;
    while (exhausted === undefined) {
      const decision = f.decide(undefined, undefined, 0, 'GetOperation');
      if (decision instanceof ApiError && decision.code === Code.RESOURCE_EXHAUSTED) exhausted = decision;
    }
    assert.equal(exhausted.retryDelayMs, 40);
  });

  test('a per-call header still wins over the mix', () => {
    const f = faults({ failMix: { UNAVAILABLE: 1 } });
    const decision = f.decide(f.headerDecision('code=NOT_FOUND', 'GetOperation x'), undefined, 0, 'GetOperation');
    assert.ok(decision instanceof ApiError && decision.code === Code.NOT_FOUND);
  });

  test('a bad mix is refused naming the field: unknown name, OK, a share out of range, shares over 1', () => {
    for (const failMix of [{ NOPE: 0.1 }, { OK: 0.1 }, { UNAVAILABLE: 1.5 }, { UNAVAILABLE: 0.6, DROP: 0.5 }, { UNAVAILABLE: -0.1 }]) {
      assert.throws(() => resolveFaults({ failMix } as FaultSettings), /emulator option failMix/, JSON.stringify(failMix));
    }
  });

  test('jitter adds 0 to N ms per call on top of the latency, different from call to call', () => {
    const f = faults({ latencyMs: 10, latencyJitterMs: 200 });
    const delays = Array.from({ length: 2000 }, () => f.delayMs(undefined));
    assert.ok(delays.every(ms => ms >= 10 && ms <= 210 && Number.isInteger(ms)));
    assert.ok(Math.min(...delays) < 20 && Math.max(...delays) > 200, 'spans the range');
    assert.equal(f.delayMs('5') >= 15, true, 'the delay header adds to it');
    assert.equal(faults({ latencyMs: 7 }).delayMs(undefined), 7, 'no jitter: exactly the latency');
  });

  test('the mix and the jitter can be read and changed at run time on /emulator/v1/faults', async () => {
    const emulator = await startTestEmulator();
    try {
      const response = await fetch(`${emulator.restUrl}/emulator/v1/faults`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ failMix: { UNAVAILABLE: 0.5 }, latencyJitterMs: 3 }),
      });
      assert.equal(response.status, 200);
      const settings = await response.json() as { failMix: Record<string, number>; latencyJitterMs: number };
      assert.deepEqual(settings.failMix, { UNAVAILABLE: 0.5 });
      assert.equal(settings.latencyJitterMs, 3);
      const bad = await fetch(`${emulator.restUrl}/emulator/v1/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ failMix: { UNAVAILABLE: 2 } }) });
      assert.equal(bad.status, 400);
      assert.deepEqual(emulator.faults.failMix, { UNAVAILABLE: 0.5 }, 'a refused update changes nothing');
    } finally {
      await emulator.close();
    }
  });

  test('dropped connections are counted apart in the stats (and as UNAVAILABLE with the others)', async () => {
    const emulator = await startTestEmulator({ failMix: { DROP: 1 } });
    try {
      const [name = ''] = emulator.createOperations({ count: 1 });
      for (let i = 0; i < 3; i++) await fetch(`${emulator.restUrl}/v1/${name}`).catch(() => undefined);
      const stats = emulator.stats();
      assert.equal(stats.dropped, 3);
      assert.equal(stats.byCode.UNAVAILABLE, 3);
      assert.equal(emulator.getOperation(name)?.state, 'running');
    } finally {
      await emulator.close();
    }
  });

  test('regression: gRPC connections dropped under hundreds of calls in flight do not crash the emulator process', async () => {
    // Destroying the HTTP/2 session from inside a call served without delay aborted Node ("corrupted size vs.
    // prev_size") within a second of this load; the emulator runs in its own process so a crash cannot take the tests.
    const { command, args } = emulatorCliCommand();
    const child = spawn(command, [...args, '--ops', '5000', '--fail-mix', 'DROP=0.02', '--seed', '3'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let exit: string | undefined;
    child.once('exit', (code, signal) => { exit = `${String(code)} ${String(signal)}`; });
    try {
      const [line] = await once(createInterface({ input: child.stdout }), 'line') as [string];
      const ready = JSON.parse(line) as { grpc: string; rest: string };
      let client = plainGrpcClient(ready.grpc);
      const until = Date.now() + 2500;
      let calls = 0;
      await Promise.all(Array.from({ length: 200 }, async (_, worker) => {
        while (Date.now() < until && exit === undefined) {
          const name = `projects/demo/locations/global/operations/op-${String(1 + ((calls++ * 31 + worker) % 5000)).padStart(6, '0')}`;
          await unary(client, 'GetOperation', { name }, {}, 3000).catch(() => undefined);
        }
      }));
      assert.equal(exit, undefined, `the emulator died after ${calls} calls: ${exit ?? ''}`);
      // Enough load to have reproduced the crash (it took well under 1,000 calls); the machine may be busy, so no more is asked.
      assert.ok(calls > 400, `${calls} calls made`);
      client.close();
      await fetch(`${ready.rest}/emulator/v1/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ failMix: {} }) });
      client = plainGrpcClient(ready.grpc);
      try {
        assert.equal((await unary<{ name: string }>(client, 'GetOperation', { name: 'projects/demo/locations/global/operations/op-000001' })).name, 'projects/demo/locations/global/operations/op-000001');
      } finally {
        client.close();
      }
    } finally {
      if (exit === undefined) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    }
  });

  test('--fail-mix is parsed from NAME=SHARE pairs, and a bad list exits 2 naming the flag', async () => {
    const { command, args } = emulatorCliCommand();
    const bad = spawn(command, [...args, '--fail-mix', 'UNAVAILABLE=0.7,DROP=0.7'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    bad.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const [code] = await once(bad, 'exit') as [number | null];
    assert.equal(code, 2);
    assert.match(stderr, /--fail-mix/);
  });
});
