/**
 * The clients `npm run bench` compares, each behind one shape: `cancel(name)` resolves when the server accepted the
 * cancel and rejects otherwise. Only the client a worker runs is imported (each client runs in its own process, so
 * google-gax or undici loaded for one never warms up another).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** In run order: each of ours right next to the plain client it is compared with (bench-throughput alternates it). */
export const CLIENTS = ['ours-grpc', 'grpc-js', 'grpc-js-same-wire', 'ours-auto', 'gax-grpc', 'ours-rest', 'undici', 'gax-rest'] as const;
export type ClientName = (typeof CLIENTS)[number];

export interface BenchClient {
  cancel(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface Endpoints {
  /** `127.0.0.1:PORT` */
  readonly grpc: string;
  /** `http://127.0.0.1:PORT` */
  readonly rest: string;
}

/** protos/ at the package root, from dist/scripts/ (compiled) or scripts/ (tsx). */
export const PROTOS_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../protos' : '../protos', import.meta.url));

/** The cloudaicompanion v1 rules, as gax's `httpRules` option wants them (what a generated v1 client passes). */
const CLOUDAICOMPANION_HTTP_RULES = [
  { selector: 'google.longrunning.Operations.CancelOperation', post: '/v1/{name=projects/*/locations/*/operations/*}:cancel', body: '*' },
  { selector: 'google.longrunning.Operations.DeleteOperation', delete: '/v1/{name=projects/*/locations/*/operations/*}' },
  { selector: 'google.longrunning.Operations.GetOperation', get: '/v1/{name=projects/*/locations/*/operations/*}' },
  { selector: 'google.longrunning.Operations.ListOperations', get: '/v1/{name=projects/*/locations/*}/operations' },
];

async function ours(transport: 'grpc' | 'rest' | 'auto', endpoints: Endpoints, concurrency: number): Promise<BenchClient> {
  const { createCanceller } = await import('../src/index.js');
  const canceller = createCanceller({
    grpcEndpoint: endpoints.grpc,
    restEndpoint: endpoints.rest,
    transport,
    insecure: true,
    maxConcurrency: concurrency,
  });
  return {
    async cancel(name) {
      const result = await canceller.cancel(name);
      if (result.outcome !== 'requested') throw new Error(`${name}: ${result.outcome} ${result.codeName}`);
    },
    close: () => canceller.close(),
  };
}

type Unary = (request: object, callback: (error: Error | null) => void) => void;
type UnaryWith = (request: object, metadata: import('@grpc/grpc-js').Metadata, options: { deadline: number }, callback: (error: Error | null) => void) => void;

/**
 * The gRPC limit: a stub from @grpc/proto-loader over one channel, nothing else. With `sameWire`, each call also
 * carries what ours sends by design (DESIGN.md): x-goog-api-client, the x-goog-request-params routing header and a
 * 10 s deadline, so the gap between ours and the limit can be split into wire work and library work.
 */
async function plainGrpc(endpoints: Endpoints, sameWire = false): Promise<BenchClient> {
  const grpc = await import('@grpc/grpc-js');
  const protoLoader = await import('@grpc/proto-loader');
  const definition = protoLoader.loadSync('google/longrunning/operations.proto', { includeDirs: [PROTOS_DIR], keepCase: false, longs: String, defaults: true, oneofs: true });
  const Operations = (grpc.loadPackageDefinition(definition) as unknown as { google: { longrunning: { Operations: import('@grpc/grpc-js').ServiceClientConstructor } } }).google.longrunning.Operations;
  const client = new Operations(endpoints.grpc, grpc.credentials.createInsecure());
  const call = (client as unknown as { CancelOperation: Unary }).CancelOperation.bind(client);
  if (!sameWire) {
    return {
      cancel: name => new Promise((resolve, reject) => call({ name }, error => (error === null ? resolve() : reject(error)))),
      close: async () => client.close(),
    };
  }
  const base = new grpc.Metadata();
  base.set('x-goog-api-client', `gl-node/${process.versions.node} lro-cancel/bench`);
  const callWith = (client as unknown as { CancelOperation: UnaryWith }).CancelOperation.bind(client);
  return {
    cancel: name => new Promise((resolve, reject) => {
      const metadata = base.clone();
      metadata.set('x-goog-request-params', `name=${encodeURIComponent(name)}`);
      callWith({ name }, metadata, { deadline: Date.now() + 10_000 }, error => (error === null ? resolve() : reject(error)));
    }),
    close: async () => client.close(),
  };
}

interface GaxOperationsClient {
  cancelOperation(request: { name: string }): Promise<unknown>;
  close(): void;
}

/** google-gax 6's own OperationsClient over gRPC, built as test/emulator-gax.test.ts builds it. */
async function gaxGrpc(endpoints: Endpoints): Promise<BenchClient> {
  process.env['METADATA_SERVER_DETECTION'] = 'none';
  const gax = await import('google-gax');
  const grpc = await import('@grpc/grpc-js');
  const port = Number(endpoints.grpc.split(':')[1]);
  const client = gax.lro({}).operationsClient({ servicePath: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure() }) as unknown as GaxOperationsClient;
  return { cancel: async name => { await client.cancelOperation({ name }); }, close: async () => client.close() };
}

/**
 * google-gax 6's OperationsClient with its REST fallback, as a generated cloudaicompanion v1 client sets it up:
 * `gax.fallback.lro({protoJson, httpRules})` over gax's own operations protos with the v1 http rules, plain http to
 * the emulator. Its stub sends through the auth client's `fetch`; an OAuth2Client holding a fixed token stands in
 * for ADC (the emulator ignores the token), so the figures include what gax does with credentials on every call.
 */
async function gaxRest(endpoints: Endpoints): Promise<BenchClient> {
  process.env['METADATA_SERVER_DETECTION'] = 'none';
  const gax = await import('google-gax');
  const { OAuth2Client } = await import('google-auth-library');
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: 'bench-token', expiry_date: Date.now() + 24 * 3600_000 });
  const operationsJson: unknown = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('google-gax').replace(/src[\\/]index\.js$/, 'protos/operations.json'), 'utf8'));
  const protoJson = gax.fallback.protobufFromJSON(operationsJson as never, true);
  const url = new URL(endpoints.rest);
  const builder = gax.fallback.lro({ auth, protoJson, httpRules: CLOUDAICOMPANION_HTTP_RULES } as never);
  const client = builder.operationsClient({ servicePath: url.hostname, port: Number(url.port), protocol: 'http', fallback: true } as never) as unknown as GaxOperationsClient;
  return { cancel: async name => { await client.cancelOperation({ name }); }, close: async () => client.close() };
}

/** The REST limit: undici's `request` on a keep-alive pool of `concurrency` connections, POST with `{}`. */
async function plainUndici(endpoints: Endpoints, concurrency: number): Promise<BenchClient> {
  const { Pool } = await import('undici');
  const pool = new Pool(endpoints.rest, { connections: concurrency });
  const headers = { 'content-type': 'application/json' };
  return {
    async cancel(name) {
      const response = await pool.request({ path: `/v1/${name}:cancel`, method: 'POST', headers, body: '{}' });
      const text = await response.body.text();
      if (response.statusCode !== 200) throw new Error(`${name}: HTTP ${response.statusCode} ${text}`);
    },
    close: () => pool.close(),
  };
}

export async function createClient(client: ClientName, endpoints: Endpoints, concurrency: number): Promise<BenchClient> {
  switch (client) {
    case 'ours-grpc': return ours('grpc', endpoints, concurrency);
    case 'ours-rest': return ours('rest', endpoints, concurrency);
    case 'ours-auto': return ours('auto', endpoints, concurrency);
    case 'grpc-js': return plainGrpc(endpoints);
    case 'grpc-js-same-wire': return plainGrpc(endpoints, true);
    case 'gax-grpc': return gaxGrpc(endpoints);
    case 'gax-rest': return gaxRest(endpoints);
    case 'undici': return plainUndici(endpoints, concurrency);
  }
}
