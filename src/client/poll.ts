import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { now } from '../policy/deadline.js';
import { sleep } from '../policy/sleep.js';
import type { Operation } from '../transport/transport.js';

export interface PollOptions {
  /** Absolute, on the library's clock: the last read starts no later than `LAST_READ_MS` before it. */
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
 * Time kept for the last read before the deadline: a read that starts later has too little left to come back on a
 * slow link, and is not made.
 */
export const LAST_READ_MS = 100;

/**
 * Reads the operation until it is done or the deadline comes, and returns the last operation seen (possibly still
 * running). The first read is immediate: many servers finish a cancel before answering; later reads back off by 1.5x
 * so a slow cancellation does not cost a request every few milliseconds. The wait before a read is cut short so that
 * the last read goes just before the deadline (`LAST_READ_MS`), not a whole interval early: an operation that ends
 * 4.5 s into a 5 s wait is seen done. A last read that the deadline itself cuts off returns what the read before saw.
 */
export async function pollUntilDone(read: (deadline: number) => Promise<Operation>, options: PollOptions): Promise<Operation> {
  let interval = options.initialIntervalMs ?? 100;
  const maxInterval = options.maxIntervalMs ?? 2000;
  let last: Operation | undefined;
  for (;;) {
    let operation: Operation;
    try {
      operation = await read(options.deadline);
    } catch (caught) {
      if (last !== undefined && OperationsError.from(caught).code === Code.DEADLINE_EXCEEDED && now() >= options.deadline) return last;
      throw caught;
    }
    if (operation.done) return operation;
    last = operation;
    const left = options.deadline - now();
    if (left <= LAST_READ_MS) return operation;
    await sleep(Math.min(interval, left - LAST_READ_MS), options.signal, options.closed);
    interval = Math.min(maxInterval, interval * 1.5);
  }
}

export function stillRunningError(name: string): OperationsError {
  return new OperationsError(Code.DEADLINE_EXCEEDED, `operation ${name} was still running at the deadline`);
}
