/**
 * `ingest --validate`: a stage after gunzip that hashes each log object's content, takes its verdict from the
 * day's digests (digest-index.ts) and writes it in the book; the object goes on unchanged, so indexing is never
 * blocked (the records are the evidence). What is hashed is exactly what the next stage parses: had anything
 * been appended to the gzip, it is in both.
 *
 * ```ts
 * const book = new IntegrityBook();
 * s3Objects(s3, location, days, { ledger })
 *   .pipeThrough(gunzip({ decompress }))
 *   .pipeThrough(integrityStage(index, book))
 *   .pipeThrough(select(program, { ledger }))            // records carry their object's name…
 * // …and annotate.ts adds book.get(record.object) to each document as trailpost.integrity
 * ```
 */
import { iterate, wholeObject, type LogObject } from "../streams/log-object.ts";
import { concatBytes } from "../bytes.ts";
import { sha256Hex } from "./bytes.ts";
import type { DigestIndex, Integrity, IntegrityStatus } from "./digest-index.ts";

/** Each object's verdict, and the counts of objects and records per status. */
export class IntegrityBook {
  readonly #verdicts = new Map<string, Integrity>();
  readonly objects: Record<IntegrityStatus, number> = { valid: 0, invalid: 0, pending: 0, unsigned: 0 };
  readonly records: Record<IntegrityStatus, number> = { valid: 0, invalid: 0, pending: 0, unsigned: 0 };

  set(object: string, integrity: Integrity): void {
    const before = this.#verdicts.get(object);
    if (before) this.objects[before.status]--;
    this.#verdicts.set(object, integrity);
    this.objects[integrity.status]++;
  }

  get(object: string): Integrity | undefined {
    return this.#verdicts.get(object);
  }

  /** Objects with this status, with their verdicts. */
  *withStatus(...statuses: IntegrityStatus[]): Generator<[string, Integrity]> {
    for (const entry of this.#verdicts) if (statuses.includes(entry[1].status)) yield entry;
  }

  /** `50 log files: 49 valid, 1 invalid, 0 pending, 0 unsigned` */
  describe(): string {
    const o = this.objects;
    const r = this.records;
    const n = o.valid + o.invalid + o.pending + o.unsigned;
    return `${n} log file${n === 1 ? "" : "s"}: ${o.valid} valid, ${o.invalid} invalid, ${o.pending} pending, ${o.unsigned} unsigned; records: ${r.valid} valid, ${r.invalid} invalid, ${r.pending} pending, ${r.unsigned} unsigned`;
  }
}

/** Hashes each object's (gunzipped) body and books its verdict; the object is passed on with the same bytes. */
export function integrityStage(index: Pick<DigestIndex, "verdict">, book: IntegrityBook): TransformStream<LogObject, LogObject> {
  return new TransformStream({
    async transform(object, controller) {
      let content: Uint8Array;
      try {
        content = object.bytes ?? (await readAll(object.body));
      } catch (error) {
        // unreadable (a corrupt gzip): the next stage reports it as before, with the same error
        controller.enqueue({ name: object.name, transportDecoded: object.transportDecoded, body: new ReadableStream({ start: (c) => c.error(error) }) });
        return;
      }
      book.set(object.name, index.verdict(object.name, await sha256Hex(content)));
      controller.enqueue(wholeObject(object.name, content, object.transportDecoded));
    },
  });
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of iterate(body)) chunks.push(chunk);
  return concatBytes(chunks);
}
