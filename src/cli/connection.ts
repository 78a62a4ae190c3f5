import type { Command } from 'commander';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { isLoopbackHost } from '../loopback.js';
import type { CancellerOptions, TransportChoice } from '../client/options.js';
import { parseGrpcEndpoint, parseRestEndpoint } from '../client/endpoint.js';
import { credentialsFrom, type CredentialFlags } from './credentials.js';
import type { ScopeFlags } from './names.js';
import { parseFormat, type OutputFormat } from './output-format.js';
import { integerAtLeast, oneOf } from './parse.js';

/** The connection, credential, scope and output flags every command takes, as commander hands them over. */
export interface ConnectionFlags extends CredentialFlags, ScopeFlags {
  readonly endpoint?: string;
  readonly restEndpoint?: string;
  readonly transport?: TransportChoice;
  readonly insecure?: boolean;
  readonly allowInsecureRemote?: boolean;
  readonly deadlineMs?: number;
  readonly attemptTimeoutMs?: number;
  readonly maxAttempts?: number;
  readonly json?: boolean;
  readonly format?: OutputFormat;
}

export const EMULATOR_HOST = 'LRO_CANCEL_EMULATOR_HOST';
export const EMULATOR_REST = 'LRO_CANCEL_EMULATOR_REST';

export function addConnectionFlags(command: Command): Command {
  return command
    .option('--project <project>', 'project of bare operation ids and of list/--from-list without a parent (default $CLOUDSDK_CORE_PROJECT)')
    .option('--location <location>', 'location of bare operation ids and of list/--from-list without a parent, e.g. us-central1 or global')
    .option('--endpoint <host:port>', `gRPC endpoint (default cloudaicompanion.googleapis.com:443, or $${EMULATOR_HOST})`)
    .option('--rest-endpoint <url>', `REST endpoint for HTTP/JSON transcoding (default https://cloudaicompanion.googleapis.com, or $${EMULATOR_REST})`)
    .option('--transport <auto|grpc|rest>', 'gRPC first with REST fallback (auto), or one of them only', oneOf('--transport', ['auto', 'grpc', 'rest'] as const))
    .option('--insecure', 'plaintext (loopback hosts only unless --allow-insecure-remote); credentials only when named by a flag or variable')
    .option('--allow-insecure-remote', 'allow --insecure to a non-loopback host')
    .option('--access-token-file <file>', 'an OAuth 2 access token (gcloud auth print-access-token > FILE); or $LRO_CANCEL_ACCESS_TOKEN, $CLOUDSDK_AUTH_ACCESS_TOKEN_FILE')
    .option('--key-file <file>', 'a service account key file (JSON) instead of Application Default Credentials')
    .option('--impersonate-service-account <email[,...]>', 'act as this service account (a comma-separated chain: delegates first, target last); or $CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT')
    .option('--quota-project <project>', 'project billed for quota (x-goog-user-project); wins over an ADC file\'s own')
    .option('--deadline-ms <n>', 'total time for each call, retries included (default 60000)', integerAtLeast('--deadline-ms', 1))
    .option('--attempt-timeout-ms <n>', 'time for each attempt (default 10000)', integerAtLeast('--attempt-timeout-ms', 1))
    .option('--max-attempts <n>', 'attempts per call, first one included (default 10)', integerAtLeast('--max-attempts', 1))
    .option('--format <format>', 'json (one object per line), yaml, table, table(field,...), value(field,...) with dotted fields, e.g. value(name,error.code)', parseFormat)
    .option('--json', 'one JSON object per line (= --format json)');
}

type Env = Readonly<Record<string, string | undefined>>;

function usage(message: string): OperationsError {
  return new OperationsError(Code.INVALID_ARGUMENT, message);
}

/** Where calls go: endpoints (undefined: not used) and whether in plaintext, each checked against the flag that set it. */
interface Endpoints {
  readonly grpc: string | undefined;
  readonly rest: string | undefined;
  readonly insecure: boolean;
}

/**
 * The one rule for endpoints (README, "The command line"): `--endpoint` or `--rest-endpoint` name the endpoints,
 * plaintext only with `--insecure`, and the emulator variables are then ignored (with a note, if set). Without either
 * flag, `LRO_CANCEL_EMULATOR_HOST` (gRPC) and `LRO_CANCEL_EMULATOR_REST` (REST) each work alone or together, in
 * plaintext. Without any of them, Google's endpoints over TLS.
 */
function endpointsFrom(flags: ConnectionFlags, env: Env, note: (line: string) => void): Endpoints {
  const emulatorHost = env[EMULATOR_HOST] || undefined;
  const emulatorRest = env[EMULATOR_REST] || undefined;
  const named = flags.endpoint !== undefined || flags.restEndpoint !== undefined;
  if (named) {
    const ignored = [...(emulatorHost === undefined ? [] : [EMULATOR_HOST]), ...(emulatorRest === undefined ? [] : [EMULATOR_REST])];
    if (ignored.length > 0) {
      note(`note: ${ignored.join(' and ')} ${ignored.length === 1 ? 'is' : 'are'} ignored: ${flags.endpoint !== undefined ? '--endpoint' : '--rest-endpoint'} names the endpoint${flags.insecure === true ? '' : ' (TLS; add --insecure for an emulator)'}`);
    }
    return { grpc: flags.endpoint, rest: flags.restEndpoint, insecure: flags.insecure === true };
  }
  if (emulatorHost !== undefined || emulatorRest !== undefined) return { grpc: emulatorHost, rest: emulatorRest, insecure: true };
  if (flags.insecure === true) {
    throw usage(`--insecure needs an endpoint on this machine: --endpoint or --rest-endpoint (or ${EMULATOR_HOST} / ${EMULATOR_REST}); Google's endpoints are TLS only`);
  }
  return { grpc: undefined, rest: undefined, insecure: false };
}

/** Checks what the library would refuse, naming the flag or variable that set it (the library names its options). */
function checkEndpoints(endpoints: Endpoints, flags: ConnectionFlags): void {
  const fromFlags = flags.endpoint !== undefined || flags.restEndpoint !== undefined;
  const grpcName = fromFlags ? '--endpoint' : EMULATOR_HOST;
  const restName = fromFlags ? '--rest-endpoint' : EMULATOR_REST;
  const grpcHost = endpoints.grpc === undefined ? undefined : parseGrpcEndpoint(endpoints.grpc, grpcName).host;
  const rest = endpoints.rest === undefined ? undefined : parseRestEndpoint(endpoints.rest, restName);
  const transport = flags.transport ?? 'auto';
  const defaults = endpoints.grpc === undefined && endpoints.rest === undefined;
  if (!defaults && transport === 'rest' && rest === undefined) throw usage(`--transport rest needs a REST endpoint: --rest-endpoint URL or ${EMULATOR_REST}`);
  if (!defaults && transport === 'grpc' && grpcHost === undefined) throw usage(`--transport grpc needs a gRPC endpoint: --endpoint HOST:PORT or ${EMULATOR_HOST}`);
  if (endpoints.insecure && flags.allowInsecureRemote !== true) {
    const remote = [
      ...(grpcHost !== undefined && !isLoopbackHost(grpcHost) ? [`${grpcName} ${endpoints.grpc ?? ''}`] : []),
      ...(rest !== undefined && !isLoopbackHost(rest.hostname) ? [`${restName} ${rest.origin}`] : []),
    ];
    if (remote.length > 0) {
      throw usage(`plaintext goes only to loopback hosts, and ${remote.join(' and ')} ${remote.length === 1 ? 'is' : 'are'} not loopback: add --allow-insecure-remote if you mean it`);
    }
  }
  if (!endpoints.insecure && rest?.protocol === 'http:') {
    throw usage(`${restName} ${rest.origin} is plain http: credentials would travel in clear text; use https:, or add --insecure for an emulator`);
  }
}

/**
 * Flags and environment to client options, every problem reported as bad usage naming the flag or variable.
 * Flags left out stay out so the client's own defaults apply.
 */
export async function cancellerOptionsFrom(flags: ConnectionFlags, env: Env = process.env): Promise<CancellerOptions> {
  const endpoints = endpointsFrom(flags, env, line => process.stderr.write(`lro-cancel: ${line}\n`));
  checkEndpoints(endpoints, flags);
  const credentials = await credentialsFrom(flags, env, endpoints.insecure);
  const retry = {
    ...(flags.deadlineMs === undefined ? {} : { totalTimeoutMs: flags.deadlineMs }),
    ...(flags.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: flags.attemptTimeoutMs }),
    ...(flags.maxAttempts === undefined ? {} : { maxAttempts: flags.maxAttempts }),
  };
  return {
    ...(endpoints.grpc === undefined ? {} : { grpcEndpoint: endpoints.grpc }),
    ...(endpoints.rest === undefined ? {} : { restEndpoint: endpoints.rest }),
    ...(flags.transport === undefined ? {} : { transport: flags.transport }),
    ...(endpoints.insecure ? { insecure: true } : {}),
    ...(flags.allowInsecureRemote === true ? { allowInsecureRemote: true } : {}),
    ...(credentials === undefined ? {} : { credentials }),
    ...(flags.quotaProject === undefined ? {} : { quotaProject: flags.quotaProject }),
    retry,
  };
}
