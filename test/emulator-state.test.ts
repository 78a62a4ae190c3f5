import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { startEmulator } from '../src/emulator/index.js';
import { seededRandom } from '../src/emulator/random.js';
import { decodeState, encodeState } from '../src/emulator/state-file.js';
import { StatsRecorder } from '../src/emulator/stats.js';
import { OperationStore } from '../src/emulator/store.js';
import { emulatorCliCommand } from './helpers/emulator.js';

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `state-${files++}.bin`);
const NAME = (n: number): string => `projects/demo/locations/global/operations/op-${String(n).padStart(6, '0')}`;

async function cancelOverRest(restUrl: string, name: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${restUrl}/v1/${name}:cancel`, { method: 'POST', body: '{}', headers });
  await response.arrayBuffer();
  return response.status;
}

interface Ready { readonly grpc: string; readonly rest: string }

/** The emulator CLI as a child process; resolves with its ready line. */
async function spawnEmulator(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; ready: Ready }> {
  const { command, args: base } = emulatorCliCommand();
  const child = spawn(command, [...base, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout });
  const [first] = await Promise.race([
    once(lines, 'line') as Promise<[string]>,
    once(child, 'exit').then(([code]) => { throw new Error(`the emulator exited with ${String(code)} before its ready line`); }),
  ]);
  return { child, ready: JSON.parse(first) as Ready };
}

async function stop(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.kill(signal);
  return (await exited)[0];
}

describe('the emulator state file (--state)', () => {
  test('an emulator started again with the same file keeps every operation, every cancel counter and its ports', async () => {
    const path = freshPath();
    const first = await startEmulator({ seed: 1, ops: 20, stateFile: path });
    const restUrl = first.restUrl;
    const grpcAddress = first.grpcAddress;
    try {
      assert.equal(await cancelOverRest(restUrl, NAME(3)), 200);
      assert.equal(await cancelOverRest(restUrl, NAME(3)), 200);
      assert.equal(await cancelOverRest(restUrl, NAME(7)), 200);
      assert.equal((await fetch(`${restUrl}/v1/${NAME(9)}`, { method: 'DELETE' })).status, 200);
      first.createOperations({ count: 2, idPrefix: 'late-' });
    } finally {
      await first.close();
    }
    const second = await startEmulator({ seed: 2, ops: 20, stateFile: path });
    try {
      assert.equal(second.restUrl, restUrl, 'the REST port is the saved one');
      assert.equal(second.grpcAddress, grpcAddress, 'the gRPC port is the saved one');
      assert.equal(second.getOperation(NAME(3))?.state, 'cancelled');
      assert.equal(second.getOperation(NAME(7))?.state, 'cancelled');
      assert.equal(second.getOperation(NAME(4))?.state, 'running');
      assert.equal(second.getOperation(NAME(9))?.deleted, true);
      assert.equal(second.getOperation(NAME(21)), undefined, '--ops seeds nothing over a loaded state');
      assert.equal(second.getOperation('projects/demo/locations/global/operations/late-000002')?.state, 'running');
      const { cancels, byMethod } = second.stats();
      assert.deepEqual(cancels.byName.get(NAME(3)), { received: 2, afterDone: 1 });
      assert.deepEqual(cancels.byName.get(NAME(7)), { received: 1, afterDone: 0 });
      assert.equal(cancels.received, 3);
      assert.equal(byMethod.DeleteOperation, 1);
      assert.equal(await cancelOverRest(second.restUrl, NAME(7)), 200);
      assert.deepEqual(second.stats().cancels.byName.get(NAME(7)), { received: 2, afterDone: 1 }, 'counting goes on from the saved counts');
    } finally {
      await second.close();
    }
  });

  test('a process killed with SIGKILL comes back with what it saved up to the interval before, on the same ports', async () => {
    const path = freshPath();
    const { child, ready } = await spawnEmulator(['--ops', '10', '--seed', '1', '--state', path]);
    try {
      assert.equal(await cancelOverRest(ready.rest, NAME(2)), 200);
      await new Promise(resolve => setTimeout(resolve, 700));
    } finally {
      await stop(child, 'SIGKILL');
    }
    const again = await spawnEmulator(['--ops', '10', '--state', path]);
    try {
      assert.deepEqual(again.ready, ready);
      const record = await (await fetch(`${again.ready.rest}/emulator/v1/operations/${NAME(2)}`)).json() as { state: string };
      assert.equal(record.state, 'cancelled');
      const stats = await (await fetch(`${again.ready.rest}/emulator/v1/stats`)).json() as { cancels: { byName: Record<string, unknown> } };
      assert.deepEqual(stats.cancels.byName[NAME(2)], { received: 1, afterDone: 0 });
    } finally {
      assert.equal(await stop(again.child, 'SIGTERM'), 0);
    }
  });

  test('SIGTERM saves everything served up to the close, and a call still in its delay is not served', async () => {
    const path = freshPath();
    const { child, ready } = await spawnEmulator(['--ops', '10', '--seed', '1', '--state', path]);
    let delayed: Promise<number> | undefined;
    try {
      assert.equal(await cancelOverRest(ready.rest, NAME(5)), 200);
      delayed = cancelOverRest(ready.rest, NAME(6), { 'x-emulator-delay-ms': '30000' }).catch(() => 0);
      await new Promise(resolve => setTimeout(resolve, 200));
    } finally {
      assert.equal(await stop(child, 'SIGTERM'), 0);
    }
    assert.equal(await delayed, 0, 'the delayed call got no answer');
    const again = await startEmulator({ stateFile: path, grpcPort: 0, restPort: 0 });
    try {
      assert.equal(again.getOperation(NAME(5))?.state, 'cancelled', 'saved on close, well within the interval');
      assert.equal(again.getOperation(NAME(6))?.state, 'running', 'the closing emulator did not serve the delayed cancel');
      assert.deepEqual(again.stats().cancels.byName.get(NAME(6)), { received: 1, afterDone: 0 });
    } finally {
      await again.close();
    }
  });

  test('is written only when something changed, through a temporary file renamed over it', async () => {
    const path = freshPath();
    const emulator = await startEmulator({ seed: 1, ops: 5, stateFile: path, stateIntervalMs: 50 });
    try {
      const written = statSync(path).mtimeMs;
      await new Promise(resolve => setTimeout(resolve, 300));
      assert.equal(statSync(path).mtimeMs, written, 'no write while idle');
      const before = statSync(path).ino;
      assert.equal(await cancelOverRest(emulator.restUrl, NAME(1)), 200);
      await new Promise(resolve => setTimeout(resolve, 300));
      assert.notEqual(statSync(path).ino, before, 'a new file was renamed into place');
      const saved = decodeState(readFileSync(path), path, new StatsRecorder().exportState().calls.length);
      assert.equal(saved.stats.cancelsReceived, 1);
    } finally {
      await emulator.close();
    }
  });

  test('a file that is not a whole state stops the start with a message naming it, and leaves the file alone', async () => {
    const valid = freshPath();
    await (await startEmulator({ ops: 3, stateFile: valid, grpcPort: 0, restPort: 0 })).close();
    const bytes = readFileSync(valid);
    const cases: Array<[string, Buffer]> = [
      ['garbage', Buffer.from('not a state file at all')],
      ['truncated', bytes.subarray(0, bytes.length - 5)],
      ['too long', Buffer.concat([bytes, Buffer.from([0])])],
      ['bad header', Buffer.concat([bytes.subarray(0, 12), Buffer.from('{'.padEnd(bytes.readUInt32LE(8), ' ')), bytes.subarray(12 + bytes.readUInt32LE(8))])],
    ];
    for (const [label, content] of cases) {
      const path = freshPath();
      writeFileSync(path, content);
      await assert.rejects(startEmulator({ stateFile: path, grpcPort: 0, restPort: 0 }), (error: Error) => {
        assert.ok(error.message.includes(path), `${label}: names the file`);
        assert.match(error.message, /not a usable emulator state/, label);
        return true;
      });
      assert.deepEqual(readFileSync(path), content, `${label}: the file is left as it was`);
    }
  });

  test('any mix of creates, cancels and deletes survives a round trip through the file', () => {
    const slots = new StatsRecorder().exportState().calls.length;
    fc.assert(fc.property(
      fc.array(fc.record({ count: fc.integer({ min: 0, max: 40 }), prefix: fc.constantFrom('op-', 'a-', 'b.'), parent: fc.constantFrom('projects/p/locations/l', 'projects/q/locations/l') }), { maxLength: 6 }),
      fc.array(fc.tuple(fc.constantFrom('cancel', 'delete'), fc.nat()), { maxLength: 30 }),
      (creates, actions) => {
        const store = new OperationStore(seededRandom(1), { doneFraction: 0.3, durationMs: 60_000, uncancellableFraction: 0.2 });
        const stats = new StatsRecorder();
        for (const spec of creates) store.create({ count: spec.count, idPrefix: spec.prefix, parent: spec.parent }, 1000);
        for (const [action, at] of actions) {
          if (store.size === 0) break;
          const index = at % store.size;
          if (action === 'cancel') {
            stats.recordCancel(index, '', store.isDone(index, 2000));
            store.cancel(index, 2000);
          } else {
            store.delete(index);
          }
          stats.record(action === 'cancel' ? 'CancelOperation' : 'DeleteOperation', 'rest', 0);
        }
        const bytes = encodeState({ grpcPort: 1, restPort: 2, store: store.exportState(), stats: stats.exportState() });
        const saved = decodeState(bytes, 'mem', slots);
        const copy = new OperationStore(seededRandom(9), { doneFraction: 0, durationMs: 1, uncancellableFraction: 0 });
        copy.restoreState(saved.store);
        const copyStats = new StatsRecorder();
        copyStats.restoreState(saved.stats);
        assert.equal(copy.size, store.size);
        for (let i = 0; i < store.size; i++) assert.deepEqual(copy.record(i, 3000), store.record(i, 3000));
        const names = (index: number): string => store.names.nameAt(index);
        assert.deepEqual(copyStats.snapshot(names), stats.snapshot(names));
      },
    ), { numRuns: 150 });
  });
});
