import { checkNumber, finiteAtLeast, integerAtLeast, POSITIVE_OR_INFINITE } from '../check.js';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { CLOUDAICOMPANION_V1, profileFor, type ServiceProfile } from '../protos.js';
import { resolveRetryBudget, type ResolvedRetryBudget, type RetryBudgetOptions } from '../policy/retry-budget.js';
import { resolveRetryPolicy, type RetryOptions, type RetryPolicy } from '../policy/retry-policy.js';
import { applicationDefaultCredentials, CLOUD_PLATFORM_SCOPE, type AuthHeaderSource } from './credentials.js';
import { isLoopbackHost } from '../loopback.js';
import { parseGrpcEndpoint, parseRestEndpoint } from './endpoint.js';

export type TransportChoice = 'auto' | 'grpc' | 'rest';

/** Options of `createCanceller`. Every one is optional; `resolveCancellerOptions` fills the defaults once. */
export interface CancellerOptions {
  /**
   * gRPC `host:port`. Naming only this endpoint means gRPC only (no REST fallback to a host you did not name).
   * @default `cloudaicompanion.googleapis.com:443`, or `$LRO_CANCEL_EMULATOR_HOST` when set (as Google's
   * `*_EMULATOR_HOST` variables do: plaintext, no credentials).
   */
  readonly grpcEndpoint?: string;
  /**
   * REST base URL for HTTP/JSON transcoding.
   * @default `https://cloudaicompanion.googleapis.com`, or `$LRO_CANCEL_EMULATOR_REST` with the emulator.
   */
  readonly restEndpoint?: string;
  /**
   * `auto` tries gRPC and switches this client to REST when gRPC cannot get through (refused, HTTP/2 refused, a
   * proxy's non-gRPC answer), probing gRPC again later; a status sent by a gRPC server never switches.
   * @default 'auto'
   */
  readonly transport?: TransportChoice;
  /**
   * Plaintext and no credentials. Refused for non-loopback hosts unless `allowInsecureRemote` is set, so a typo in an
   * endpoint cannot send operation names in clear text across a network.
   * @default false (true with `$LRO_CANCEL_EMULATOR_HOST`)
   */
  readonly insecure?: boolean;
  /** @default false */
  readonly allowInsecureRemote?: boolean;
  /** Where authorization comes from. @default Application Default Credentials, scope cloud-platform. */
  readonly credentials?: AuthHeaderSource;
  /** A service account key file for ADC instead of the environment's. */
  readonly keyFilename?: string;
  /** Billing/quota project, sent as `x-goog-user-project`. @default none */
  readonly quotaProject?: string;
  /**
   * The REST surface: a built-in profile key (`host/version`) or a profile of your own (another API's v1beta, say).
   * @default 'cloudaicompanion.googleapis.com/v1'
   */
  readonly profile?: string | ServiceProfile;
  /** The client's retry policy; per-call `retry` options are resolved on top of it, never into it. */
  readonly retry?: RetryOptions;
  /**
   * What keeps this client's retries from becoming a storm, shared by all its calls. `{kind: 'adaptive'}` is Google's
   * client-side adaptive throttling (SRE book), which keeps retrying through a 30-50% brownout and almost stops when
   * nothing gets through; `{kind: 'tokens'}` is grpc-js's gRFC A6 bucket (it stops at about 9% failures); `false`
   * turns budgeting off. @default { kind: 'adaptive', multiplier: 2, windowMs: 10000, minRequests: 10 }
   */
  readonly retryBudget?: RetryBudgetOptions | false;
  /** Sizes the REST keep-alive pool: the most calls you run at once. @default 64 */
  readonly maxConcurrency?: number;
  /** After falling back to REST, how long before gRPC is tried again. @default 30000 */
  readonly grpcProbeIntervalMs?: number;
  /** How long `cancel(..., {verify: true})` polls GetOperation for the outcome. @default 30000 */
  readonly verifyTimeoutMs?: number;
  /** PEM root certificates for TLS to a private endpoint; without it only the system roots are trusted. */
  readonly caCertificate?: string | Uint8Array;
}

export interface ResolvedCancellerOptions {
  /** Undefined when gRPC is not used: transport "rest", or only a REST endpoint was named. */
  readonly grpcEndpoint: string | undefined;
  /** Undefined when REST is not used: transport "grpc", or only a gRPC endpoint (or emulator host) was named. */
  readonly restEndpoint: URL | undefined;
  readonly transport: TransportChoice;
  readonly insecure: boolean;
  readonly credentials: AuthHeaderSource | undefined;
  readonly quotaProject: string | undefined;
  readonly profile: ServiceProfile;
  readonly retry: RetryPolicy;
  readonly retryBudget: ResolvedRetryBudget | undefined;
  readonly maxConcurrency: number;
  readonly grpcProbeIntervalMs: number;
  readonly verifyTimeoutMs: number;
  readonly caCertificate: Uint8Array | undefined;
}

export const DEFAULT_GRPC_ENDPOINT = 'cloudaicompanion.googleapis.com:443';
export const DEFAULT_REST_ENDPOINT = 'https://cloudaicompanion.googleapis.com';

/**
 * Fills every default once and validates every value, naming the option and the value received when one is wrong.
 * `env` is where the emulator variables are read: the process's for a client, a test's own for the rule's tests.
 */
export function resolveCancellerOptions(
  options: CancellerOptions = {}, env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedCancellerOptions {
  const emulatorHost = env['LRO_CANCEL_EMULATOR_HOST'] || undefined;
  const emulatorRest = env['LRO_CANCEL_EMULATOR_REST'] || undefined;
  const useEmulator = emulatorHost !== undefined && options.grpcEndpoint === undefined && options.restEndpoint === undefined;

  const transport = options.transport ?? 'auto';
  if (transport !== 'auto' && transport !== 'grpc' && transport !== 'rest') {
    throw new OperationsError(Code.INVALID_ARGUMENT, `transport must be auto, grpc or rest, got ${JSON.stringify(transport)}`);
  }
  // Google's endpoints are the defaults only when no endpoint was named: a client pointed at one private gRPC
  // endpoint must not fall back to the public REST host behind the user's back.
  const neither = options.grpcEndpoint === undefined && options.restEndpoint === undefined;
  const grpcRaw = useEmulator ? emulatorHost : neither ? DEFAULT_GRPC_ENDPOINT : options.grpcEndpoint;
  const restRaw = useEmulator ? emulatorRest : neither ? DEFAULT_REST_ENDPOINT : options.restEndpoint;
  const grpcName = useEmulator ? 'LRO_CANCEL_EMULATOR_HOST' : 'grpcEndpoint';
  const restName = useEmulator ? 'LRO_CANCEL_EMULATOR_REST' : 'restEndpoint';
  const grpcEndpoint = transport === 'rest' ? undefined : grpcRaw;
  const restEndpoint = transport === 'grpc' || restRaw === undefined ? undefined : parseRestEndpoint(restRaw, restName);
  const grpcHost = grpcEndpoint === undefined ? undefined : parseGrpcEndpoint(grpcEndpoint, grpcName).host;
  if (transport === 'rest' && restEndpoint === undefined) {
    throw new OperationsError(Code.INVALID_ARGUMENT, `transport "rest" needs a REST endpoint: set ${restName}`);
  }
  if (transport === 'grpc' && grpcEndpoint === undefined) {
    throw new OperationsError(Code.INVALID_ARGUMENT, `transport "grpc" needs a gRPC endpoint: set ${grpcName}`);
  }

  const insecure = useEmulator || (options.insecure ?? false);
  if (insecure && options.allowInsecureRemote !== true) {
    const remote = [
      ...(grpcHost !== undefined && !isLoopbackHost(grpcHost) ? [grpcEndpoint] : []),
      ...(restEndpoint !== undefined && !isLoopbackHost(restEndpoint.hostname) ? [restEndpoint.origin] : []),
    ];
    if (remote.length > 0) {
      throw new OperationsError(Code.INVALID_ARGUMENT,
        `insecure (plaintext, no credentials) is only allowed to loopback hosts, and ${remote.join(' and ')} ${remote.length === 1 ? 'is' : 'are'} not loopback. Set allowInsecureRemote (--allow-insecure-remote) if you mean it`);
    }
  }
  if (!insecure && restEndpoint !== undefined && restEndpoint.protocol === 'http:') {
    throw new OperationsError(Code.INVALID_ARGUMENT, `restEndpoint ${restEndpoint.origin} is plain http: credentials would travel in clear text; use https: or insecure`);
  }

  const profile = typeof options.profile === 'object' ? options.profile : profileFor(options.profile ?? CLOUDAICOMPANION_V1);
  const ca = options.caCertificate;
  return Object.freeze({
    grpcEndpoint,
    restEndpoint,
    transport,
    insecure,
    // Plaintext sends no credentials unless the caller passed some explicitly (a local proxy that checks tokens).
    credentials: insecure ? options.credentials : options.credentials ?? applicationDefaultCredentials({
      scopes: [CLOUD_PLATFORM_SCOPE],
      keyFilename: options.keyFilename,
      quotaProject: options.quotaProject,
    }),
    quotaProject: options.quotaProject,
    profile,
    retry: resolveRetryPolicy(options.retry),
    retryBudget: resolveRetryBudget(options.retryBudget),
    maxConcurrency: checkNumber('maxConcurrency', options.maxConcurrency ?? 64, integerAtLeast(1)),
    grpcProbeIntervalMs: checkNumber('grpcProbeIntervalMs', options.grpcProbeIntervalMs ?? 30_000, finiteAtLeast(0)),
    verifyTimeoutMs: checkNumber('verifyTimeoutMs', options.verifyTimeoutMs ?? 30_000, POSITIVE_OR_INFINITE),
    caCertificate: ca === undefined ? undefined : typeof ca === 'string' ? Buffer.from(ca) : ca,
  });
}
