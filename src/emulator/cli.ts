import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { codeFromName, type CodeName } from '../code.js';
import { FAIL_REASONS, type FailReason } from './api-error.js';
import { startEmulator } from './emulator.js';
import { jsonSyntaxErrorOffset, lineAndColumn } from './json-syntax.js';
import { METHODS, type Method } from './methods.js';
import { MAX_DELAY_MS, MAX_SEED_OPS, type EmulatorOptions } from './options.js';
import { usageLine } from '../cli/usage.js';

/** Exit codes: 0 after a clean close (or --help), 1 when it could not start (port taken), 2 on bad usage. */
const EXIT_USAGE = 2;
const EXIT_FAILED = 1;

interface EmulatorFlags {
  grpcPort?: number;
  restPort?: number;
  ops: number;
  doneFraction: number;
  durationMs: number;
  uncancellableFraction: number;
  unimplemented: boolean;
  requireAuth: boolean;
  tokens?: string;
  failRate: number;
  failCode: CodeName;
  retryDelayMs: number;
  latencyMs: number;
  latencyJitterMs: number;
  failMix?: Partial<Record<CodeName | 'DROP', number>>;
  failMethods?: Method[];
  quotaRps: number;
  quotaRetryInfo: boolean;
  quotaLimitInfo: boolean;
  failReason?: FailReason;
  seed?: number;
  waitCapMs: number;
  state?: string;
}

function integer(min: number, max: number) {
  return (value: string): number => {
    const number = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(number >= min && number <= max)) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    return number;
  };
}

function fraction(value: string): number {
  const number = value.trim() === '' ? NaN : Number(value);
  if (!(number >= 0 && number <= 1)) throw new InvalidArgumentError('expected a number from 0 to 1.');
  return number;
}

function failCode(value: string): CodeName {
  const code = codeFromName(value.toUpperCase());
  if (code === undefined || code === 0) throw new InvalidArgumentError('expected a google.rpc.Code name other than OK, e.g. UNAVAILABLE.');
  return value.toUpperCase() as CodeName;
}

/** `GetOperation,ListOperations`: the methods --fail-rate and --fail-mix apply to. */
function failMethods(value: string): Method[] {
  const names = value.split(',').map(name => name.trim());
  for (const name of names) {
    if (!(METHODS as readonly string[]).includes(name)) throw new InvalidArgumentError(`expected method names separated by commas (${METHODS.join(', ')}), got ${JSON.stringify(name)}.`);
  }
  return names as Method[];
}

/** `UNAVAILABLE=0.2,RESOURCE_EXHAUSTED=0.05,DROP=0.001`: shares by code name (or DROP), adding up to at most 1. */
function failMix(value: string): Partial<Record<CodeName | 'DROP', number>> {
  const mix: Partial<Record<CodeName | 'DROP', number>> = {};
  let total = 0;
  for (const part of value.split(',')) {
    const [rawName = '', rawShare = '', ...extra] = part.split('=');
    const name = rawName.trim().toUpperCase();
    const share = rawShare.trim() === '' ? NaN : Number(rawShare);
    const known = name === 'DROP' || (codeFromName(name) ?? 0) !== 0;
    if (!known || extra.length > 0 || !(share >= 0 && share <= 1)) {
      throw new InvalidArgumentError('expected NAME=SHARE,... with DROP or a google.rpc.Code name other than OK and shares from 0 to 1.');
    }
    mix[name as CodeName | 'DROP'] = share;
    total += share;
  }
  if (total > 1 + 1e-9) throw new InvalidArgumentError('the shares add up to more than 1.');
  return mix;
}

function failReason(value: string): FailReason {
  const upper = value.trim().toUpperCase();
  if (!(FAIL_REASONS as readonly string[]).includes(upper)) throw new InvalidArgumentError(`expected one of ${FAIL_REASONS.join(', ')}.`);
  return upper as FailReason;
}

/**
 * Token file: `{"<token>": ["cloudaicompanion.operations.cancel", ...]}`. Messages never show a token: not JSON is
 * reported by line and column only, never with JSON.parse's own message, which quotes the text it failed on.
 */
function readTokens(path: string): Record<string, string[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`cannot read it (${(error as NodeJS.ErrnoException).code ?? 'read error'}).`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const offset = jsonSyntaxErrorOffset(text) ?? 0;
    throw new InvalidArgumentError(`it is not JSON: the syntax breaks at ${lineAndColumn(text, offset)}${offset >= text.length ? ' (the end of the file)' : ''}.`);
  }
  const valid = typeof value === 'object' && value !== null && !Array.isArray(value)
    && Object.values(value).every(p => Array.isArray(p) && p.every(s => typeof s === 'string'));
  if (!valid) throw new InvalidArgumentError('expected a JSON object of token -> array of permission strings.');
  return value as Record<string, string[]>;
}

export function buildEmulatorCommand(): Command {
  return new Command('lro-cancel emulator')
    .description('Run the local emulator of google.longrunning.Operations (gRPC + cloudaicompanion v1 REST, 127.0.0.1 only).')
    .addHelpText('after', [
      '',
      'Ready signal: the first stdout line is {"grpc":"127.0.0.1:PORT","rest":"http://127.0.0.1:PORT"}.',
      'SIGINT or SIGTERM closes it (exit 0). Bad flag values exit 2.',
      '',
      'Per-request headers (gRPC metadata or HTTP headers):',
      '  x-emulator-fault: code=UNAVAILABLE;rate=0.3     a status (any code name), or code=DROP to cut the connection;',
      '                                                 optional retry-delay-ms=N for RESOURCE_EXHAUSTED',
      '  x-emulator-delay-ms: 200                        wait before serving this call',
      '',
      'Control endpoints on the REST port:',
      '  GET /emulator/v1/stats[?names=false]   POST /emulator/v1/stats:reset',
      '  POST /emulator/v1/operations {"count":N,"parent":...,"idPrefix":...,"doneFraction":...,"durationMs":...,"uncancellableFraction":...}',
      '  GET /emulator/v1/operations/{name}     GET|POST /emulator/v1/faults {"failRate":...,"failCode":...,...}',
    ].join('\n'))
    .option('--grpc-port <port>', 'gRPC port (default: the --state file\'s, else 0: any free port)', integer(0, 65535))
    .option('--rest-port <port>', 'REST port (default: the --state file\'s, else 0: any free port)', integer(0, 65535))
    .option('--ops <n>', 'operations seeded under projects/demo/locations/global (op-000001, ...), as startEmulator({ops}) does', integer(0, MAX_SEED_OPS), 0)
    .option('--done-fraction <f>', 'share of seeded operations already done', fraction, 0)
    .option('--duration-ms <ms>', 'a running operation completes by itself this long after creation', integer(0, Number.MAX_SAFE_INTEGER), 600_000)
    .option('--uncancellable-fraction <f>', 'share that completes with a response despite a cancel', fraction, 0)
    .option('--unimplemented', 'answer CancelOperation with UNIMPLEMENTED', false)
    .option('--require-auth', 'require authorization: Bearer <token> (401 without, 403 without the permission)', false)
    .option('--tokens <file>', 'JSON {"<token>": ["cloudaicompanion.operations.cancel", ...]}; implies --require-auth')
    .option('--fail-rate <r>', 'share of API calls failed with --fail-code', fraction, 0)
    .option('--fail-code <name>', 'code of injected failures', failCode, 'UNAVAILABLE' as CodeName)
    .option('--retry-delay-ms <ms>', 'RetryInfo delay an injected RESOURCE_EXHAUSTED carries', integer(0, MAX_DELAY_MS), 1000)
    .option('--latency-ms <ms>', 'delay before every API call is served', integer(0, MAX_DELAY_MS), 0)
    .option('--latency-jitter-ms <ms>', 'plus a random delay from 0 to this, drawn per call', integer(0, MAX_DELAY_MS), 0)
    .option('--fail-mix <list>', 'several faults at once, e.g. UNAVAILABLE=0.2,RESOURCE_EXHAUSTED=0.05,DROP=0.001 (shares of calls)', failMix)
    .option('--fail-methods <list>', 'the methods --fail-rate and --fail-mix apply to, e.g. GetOperation (default: all)', failMethods)
    .option('--quota-rps <n>', 'requests per second per project, then RESOURCE_EXHAUSTED/429 (0: no quota)', integer(0, 1e9), 0)
    .option('--no-quota-retry-info', 'quota refusals carry no RetryInfo nor Retry-After (as Google rate limits usually answer)')
    .option('--no-quota-limit-info', 'quota refusals do not name the limit (quota_limit_value) in their ErrorInfo')
    .option('--fail-reason <reason>', `answer every call (of --fail-methods) as Google does for this ErrorInfo reason: ${FAIL_REASONS.join(', ')}`, failReason)
    .addOption(new Option('--seed <n>', 'seed of fractions and fault rates (default: random)').argParser(integer(0, 2 ** 32 - 1)))
    .option('--wait-cap-ms <ms>', 'longest a WaitOperation call waits', integer(0, MAX_DELAY_MS), 30_000)
    .option('--state <file>', 'keep the store in FILE: loaded at start (then --ops seeds nothing), saved every 200 ms when changed and on close')
    .allowExcessArguments(false)
    .configureOutput({ outputError: (message, write) => write(usageLine(message, 'emulator')) })
    .exitOverride();
}

function toOptions(flags: EmulatorFlags, tokens: Record<string, string[]> | undefined): EmulatorOptions {
  return {
    ...(flags.grpcPort !== undefined ? { grpcPort: flags.grpcPort } : {}),
    ...(flags.restPort !== undefined ? { restPort: flags.restPort } : {}),
    ...(flags.failMix !== undefined ? { failMix: flags.failMix } : {}),
    ...(flags.failMethods !== undefined ? { failMethods: flags.failMethods } : {}),
    ...(flags.failReason !== undefined ? { failReason: flags.failReason } : {}),
    ...(flags.state !== undefined ? { stateFile: flags.state } : {}),
    latencyJitterMs: flags.latencyJitterMs,
    ops: flags.ops, doneFraction: flags.doneFraction,
    durationMs: flags.durationMs, uncancellableFraction: flags.uncancellableFraction, unimplemented: flags.unimplemented,
    requireAuth: flags.requireAuth || tokens !== undefined, failRate: flags.failRate, failCode: flags.failCode,
    retryDelayMs: flags.retryDelayMs, latencyMs: flags.latencyMs, quotaRps: flags.quotaRps, quotaRetryInfo: flags.quotaRetryInfo, quotaLimitInfo: flags.quotaLimitInfo,
    waitCapMs: flags.waitCapMs,
    ...(tokens !== undefined ? { tokens } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
  };
}

/** Resolves on the first SIGINT or SIGTERM; `dispose` removes the listeners (default signal handling returns). */
function signalListener(): { received: Promise<NodeJS.Signals>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const dispose = (): void => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  const received = new Promise<NodeJS.Signals>(resolve => {
    onSignal = signal => {
      dispose();
      resolve(signal);
    };
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { received, dispose };
}

/**
 * `lro-cancel emulator [flags]`: starts the emulator, prints the ready line as the first stdout line, serves until
 * SIGINT or SIGTERM, closes cleanly. Sets `process.exitCode` (0, 1 could not start, 2 bad usage) instead of exiting,
 * so stdout is flushed and the caller decides.
 */
export async function runEmulatorCli(args: readonly string[]): Promise<void> {
  const command = buildEmulatorCommand();
  let options: EmulatorOptions;
  try {
    command.parse([...args], { from: 'user' });
    const flags = command.opts<EmulatorFlags>();
    let tokens: Record<string, string[]> | undefined;
    if (flags.tokens !== undefined) {
      try {
        tokens = readTokens(flags.tokens);
      } catch (error) {
        command.error(`error: option '--tokens <file>' argument '${flags.tokens}' is invalid. ${(error as Error).message}`, { exitCode: EXIT_USAGE });
      }
    }
    options = toOptions(flags, tokens);
  } catch (error) {
    process.exitCode = error instanceof CommanderError && error.exitCode === 0 ? 0 : EXIT_USAGE;
    return;
  }
  // Listen before starting, so a signal that arrives during start-up still ends in a clean close.
  const signals = signalListener();
  let emulator;
  try {
    emulator = await startEmulator(options);
  } catch (error) {
    signals.dispose();
    process.stderr.write(`lro-cancel emulator: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_FAILED;
    return;
  }
  process.stdout.write(`${JSON.stringify({ grpc: emulator.grpcAddress, rest: emulator.restUrl })}\n`);
  const signal = await signals.received;
  try {
    await emulator.close();
  } catch (error) {
    process.stderr.write(`lro-cancel emulator: ${signal} received, closed, but the state was not saved: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_FAILED;
    return;
  }
  process.stderr.write(`lro-cancel emulator: ${signal} received, closed\n`);
  process.exitCode = 0;
}
