/**
 * Emulator benchmark: how fast `lro-cancel emulator` is ready, and how many CancelOperation calls per second it
 * serves to a plain @grpc/grpc-js client and to Node's global fetch (keep-alive), 64 calls in flight, each run over
 * 20,000 fresh operations. Global fetch is slower than the server, so a third run uses undici.request (64
 * connections) to show what the REST side can serve. The emulator runs in its own process, as benchmarks use it; a minimal server (answers `{}`
 * to everything, no store, no checks) runs the same way for comparison, so the figures say what the emulator costs.
 *
 *   npx tsx scripts/emulator-bench.ts                  (or, after `npm run build`: node dist/scripts/emulator-bench.js)
 *   options: --operations N (20000) --concurrency N (64) --starts N (5) --no-baseline
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Agent, request } from 'undici';
import { numberFlag } from './bench-processes.js';

const PROTOS = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../protos' : '../protos', import.meta.url));
const args = process.argv.slice(2);
const OPERATIONS = numberFlag(args, '--operations', 20_000);
const CONCURRENCY = numberFlag(args, '--concurrency', 64);
const STARTS = numberFlag(args, '--starts', 5);

function loadService(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync('google/longrunning/operations.proto', { includeDirs: [PROTOS], keepCase: false, longs: String, defaults: true, oneofs: true });
  return (grpc.loadPackageDefinition(definition) as unknown as { google: { longrunning: { Operations: grpc.ServiceClientConstructor } } }).google.longrunning.Operations;
}

/** `--minimal-server`: the comparison server, in its own process like the emulator. */
async function serveMinimal(): Promise<void> {
  const server = new grpc.Server();
  const empty = (_call: unknown, callback: grpc.sendUnaryData<unknown>): void => callback(null, {});
  server.addService(loadService().service, { CancelOperation: empty, GetOperation: empty, ListOperations: empty, DeleteOperation: empty, WaitOperation: empty });
  const grpcPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const http = createServer({ keepAlive: true }, (req, res) => {
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 }); res.end('{}'); });
  });
  http.keepAliveTimeout = 30_000;
  await new Promise<void>(resolve => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  process.stdout.write(`${JSON.stringify({ grpc: `127.0.0.1:${grpcPort}`, rest: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);
  await Promise.race([once(process, 'SIGTERM'), once(process, 'SIGINT')]);
  server.forceShutdown();
  http.closeAllConnections();
  http.close();
}

interface Spawned {
  readonly child: ChildProcess;
  readonly ready: { grpc: string; rest: string };
  readonly readyMs: number;
}

/** The command that is `lro-cancel emulator`: the compiled CLI when built, else the TypeScript one under tsx. */
function emulatorCommand(): { argv: string[]; shown: string } {
  const compiled = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../src/cli/main.js' : '../dist/src/cli/main.js', import.meta.url));
  if (existsSync(compiled)) return { argv: [compiled, 'emulator'], shown: `node ${compiled} emulator` };
  const source = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
  return { argv: ['--import', 'tsx', source, 'emulator'], shown: `node --import tsx ${source} emulator` };
}

async function spawnServer(argv: string[]): Promise<Spawned> {
  const started = performance.now();
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const line = await Promise.race([
    once(lines, 'line').then(([first]) => first as string),
    once(child, 'exit').then(([code]) => { throw new Error(`${argv.join(' ')} exited ${String(code)} before its ready line: ${stderr}`); }),
  ]);
  return { child, ready: JSON.parse(line) as Spawned['ready'], readyMs: performance.now() - started };
}

async function stop(spawned: Spawned): Promise<number | null> {
  const exited = once(spawned.child, 'exit');
  spawned.child.kill('SIGTERM');
  return ((await exited) as [number | null])[0];
}

/** Runs `call` over every name with `CONCURRENCY` in flight; returns calls per second and the failures. */
async function drive(names: readonly string[], call: (name: string) => Promise<void>): Promise<{ perSecond: number; failures: number }> {
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < names.length) {
      const name = names[next++] as string;
      try {
        await call(name);
      } catch {
        failures++;
      }
    }
  }));
  return { perSecond: names.length / ((performance.now() - started) / 1000), failures };
}

async function fresh(rest: string, count: number, isEmulator: boolean, prefix: string): Promise<string[]> {
  if (!isEmulator) return Array.from({ length: count }, (_, i) => `projects/demo/locations/global/operations/${prefix}${String(i + 1).padStart(6, '0')}`);
  const response = await fetch(`${rest}/emulator/v1/operations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count, idPrefix: prefix }) });
  return ((await response.json()) as { names: string[] }).names;
}

interface Throughput {
  readonly grpc: number;
  readonly fetch: number;
  readonly undici: number;
}

async function throughput(server: Spawned, isEmulator: boolean): Promise<Throughput> {
  const client = new (loadService())(server.ready.grpc, grpc.credentials.createInsecure());
  const grpcCancel = (name: string): Promise<void> => new Promise((resolve, reject) => {
    (client as unknown as { CancelOperation: (r: object, cb: (e: Error | null) => void) => void }).CancelOperation({ name }, e => (e ? reject(e) : resolve()));
  });
  const fetchCancel = async (name: string): Promise<void> => {
    const response = await fetch(`${server.ready.rest}/v1/${name}:cancel`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    const text = await response.text();
    if (response.status !== 200 || text !== '{}') throw new Error(`${response.status} ${text}`);
  };
  await drive(await fresh(server.ready.rest, 2000, isEmulator, 'warm-grpc-'), grpcCancel);
  const grpcRun = await drive(await fresh(server.ready.rest, OPERATIONS, isEmulator, 'grpc-'), grpcCancel);
  await drive(await fresh(server.ready.rest, 2000, isEmulator, 'warm-fetch-'), fetchCancel);
  const fetchRun = await drive(await fresh(server.ready.rest, OPERATIONS, isEmulator, 'fetch-'), fetchCancel);
  const agent = new Agent({ connections: CONCURRENCY });
  const undiciCancel = async (name: string): Promise<void> => {
    const response = await request(`${server.ready.rest}/v1/${name}:cancel`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, dispatcher: agent });
    const text = await response.body.text();
    if (response.statusCode !== 200 || text !== '{}') throw new Error(`${response.statusCode} ${text}`);
  };
  await drive(await fresh(server.ready.rest, 2000, isEmulator, 'warm-undici-'), undiciCancel);
  const undiciRun = await drive(await fresh(server.ready.rest, OPERATIONS, isEmulator, 'undici-'), undiciCancel);
  client.close();
  await agent.close();
  const failures = grpcRun.failures + fetchRun.failures + undiciRun.failures;
  if (failures > 0) throw new Error(`failed calls: grpc ${grpcRun.failures}, fetch ${fetchRun.failures}, undici ${undiciRun.failures}`);
  if (isEmulator) {
    const stats = await (await fetch(`${server.ready.rest}/emulator/v1/stats?names=false`)).json() as { byMethodCode: { CancelOperation: Record<string, number> } };
    const ok = stats.byMethodCode.CancelOperation['OK'] ?? 0;
    if (ok !== 3 * (OPERATIONS + 2000)) throw new Error(`the emulator counted ${ok} OK cancels, expected ${3 * (OPERATIONS + 2000)}`);
  }
  return { grpc: grpcRun.perSecond, fetch: fetchRun.perSecond, undici: undiciRun.perSecond };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const { argv, shown } = emulatorCommand();
  const startTimes: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const spawned = await spawnServer(argv);
    startTimes.push(spawned.readyMs);
    const code = await stop(spawned);
    if (code !== 0) throw new Error(`the emulator exited ${code} on SIGTERM`);
  }
  process.stdout.write(`start to ready line (${shown}): median ${median(startTimes).toFixed(0)} ms of ${STARTS} [${startTimes.map(t => t.toFixed(0)).join(', ')}]\n`);

  const emulator = await spawnServer([...argv, '--ops', '0']);
  const measured = await throughput(emulator, true);
  await stop(emulator);
  process.stdout.write(`emulator: ${fmt(measured.grpc)} cancels/s to plain grpc-js, ${fmt(measured.fetch)} to fetch, ${fmt(measured.undici)} to undici.request (${CONCURRENCY} in flight, ${fmt(OPERATIONS)} fresh operations each, every cancel OK and counted)\n`);

  if (!args.includes('--no-baseline')) {
    const self = fileURLToPath(import.meta.url);
    const minimal = await spawnServer(self.endsWith('.ts') ? ['--import', 'tsx', self, '--minimal-server'] : [self, '--minimal-server']);
    const baseline = await throughput(minimal, false);
    await stop(minimal);
    const share = (key: keyof Throughput): string => `${(100 * measured[key] / baseline[key]).toFixed(0)}%`;
    process.stdout.write(`minimal server (no store, no checks): ${fmt(baseline.grpc)} /s grpc-js, ${fmt(baseline.fetch)} fetch, ${fmt(baseline.undici)} undici; emulator at ${share('grpc')}, ${share('fetch')}, ${share('undici')}\n`);
  }
}

if (args.includes('--minimal-server')) await serveMinimal();
else await main();
