/**
 * Everything between "records" and "documents in the index", for every path that indexes (the bulk script,
 * ingest, and whatever comes later): detect the engine, install the index template, batch, send, retry,
 * dead-letter, refresh what was touched.
 *
 * ```ts
 * const engine = await prepareIndex(search, "cloudtrail");
 * await indexRecords(records, search, { indexPrefix: "cloudtrail", ledger, deadLetter });
 * // or from log objects, split on worker threads (lib/parallel/index-job.ts), sent from here
 * await indexObjects(objects, search, { indexPrefix: "cloudtrail", ledger, deadLetter }, { spawn, workers: 2, program: ".Records[]" });
 * ```
 */
import type { Ledger } from "../ledger.ts";
import type { Channel } from "../parallel/channel.ts";
import type { IndexConfig, IndexResult } from "../parallel/index-job.ts";
import { ObjectPool } from "../parallel/pool.ts";
import type { LogObject } from "../streams/log-object.ts";
import { bulkWriter, toBulk, type BulkBatch, type BulkWriterOptions, type DeadLetterSink, type Records } from "./bulk.ts";
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
export async function indexRecords(records: ReadableStream<Records>, client: SearchClient, options: IndexOptions): Promise<void> {
  const bulk = { indexPrefix: options.indexPrefix, ledger: options.ledger, deadLetter: options.deadLetter, maxBytes: options.maxBytes };
  // with no stage in between, documents are kept as bytes only, from the moment they are made
  const batches = options.batches ? records.pipeThrough(toBulk(bulk)).pipeThrough(options.batches) : records.pipeThrough(toBulk({ ...bulk, encode: true }));
  await batches.pipeTo(bulkWriter(client, options));
  await refreshTouched(client, options.ledger);
}

export interface ParallelOptions {
  /** Starts worker `index` (scripts/runtime/workers.ts). */
  spawn: (index: number) => Channel;
  workers: number;
  /** The jq program's source (`.Records[]` or a `--select`). */
  program: string;
}

/**
 * Log objects (compressed, as read) to the index, gunzipped, split and made into bodies on `workers` worker
 * threads, sent from this one; then the indices touched are refreshed. The same documents, ids and books as
 * `indexRecords` over the same objects.
 */
export async function indexObjects(objects: ReadableStream<LogObject>, client: SearchClient, options: IndexOptions, parallel: ParallelOptions): Promise<void> {
  if (options.batches) throw new TypeError("indexObjects: a stage between batching and sending runs in one thread only (indexRecords)");
  const writer = bulkWriter(client, options).getWriter();
  const config: IndexConfig = { program: parallel.program, indexPrefix: options.indexPrefix, maxBytes: options.maxBytes };
  const pool = new ObjectPool({
    spawn: parallel.spawn,
    workers: parallel.workers,
    job: "index",
    config,
    ledger: options.ledger,
    onResult: async (result) => {
      const r = result as IndexResult;
      if (r.kind === "batch") await writer.write(r.batch);
      else await options.deadLetter(r.entry);
    },
  });
  try {
    await pool.run(objects);
  } catch (error) {
    await writer.abort(error).catch(() => {});
    throw error;
  }
  await writer.close();
  await refreshTouched(client, options.ledger);
}

/** Refreshes the indices documents landed in, so that counts and searches see them. */
async function refreshTouched(client: SearchClient, ledger: Ledger): Promise<void> {
  const touched = [...ledger.perIndex.keys()];
  for (let i = 0; i < touched.length; i += 50) {
    await client.request("POST", `/${touched.slice(i, i + 50).map(encodeURIComponent).join(",")}/_refresh`);
  }
}
