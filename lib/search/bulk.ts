/**
 * The blog's `curl -X POST`, done right: records to `_bulk` as NDJSON `create` actions with deterministic ids.
 *
 * ```ts
 * records
 *   .pipeThrough(toBulk({ indexPrefix: "cloudtrail", ledger, deadLetter }))
 *   .pipeTo(bulkWriter(search, { ledger, deadLetter, concurrency: 4 }))
 * ```
 *
 * - `toBulk` turns records into batches bounded in bytes (default 3 MB). A record that cannot be placed (not an
 *   object, no valid eventTime) goes to the dead-letter sink at once.
 * - `bulkWriter` sends batches with several requests in flight, reads every item's result and keeps the ledger:
 *   201 indexed, 409 duplicate (already there), 429/503 retried (only those items), anything else
 *   dead-lettered with its status and reason. Whole-request 429/502/503/504 and network errors are retried with
 *   exponential backoff and full jitter, up to a bound; a 413 splits the batch.
 *
 * Memory: a batch item keeps its document once (the record's text is derived from it, see bulk-body.ts), and the
 * writer keeps each batch it has taken as the bytes of its body only. What it holds is bounded twice: requests in
 * flight (the adaptive limit, concurrency.ts) and bytes in flight (`maxInFlightBytes`, default 4 batches of
 * `maxBytes`): a batch waits until both allow it. Batches can also come encoded already (`EncodedBatch`, from a
 * worker thread: lib/parallel).
 */
import type { Ledger } from "../ledger.ts";
import type { Selected } from "../streams/select.ts";
import { errorReason, type SearchClient } from "./client.ts";
import { RecordError, toAction, toActionNow, utf8Length, type IndexAction } from "./document.ts";
import { AdaptiveLimit, FixedLimit } from "./concurrency.ts";
import { RecordIds } from "./ids.ts";
import { actionLine, BodyBuilder, bulkItem, encodeBatch, recordOf, recycleBody, startOf, type BulkBatch, type BulkItem, type EncodedBatch, type EncodedItem, type RecordRef } from "./bulk-body.ts";

export { actionLine, type BulkBatch, type BulkItem, type EncodedBatch, type EncodedItem, type RecordRef };

/** A record to index; `id` is one it was given before (a dead letter's), kept when it belongs to the content. */
export type Indexable = Selected & { id?: string };

/** What toBulk takes: a record, or a run of them in order (cheaper per record: see ndjson.ts). */
export type Records = Indexable | readonly Indexable[];

/** A record that did not land, with why. Written as one NDJSON line by `deadLetterLine`. */
export interface DeadLetter {
  record: RecordRef;
  index?: string;
  id?: string;
  /** HTTP status of the item or request; 0 when the record never reached the engine. */
  status: number;
  reason: string;
}

export type DeadLetterSink = (entry: DeadLetter) => void | Promise<void>;

export interface ToBulkOptions {
  indexPrefix: string;
  ledger: Ledger;
  deadLetter: DeadLetterSink;
  /** Upper bound of a request body in bytes (a single larger document is sent alone). Default 3 MB (DEFAULT_MAX_BYTES). */
  maxBytes?: number;
  /** Send a partial batch when no record came for this long (streaming input). Default 2000 ms. */
  flushAfterMs?: number;
  /**
   * Batches as bytes (`EncodedBatch`): each document is encoded as it comes and only its bytes are kept, for a
   * writer with no stage in between. Default false: batches of items, whose documents a stage may still change.
   */
  encode?: boolean;
}

/**
 * 3 MB: measured against the local engine (bulk.ts on make bench's day, 2, 3, 4 and 5 MB taking turns), 3 MB
 * bodies indexed 5-10% faster than 2 MB ones, with 5-10% less of our CPU (fewer requests: each is also a
 * translog sync), and as fast as 4 or 5 MB, which keep 5-20 MB more in memory (a batch being filled, four in
 * flight). The ceiling's search (bench/engine.ts) found 5 MB best for pre-built bodies, where memory is not counted.
 */
export const DEFAULT_MAX_BYTES = 3_000_000;

export function toBulk(options: ToBulkOptions & { encode: true }): TransformStream<Records, EncodedBatch>;
export function toBulk(options: ToBulkOptions): TransformStream<Records, BulkBatch>;
export function toBulk(options: ToBulkOptions): TransformStream<Records, BulkBatch | EncodedBatch> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(maxBytes > 0)) throw new RangeError(`toBulk: maxBytes must be > 0, not ${maxBytes}`);
  const flushAfterMs = options.flushAfterMs ?? 2000;
  const ids = new RecordIds();
  // room for a full batch and the item that overflows it (up to 1 MB at first: a builder for one small object stays
  // small; a bigger one grows once), so each full batch takes the buffer whole (no copy), given back once sent
  const pending: Pending = options.encode ? new BodyBuilder(Math.min(Math.ceil(maxBytes * 1.125) + 4096, 1 << 20)) : new Items();
  let timer: ReturnType<typeof setTimeout> | undefined;
  type Controller = TransformStreamDefaultController<BulkBatch | EncodedBatch>;
  const flush = (controller: Controller) => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.count) controller.enqueue(pending.take());
  };
  /** The timer's flush: when the stream has already failed or closed, the batch is not lost silently, the stream's error is what is reported. */
  const flushLater = (controller: Controller) => {
    timer = undefined;
    try {
      flush(controller);
    } catch {
      // enqueue throws once the readable side errored (the writer failed): that error is what the caller sees
    }
  };
  /** Adds a record; a promise only when there is something to wait for (an id made from the content, a dead letter). */
  const add = (record: Indexable, controller: Controller): Promise<void> | undefined => {
    options.ledger.records.read++;
    let action: IndexAction | undefined;
    try {
      action = toActionNow(record.text, record.value, options.indexPrefix);
    } catch (error) {
      return refused(record, error);
    }
    if (!action) return later(record, controller);
    place(action, record, controller);
  };
  const later = async (record: Indexable, controller: Controller) => {
    let action: IndexAction;
    try {
      action = await toAction(record.text, record.value, options.indexPrefix, { ids, object: record.object, id: record.id });
    } catch (error) {
      return refused(record, error);
    }
    place(action, record, controller);
  };
  const refused = async (record: Indexable, error: unknown) => {
    if (!(error instanceof RecordError)) throw error;
    options.ledger.records.deadLettered++;
    await options.deadLetter({ record, status: 0, reason: error.message });
  };
  const place = (action: IndexAction, record: Indexable, controller: Controller) => {
    pending.add(action, record);
    // the bound is kept before this item: what came before it goes, and it starts the next batch
    if (pending.count > 1 && pending.bytes > maxBytes) controller.enqueue(pending.take(true));
    if (pending.bytes >= maxBytes) flush(controller);
  };
  return new TransformStream<Records, BulkBatch | EncodedBatch>({
    async transform(records, controller) {
      if (Array.isArray(records)) {
        for (const record of records as readonly Indexable[]) {
          const waiting = add(record, controller);
          if (waiting) await waiting;
        }
      } else await add(records as Indexable, controller);
      if (pending.count && timer === undefined && flushAfterMs > 0) timer = setTimeout(() => flushLater(controller), flushAfterMs);
    },
    flush,
  });
}

/** A batch being filled: items (strings a stage may change) or bytes (BodyBuilder). */
interface Pending {
  readonly bytes: number;
  readonly count: number;
  add(action: IndexAction, record: RecordRef): number;
  take(keepLast?: boolean): BulkBatch | EncodedBatch;
}

class Items implements Pending {
  #items: BulkItem[] = [];
  #bytes = 0;
  #lastSize = 0;

  get bytes(): number {
    return this.#bytes;
  }

  get count(): number {
    return this.#items.length;
  }

  add(action: IndexAction, record: RecordRef): number {
    const size = utf8Length(actionLine(action)) + utf8Length(action.source) + 2;
    this.#items.push(bulkItem(action, record));
    this.#bytes += size;
    this.#lastSize = size;
    return size;
  }

  take(keepLast = false): BulkBatch {
    const items = this.#items;
    const last = keepLast ? items.pop() : undefined;
    const batch = { items, bytes: this.#bytes - (last ? this.#lastSize : 0) };
    this.#items = last ? [last] : [];
    this.#bytes = last ? this.#lastSize : 0;
    return batch;
  }
}

export interface BulkWriterOptions {
  ledger: Ledger;
  deadLetter: DeadLetterSink;
  /** Requests in flight: a number, or "auto" (the default) to find the engine's best (concurrency.ts). */
  concurrency?: number | "auto";
  /**
   * Bytes of request bodies in flight together, at most (a batch larger than this still goes, alone). Default
   * 4 × `maxBytes` (toBulk's bound, default 3 MB): 12 MB.
   */
  maxInFlightBytes?: number;
  /** toBulk's bound on a request body, for the default of `maxInFlightBytes`. */
  maxBytes?: number;
  /** Filled in as the writer goes: the concurrency it settled on, for the summary. */
  stats?: BulkStats;
  /** Retries of a rejected item or failed request before it is dead-lettered. Default 8. */
  maxRetries?: number;
  /** First backoff step, ms; doubles per retry, full jitter, capped at 30 s. Default 250. */
  backoffMs?: number;
  /** Called for each item the engine answered 409 (already there: a duplicate), e.g. to check later who holds its id (lib/integrity/shadow.ts). */
  onDuplicate?: (item: DuplicateItem) => void;
  /** Called before each retry, for progress output. */
  onRetry?: (info: { attempt: number; items: number; reason: string; delayMs: number }) => void;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** An item that came back 409: where it was to go, and the record it came from. */
export type DuplicateItem = Pick<EncodedItem, "index" | "id" | "object" | "position">;

/**
 * Whole-request answers worth another try. `create` with deterministic ids is idempotent, so even a 500 (which
 * may come after some items landed) is retried: what landed then answers 409 and counts as a duplicate.
 */
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

export interface BulkStats {
  /** Requests in flight at the end (adaptive: where it settled). */
  concurrency: number;
  /** The most requests in flight it allowed. */
  peak: number;
  adaptive: boolean;
  requests: number;
}

/** Most requests in flight "auto" tries. */
export const MAX_AUTO_CONCURRENCY = 16;
/** Item statuses worth another try: rejected for load, or failed on the engine's side. */
const RETRYABLE_ITEM = (status: number) => status === 429 || status >= 500;
/**
 * Each item's status, and of an error only what its reason is made of (describeItemError): a replay answers 409 for
 * every item, and the rest of each error (index, index_uuid, shard) was a third of the response to read.
 */
const BULK_PATH = "/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason,items.*.error.caused_by.type,items.*.error.caused_by.reason";

export function bulkWriter(client: SearchClient, options: BulkWriterOptions): WritableStream<BulkBatch | EncodedBatch> {
  const adaptive = options.concurrency === undefined || options.concurrency === "auto";
  if (!adaptive && !(Number.isInteger(options.concurrency) && (options.concurrency as number) >= 1)) throw new RangeError(`bulkWriter: concurrency must be "auto" or a whole number >= 1, not ${options.concurrency}`);
  const maxInFlightBytes = options.maxInFlightBytes ?? 4 * (options.maxBytes ?? DEFAULT_MAX_BYTES);
  if (!(maxInFlightBytes > 0)) throw new RangeError(`bulkWriter: maxInFlightBytes must be > 0, not ${maxInFlightBytes}`);
  const limit = adaptive ? new AdaptiveLimit({ max: MAX_AUTO_CONCURRENCY }) : new FixedLimit(options.concurrency as number);
  const stats = options.stats ?? { concurrency: 0, peak: 0, adaptive, requests: 0 };
  Object.assign(stats, { concurrency: limit.current, peak: limit.peak, adaptive });
  const inFlight = new Set<Promise<void>>();
  let bytesInFlight = 0;
  let fatal: unknown;
  const sender = new BatchSender(client, options, (sample) => {
    limit.record(sample);
    stats.requests++;
    stats.concurrency = limit.current;
    stats.peak = limit.peak;
  });
  return new WritableStream({
    async write(batch) {
      if (fatal) throw fatal;
      const encoded = "body" in batch ? batch : encodeBatch(batch);
      const size = encoded.body.length;
      for (;;) {
        if (inFlight.size >= limit.current) limit.waited();
        else if (inFlight.size === 0 || bytesInFlight + size <= maxInFlightBytes) break;
        await Promise.race(inFlight);
      }
      bytesInFlight += size;
      const sending: Promise<void> = sender
        .send(encoded)
        .catch((error) => void (fatal ??= error))
        .finally(() => {
          bytesInFlight -= size;
          inFlight.delete(sending);
          recycleBody(encoded.body); // settled: nothing reads the body any more
        });
      inFlight.add(sending);
    },
    async close() {
      await Promise.all(inFlight);
      if (fatal) throw fatal;
    },
    async abort() {
      await Promise.allSettled(inFlight);
    },
  });
}

/** What one request told about the engine's load. */
type Sample = { bytes: number; ms: number; rejected: boolean };

class BatchSender {
  readonly #maxRetries: number;
  readonly #backoffMs: number;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(
    readonly client: SearchClient,
    readonly options: BulkWriterOptions,
    readonly onSample: (sample: Sample) => void = () => {},
  ) {
    this.#maxRetries = options.maxRetries ?? 8;
    this.#backoffMs = options.backoffMs ?? 250;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Sends the batch until every item is accounted for: landed, a duplicate, or dead-lettered. */
  async send(batch: EncodedBatch): Promise<void> {
    const pieces: Piece[] = batch.items.map((_, i) => ({ batch, i }));
    await this.#send(pieces, batch.body);
  }

  async #send(items: Piece[], whole?: Uint8Array): Promise<void> {
    const { ledger } = this.options;
    let pending = items;
    for (let attempt = 0; pending.length; attempt++) {
      const body = attempt === 0 && whole ? whole : bodyOf(pending);
      let retry: Piece[] = [];
      let retryReason = "";
      let retryStatus = 0;
      let response;
      const started = Date.now();
      try {
        response = await this.client.request("POST", BULK_PATH, body, "application/x-ndjson", true);
      } catch (error) {
        response = undefined;
        retry = pending;
        retryReason = `request failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      const ms = Date.now() - started;
      if (response) {
        if (response.status === 413 && pending.length > 1) {
          const half = Math.ceil(pending.length / 2);
          await this.#send(pending.slice(0, half));
          await this.#send(pending.slice(half));
          return;
        }
        const results = response.status === 200 ? parseItems(response.text) : undefined;
        if (RETRYABLE.has(response.status) || (response.status === 200 && !results)) {
          retry = pending;
          retryStatus = response.status;
          retryReason = results || response.status !== 200 ? `HTTP ${response.status} ${errorReason(response.text)}` : `HTTP 200 but the answer is not a bulk response: ${response.text.slice(0, 120)}`;
        } else if (response.status !== 200) {
          const detail = errorReason(response.text);
          const reason = response.status === 413
            ? `HTTP 413: the document alone is larger than the engine accepts (http.max_content_length)${detail ? `: ${detail}` : ""}`
            : `HTTP ${response.status}${detail ? ` ${detail}` : ""}`;
          for (const piece of pending) await this.#deadLetter(piece, response.status, reason);
          return;
        } else if (results && results.length !== pending.length) {
          // cannot tell which item is which: send them all again (idempotent), count what the engine says then
          retry = pending;
          retryReason = `the bulk response had ${results.length} items for ${pending.length} sent`;
        } else if (results) {
          for (let i = 0; i < pending.length; i++) {
            const piece = pending[i]!;
            const { status, error } = results[i]!;
            if (status === 200 || status === 201) ledger.landed(piece.batch.items[piece.i]!.index);
            else if (status === 409) {
              ledger.records.duplicates++;
              this.options.onDuplicate?.(piece.batch.items[piece.i]!);
            }
            else if (RETRYABLE_ITEM(status) || !status) {
              retry.push(piece);
              retryStatus = status;
              retryReason = `item ${status} ${error}`;
            } else await this.#deadLetter(piece, status, error);
          }
        }
      }
      this.onSample({ bytes: body.length, ms, rejected: response?.status === 429 || retryStatus === 429 });
      if (!retry.length) return;
      if (attempt >= this.#maxRetries) {
        for (const piece of retry) await this.#deadLetter(piece, retryStatus, `still rejected after ${this.#maxRetries} retries: ${retryReason}`);
        return;
      }
      const delayMs = Math.round(this.#random() * Math.min(30_000, this.#backoffMs * 2 ** attempt));
      ledger.records.retried += retry.length;
      this.options.onRetry?.({ attempt: attempt + 1, items: retry.length, reason: retryReason, delayMs });
      await this.#sleep(delayMs);
      pending = retry;
    }
  }

  async #deadLetter({ batch, i }: Piece, status: number, reason: string): Promise<void> {
    const item = batch.items[i]!;
    this.options.ledger.records.deadLettered++;
    await this.options.deadLetter({ record: recordOf(batch, i), index: item.index, id: item.id, status, reason });
  }
}

/** One item of an encoded batch. */
type Piece = { batch: EncodedBatch; i: number };

/** The body for some items of encoded batches: their lines, copied together. */
function bodyOf(pieces: Piece[]): Uint8Array {
  let size = 0;
  for (const { batch, i } of pieces) size += batch.items[i]!.end - startOf(batch, i);
  const body = new Uint8Array(size);
  let at = 0;
  for (const { batch, i } of pieces) {
    const lines = batch.body.subarray(startOf(batch, i), batch.items[i]!.end);
    body.set(lines, at);
    at += lines.length;
  }
  return body;
}

/** Each item's status and error, in request order; undefined when the answer is not a bulk response. */
function parseItems(text: string): { status: number; error: string }[] | undefined {
  let body: { items?: Record<string, { status: number; error?: unknown }>[] };
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!body || typeof body !== "object" || !Array.isArray(body.items)) return undefined;
  return body.items.map((item) => {
    const result = Object.values(item)[0] ?? { status: 0 };
    return { status: result.status, error: describeItemError(result.error) };
  });
}

function describeItemError(error: unknown): string {
  if (!error || typeof error !== "object") return error === undefined ? "" : String(error);
  const e = error as { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
  const cause = e.caused_by ? ` (caused by ${[e.caused_by.type, e.caused_by.reason].filter(Boolean).join(": ")})` : "";
  return `${[e.type, e.reason].filter(Boolean).join(": ")}${cause}`;
}

/**
 * One dead-letter line: `{"deadLetter":{…why…},"record":<the record as delivered>}`. The bulk script replays
 * such a file: it takes each line's `record`.
 */
export function deadLetterLine(entry: DeadLetter, at = new Date()): string {
  const why = {
    reason: entry.reason,
    status: entry.status,
    index: entry.index,
    id: entry.id,
    object: entry.record.object,
    position: entry.record.position,
    at: at.toISOString(),
  };
  return `{"deadLetter":${JSON.stringify(why)},"record":${entry.record.text}}`;
}
