/**
 * ingest.ts on several cores: each worker gunzips and splits whole objects and makes their documents into `_bulk`
 * bodies (serve.ts, toBulk with `encode`); the bodies come back to the main thread (transferred, not copied), which
 * sends them all through one writer (one adaptive concurrency, one bound on bytes in flight) and keeps the ledger.
 * Records a worker cannot place (no valid eventTime) come back as dead letters with their text.
 *
 * ```ts
 * // worker
 * serve(channel, { index: indexJob(decompress) });
 * // main: see lib/search/indexer.ts indexObjects
 * ```
 *
 * Ids stay what one thread gives: an object is split whole by one worker, whose toBulk counts identical records
 * without an eventID within that object (search/ids.ts).
 */
import { parseProgram } from "../jq/mod.ts";
import type { DeadLetter, EncodedBatch } from "../search/bulk.ts";
import { toBulk } from "../search/bulk.ts";
import { gunzip, type Decompress } from "../streams/gunzip.ts";
import { selectRuns } from "../streams/select.ts";
import type { Job } from "./serve.ts";

export interface IndexConfig {
  program: string;
  indexPrefix: string;
  maxBytes?: number;
  flushAfterMs?: number;
}

export type IndexResult = { kind: "batch"; batch: EncodedBatch } | { kind: "dead"; entry: DeadLetter };

export function indexJob(decompress: Decompress): Job {
  return async (objects, context) => {
    const config = context.config as IndexConfig;
    const ledger = context.ledger;
    const deadLetter = (entry: DeadLetter) => {
      // the record as plain data: a Selected's text, not its getters
      const record = { text: entry.record.text, object: entry.record.object, position: entry.record.position };
      return context.emit({ kind: "dead", entry: { ...entry, record } } satisfies IndexResult);
    };
    await objects
      .pipeThrough(gunzip({ decompress }))
      .pipeThrough(selectRuns(parseProgram(config.program), { ledger }))
      .pipeThrough(toBulk({ indexPrefix: config.indexPrefix, ledger, deadLetter, maxBytes: config.maxBytes, flushAfterMs: config.flushAfterMs, encode: true }))
      .pipeTo(new WritableStream({ write: (batch) => context.emit({ kind: "batch", batch } satisfies IndexResult, [batch.body.buffer as ArrayBuffer]) }));
  };
}
