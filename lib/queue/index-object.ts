/**
 * One S3 object through the same pipeline as `ingest` (GetObject → gunzip → select → `_bulk`), with the rule a
 * queue consumer needs: the object is done only when every record read from it is accounted for, i.e. indexed,
 * already there (a duplicate), or dead-lettered for a reason that another try would not change. Then, and only
 * then, may its message be deleted.
 *
 * ```ts
 * const indexer = new ObjectIndexer({ s3, client, indexPrefix: "cloudtrail", program });
 * const outcome = await indexer.index({ bucket: "my-trail-bucket", key: "AWSLogs/…json.gz" });
 * if (outcome.status !== "failed") await persist(outcome.deadLetters), await sqs.delete(queueUrl, handle);
 * ```
 *
 * - Each object has its own pipeline: ids without an eventID count occurrences per object (search/ids.ts), so
 *   records of two objects never mix. The object's name is `s3://bucket/key`, as `ingest` names it, so a worker
 *   and `ingest` give the same record the same id.
 * - Records the engine could not take because it was unavailable (network failure, 429 or 5xx after every retry)
 *   are not dead letters here: they make the object `failed` and `transient`, so that its message comes back
 *   and the engine gets them later. Records the engine refused for good (a 400 it still gives, a document over
 *   its size limit) and records without a valid eventTime are dead letters, returned as lines to keep.
 * - Digest, Insight and other keys are `skipped`, as `copy` skips them; so are keys outside the trail's location
 *   when one is given (bucket, prefix, organization, accounts, regions).
 */
import { S3Error, transportDecoded, type S3 } from "../aws/s3.ts";
import { normalizePrefix, parseKey, type ObjectKind } from "../cloudtrail/layout.ts";
import type { TrailLocation } from "../cloudtrail/objects.ts";
import type { Program } from "../jq/mod.ts";
import { Ledger } from "../ledger.ts";
import { bulkWriter, deadLetterLine, toBulk, type BulkWriterOptions, type DeadLetter } from "../search/bulk.ts";
import type { SearchClient } from "../search/client.ts";
import { gunzip, type Decompress } from "../streams/gunzip.ts";
import type { LogObject } from "../streams/log-object.ts";
import { selectRuns } from "../streams/select.ts";
import type { ObjectRef } from "./messages.ts";
import { message, networkReason } from "../errors.ts";

export interface ObjectIndexerOptions {
  s3: S3;
  client: SearchClient;
  indexPrefix: string;
  program: Program;
  /** gunzip implementation (default DecompressionStream). */
  decompress?: Decompress;
  /** Only objects of this trail (any field given narrows it); others are skipped. */
  location?: Partial<TrailLocation>;
  /** Bulk request bound in bytes (default 3 MB, bulk.ts). */
  maxBytes?: number;
  bulk?: Omit<BulkWriterOptions, "ledger" | "deadLetter">;
}

export interface ObjectOutcome {
  /** `s3://bucket/key` */
  object: string;
  status: "indexed" | "skipped" | "failed";
  /** Why it was skipped or failed. */
  reason?: string;
  /** For skipped objects: the kind counted (digest, insight, other). */
  kind?: Exclude<ObjectKind, "log">;
  /** Failed because S3 or the engine could not be reached or kept refusing for load: not the object's fault. */
  transient: boolean;
  records: { read: number; indexed: number; duplicates: number; deadLettered: number; retried: number };
  /** Bytes of JSON read. */
  bytes: number;
  /** Dead-letter lines (deadLetterLine) of records refused for good: keep them before the message is deleted. */
  deadLetters: string[];
  /** Documents that landed, per index. */
  perIndex: Map<string, number>;
}

export class ObjectIndexer {
  readonly #options: ObjectIndexerOptions;

  constructor(options: ObjectIndexerOptions) {
    if (!options.s3 || !options.client) throw new TypeError("ObjectIndexer needs an S3 client and a search client");
    if (!options.indexPrefix) throw new TypeError("ObjectIndexer needs an index prefix");
    if (!options.program) throw new TypeError("ObjectIndexer needs a program");
    this.#options = options;
  }

  async index(ref: ObjectRef): Promise<ObjectOutcome> {
    const skip = this.skipReason(ref);
    if (skip) return { ...empty(`s3://${ref.bucket}/${ref.key}`), status: "skipped", reason: skip.reason, kind: skip.kind };

    let response: Response;
    let key = ref.key;
    try {
      ({ response, key } = await this.#get(ref));
    } catch (error) {
      const transient = !(error instanceof S3Error) || error.status === 429 || error.status >= 500;
      return { ...empty(`s3://${ref.bucket}/${ref.key}`), status: "failed", reason: error instanceof S3Error ? error.message.replace(/^s3:\/\/\S+: /, "") : message(error), transient };
    }
    const name = `s3://${ref.bucket}/${key}`;
    const ledger = new Ledger();
    const deadLetters: string[] = [];
    /** Records the engine did not take for a transient reason: the object comes back, they are no dead letters. */
    const notTaken: { count: number; first?: DeadLetter } = { count: 0 };
    const deadLetter = (entry: DeadLetter) => {
      if (isTransient(entry)) {
        notTaken.count++;
        notTaken.first ??= entry;
      } else deadLetters.push(deadLetterLine(entry));
    };
    const object: LogObject = { name, body: response.body ?? new Blob([]).stream(), transportDecoded: transportDecoded(response) };
    const o = this.#options;
    try {
      await single(object)
        .pipeThrough(gunzip({ decompress: o.decompress }))
        .pipeThrough(selectRuns(o.program, { ledger }))
        .pipeThrough(toBulk({ indexPrefix: o.indexPrefix, ledger, deadLetter, maxBytes: o.maxBytes, flushAfterMs: 0 }))
        .pipeTo(bulkWriter(o.client, { ...o.bulk, ledger, deadLetter }));
    } catch (error) {
      // the network (fetch rejects with a TypeError) comes back; anything else is this object's to fail, so that
      // after the redrive count it rests in the dead-letter queue instead of being held forever
      const network = error instanceof TypeError || /fetch failed|ECONN|socket|network/i.test(networkReason(error));
      return { ...outcomeOf(name, ledger, deadLetters, 0), status: "failed", reason: `indexing stopped: ${networkReason(error)}`, transient: network };
    }
    const outcome = outcomeOf(name, ledger, deadLetters, notTaken.count);
    if (ledger.objects.failed) return { ...outcome, status: "failed", reason: ledger.failures[0]?.reason ?? "failed", transient: false };
    if (notTaken.first) {
      return { ...outcome, status: "failed", reason: `${notTaken.count} of ${ledger.records.read} records not taken by the engine (${notTaken.first.reason}); the object will be read again`, transient: true };
    }
    if (!ledger.balanced) return { ...outcome, status: "failed", reason: "records do not balance (read ≠ indexed + duplicates + dead-lettered)", transient: false };
    return { ...outcome, status: "indexed" };
  }

  /** Why an object is not read at all: not a log (digest, insight, other), or not the trail's. */
  skipReason(ref: ObjectRef): { kind: Exclude<ObjectKind, "log">; reason: string } | undefined {
    const parsed = parseKey(ref.key);
    if (!parsed) return { kind: "other", reason: "not a CloudTrail key (no AWSLogs/<account>/… layout)" };
    if (parsed.kind !== "log") return { kind: parsed.kind, reason: parsed.kind === "other" ? "not a log file (.json.gz) of the CloudTrail folder" : `a ${parsed.kind} file` };
    const l = this.#options.location;
    if (!l) return undefined;
    const outside = (what: string) => ({ kind: "other" as const, reason: `outside the trail's location (${what})` });
    if (l.bucket && ref.bucket !== l.bucket) return outside(`bucket ${ref.bucket}, not ${l.bucket}`);
    if (l.prefix !== undefined && parsed.prefix !== normalizePrefix(l.prefix)) return outside(`prefix ${JSON.stringify(parsed.prefix)}`);
    if (l.orgId && parsed.orgId !== l.orgId) return outside(`organization ${parsed.orgId ?? "none"}`);
    if (l.accounts?.length && !l.accounts.includes(parsed.account)) return outside(`account ${parsed.account}`);
    if (l.regions?.length && !l.regions.includes(parsed.region)) return outside(`region ${parsed.region}`);
    return undefined;
  }

  async #get(ref: ObjectRef): Promise<{ response: Response; key: string }> {
    try {
      return { response: await this.#options.s3.get(ref.bucket, ref.key), key: ref.key };
    } catch (error) {
      if (ref.alternateKey === undefined || !(error instanceof S3Error) || error.status !== 404) throw error;
      return { response: await this.#options.s3.get(ref.bucket, ref.alternateKey), key: ref.alternateKey };
    }
  }
}

/** Refused for load or never answered: another try, later, may land it. */
export function isTransient(entry: DeadLetter): boolean {
  if (entry.index === undefined) return false; // never reached the engine: no valid eventTime, not an object
  // unreachable, overloaded or failing; or refusing our credentials or permissions (401, 403), or without the
  // index and not allowed to create it (404): none of that is the object's fault, and none is fixed by dead letters
  return entry.status === 0 || entry.status === 401 || entry.status === 403 || entry.status === 404 || entry.status === 408 || entry.status === 429 || entry.status >= 500;
}

function outcomeOf(name: string, ledger: Ledger, deadLetters: string[], transientCount: number): ObjectOutcome {
  const r = ledger.records;
  return {
    object: name,
    status: "indexed",
    transient: false,
    records: { read: r.read, indexed: r.indexed, duplicates: r.duplicates, deadLettered: r.deadLettered - transientCount, retried: r.retried },
    bytes: ledger.bytes.read,
    deadLetters,
    perIndex: ledger.perIndex,
  };
}

function empty(name: string): ObjectOutcome {
  return { object: name, status: "indexed", transient: false, records: { read: 0, indexed: 0, duplicates: 0, deadLettered: 0, retried: 0 }, bytes: 0, deadLetters: [], perIndex: new Map() };
}

function single<T>(item: T): ReadableStream<T> {
  return new ReadableStream<T>({
    start(controller) {
      controller.enqueue(item);
      controller.close();
    },
  });
}
