/**
 * How many events happened in the last `buckets x 100 ms`, in constant memory: old buckets are zeroed as time moves
 * on. The batch's flow control counts its grants and the attempts' answers in these to learn what the batch achieves
 * and how the service answers, over the last second or two.
 */
export class RateWindow {
  static readonly BUCKET_MS = 100;
  /** Fewer events than this in the window say too little about a rate to act on. */
  static readonly MIN_EVENTS = 8;

  readonly #counts: Uint32Array;
  /** Index (time / BUCKET_MS) of the newest bucket. */
  #latest = -Infinity;
  #firstAt = Infinity;

  /** @param buckets of 100 ms: 20 (two seconds) by default. */
  constructor(buckets = 20) {
    this.#counts = new Uint32Array(buckets);
  }

  get spanMs(): number {
    return this.#counts.length * RateWindow.BUCKET_MS;
  }

  add(now: number, events = 1): void {
    this.#advance(now);
    if (this.#firstAt === Infinity) this.#firstAt = now;
    const slot = this.#latest % this.#counts.length;
    this.#counts[slot] = (this.#counts[slot] as number) + events;
  }

  /** Events in the window. */
  count(now: number): number {
    this.#advance(now);
    let events = 0;
    for (const count of this.#counts) events += count;
    return events;
  }

  /** Events per second over the window (or since the first event, if more recent); undefined with too few events. */
  ratePerSecond(now: number): number | undefined {
    const events = this.count(now);
    if (events < RateWindow.MIN_EVENTS) return undefined;
    const windowMs = (this.#counts.length - 1) * RateWindow.BUCKET_MS + (now - this.#latest * RateWindow.BUCKET_MS);
    const spanMs = Math.max(RateWindow.BUCKET_MS, Math.min(windowMs, now - this.#firstAt));
    return (events * 1000) / spanMs;
  }

  #advance(now: number): void {
    const size = this.#counts.length;
    const index = Math.floor(now / RateWindow.BUCKET_MS);
    if (index <= this.#latest) return;
    const stale = Math.min(index - this.#latest, size);
    for (let bucket = index - stale + 1; bucket <= index; bucket += 1) this.#counts[bucket % size] = 0;
    this.#latest = index;
  }
}
