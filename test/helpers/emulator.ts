import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { projectRoot } from './paths.js';

/**
 * Starts an in-process emulator on 127.0.0.1, both ports 0, seed 42 unless given; the caller closes it (`after`).
 * Other test files use this to get a real server to talk to.
 */
export function startTestEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ seed: 42, ...options });
}

/** Runs `body` against a fresh emulator and closes it, whatever happens. */
export async function withEmulator<T>(options: EmulatorOptions, body: (emulator: Emulator) => Promise<T>): Promise<T> {
  const emulator = await startTestEmulator(options);
  try {
    return await body(emulator);
  } finally {
    await emulator.close();
  }
}

const protosDir = (): string => join(projectRoot(), 'protos');

/**
 * A plain @grpc/grpc-js client of google.longrunning.Operations, loaded from the .proto files with proto-loader, so
 * the emulator's wire behaviour is checked without any code of this library on the client side.
 */
export function plainGrpcClient(address: string): grpc.Client {
  const definition = protoLoader.loadSync('google/longrunning/operations.proto', {
    includeDirs: [protosDir()], keepCase: false, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { longrunning: { Operations: grpc.ServiceClientConstructor } };
  };
  return new loaded.google.longrunning.Operations(address, grpc.credentials.createInsecure());
}

/** One unary call; rejects with the grpc-js ServiceError (code, details, metadata). */
export function unary<T = Record<string, unknown>>(
  client: grpc.Client, method: string, request: Record<string, unknown>, metadata: Record<string, string> = {}, deadlineMs = 10_000,
): Promise<T> {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method];
    if (fn === undefined) throw new Error(`no method ${method}`);
    fn.call(client, request, md, { deadline: Date.now() + deadlineMs }, (error: grpc.ServiceError | null, response: T) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}

/** Awaits a call that must fail and returns its ServiceError. */
export async function grpcError(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

let rpcRoot: protobuf.Root | undefined;

/** Decodes `grpc-status-details-bin` with protobufjs from the .proto files: [typeUrl, decoded message] per detail. */
export function decodeStatusDetails(error: grpc.ServiceError): { code: number; message: string; details: Array<{ typeUrl: string; value: Record<string, unknown> }> } {
  rpcRoot ??= protobuf.loadSync([join(protosDir(), 'google/rpc/status.proto'), join(protosDir(), 'google/rpc/error_details.proto')]);
  const root = rpcRoot;
  const bin = error.metadata.get('grpc-status-details-bin')[0];
  if (!(bin instanceof Buffer)) throw new Error('no grpc-status-details-bin trailer');
  const status = root.lookupType('google.rpc.Status').decode(bin) as unknown as { code: number; message: string; details: Array<{ type_url: string; value: Uint8Array }> };
  return {
    code: status.code,
    message: status.message,
    details: status.details.map(any => {
      const type = root.lookupType(any.type_url.replace(/^type\.googleapis\.com\//, ''));
      return { typeUrl: any.type_url, value: type.toObject(type.decode(any.value), { longs: Number, defaults: false }) };
    }),
  };
}

/** How to spawn the emulator CLI: the compiled entry when running from dist/, the TypeScript one under tsx. */
export function emulatorCliCommand(): { command: string; args: string[] } {
  const compiled = fileURLToPath(new URL('../../src/emulator/bin.js', import.meta.url));
  if (import.meta.url.includes('/dist/') && existsSync(compiled)) return { command: process.execPath, args: [compiled] };
  return { command: process.execPath, args: ['--import', 'tsx', join(projectRoot(), 'src', 'emulator', 'bin.ts')] };
}
