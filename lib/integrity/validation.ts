/**
 * `ingest --validate` in one piece: the day's digests loaded first, each object's verdict taken on its way
 * (stage.ts), each document annotated (annotate.ts), pending documents of earlier runs settled at the end
 * (pending.ts), and what to say about it. Indexing is never blocked: the records are the evidence.
 *
 * ```ts
 * const validation = await Validation.load({ store: s3Store(s3), keys, location, days });
 * const objects = validation.stage(s3Objects(…).pipeThrough(gunzip()));
 * await indexRecords(objects.pipeThrough(select(…)), client, { ...options, batches: validation.batches() });
 * await validation.settle(client, "cloudtrail-*");
 * for (const line of validation.summary("ingest")) console.error(line);
 * ```
 */
import type { SearchClient } from "../search/client.ts";
import type { LogObject } from "../streams/log-object.ts";
import { annotateDocuments } from "./annotate.ts";
import { DigestIndex, type DigestIndexOptions } from "./digest-index.ts";
import { settlePending, type SettleResult } from "./pending.ts";
import { IntegrityBook, integrityStage } from "./stage.ts";

export class Validation {
  readonly book = new IntegrityBook();
  #settled: SettleResult | undefined;

  private constructor(readonly digests: DigestIndex) {}

  static async load(options: DigestIndexOptions): Promise<Validation> {
    return new Validation(await DigestIndex.load(options));
  }

  /** The objects, each one's verdict recorded as it passes (after gunzip: what is hashed is what is parsed). */
  stage(objects: ReadableStream<LogObject>): ReadableStream<LogObject> {
    return objects.pipeThrough(integrityStage(this.digests, this.book));
  }

  /** Between toBulk and bulkWriter: every document gets its file's `trailpost.integrity`. */
  batches() {
    return annotateDocuments(this.book);
  }

  /** Updates documents of earlier runs whose verdict is now known (pending or unsigned before). */
  async settle(client: SearchClient, indexPattern: string): Promise<void> {
    this.#settled = await settlePending(client, indexPattern, this.book);
  }

  /** Nothing invalid, and every update made. */
  get clean(): boolean {
    return !this.book.objects.invalid && !this.digests.problems.length && !(this.#settled?.failures.length ?? 0);
  }

  /** Lines for the summary: each invalid digest and file, each failed update, then the counts. */
  summary(name: string): string[] {
    const lines: string[] = [];
    for (const p of this.digests.problems) lines.push(`${name}: INVALID digest ${p.subject}: ${p.reason}`);
    for (const [object, i] of this.book.withStatus("invalid")) lines.push(`${name}: INVALID ${object}: ${i.reason}${i.digest ? ` (${i.digest})` : ""}`);
    for (const f of this.#settled?.failures ?? []) lines.push(`${name}: FAILED to update the integrity of document ${f.id}: ${f.reason}`);
    const d = this.digests.counts;
    const updated = this.#settled?.updated ?? 0;
    lines.push(`${name}: integrity: ${this.book.describe()}; digests: ${d.valid} valid, ${d.invalid} invalid, ${d.missing} missing; ${updated} document${updated === 1 ? "" : "s"} updated from pending or unsigned`);
    return lines;
  }
}
