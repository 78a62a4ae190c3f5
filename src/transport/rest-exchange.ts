import type { Dispatcher } from 'undici';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { now, timerDelayMs } from '../policy/deadline.js';
import { abortCode, transportAbortError } from '../policy/signals.js';
import type { AttemptContext } from '../policy/retry.js';

const EMPTY = Buffer.alloc(0);

export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** A response, its body read up to the limit. */
export interface ExchangeResult {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly bytes: Buffer;
  /** False when the body was longer than the limit: `bytes` holds what was read and the connection was dropped. */
  readonly complete: boolean;
}

/** The timer is clamped to 2^31-1 ms; firing before the deadline (a deadline weeks away) only re-arms it. */
function onTimer(exchange: RestExchange): void {
  exchange.timerFired();
}

function abortedError(code: Code): OperationsError {
  return transportAbortError(code, 'rest');
}

/** The error for a call that is over before it starts: the signal has fired or the deadline has passed. */
export function endedBeforeStart(ctx: AttemptContext): OperationsError | undefined {
  if (ctx.deadlineOnly !== true && ctx.signal.aborted) return abortedError(abortCode(ctx.signal));
  if (now() >= ctx.deadline) return abortedError(Code.DEADLINE_EXCEEDED);
  return undefined;
}

/**
 * One HTTP exchange on undici's dispatch API, the lean path: no response Readable and no AbortController of its own
 * (undici's `request()` with a signal costs about a fifth of the throughput at 64 concurrent calls). The object is at
 * once the undici handler, the `abort` listener of the caller's signal (`handleEvent`) and the argument of its own
 * deadline timer. The body is collected up to `maxBytes`; past that the request is aborted, which destroys the socket
 * instead of reading on. Whichever comes first settles `promise`, exactly once: the response, our deadline
 * (DEADLINE_EXCEEDED), the caller's signal (its reason's code), or a network error (raw,
 * for the caller to normalize).
 */
export class RestExchange implements Dispatcher.DispatchHandler {
  readonly promise: Promise<ExchangeResult>;
  #resolve!: (result: ExchangeResult) => void;
  #reject!: (error: unknown) => void;
  readonly #ctx: AttemptContext;
  /** The caller's side of the attempt; undefined when only the deadline can end it (our timer enforces that). */
  readonly #signal: AbortSignal | undefined;
  readonly #maxBytes: number;
  #timer: NodeJS.Timeout | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #ended: OperationsError | undefined;
  #settled = false;
  #status = 0;
  #headers: ResponseHeaders = {};
  #first: Buffer | undefined;
  #chunks: Buffer[] | undefined;
  #total = 0;

  constructor(ctx: AttemptContext, maxBytes: number) {
    this.promise = new Promise<ExchangeResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#ctx = ctx;
    this.#maxBytes = maxBytes;
    this.#signal = ctx.deadlineOnly === true ? undefined : ctx.signal;
    this.#signal?.addEventListener('abort', this);
    this.#arm();
  }

  #arm(): void {
    if (this.#ctx.deadline !== Infinity) this.#timer = setTimeout(onTimer, timerDelayMs(this.#ctx.deadline - now()), this);
  }

  /** Public only for the module's timer callback. */
  timerFired(): void {
    this.#timer = undefined;
    if (now() < this.#ctx.deadline) this.#arm();
    else this.end('deadline');
  }

  /** Hands the request to the pool unless the attempt is already over (e.g. it ended while auth headers were fetched). */
  send(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): void {
    if (this.#settled) return;
    try {
      dispatcher.dispatch(options, this);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Ends the attempt with an error found before or while sending (credentials, a header undici refuses). */
  fail(error: unknown): void {
    if (this.#settled) return;
    this.#settle();
    this.#reject(error);
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    this.end('caller');
  }

  end(why: 'deadline' | 'caller'): void {
    if (this.#settled) return;
    const error = abortedError(why === 'deadline' || this.#signal === undefined ? Code.DEADLINE_EXCEEDED : abortCode(this.#signal));
    this.#ended = error;
    this.#settle();
    this.#reject(error);
    this.#controller?.abort(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // Ended while queued in the pool: undici checks `aborted` right after this and never writes the request.
    if (this.#ended !== undefined) controller.abort(this.#ended);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders): void {
    if (statusCode < 200) return; // 1xx informational; the real answer follows
    this.#status = statusCode;
    this.#headers = headers;
    // A success declared larger than the limit is refused before a byte is read; an error body is read up to it.
    const length = headers['content-length'];
    if (statusCode < 300 && typeof length === 'string' && length.length > 0 && Number(length) > this.#maxBytes) {
      this.#finish(false, controller);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    if (this.#total + chunk.length > this.#maxBytes) {
      this.#push(chunk.subarray(0, this.#maxBytes - this.#total));
      this.#finish(false, controller);
      return;
    }
    this.#push(chunk);
  }

  onResponseEnd(): void {
    this.#finish(true, undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.#settled) return;
    this.#settle();
    this.#reject(error);
  }

  #push(chunk: Buffer): void {
    this.#total += chunk.length;
    if (this.#first === undefined) this.#first = chunk;
    else (this.#chunks ??= [this.#first]).push(chunk);
  }

  #finish(complete: boolean, abortController: Dispatcher.DispatchController | undefined): void {
    if (this.#settled) return;
    this.#settle();
    const bytes = this.#chunks !== undefined ? Buffer.concat(this.#chunks, this.#total) : this.#first ?? EMPTY;
    this.#resolve({ status: this.#status, headers: this.#headers, bytes, complete });
    abortController?.abort(new Error('response body larger than maxResponseBytes'));
  }

  /** Always runs once when the exchange is decided, so no timer or listener outlives it. */
  #settle(): void {
    this.#settled = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this);
  }
}
