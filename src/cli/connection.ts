import type { Command } from 'commander';
import type { CancellerOptions, TransportChoice } from '../client/options.js';
import { integerAtLeast, oneOf } from './parse.js';

/** The connection and policy flags every command takes, as commander hands them over. */
export interface ConnectionFlags {
  readonly endpoint?: string;
  readonly restEndpoint?: string;
  readonly transport?: TransportChoice;
  readonly insecure?: boolean;
  readonly allowInsecureRemote?: boolean;
  readonly quotaProject?: string;
  readonly deadlineMs?: number;
  readonly attemptTimeoutMs?: number;
  readonly maxAttempts?: number;
  readonly json?: boolean;
}

export function addConnectionFlags(command: Command): Command {
  return command
    .option('--endpoint <host:port>', 'gRPC endpoint (default cloudaicompanion.googleapis.com:443, or $LRO_CANCEL_EMULATOR_HOST)')
    .option('--rest-endpoint <url>', 'REST endpoint for HTTP/JSON transcoding (default https://cloudaicompanion.googleapis.com, or $LRO_CANCEL_EMULATOR_REST)')
    .option('--transport <auto|grpc|rest>', 'gRPC first with REST fallback (auto), or one of them only', oneOf('--transport', ['auto', 'grpc', 'rest'] as const))
    .option('--insecure', 'plaintext without credentials (loopback hosts only unless --allow-insecure-remote)')
    .option('--allow-insecure-remote', 'allow --insecure to a non-loopback host')
    .option('--quota-project <project>', 'project billed for quota (x-goog-user-project)')
    .option('--deadline-ms <n>', 'total time for each call, retries included (default 60000)', integerAtLeast('--deadline-ms', 1))
    .option('--attempt-timeout-ms <n>', 'time for each attempt (default 10000)', integerAtLeast('--attempt-timeout-ms', 1))
    .option('--max-attempts <n>', 'attempts per call, first one included (default 5)', integerAtLeast('--max-attempts', 1))
    .option('--json', 'one JSON object per line');
}

/** Flags to client options; flags left out stay out so the client's own defaults (and the emulator variables) apply. */
export function cancellerOptionsFrom(flags: ConnectionFlags, extra: Partial<CancellerOptions> = {}): CancellerOptions {
  const retry = {
    ...(flags.deadlineMs === undefined ? {} : { totalTimeoutMs: flags.deadlineMs }),
    ...(flags.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: flags.attemptTimeoutMs }),
    ...(flags.maxAttempts === undefined ? {} : { maxAttempts: flags.maxAttempts }),
  };
  return {
    ...(flags.endpoint === undefined ? {} : { grpcEndpoint: flags.endpoint }),
    ...(flags.restEndpoint === undefined ? {} : { restEndpoint: flags.restEndpoint }),
    ...(flags.transport === undefined ? {} : { transport: flags.transport }),
    ...(flags.insecure === true ? { insecure: true } : {}),
    ...(flags.allowInsecureRemote === true ? { allowInsecureRemote: true } : {}),
    ...(flags.quotaProject === undefined ? {} : { quotaProject: flags.quotaProject }),
    retry,
    ...extra,
  };
}
