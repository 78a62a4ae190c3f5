/**
 * The hand-over between a batch's workers and the one reader of its results, with backpressure: it holds at most
 * `capacity` results, and a worker whose `push` finds it full waits (the promise `push` returns) until the reader
 * takes one, so it starts no new call meanwhile. A reader that leaves (`leave`, from a `break` out of `for await`)
 * releases every waiting worker; later pushes are dropped, and `onLeave` lets the batch stop.
 */
export class ResultQueue<T> {
  readonly #capacity: number;
  readonly #onLeave: () => void;
  #items: T[] = [];
  #head = 0;
  #reader: { readonly resolve: (result: IteratorResult<T>) => void; readonly reject: (error: unknown) => void } | undefined;
  /** Workers waiting for room, oldest first. */
  #writers: (() => void)[] = [];
  #ended = false;
  #failure: { readonly error: unknown } | undefined;
  #left = false;

  constructor(capacity: number, onLeave: () => void) {
    this.#capacity = capacity;
    this.#onLeave = onLeave;
  }

  /** Hands a result over; undefined when there is room (the common case: no promise is made), else wait for it. */
  push(item: T): Promise<void> | undefined {
    if (this.#left || this.#ended) return undefined;
    const reader = this.#reader;
    if (reader !== undefined) {
      this.#reader = undefined;
      reader.resolve({ value: item, done: false });
      return undefined;
    }
    this.#items.push(item);
    if (this.#items.length - this.#head < this.#capacity) return undefined;
    return new Promise(resolve => this.#writers.push(resolve));
  }

  /** No more results; with `error`, the reader's next read rejects with it once the results before it are read. */
  end(error?: { readonly error: unknown }): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = error;
    const reader = this.#reader;
    if (reader === undefined || this.#head < this.#items.length) return;
    this.#reader = undefined;
    if (error === undefined) reader.resolve({ value: undefined, done: true });
    else reader.reject(error.error);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head] as T;
      this.#head += 1;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      this.#writers.shift()?.();
      return Promise.resolve({ value, done: false });
    }
    if (this.#left || (this.#ended && this.#failure === undefined)) return Promise.resolve({ value: undefined, done: true });
    if (this.#ended) return Promise.reject((this.#failure as { readonly error: unknown }).error);
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
    });
  }

  /** The reader is gone: what is held is dropped, waiting workers go on, and the batch is told to stop. */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    this.#items = [];
    this.#head = 0;
    for (const wake of this.#writers.splice(0)) wake();
    if (!this.#ended) this.#onLeave();
  }
}
