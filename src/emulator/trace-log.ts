/** A W3C trace context a call carried, as the emulator received it. */
export interface ReceivedTraceContext {
  readonly method: string;
  /** The operation or parent the call named. */
  readonly name: string;
  readonly transport: 'grpc' | 'rest';
  readonly traceparent: string;
  readonly tracestate: string | undefined;
}

/** How many received trace contexts are kept (the latest): enough for a test, bounded for a soak. */
const KEPT = 1000;

/**
 * The `traceparent` (and `tracestate`) headers the emulator's calls carried, so a test can show that a client's
 * trace would join a server's: a real server's tracing would start its span as a child of that context.
 */
export class TraceLog {
  #entries: ReceivedTraceContext[] = [];

  record(entry: ReceivedTraceContext): void {
    this.#entries.push(entry);
    if (this.#entries.length > 2 * KEPT) this.#entries = this.#entries.slice(-KEPT);
  }

  latest(): readonly ReceivedTraceContext[] {
    return this.#entries.slice(-KEPT);
  }
}
