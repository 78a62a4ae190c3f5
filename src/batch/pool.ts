import { Code } from '../code.js';
import { OperationsError } from '../errors.js';

export interface RunPoolOptions {
  /** Stops taking new items; items already taken run to the end (their results are recorded, not lost). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `worker` over `items` with at most `concurrency` running at once: that many workers pull from the one
 * iterator, one pull at a time, each pulling its next item only when its last one is done. So at most `concurrency`
 * items are ever out of the iterator and unfinished, and a streamed input is read only as fast as it is worked off:
 * memory stays flat however long the input is.
 *
 * When `signal` aborts, no more items are pulled (a pull already waiting is abandoned; an item it brings later is
 * dropped, never worked), the running workers finish, the iterator is closed (`return()`, which closes a file it
 * reads) and the promise resolves. When a worker throws (or the iterator does), pulling stops the same way, the
 * others finish, and the first error is rethrown.
 */
export async function runPool<T>(
  items: AsyncIterable<T>,
  concurrency: number,
  worker: (item: T) => Promise<void>,
  options: RunPoolOptions = {},
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new OperationsError(Code.INVALID_ARGUMENT, `concurrency must be an integer >= 1, got ${concurrency}`);
  }
  const signal = options.signal;
  const iterator = items[Symbol.asyncIterator]();
  let failure: { readonly error: unknown } | undefined;
  let exhausted = false;
  /** The pull in progress, so workers take turns calling next() (a plain async iterator need not allow overlap). */
  let pulling: Promise<unknown> = Promise.resolve();
  /** True while iterator.next() has not settled (even if an abort made the pool stop waiting for it). */
  let inNext = false;
  /** Ends the pull that is waiting, if any, as if the input had ended. */
  let abandonPull: ((value: undefined) => void) | undefined;
  const onAbort = (): void => abandonPull?.(undefined);
  signal?.addEventListener('abort', onAbort, { once: true });

  const next = (): Promise<IteratorResult<T> | undefined> => new Promise((resolve, reject) => {
    inNext = true;
    abandonPull = resolve;
    iterator.next().then(
      result => {
        inNext = false;
        resolve(result);
      },
      (error: unknown) => {
        inNext = false;
        reject(error);
      },
    );
  });

  const pull = (): Promise<IteratorResult<T> | undefined> => {
    const turn = pulling.then(async () => {
      if (exhausted || failure !== undefined || signal?.aborted === true) return undefined;
      const result = await next();
      if (result?.done === true) exhausted = true;
      return result;
    });
    pulling = turn.catch(() => undefined);
    return turn;
  };

  const run = async (): Promise<void> => {
    for (;;) {
      let result: IteratorResult<T> | undefined;
      try {
        result = await pull();
      } catch (error) {
        exhausted = true; // an iterator that threw is finished; do not call return() on it
        failure ??= { error };
        return;
      }
      if (result === undefined || result.done === true) return;
      try {
        await worker(result.value);
      } catch (error) {
        failure ??= { error };
        abandonPull?.(undefined); // a pull waiting on a silent source must not hold the failure back
        return;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, run));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (!exhausted) {
    // After an abort a pull may still wait on a slow source (stdin); an async generator's return() would queue
    // behind it, so it is not awaited then. Otherwise closing the iterator closes what it reads before this returns.
    const closing = Promise.resolve(iterator.return?.()).catch(() => undefined);
    if (!inNext) await closing;
  }
  if (failure !== undefined) throw failure.error;
}
