import { Code, codeFromName, type CodeName } from '../code.js';
import { OperationsError } from '../errors.js';
import { FAIL_REASONS, type FailReason } from './api-error.js';
import { METHODS, type Method } from './methods.js';

/**
 * Faults the emulator injects into every API call (never into the `/emulator/` control endpoints). They can be changed
 * while it runs (`Emulator.setFaults`, `POST /emulator/v1/faults`); per-request headers add to them.
 */
export interface FaultSettings {
  /**
   * Share of API calls (0..1) answered with `failCode` instead of being served; decided before the store is touched,
   * so a failed cancel changes nothing.
   * @default 0
   */
  readonly failRate?: number;
  /** @default 'UNAVAILABLE' */
  readonly failCode?: CodeName;
  /** The RetryInfo.retry_delay that an injected RESOURCE_EXHAUSTED carries. @default 1000 */
  readonly retryDelayMs?: number;
  /** Added to every API call before anything else happens, like a slow network or backend. @default 0 */
  readonly latencyMs?: number;
  /**
   * A random extra delay from 0 to this many ms (uniform, drawn per call) on top of `latencyMs`, so calls finish out
   * of order as they do on a real network. @default 0
   */
  readonly latencyJitterMs?: number;
  /**
   * Several injected faults at once, each with its own share of API calls: `{UNAVAILABLE: 0.2, RESOURCE_EXHAUSTED:
   * 0.05, DROP: 0.001}` (DROP cuts the connection). One draw per call picks at most one of them, so the shares must
   * add up to at most 1. Applied after per-call headers and before `failRate`. @default {}
   */
  readonly failMix?: Readonly<Partial<Record<CodeName | 'DROP', number>>>;
  /**
   * The methods `failRate` and `failMix` apply to, e.g. `['GetOperation']` for a service that accepts cancels but
   * cannot answer reads. @default every method
   */
  readonly failMethods?: readonly Method[];
  /**
   * Requests per second each project may make (fixed one-second windows, all methods together); past it the call is
   * RESOURCE_EXHAUSTED / 429 with RetryInfo and Retry-After for the rest of the window. 0 turns the quota off.
   * @default 0
   */
  readonly quotaRps?: number;
  /**
   * Whether a refusal by `quotaRps` says when to come back (RetryInfo, and `Retry-After` over REST, set to the rest of
   * the one-second window). Google's rate limits usually answer with ErrorInfo RATE_LIMIT_EXCEEDED and QuotaFailure
   * but no RetryInfo, so a client must find the rate itself: `false` answers that way. @default true
   */
  readonly quotaRetryInfo?: boolean;
  /**
   * Whether a refusal by `quotaRps` names the limit in its ErrorInfo metadata (`quota_limit`
   * "OperationsRequestsPerSecondPerProject", `quota_limit_value`), as Google's project quotas do. `false` leaves it
   * out, so a client has nothing but the refusals to find the rate by. @default true
   */
  readonly quotaLimitInfo?: boolean;
  /** Answer CancelOperation with UNIMPLEMENTED, as a service that does not support cancellation does. @default false */
  readonly unimplemented?: boolean;
  /**
   * Answer every call of `failMethods` with the refusal a Google front end sends for this ErrorInfo reason, metadata
   * included: SERVICE_DISABLED (403, with the activation URL), BILLING_DISABLED, IAM_PERMISSION_DENIED (403, naming the
   * method's permission), ACCESS_TOKEN_SCOPE_INSUFFICIENT (403), ACCESS_TOKEN_EXPIRED (401), USER_PROJECT_DENIED (403),
   * RATE_LIMIT_EXCEEDED (429, no RetryInfo). Checked after auth and quota, before the other faults; `null` in an update
   * turns it off. @default none
   */
  readonly failReason?: FailReason | null;
}

/** How the emulator starts. Every field is optional; `resolveEmulatorOptions` fills the defaults once. */
export interface EmulatorOptions extends FaultSettings {
  /** 0 picks a free port. The emulator only ever listens on 127.0.0.1. @default 0 */
  readonly grpcPort?: number;
  /** 0 picks a free port. @default 0 */
  readonly restPort?: number;
  /** Operations seeded at start under `projects/demo/locations/global` (`op-000001`, ...). @default 0 */
  readonly ops?: number;
  /** Share of the seeded operations that are already done (with a response) at start. @default 0 */
  readonly doneFraction?: number;
  /** A seeded running operation completes by itself (with a response) this long after it was created. @default 600000 */
  readonly durationMs?: number;
  /** Share of the seeded operations that complete with a response when cancelled, as the API allows. @default 0 */
  readonly uncancellableFraction?: number;
  /**
   * Require `authorization: Bearer <token>` on every API call: none gives UNAUTHENTICATED (401); a token missing the
   * method's `cloudaicompanion.operations.*` permission gives PERMISSION_DENIED (403).
   * @default false
   */
  readonly requireAuth?: boolean;
  /**
   * Token to permissions, e.g. `{"t1": ["cloudaicompanion.operations.cancel"]}`. With `requireAuth` and no table, any
   * bearer token holds every permission; with a table, a token not in it is UNAUTHENTICATED.
   */
  readonly tokens?: Readonly<Record<string, readonly string[]>>;
  /** Seed of the random source behind fractions and fault rates, so a test run can be repeated. @default random */
  readonly seed?: number;
  /** WaitOperation returns by this long at the latest, whatever timeout the request asks for. @default 30000 */
  readonly waitCapMs?: number;
  /**
   * Keep the store in this file: loaded at start when it exists (then `ops` seeds nothing, and ports not given are
   * the saved ones), written atomically every `stateIntervalMs` when something changed and on close, so an emulator
   * killed and started again keeps every operation and every counter. @default none (memory only)
   */
  readonly stateFile?: string;
  /** @default 200 */
  readonly stateIntervalMs?: number;
}

export interface ResolvedFaults {
  readonly failRate: number;
  readonly failCode: CodeName;
  readonly retryDelayMs: number;
  readonly latencyMs: number;
  readonly latencyJitterMs: number;
  /** The mix as given (shares by code name or DROP), only non-zero shares. */
  readonly failMix: Readonly<Partial<Record<CodeName | 'DROP', number>>>;
  readonly failMethods: readonly Method[];
  readonly quotaRps: number;
  readonly quotaRetryInfo: boolean;
  readonly quotaLimitInfo: boolean;
  readonly unimplemented: boolean;
  readonly failReason: FailReason | undefined;
}

export interface ResolvedEmulatorOptions extends ResolvedFaults {
  readonly grpcPort: number;
  readonly restPort: number;
  readonly ops: number;
  readonly doneFraction: number;
  readonly durationMs: number;
  readonly uncancellableFraction: number;
  readonly requireAuth: boolean;
  readonly tokens: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  readonly seed: number;
  readonly waitCapMs: number;
  readonly stateFile: string | undefined;
  readonly stateIntervalMs: number;
}

/** The largest delay or duration any option or header may ask for, so no timer outlives a test by hours. */
export const MAX_DELAY_MS = 600_000;
/**
 * Cap on one `createOperations` call: it returns every name, and a million names already take about 100 MB of
 * strings. Call it again for more.
 */
export const MAX_CREATE_COUNT = 1_000_000;
/** Cap on `ops` (seeded at start, no names returned): records take about 17 bytes each with their counters. */
export const MAX_SEED_OPS = 20_000_000;

/** A bad option is the project's one error, INVALID_ARGUMENT, naming the option, what was expected and what came. */
function check(ok: boolean, field: string, value: unknown, expected: string): void {
  if (ok) return;
  // JSON would show NaN and Infinity as null.
  const got = typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
  throw new OperationsError(Code.INVALID_ARGUMENT, `emulator option ${field}: expected ${expected}, got ${got}`);
}

export function checkFraction(field: string, value: number): number {
  check(typeof value === 'number' && value >= 0 && value <= 1, field, value, 'a number from 0 to 1');
  return value;
}

export function checkInteger(field: string, value: number, min: number, max: number): number {
  check(Number.isInteger(value) && value >= min && value <= max, field, value, `an integer from ${min} to ${max}`);
  return value;
}

/** `{UNAVAILABLE: 0.2, DROP: 0.01}`: known names other than OK (or DROP), shares from 0 to 1 adding up to at most 1. */
export function checkFailMix(field: string, value: unknown): Readonly<Partial<Record<CodeName | 'DROP', number>>> {
  check(typeof value === 'object' && value !== null && !Array.isArray(value), field, value, 'an object of code name (or DROP) -> share');
  const mix: Partial<Record<CodeName | 'DROP', number>> = {};
  let total = 0;
  for (const [name, share] of Object.entries(value as Record<string, unknown>)) {
    const known = name === 'DROP' || (codeFromName(name) ?? 0) !== 0;
    check(known, `${field}.${name}`, name, 'DROP or a google.rpc.Code name other than OK');
    check(typeof share === 'number' && share >= 0 && share <= 1, `${field}.${name}`, share, 'a number from 0 to 1');
    if ((share as number) > 0) mix[name as CodeName | 'DROP'] = share as number;
    total += share as number;
  }
  check(total <= 1 + 1e-9, field, value, 'shares adding up to at most 1');
  return Object.freeze(mix);
}

function checkMethods(field: string, value: unknown): readonly Method[] {
  check(Array.isArray(value) && value.every(m => (METHODS as readonly unknown[]).includes(m)), field, value, `an array of method names (${METHODS.join(', ')})`);
  return Object.freeze([...(value as Method[])]);
}

function checkBoolean(field: string, value: unknown): boolean {
  check(typeof value === 'boolean', field, value, 'true or false');
  return value as boolean;
}

function checkFailReason(field: string, value: unknown): FailReason {
  check((FAIL_REASONS as readonly unknown[]).includes(value), field, value, `one of ${FAIL_REASONS.join(', ')}`);
  return value as FailReason;
}

function checkCodeName(field: string, value: string): CodeName {
  const code = codeFromName(value);
  check(code !== undefined && code !== 0, field, value, 'a google.rpc.Code name other than OK, e.g. UNAVAILABLE');
  return value as CodeName;
}

/** Applies `update` over `current`: keys present replace, keys absent stay. Throws OperationsError INVALID_ARGUMENT naming a bad field. */
export function resolveFaults(update: FaultSettings, current?: ResolvedFaults): ResolvedFaults {
  return {
    failRate: checkFraction('failRate', update.failRate ?? current?.failRate ?? 0),
    failCode: checkCodeName('failCode', update.failCode ?? current?.failCode ?? 'UNAVAILABLE'),
    retryDelayMs: checkInteger('retryDelayMs', update.retryDelayMs ?? current?.retryDelayMs ?? 1000, 0, MAX_DELAY_MS),
    latencyMs: checkInteger('latencyMs', update.latencyMs ?? current?.latencyMs ?? 0, 0, MAX_DELAY_MS),
    latencyJitterMs: checkInteger('latencyJitterMs', update.latencyJitterMs ?? current?.latencyJitterMs ?? 0, 0, MAX_DELAY_MS),
    failMix: update.failMix === undefined ? current?.failMix ?? {} : checkFailMix('failMix', update.failMix),
    failMethods: update.failMethods === undefined ? current?.failMethods ?? METHODS : checkMethods('failMethods', update.failMethods),
    quotaRps: checkInteger('quotaRps', update.quotaRps ?? current?.quotaRps ?? 0, 0, 1e9),
    quotaRetryInfo: checkBoolean('quotaRetryInfo', update.quotaRetryInfo ?? current?.quotaRetryInfo ?? true),
    quotaLimitInfo: checkBoolean('quotaLimitInfo', update.quotaLimitInfo ?? current?.quotaLimitInfo ?? true),
    unimplemented: checkBoolean('unimplemented', update.unimplemented ?? current?.unimplemented ?? false),
    failReason: update.failReason === undefined ? current?.failReason
      : update.failReason === null ? undefined : checkFailReason('failReason', update.failReason),
  };
}

function resolveTokens(tokens: EmulatorOptions['tokens']): ResolvedEmulatorOptions['tokens'] {
  if (tokens === undefined) return undefined;
  const table = new Map<string, ReadonlySet<string>>();
  for (const [token, permissions] of Object.entries(tokens)) {
    // The token itself is never shown, not even in this message.
    check(Array.isArray(permissions) && permissions.every(p => typeof p === 'string'), 'tokens', '<a token entry>', 'an array of permission strings per token');
    table.set(token, new Set(permissions));
  }
  return table;
}

function checkStateFile(path: string | undefined): string | undefined {
  check(path === undefined || (typeof path === 'string' && path !== ''), 'stateFile', path, 'a file path');
  return path;
}

/** Fills every default once; throws OperationsError INVALID_ARGUMENT naming the option and the value received. */
export function resolveEmulatorOptions(options: EmulatorOptions = {}): ResolvedEmulatorOptions {
  return {
    ...resolveFaults(options),
    grpcPort: checkInteger('grpcPort', options.grpcPort ?? 0, 0, 65535),
    restPort: checkInteger('restPort', options.restPort ?? 0, 0, 65535),
    ops: checkInteger('ops', options.ops ?? 0, 0, MAX_SEED_OPS),
    doneFraction: checkFraction('doneFraction', options.doneFraction ?? 0),
    durationMs: checkInteger('durationMs', options.durationMs ?? 600_000, 0, Number.MAX_SAFE_INTEGER),
    uncancellableFraction: checkFraction('uncancellableFraction', options.uncancellableFraction ?? 0),
    requireAuth: checkBoolean('requireAuth', options.requireAuth ?? false),
    tokens: resolveTokens(options.tokens),
    seed: checkInteger('seed', options.seed ?? Math.floor(Math.random() * 2 ** 32), 0, 2 ** 32 - 1),
    waitCapMs: checkInteger('waitCapMs', options.waitCapMs ?? 30_000, 0, MAX_DELAY_MS),
    stateFile: checkStateFile(options.stateFile),
    stateIntervalMs: checkInteger('stateIntervalMs', options.stateIntervalMs ?? 200, 10, MAX_DELAY_MS),
  };
}
