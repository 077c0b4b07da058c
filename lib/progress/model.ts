/**
 * Progress of a run, read from its Ledger: objects done of the total (once listing has found it), records and
 * bytes with their recent rates, retries and dead letters so far, and an ETA. It only reads the ledger; call
 * `sample()` whenever a renderer needs a picture.
 *
 * ```ts
 * const progress = new Progress(ledger);
 * const s = progress.sample(); // { objects: { done: 42, total: 84 }, recordsPerSecond: 2345, etaMs: 12000, … }
 * ```
 *
 * Rates are measured over the last `windowMs` (default 10 s), so that a slow start or a pause does not skew
 * them for the rest of the run. The ETA uses bytes when their total is known (finer), else objects.
 */
import type { Ledger } from "../ledger.ts";

export interface ProgressSnapshot {
  elapsedMs: number;
  objects: { done: number; failed: number; total: number | undefined };
  records: { read: number; indexed: number; duplicates: number; deadLettered: number; retried: number };
  bytes: { read: number; total: number | undefined };
  /** Over the last window; 0 before a second sample. */
  recordsPerSecond: number;
  bytesPerSecond: number;
  /** Undefined while there is no total or no rate yet; 0 when everything expected is done. */
  etaMs: number | undefined;
}

export interface ProgressOptions {
  now?: () => number;
  /** Rates are measured over this much recent time. Default 10,000 ms. */
  windowMs?: number;
}

interface Point {
  at: number;
  records: number;
  bytes: number;
  objects: number;
}

export class Progress {
  readonly #ledger: Ledger;
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #started: number;
  #points: Point[] = [];

  constructor(ledger: Ledger, options: ProgressOptions = {}) {
    if (!ledger) throw new TypeError("Progress needs a Ledger");
    const windowMs = options.windowMs ?? 10_000;
    if (!(windowMs > 0)) throw new RangeError(`windowMs must be positive, not ${windowMs}`);
    this.#ledger = ledger;
    this.#now = options.now ?? Date.now;
    this.#windowMs = windowMs;
    this.#started = this.#now();
    this.#points.push({ at: this.#started, records: 0, bytes: 0, objects: 0 });
  }

  sample(): ProgressSnapshot {
    const l = this.#ledger;
    const at = this.#now();
    const done = l.objects.read + l.objects.failed;
    const point: Point = { at, records: l.records.read, bytes: l.bytes.read, objects: done };
    // keep the newest point older than the window as the rate's base, and everything after it
    while (this.#points.length > 1 && this.#points[1]!.at <= at - this.#windowMs) this.#points.shift();
    const base = this.#points[0]!;
    if (at > this.#points.at(-1)!.at) this.#points.push(point);
    const seconds = (at - base.at) / 1000;
    const rate = (now: number, then: number) => (seconds > 0 ? Math.max(0, now - then) / seconds : 0);

    const objectsTotal = l.expected.objects;
    const bytesTotal = l.expected.bytes;
    let etaMs: number | undefined;
    if (bytesTotal !== undefined && bytesTotal > 0) etaMs = eta(bytesTotal - point.bytes, rate(point.bytes, base.bytes));
    else if (objectsTotal !== undefined) etaMs = eta(objectsTotal - done, rate(done, base.objects));

    return {
      elapsedMs: at - this.#started,
      objects: { done, failed: l.objects.failed, total: objectsTotal },
      records: { ...l.records },
      bytes: { read: l.bytes.read, total: bytesTotal },
      recordsPerSecond: rate(point.records, base.records),
      bytesPerSecond: rate(point.bytes, base.bytes),
      etaMs,
    };
  }
}

function eta(remaining: number, perSecond: number): number | undefined {
  if (remaining <= 0) return 0;
  if (!(perSecond > 0)) return undefined;
  return Math.round((remaining / perSecond) * 1000);
}
