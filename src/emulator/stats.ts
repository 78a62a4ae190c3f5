import { codeName, type CodeName } from '../code.js';
import { METHODS, type Method, type Transport } from './methods.js';
import { grown } from './typed-arrays.js';

/** Cancel requests received for one operation name. */
export interface CancelCount {
  readonly received: number;
  /** Of those, how many arrived when the operation was already done (whatever they were answered). */
  readonly afterDone: number;
}

/**
 * What reached the server, so tests assert on the server's side of the wire. Every API call that reached a method
 * handler counts once, with the code it was answered with, whether it was served or rejected (auth, fault, quota,
 * validation). Control endpoints (`/emulator/...`) are not counted.
 */
export interface EmulatorStats {
  readonly total: number;
  readonly byMethod: Readonly<Record<Method, number>>;
  readonly byTransport: Readonly<Record<Transport, number>>;
  /** Only codes that occurred. */
  readonly byCode: Readonly<Partial<Record<CodeName, number>>>;
  readonly byMethodCode: Readonly<Record<Method, Readonly<Partial<Record<CodeName, number>>>>>;
  readonly byTransportMethod: Readonly<Record<Transport, Readonly<Record<Method, number>>>>;
  readonly cancels: {
    readonly received: number;
    readonly afterDone: number;
    /** Every name a CancelOperation named (valid or not, known or not), in first-seen order for known ones. */
    readonly byName: ReadonlyMap<string, CancelCount>;
  };
  /**
   * REST requests answered before reaching a method: unknown path, wrong HTTP method, undecodable URL, body over the
   * limit, malformed HTTP.
   */
  readonly rejected: number;
  /** Calls answered by cutting the connection (a DROP fault); they are also counted as UNAVAILABLE above. */
  readonly dropped: number;
}

const TRANSPORTS: readonly Transport[] = ['grpc', 'rest'];
const CODES = 17;
/**
 * Distinct names outside the store (unknown or malformed) counted one by one; more are only totalled. Such a name is
 * kept to its first MAX_NAME_KEY characters: a malformed one can be megabytes long.
 */
const MAX_OTHER_NAMES = 10_000;
const MAX_NAME_KEY = 1100;

function zeroByMethod(): Record<Method, number> {
  return { CancelOperation: 0, GetOperation: 0, ListOperations: 0, DeleteOperation: 0, WaitOperation: 0 };
}

/** Every counter of a StatsRecorder, as a state file keeps it. */
export interface StatsState {
  readonly calls: Float64Array;
  readonly cancelsByRecord: Uint32Array;
  readonly cancelsAfterDoneByRecord: Uint32Array;
  readonly otherCancels: ReadonlyArray<readonly [name: string, received: number, afterDone: number]>;
  readonly cancelsReceived: number;
  readonly cancelsAfterDone: number;
  readonly rejected: number;
  readonly dropped: number;
}

export class StatsRecorder {
  /** Counts by (method, transport, code), flat. */
  private readonly calls = new Float64Array(METHODS.length * TRANSPORTS.length * CODES);
  /** Per store record: cancels received and cancels received after done. */
  private cancelsByRecord = new Uint32Array(0);
  private cancelsAfterDoneByRecord = new Uint32Array(0);
  private readonly otherCancels = new Map<string, { received: number; afterDone: number }>();
  private cancelsReceived = 0;
  private cancelsAfterDone = 0;
  private rejectedCount = 0;
  private droppedCount = 0;
  private resets = 0;

  record(method: Method, transport: Transport, code: number): void {
    const slot = (METHODS.indexOf(method) * TRANSPORTS.length + (transport === 'grpc' ? 0 : 1)) * CODES + code;
    this.calls[slot] = (this.calls[slot] as number) + 1;
  }

  /** A cancel for store record `index` (or, when -1, for `name`, which the store does not hold). */
  recordCancel(index: number, name: string, afterDone: boolean): void {
    this.cancelsReceived++;
    if (afterDone) this.cancelsAfterDone++;
    if (index >= 0) {
      if (index >= this.cancelsByRecord.length) {
        this.cancelsByRecord = grown(this.cancelsByRecord, index + 1);
        this.cancelsAfterDoneByRecord = grown(this.cancelsAfterDoneByRecord, index + 1);
      }
      this.cancelsByRecord[index] = (this.cancelsByRecord[index] as number) + 1;
      if (afterDone) this.cancelsAfterDoneByRecord[index] = (this.cancelsAfterDoneByRecord[index] as number) + 1;
      return;
    }
    const key = name.length > MAX_NAME_KEY ? `${name.slice(0, MAX_NAME_KEY)}…` : name;
    const entry = this.otherCancels.get(key);
    if (entry !== undefined) entry.received++;
    else if (this.otherCancels.size < MAX_OTHER_NAMES) this.otherCancels.set(key, { received: 1, afterDone: 0 });
  }

  recordRejected(): void {
    this.rejectedCount++;
  }

  recordDropped(): void {
    this.droppedCount++;
  }

  /** A copy of every counter, for a state file. */
  exportState(): StatsState {
    return {
      calls: this.calls.slice(),
      cancelsByRecord: this.cancelsByRecord.slice(),
      cancelsAfterDoneByRecord: this.cancelsAfterDoneByRecord.slice(),
      otherCancels: [...this.otherCancels].map(([name, count]) => [name, count.received, count.afterDone] as const),
      cancelsReceived: this.cancelsReceived,
      cancelsAfterDone: this.cancelsAfterDone,
      rejected: this.rejectedCount,
      dropped: this.droppedCount,
    };
  }

  /** Replaces every counter with saved ones; throws RangeError when their shape is not this recorder's. */
  restoreState(state: StatsState): void {
    if (state.calls.length !== this.calls.length || state.cancelsByRecord.length !== state.cancelsAfterDoneByRecord.length) {
      throw new RangeError('saved stats do not have the shape of this emulator\'s counters');
    }
    this.calls.set(state.calls);
    this.cancelsByRecord = state.cancelsByRecord.slice();
    this.cancelsAfterDoneByRecord = state.cancelsAfterDoneByRecord.slice();
    this.otherCancels.clear();
    for (const [name, received, afterDone] of state.otherCancels.slice(0, MAX_OTHER_NAMES)) this.otherCancels.set(name, { received, afterDone });
    this.cancelsReceived = state.cancelsReceived;
    this.cancelsAfterDone = state.cancelsAfterDone;
    this.rejectedCount = state.rejected;
    this.droppedCount = state.dropped;
    this.resets++;
  }

  /**
   * Changes whenever a counter does (calls, cancels, rejections, resets), computed on demand from totals so that
   * counting a call costs nothing extra: a state file writer polls it to skip writes when nothing happened.
   */
  changeMark(): string {
    let calls = 0;
    for (const count of this.calls) calls += count;
    return `${calls}:${this.cancelsReceived}:${this.rejectedCount}:${this.resets}`;
  }

  reset(): void {
    this.resets++;
    this.calls.fill(0);
    this.cancelsByRecord.fill(0);
    this.cancelsAfterDoneByRecord.fill(0);
    this.otherCancels.clear();
    this.cancelsReceived = 0;
    this.cancelsAfterDone = 0;
    this.rejectedCount = 0;
    this.droppedCount = 0;
  }

  /** A copy; `nameAt` turns a store record index into its name. */
  snapshot(nameAt: (index: number) => string): EmulatorStats {
    const byMethod = zeroByMethod();
    const byTransport: Record<Transport, number> = { grpc: 0, rest: 0 };
    const byCode: Partial<Record<CodeName, number>> = {};
    const byMethodCode = {} as Record<Method, Partial<Record<CodeName, number>>>;
    const byTransportMethod: Record<Transport, Record<Method, number>> = { grpc: zeroByMethod(), rest: zeroByMethod() };
    let total = 0;
    METHODS.forEach((method, m) => {
      byMethodCode[method] = {};
      TRANSPORTS.forEach((transport, t) => {
        for (let code = 0; code < CODES; code++) {
          const count = this.calls[(m * TRANSPORTS.length + t) * CODES + code] as number;
          if (count === 0) continue;
          const name = codeName(code);
          total += count;
          byMethod[method] += count;
          byTransport[transport] += count;
          byTransportMethod[transport][method] += count;
          byCode[name] = (byCode[name] ?? 0) + count;
          byMethodCode[method][name] = (byMethodCode[method][name] ?? 0) + count;
        }
      });
    });
    const byName = new Map<string, CancelCount>();
    for (let i = 0; i < this.cancelsByRecord.length; i++) {
      const received = this.cancelsByRecord[i] as number;
      if (received > 0) byName.set(nameAt(i), { received, afterDone: this.cancelsAfterDoneByRecord[i] as number });
    }
    for (const [name, count] of this.otherCancels) byName.set(name, { ...count });
    return {
      total, byMethod, byTransport, byCode, byMethodCode, byTransportMethod,
      cancels: { received: this.cancelsReceived, afterDone: this.cancelsAfterDone, byName },
      rejected: this.rejectedCount,
      dropped: this.droppedCount,
    };
  }
}

/** The stats as JSON for `GET /emulator/v1/stats` (the name map becomes an object; `names: false` leaves it out). */
export function statsJson(stats: EmulatorStats, names: boolean): string {
  const { cancels, ...rest } = stats;
  const byName = names ? Object.fromEntries(cancels.byName) : undefined;
  return JSON.stringify({ ...rest, cancels: { received: cancels.received, afterDone: cancels.afterDone, ...(byName ? { byName } : {}) } });
}
