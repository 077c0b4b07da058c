/**
 * Everything between "records" and "documents in the index", for every path that indexes (the bulk script,
 * ingest, and whatever comes later): detect the engine, install the index template, batch, send, retry,
 * dead-letter, refresh what was touched.
 *
 * ```ts
 * const engine = await prepareIndex(search, "cloudtrail");
 * await indexRecords(records, search, { indexPrefix: "cloudtrail", ledger, deadLetter });
 * ```
 */
import type { Ledger } from "../ledger.ts";
import { bulkWriter, toBulk, type BulkBatch, type BulkWriterOptions, type DeadLetterSink, type Indexable } from "./bulk.ts";
import type { SearchClient } from "./client.ts";
import { detectEngine, type Engine } from "./engine.ts";
import { installTemplate, type TemplateSettings } from "./template.ts";

/** Detects the engine and installs (idempotently) the template and alias for the prefix. */
export async function prepareIndex(client: SearchClient, indexPrefix: string, settings: TemplateSettings = {}, serverless = false): Promise<Engine> {
  const engine = await detectEngine(client, serverless);
  await installTemplate(client, indexPrefix, engine, settings);
  return engine;
}

export interface IndexOptions extends Omit<BulkWriterOptions, "ledger" | "deadLetter"> {
  indexPrefix: string;
  ledger: Ledger;
  deadLetter: DeadLetterSink;
  maxBytes?: number;
  /** A stage between batching and sending (e.g. lib/integrity/annotate.ts adding trailpost.integrity). */
  batches?: TransformStream<BulkBatch, BulkBatch>;
}

/** Indexes every record, then refreshes the indices it touched so that counts and searches see them. */
export async function indexRecords(records: ReadableStream<Indexable>, client: SearchClient, options: IndexOptions): Promise<void> {
  const bulk = { indexPrefix: options.indexPrefix, ledger: options.ledger, deadLetter: options.deadLetter, maxBytes: options.maxBytes };
  // with no stage in between, documents are kept as bytes only, from the moment they are made
  const batches = options.batches ? records.pipeThrough(toBulk(bulk)).pipeThrough(options.batches) : records.pipeThrough(toBulk({ ...bulk, encode: true }));
  await batches.pipeTo(bulkWriter(client, options));
  const touched = [...options.ledger.perIndex.keys()];
  for (let i = 0; i < touched.length; i += 50) {
    await client.request("POST", `/${touched.slice(i, i + 50).map(encodeURIComponent).join(",")}/_refresh`);
  }
}
