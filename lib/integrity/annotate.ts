/**
 * Each document says whether its log file was proven intact: between `toBulk` and `bulkWriter`, every action's
 * document gets `trailpost.integrity` (`valid`, `invalid`, `pending`, `unsigned`), `trailpost.integrityReason`,
 * `trailpost.integrityDigest` (the digest that lists the file) and `trailpost.object` (the file, `s3://…`), from
 * the book the integrity stage filled. The template maps them as keywords (INTEGRITY_MAPPING).
 *
 * ```ts
 * records.pipeThrough(toBulk(options)).pipeThrough(annotateDocuments(book)).pipeTo(bulkWriter(client, options));
 * // search: trailpost.integrity:invalid
 * ```
 */
import { isJsonObject, parseLossless, stringifyLossless, type JsonObject } from "../json/lossless.ts";
import type { BulkBatch } from "../search/bulk.ts";
import { UNINDEXED } from "../search/schema.ts";
import type { Integrity } from "./digest-index.ts";
import type { IntegrityBook } from "./stage.ts";

/** The mapping of the fields under `trailpost` (all keywords). */
export const INTEGRITY_MAPPING = {
  integrity: { type: "keyword" },
  integrityReason: { type: "keyword", ignore_above: 1024 },
  integrityDigest: { type: "keyword", ignore_above: 1024 },
  object: { type: "keyword", ignore_above: 1024 },
} as const;

/** The fields a document of `object` gets. */
export function integrityFields(object: string, integrity: Integrity): Record<string, string> {
  const fields: Record<string, string> = { integrity: integrity.status };
  if (integrity.reason) fields.integrityReason = integrity.reason;
  if (integrity.digest) fields.integrityDigest = integrity.digest;
  fields.object = object;
  return fields;
}

export function annotateDocuments(book: IntegrityBook): TransformStream<BulkBatch, BulkBatch> {
  return new TransformStream({
    transform(batch, controller) {
      let bytes = batch.bytes;
      for (const item of batch.items) {
        const integrity = book.get(item.record.object);
        if (!integrity) continue;
        book.records[integrity.status]++;
        const before = item.action.source.length;
        item.action.source = withFields(item.action.source, item.action.unindexed.length === 0, integrityFields(item.record.object, integrity));
        delete item.action.head; // the document is no longer head + text
        bytes += item.action.source.length - before;
      }
      controller.enqueue({ ...batch, bytes });
    },
  });
}

/**
 * The document with the fields under `trailpost`. A document without a `trailpost` object of its own (nothing was
 * moved: the builder always moves a record's own `trailpost`) gets them spliced in front, with no parse; one with
 * it is parsed losslessly and merged, so numbers keep every digit and keys their order.
 */
export function withFields(source: string, plain: boolean, fields: Record<string, string>): string {
  if (plain && source.startsWith("{")) {
    const rest = source.slice(1).trimStart();
    return `{"${UNINDEXED}":${JSON.stringify(fields)}${rest.startsWith("}") ? "" : ","}${rest}`;
  }
  const doc = parseLossless(source);
  if (!isJsonObject(doc)) return source;
  const own = doc.get(UNINDEXED);
  const merged: JsonObject = isJsonObject(own) ? own : new Map();
  for (const [key, value] of Object.entries(fields)) merged.set(key, value);
  doc.set(UNINDEXED, merged);
  return stringifyLossless(doc);
}
