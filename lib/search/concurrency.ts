/**
 * How many `_bulk` requests to keep in flight, found while indexing: the engine's best rate without tuning.
 *
 * It probes upward while each step up still raises throughput (bytes acknowledged per second) and nothing is
 * rejected; it steps back when a step up made things slower; it halves at once on a rejection (a 429 item or
 * request, a flood-stage `cluster_block_exception`); and every few steady windows it probes again, because the
 * engine's load changes. It only probes up while the writer actually waited for a free slot: when the records
 * come slower than the engine takes them, more requests in flight would not help.
 *
 * ```ts
 * const limit = new AdaptiveLimit({ max: 16 });
 * while (inFlight >= limit.current) { limit.waited(); await oneDone; }
 * limit.record({ bytes, ms, rejected }); // after each request
 * ```
 */

export interface LimitOptions {
  /** Where to start. Default 2. */
  initial?: number;
  /** Never more than this. Default 16. */
  max?: number;
  /** Shortest window to judge a step by, ms. Default 1000. */
  windowMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export class AdaptiveLimit {
  #limit: number;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #windowStart: number;
  #bytes = 0;
  #requests = 0;
  #waited = false;
  /** Throughput of the last window at the previous limit, and that limit. */
  #previous: { limit: number; rate: number } | undefined;
  #steady = 0;
  #peak: number;

  constructor(options: LimitOptions = {}) {
    this.#max = Math.max(1, Math.floor(options.max ?? 16));
    this.#limit = Math.min(this.#max, Math.max(1, Math.floor(options.initial ?? 2)));
    this.#windowMs = options.windowMs ?? 1000;
    this.#now = options.now ?? (() => Date.now());
    this.#windowStart = this.#now();
    this.#peak = this.#limit;
  }

  get current(): number {
    return this.#limit;
  }

  /** The highest limit used so far. */
  get peak(): number {
    return this.#peak;
  }

  /** The writer had a batch ready and waited for a slot: the limit, not the input, was the bottleneck. */
  waited(): void {
    this.#waited = true;
  }

  /** One request finished: how many bytes it carried, how long it took, whether the engine pushed back. */
  record(sample: { bytes: number; ms: number; rejected: boolean }): void {
    if (sample.rejected) {
      this.#set(Math.max(1, Math.floor(this.#limit / 2)));
      this.#previous = undefined;
      this.#reset();
      return;
    }
    this.#bytes += sample.bytes;
    this.#requests++;
    const elapsed = this.#now() - this.#windowStart;
    if (elapsed < this.#windowMs || this.#requests < 2 * this.#limit) return;
    const rate = this.#bytes / Math.max(1, elapsed);
    const previous = this.#previous;
    const waited = this.#waited;
    this.#previous = { limit: this.#limit, rate };
    this.#reset();
    if (!waited) return; // input-bound: nothing to learn about the engine
    if (previous && previous.limit < this.#limit && rate < previous.rate * 1.05) {
      // the last step up did not pay: go back to where it was (and stay there a while)
      this.#set(previous.limit);
      this.#steady = 0;
      return;
    }
    if (previous && previous.limit > this.#limit && rate < previous.rate * 0.95) {
      // a step down (after a rejection) cost throughput: the engine may take more again
      this.#set(this.#limit + 1);
      return;
    }
    if (!previous || previous.limit < this.#limit || ++this.#steady >= 5) {
      this.#steady = 0;
      this.#set(this.#limit + 1);
    }
  }

  #set(limit: number): void {
    this.#limit = Math.min(this.#max, Math.max(1, limit));
    this.#peak = Math.max(this.#peak, this.#limit);
  }

  #reset(): void {
    this.#windowStart = this.#now();
    this.#bytes = 0;
    this.#requests = 0;
    this.#waited = false;
  }
}

/** A fixed limit with the same interface, for BULK_CONCURRENCY=<n>. */
export class FixedLimit {
  constructor(readonly current: number) {}
  get peak(): number {
    return this.current;
  }
  waited(): void {}
  record(): void {}
}
