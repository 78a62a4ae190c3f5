/**
 * How many events happened in the last two seconds, in constant memory: 20 buckets of 100 ms, old ones zeroed as
 * time moves on. The adaptive rate limiter counts its grants here to learn the rate a batch actually achieves.
 */
export class RateWindow {
  static readonly BUCKET_MS = 100;
  static readonly BUCKETS = 20;
  /** Fewer events than this in the window say too little about a rate to act on. */
  static readonly MIN_EVENTS = 8;

  readonly #counts = new Uint32Array(RateWindow.BUCKETS);
  /** Index (time / BUCKET_MS) of the newest bucket. */
  #latest = -Infinity;
  #firstAt = Infinity;

  add(now: number): void {
    this.#advance(now);
    if (this.#firstAt === Infinity) this.#firstAt = now;
    const slot = this.#latest % RateWindow.BUCKETS;
    this.#counts[slot] = (this.#counts[slot] as number) + 1;
  }

  /** Events in the window (the last two seconds). */
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
    const windowMs = (RateWindow.BUCKETS - 1) * RateWindow.BUCKET_MS + (now - this.#latest * RateWindow.BUCKET_MS);
    const spanMs = Math.max(RateWindow.BUCKET_MS, Math.min(windowMs, now - this.#firstAt));
    return (events * 1000) / spanMs;
  }

  #advance(now: number): void {
    const index = Math.floor(now / RateWindow.BUCKET_MS);
    if (index <= this.#latest) return;
    const stale = Math.min(index - this.#latest, RateWindow.BUCKETS);
    for (let bucket = index - stale + 1; bucket <= index; bucket += 1) this.#counts[bucket % RateWindow.BUCKETS] = 0;
    this.#latest = index;
  }
}
