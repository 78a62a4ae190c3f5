import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { now } from '../policy/deadline.js';
import { sleep } from '../policy/sleep.js';
import type { Operation } from '../transport/transport.js';

export interface PollOptions {
  /** Absolute, on the library's clock; polling stops when the next poll would start after it. */
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
  /** The client's close: ends a wait between polls at once. */
  readonly closed?: AbortSignal | undefined;
  /** @default 100 */
  readonly initialIntervalMs?: number;
  /** @default 2000 */
  readonly maxIntervalMs?: number;
}

/**
 * Reads the operation until it is done or the deadline comes, and returns the last operation seen (possibly still
 * running). The first read is immediate: many servers finish a cancel before answering; later reads back off by 1.5x
 * so a slow cancellation does not cost a request every few milliseconds.
 */
export async function pollUntilDone(read: (deadline: number) => Promise<Operation>, options: PollOptions): Promise<Operation> {
  let interval = options.initialIntervalMs ?? 100;
  const maxInterval = options.maxIntervalMs ?? 2000;
  for (;;) {
    const operation = await read(options.deadline);
    if (operation.done) return operation;
    const left = options.deadline - now();
    if (left <= interval) return operation;
    await sleep(interval, options.signal, options.closed);
    interval = Math.min(maxInterval, interval * 1.5);
  }
}

export function stillRunningError(name: string): OperationsError {
  return new OperationsError(Code.DEADLINE_EXCEEDED, `operation ${name} was still running at the deadline`);
}
