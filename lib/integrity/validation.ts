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
import type { DuplicateItem } from "../search/bulk.ts";
import type { SearchClient } from "../search/client.ts";
import type { LogObject } from "../streams/log-object.ts";
import { annotateDocuments } from "./annotate.ts";
import { DigestIndex, type DigestIndexOptions } from "./digest-index.ts";
import { settlePending, type SettleResult } from "./pending.ts";
import { resolveShadows, shadowReason, ShadowWatch, type ShadowResult } from "./shadow.ts";
import { IntegrityBook, integrityStage } from "./stage.ts";

export class Validation {
  readonly book = new IntegrityBook();
  readonly shadows: ShadowWatch;
  #settled: SettleResult | undefined;
  #shadowed: ShadowResult | undefined;

  private constructor(
    readonly digests: DigestIndex,
    maxHeld?: number,
  ) {
    this.shadows = new ShadowWatch(this.book, maxHeld);
  }

  /** `maxHeld`: duplicates of valid files remembered for the shadow check, at most (default 1,000,000). */
  static async load(options: DigestIndexOptions & { maxHeld?: number }): Promise<Validation> {
    return new Validation(await DigestIndex.load(options), options.maxHeld);
  }

  /** Before indexing: one count of the documents no digest proves, which decides whether duplicates are watched. */
  async prepare(client: SearchClient, indexPattern: string): Promise<void> {
    await this.shadows.arm(client, indexPattern);
  }

  /** For bulkWriter's `onDuplicate`: the 409s of valid files, when a shadow is possible (shadow.ts). */
  get onDuplicate(): (item: DuplicateItem) => void {
    return this.shadows.onDuplicate;
  }

  /** The objects, each one's verdict recorded as it passes (after gunzip: what is hashed is what is parsed). */
  stage(objects: ReadableStream<LogObject>): ReadableStream<LogObject> {
    return objects.pipeThrough(integrityStage(this.digests, this.book));
  }

  /** Between toBulk and bulkWriter: every document gets its file's `trailpost.integrity`. */
  batches() {
    return annotateDocuments(this.book);
  }

  /**
   * Updates documents of earlier runs whose verdict is now known (pending or unsigned before), then marks the
   * documents that shadow a valid file's record `invalid`.
   */
  async settle(client: SearchClient, indexPattern: string): Promise<void> {
    this.#settled = await settlePending(client, indexPattern, this.book);
    this.#shadowed = await resolveShadows(client, this.shadows);
  }

  /** Nothing invalid, nothing shadowed, and every update made. */
  get clean(): boolean {
    const s = this.#shadowed;
    return !this.book.objects.invalid && !this.digests.problems.length && !(this.#settled?.failures.length ?? 0) && !(s?.shadows.length ?? 0) && !(s?.failures.length ?? 0);
  }

  /** For programs: what the shadow check held, dropped past its bound, found and updated. */
  get shadowCounts(): { held: number; dropped: number; shadowed: number; updated: number } {
    return { held: this.shadows.held.length, dropped: this.shadows.dropped, shadowed: this.#shadowed?.shadows.length ?? 0, updated: this.#shadowed?.updated ?? 0 };
  }

  /** Lines for the summary: each invalid digest and file, each failed update, then the counts. */
  summary(name: string): string[] {
    const lines: string[] = [];
    for (const p of this.digests.problems) lines.push(`${name}: INVALID digest ${p.subject}: ${p.reason}`);
    for (const [object, i] of this.book.withStatus("invalid")) lines.push(`${name}: INVALID ${object}: ${i.reason}${i.digest ? ` (${i.digest})` : ""}`);
    const shadows = this.#shadowed?.shadows ?? [];
    for (const s of shadows.slice(0, SHADOWS_NAMED)) {
      const was = s.integrity === "invalid" ? "invalid" : `${s.integrity ?? "not annotated"}, now invalid`;
      lines.push(`${name}: SHADOWED ${s.holder} (${was}) holds id ${s.id} in ${s.index}: it ${shadowReason(s)}; the genuine record counted as a duplicate and is not in the index`);
    }
    if (shadows.length > SHADOWS_NAMED) lines.push(`${name}: … and ${shadows.length - SHADOWS_NAMED} more shadowed records`);
    for (const f of [...(this.#settled?.failures ?? []), ...(this.#shadowed?.failures ?? [])]) lines.push(`${name}: FAILED to update the integrity of document ${f.id}: ${f.reason}`);
    const { held, dropped } = this.shadowCounts;
    if (dropped) lines.push(`${name}: the shadow check held the first ${held.toLocaleString("en-US")} duplicates of valid files only: ${dropped.toLocaleString("en-US")} more were not checked`);
    const d = this.digests.counts;
    const updated = this.#settled?.updated ?? 0;
    lines.push(
      `${name}: integrity: ${this.book.describe()}; digests: ${d.valid} valid, ${d.invalid} invalid, ${d.missing} missing; ${updated} document${updated === 1 ? "" : "s"} updated from pending or unsigned; ` +
        `${shadows.length} shadowed record${shadows.length === 1 ? "" : "s"} (${held} duplicate${held === 1 ? "" : "s"} of valid files checked)`,
    );
    return lines;
  }
}

/** SHADOWED lines printed at most; the rest are counted. */
const SHADOWS_NAMED = 20;
