import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ServiceClientConstructor } from '@grpc/grpc-js';
import type { GrpcClient as GaxGrpcClient, protobuf as GaxProtobuf } from 'google-gax';

/**
 * protobufjs as google-gax has it: the very instance its `protobuf` export is, resolved from where google-gax is
 * installed, without loading google-gax's index. That index pulls in google-auth-library, gaxios and the rest of
 * gax, about 60 ms of every CLI start (`npm run bench`, start-up), for two functions this package needs.
 */
export const protobuf = createRequire(createRequire(import.meta.url).resolve('google-gax'))('protobufjs') as typeof GaxProtobuf;


/** One google.api.http rule of a service profile, as scripts/compile-protos.mjs wrote it. */
export interface HttpRule {
  /** Fully qualified RPC method, e.g. `google.longrunning.Operations.CancelOperation`. */
  readonly selector: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path template in gRPC transcoding syntax, e.g. `/v1/{name=projects/*\/locations/*\/operations/*}:cancel`. */
  readonly path: string;
  readonly body?: string;
}

/** The REST surface one API version publishes for google.longrunning.Operations. */
export interface ServiceProfile {
  readonly host: string;
  readonly version: string;
  readonly rules: readonly HttpRule[];
}

export interface LoadedProtos {
  /** protobufjs root with google.longrunning, google.rpc (status, error details), google.api and google.protobuf; built on first read. */
  readonly root: protobuf.Root;
  /** The grpc-js service client constructor for google.longrunning.Operations, loaded through google-gax. */
  readonly OperationsClient: ServiceClientConstructor;
  /** Service profiles keyed by `host/version`, e.g. `cloudaicompanion.googleapis.com/v1`. */
  readonly profiles: ReadonlyMap<string, ServiceProfile>;
}

export const OPERATIONS_SERVICE = 'google.longrunning.Operations';
export const CLOUDAICOMPANION_V1 = 'cloudaicompanion.googleapis.com/v1';

interface CompiledBundle {
  readonly root: protobuf.INamespace;
  /** google.longrunning.Operations and the messages its methods reach (scripts/compile-protos.mjs). */
  readonly operationsService: protobuf.INamespace;
  readonly profiles: Record<string, ServiceProfile>;
}

let loaded: LoadedProtos | undefined;

/**
 * google-gax's GrpcClient, whose loadProtoJSON is gax's own loader (proto-loader with gax's options, then grpc-js).
 * Taken from gax's grpc module next to its index when it is there: the index also loads gax's LRO, IAM, locations
 * and fallback clients, about 35 ms of every CLI start (gax 6, Node 24) that this package never uses. gax's "exports"
 * do not list build/src/grpc.js, so it is required by absolute path, which "exports" do not govern. A gax release
 * that moves it falls back to the index (slower, still right); test/protos.test.ts fails when that happens. Required
 * here rather than imported at the top so that commands which never call (help, the emulator's CLI parsing) load none
 * of it.
 */
function gaxGrpcClient(): GaxGrpcClient {
  const require = createRequire(import.meta.url);
  const index = require.resolve('google-gax');
  const grpcModule = join(dirname(index), 'grpc.js');
  const { GrpcClient } = require(existsSync(grpcModule) ? grpcModule : index) as { GrpcClient: typeof GaxGrpcClient };
  return new GrpcClient();
}

/** protos/ sits at the package root: two levels above dist/src/protos.js, one above src/protos.ts (tests under tsx). */
function findBundle(): URL {
  const candidates = ['../../protos/compiled.json', '../protos/compiled.json'].map(p => new URL(p, import.meta.url));
  return candidates.find(url => existsSync(url)) ?? (candidates[0] as URL);
}

/**
 * Loads protos/compiled.json (built by `npm run build`) through google-gax, once per process: parsing .proto text at
 * start-up would cost every CLI call tens of milliseconds, and loading twice would give two incompatible type sets.
 */
export function loadProtos(): LoadedProtos {
  if (loaded !== undefined) return loaded;
  const url = findBundle();
  let bundle: CompiledBundle;
  try {
    bundle = JSON.parse(readFileSync(url, 'utf8')) as CompiledBundle;
  } catch (cause) {
    throw new Error(`cannot read ${url.pathname}: run "npm run build" to compile the protos`, { cause });
  }
  const grpcPackage = gaxGrpcClient().loadProtoJSON(bundle.operationsService) as unknown as {
    google: { longrunning: { Operations: ServiceClientConstructor } };
  };
  let root: protobuf.Root | undefined;
  loaded = {
    // Built on first use: only error details and the emulator read it, and a cancel that succeeds should not pay.
    get root(): protobuf.Root {
      if (root === undefined) {
        root = protobuf.Root.fromJSON(bundle.root);
        root.resolveAll();
      }
      return root;
    },
    OperationsClient: grpcPackage.google.longrunning.Operations,
    profiles: new Map(Object.entries(bundle.profiles)),
  };
  return loaded;
}

/** The profile for `host/version`; throws naming the known ones when it is missing. */
export function profileFor(key: string): ServiceProfile {
  const profile = loadProtos().profiles.get(key);
  if (profile === undefined) {
    throw new Error(`no service profile "${key}"; known: ${[...loadProtos().profiles.keys()].join(', ')}`);
  }
  return profile;
}
