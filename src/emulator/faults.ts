import { Code, codeFromName, type CodeName } from '../code.js';
import { ApiError, invalidArgument, rateLimited, reasonError } from './api-error.js';
import { PERMISSIONS } from './auth.js';
import { MAX_DELAY_MS, resolveFaults, type FaultSettings, type ResolvedFaults } from './options.js';
import type { Method } from './methods.js';
import type { Random } from './random.js';

/**
 * Header asking for a fault on this one call: `code=UNAVAILABLE;rate=0.3`, `code=DROP`, `retry-delay-ms=200`,
 * `times=2` (only the first 2 calls of the same method on the same name carrying this header meet it: "fail twice,
 * then succeed"), `delay-ms=500` (the call waits that long before being served; with no `code` that is the fault).
 */
export const FAULT_HEADER = 'x-emulator-fault';
/** Header adding a delay (ms) before this one call is served. */
export const DELAY_HEADER = 'x-emulator-delay-ms';

/** The call is answered by dropping its connection: REST destroys the socket, gRPC the HTTP/2 session. */
export const DROP = 'drop';

interface HeaderFault {
  /** Undefined for a pure delay. */
  readonly code: Code | typeof DROP | undefined;
  readonly rate: number;
  readonly retryDelayMs: number | undefined;
  readonly times: number | undefined;
  readonly delayMs: number;
}

/** What a fault header decided for one call: wait `delayMs`, then fail with `fault` (or be served). */
export interface HeaderDecision {
  readonly delayMs: number;
  readonly fault: ApiError | typeof DROP | undefined;
}

/** One entry of the global fault mix: the fault a draw below `upTo` (a cumulative share) picks. */
interface MixEntry {
  readonly upTo: number;
  readonly fault: Code | typeof DROP;
}

function compileMix(mix: ResolvedFaults['failMix']): readonly MixEntry[] {
  const entries: MixEntry[] = [];
  let upTo = 0;
  for (const [name, share] of Object.entries(mix)) {
    upTo += share;
    entries.push({ upTo, fault: name === 'DROP' ? DROP : codeFromName(name) ?? Code.UNAVAILABLE });
  }
  return entries;
}

/** Calls counted for `times=N`, per header text, method and name; cleared past this many keys to bound memory. */
const MAX_COUNTED_CALLS = 100_000;

function badHeader(header: string, problem: string): ApiError {
  return invalidArgument(`invalid ${header} header: ${problem}`, header);
}

function parseFaultHeader(value: string): HeaderFault | ApiError {
  let code: Code | typeof DROP | undefined;
  let rate = 1;
  let retryDelayMs: number | undefined;
  let times: number | undefined;
  let delayMs = 0;
  for (const part of value.split(';')) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    const key = (eq === -1 ? trimmed : trimmed.slice(0, eq)).trim().toLowerCase();
    const raw = eq === -1 ? '' : trimmed.slice(eq + 1).trim();
    if (key === 'code') {
      const upper = raw.toUpperCase();
      code = upper === 'DROP' ? DROP : codeFromName(upper);
      if (code === undefined || code === Code.OK) return badHeader(FAULT_HEADER, `code must be DROP or a google.rpc.Code name other than OK, got ${JSON.stringify(raw.slice(0, 40))}`);
    } else if (key === 'rate') {
      rate = raw === '' ? NaN : Number(raw);
      if (!(rate >= 0 && rate <= 1)) return badHeader(FAULT_HEADER, `rate must be a number from 0 to 1, got ${JSON.stringify(raw.slice(0, 40))}`);
    } else if (key === 'retry-delay-ms') {
      retryDelayMs = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
      if (!(retryDelayMs <= MAX_DELAY_MS)) return badHeader(FAULT_HEADER, `retry-delay-ms must be an integer from 0 to ${MAX_DELAY_MS}, got ${JSON.stringify(raw.slice(0, 40))}`);
    } else if (key === 'times') {
      times = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
      if (!(times >= 1)) return badHeader(FAULT_HEADER, `times must be an integer >= 1, got ${JSON.stringify(raw.slice(0, 40))}`);
    } else if (key === 'delay-ms') {
      delayMs = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
      if (!(delayMs <= MAX_DELAY_MS)) return badHeader(FAULT_HEADER, `delay-ms must be an integer from 0 to ${MAX_DELAY_MS}, got ${JSON.stringify(raw.slice(0, 40))}`);
    } else {
      return badHeader(FAULT_HEADER, `unknown key ${JSON.stringify(key.slice(0, 40))} (known: code, rate, retry-delay-ms, times, delay-ms)`);
    }
  }
  if (code === undefined && delayMs === 0) return badHeader(FAULT_HEADER, 'code=<NAME|DROP> or delay-ms=<n> is required, e.g. "code=UNAVAILABLE;rate=0.3"');
  return { code, rate, retryDelayMs, times, delayMs };
}

/**
 * Decides, before a handler touches the store, whether a call fails and how long it waits first. Global settings come
 * from options (changeable at run time); per-call headers add to them. The quota counts every call per project in
 * one-second windows aligned to the clock.
 */
export class Faults {
  private current: ResolvedFaults;
  private mix: readonly MixEntry[];
  /** Parsed fault headers by their text: a benchmark sends the same few values thousands of times a second. */
  private readonly headerCache = new Map<string, HeaderFault | ApiError>();
  private windowStartMs = 0;
  private readonly callsInWindow = new Map<string, number>();
  private readonly countedCalls = new Map<string, number>();

  constructor(settings: ResolvedFaults, private readonly random: Random) {
    this.current = settings;
    this.mix = compileMix(settings.failMix);
  }

  get settings(): ResolvedFaults {
    return this.current;
  }

  update(update: FaultSettings): void {
    this.current = resolveFaults(update, this.current);
    this.mix = compileMix(this.current.failMix);
  }

  /** How long to wait before serving: the global latency and jitter plus the delay header; throws ApiError on a bad header. */
  delayMs(delayHeader: string | undefined): number {
    const jitterMs = this.current.latencyJitterMs;
    const latencyMs = jitterMs === 0 ? this.current.latencyMs : this.current.latencyMs + Math.floor(this.random() * (jitterMs + 1));
    if (delayHeader === undefined) return latencyMs;
    const delayMs = /^\s*\d{1,9}\s*$/.test(delayHeader) ? Number(delayHeader) : NaN;
    if (!(delayMs <= MAX_DELAY_MS)) {
      throw badHeader(DELAY_HEADER, `expected an integer number of milliseconds from 0 to ${MAX_DELAY_MS}, got ${JSON.stringify(delayHeader.slice(0, 40))}`);
    }
    return latencyMs + delayMs;
  }

  /**
   * What the fault header asks of this call (`callKey` names its method and operation, for `times`); a bad header
   * is an INVALID_ARGUMENT ApiError, raised where the fault would be.
   */
  headerDecision(faultHeader: string, callKey: string): HeaderDecision | ApiError {
    const fault = this.parseCached(faultHeader);
    if (fault instanceof ApiError) return fault;
    if (fault.times !== undefined) {
      const key = `${faultHeader}\n${callKey}`;
      const calls = (this.countedCalls.get(key) ?? 0) + 1;
      if (this.countedCalls.size >= MAX_COUNTED_CALLS) this.countedCalls.clear();
      this.countedCalls.set(key, calls);
      if (calls > fault.times) return { delayMs: 0, fault: undefined };
    }
    if (fault.rate < 1 && this.random() >= fault.rate) return { delayMs: 0, fault: undefined };
    const failure = fault.code === undefined ? undefined
      : fault.code === DROP ? DROP : this.injected(fault.code, FAULT_HEADER, fault.retryDelayMs ?? this.current.retryDelayMs);
    return { delayMs: fault.delayMs, fault: failure };
  }

  /**
   * The fault this call meets, in order quota, header, global ErrorInfo reason, mix and rate (the last three only
   * for the methods in `failMethods`); undefined when it is to be served.
   */
  decide(header: HeaderDecision | ApiError | undefined, project: string | undefined, nowMs: number, method: Method): ApiError | typeof DROP | undefined {
    const settings = this.current;
    if (settings.quotaRps > 0 && project !== undefined) {
      const quotaError = this.chargeQuota(project, settings, nowMs);
      if (quotaError !== undefined) return quotaError;
    }
    if (header instanceof ApiError) return header;
    if (header?.fault !== undefined) return header.fault;
    if (!settings.failMethods.includes(method)) return undefined;
    if (settings.failReason !== undefined) return reasonError(settings.failReason, project, method, PERMISSIONS[method]);
    if (this.mix.length > 0) {
      const draw = this.random();
      for (const entry of this.mix) {
        if (draw < entry.upTo) return entry.fault === DROP ? DROP : this.injected(entry.fault, '--fail-mix', settings.retryDelayMs);
      }
    }
    if (settings.failRate > 0 && (settings.failRate >= 1 || this.random() < settings.failRate)) {
      return this.injected(codeFromName(settings.failCode) ?? Code.UNAVAILABLE, '--fail-rate', settings.retryDelayMs);
    }
    return undefined;
  }

  private injected(code: Code, source: string, retryDelayMs: number): ApiError {
    const name: CodeName = Code[code] as CodeName;
    if (code === Code.RESOURCE_EXHAUSTED) return rateLimited(`Injected fault RESOURCE_EXHAUSTED (${source}).`, retryDelayMs, undefined);
    return new ApiError(code, `Injected fault ${name} (${source}).`);
  }

  private parseCached(header: string): HeaderFault | ApiError {
    let fault = this.headerCache.get(header);
    if (fault === undefined) {
      fault = parseFaultHeader(header);
      if (this.headerCache.size >= 256) this.headerCache.clear();
      this.headerCache.set(header, fault);
    }
    return fault;
  }

  private chargeQuota(project: string, settings: ResolvedFaults, nowMs: number): ApiError | undefined {
    const quotaRps = settings.quotaRps;
    const windowStartMs = nowMs - (nowMs % 1000);
    if (windowStartMs !== this.windowStartMs) {
      this.windowStartMs = windowStartMs;
      this.callsInWindow.clear();
    }
    const calls = (this.callsInWindow.get(project) ?? 0) + 1;
    this.callsInWindow.set(project, calls);
    if (calls <= quotaRps) return undefined;
    const retryDelayMs = Math.max(1, windowStartMs + 1000 - nowMs);
    return rateLimited(
      `Quota exceeded for quota metric 'Operations requests' and limit 'Operations requests per second' of service 'cloudaicompanion.googleapis.com' for consumer 'project:${project}' (${quotaRps} per second).`,
      settings.quotaRetryInfo ? retryDelayMs : undefined,
      project,
      settings.quotaLimitInfo ? { name: 'OperationsRequestsPerSecondPerProject', value: quotaRps } : undefined,
    );
  }
}
