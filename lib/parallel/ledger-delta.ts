/**
 * A worker's books, carried to the run's ledger: what changed in the worker's ledger since it last said, as plain
 * data (a message), added to the main ledger there. The worker counts what it does (objects read and failed, bytes
 * read, records read, records it dead-lettered itself, the failures with their reasons); the main thread counts
 * what happens there (landed, duplicates, the writer's dead letters); together they balance as one ledger does.
 *
 * ```ts
 * const delta = new LedgerDelta(ledger);          // in the worker
 * port.postMessage({ type: "done", delta: delta.take() });
 * applyDelta(mainLedger, message.delta);          // in the main thread
 * ```
 */
import type { Failure, Ledger } from "../ledger.ts";

export interface Delta {
  objects: { read: number; failed: number };
  bytes: number;
  /** Workers read records and dead-letter those that cannot be placed; indexing is the main thread's. */
  records: { read: number; deadLettered: number };
  failures: Failure[];
  /** Problems the worker's ledger counted without keeping (ledger.ts MAX_PROBLEMS_LISTED). */
  unlisted: number;
}

export class LedgerDelta {
  #objects = { read: 0, failed: 0 };
  #bytes = 0;
  #records = { read: 0, deadLettered: 0 };
  #failures = 0;
  #unlisted = 0;

  constructor(readonly ledger: Ledger) {}

  /** What changed since the last `take`. */
  take(): Delta {
    const l = this.ledger;
    const r = l.records;
    const delta: Delta = {
      objects: { read: l.objects.read - this.#objects.read, failed: l.objects.failed - this.#objects.failed },
      bytes: l.bytes.read - this.#bytes,
      records: { read: r.read - this.#records.read, deadLettered: r.deadLettered - this.#records.deadLettered },
      failures: l.failures.slice(this.#failures),
      unlisted: l.unlisted - this.#unlisted,
    };
    this.#objects = { read: l.objects.read, failed: l.objects.failed };
    this.#bytes = l.bytes.read;
    this.#records = { read: r.read, deadLettered: r.deadLettered };
    this.#failures = l.failures.length;
    this.#unlisted = l.unlisted;
    return delta;
  }
}

/** Adds a worker's delta to the run's ledger. */
export function applyDelta(ledger: Ledger, delta: Delta): void {
  ledger.objects.read += delta.objects.read;
  ledger.objects.failed += delta.objects.failed;
  ledger.bytes.read += delta.bytes;
  ledger.records.read += delta.records.read;
  ledger.records.deadLettered += delta.records.deadLettered;
  for (const f of delta.failures) ledger.failures.push(f);
  ledger.unlisted += delta.unlisted;
}
