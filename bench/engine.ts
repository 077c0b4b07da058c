/**
 * The engine's side of the benchmark: its ceiling, and the blog's own way of talking to it.
 *
 * - The ceiling: the same records as the indexing rows, made into the same documents (lib/search/document.ts,
 *   the same ids, into the same indices, under the same template and settings), pre-built into `_bulk` bodies of
 *   a given size and POSTed from memory with a given number of requests in flight. Nothing else runs: what it
 *   measures is the engine on this machine, the best trailpost could do.
 * - The blog's approach: one `curl -X POST /<index>/_doc` per record, as the 2013 post's loop did, on a sample
 *   of records (its time is then scaled to the day).
 *
 * ```ts
 * const ceiling = await Ceiling.build(search, "bench", ndjsonFile);
 * const run = await ceiling.post({ bodyBytes: 5e6, concurrency: 4 });   // { seconds, cpu, rejected (429s sent again) }
 * ```
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { actionLine } from "../lib/search/bulk.ts";
import type { S3 } from "../lib/aws/s3.ts";
import type { SearchClient } from "../lib/search/client.ts";
import { toAction } from "../lib/search/document.ts";
import { RecordIds } from "../lib/search/ids.ts";
import { prepareIndex } from "../lib/search/indexer.ts";
import { cpuOf, type Cpu, type Watched } from "./measure.ts";

export interface Setting {
  bodyBytes: number;
  concurrency: number;
}

export class Ceiling {
  private constructor(
    readonly search: SearchClient,
    readonly prefix: string,
    /** Each document's two lines, as bytes. */
    readonly documents: Uint8Array[],
  ) {}

  /** The documents of an NDJSON file's records, as bulk.ts makes them from that file. */
  static async build(search: SearchClient, prefix: string, ndjson: string): Promise<Ceiling> {
    await prepareIndex(search, prefix);
    const encoder = new TextEncoder();
    const ids = new RecordIds();
    const documents: Uint8Array[] = [];
    let position = 0;
    for (const line of readFileSync(ndjson, "utf8").split("\n")) {
      position++;
      if (!line) continue;
      const action = await toAction(line, JSON.parse(line), prefix, { ids, object: ndjson });
      documents.push(encoder.encode(`${actionLine(action)}\n${action.source}\n`));
    }
    return new Ceiling(search, prefix, documents);
  }

  get records(): number {
    return this.documents.length;
  }

  /** Bodies of at most `bodyBytes` (as toBulk cuts them). */
  bodies(bodyBytes: number): Uint8Array[] {
    const bodies: Uint8Array[] = [];
    let batch: Uint8Array[] = [];
    let size = 0;
    const close = () => {
      const body = new Uint8Array(size);
      let at = 0;
      for (const d of batch) {
        body.set(d, at);
        at += d.length;
      }
      bodies.push(body);
      batch = [];
      size = 0;
    };
    for (const d of this.documents) {
      if (batch.length && size + d.length > bodyBytes) close();
      batch.push(d);
      size += d.length;
    }
    if (batch.length) close();
    return bodies;
  }

  /**
   * Empty indices, then every body POSTed with `concurrency` requests in flight; every item must be created.
   * `alongside` runs in the same timed span (the S3 reads an ingest cannot do without: see s3Reads).
   */
  async post(setting: Setting, watched: Watched, alongside?: () => Promise<unknown>): Promise<{ seconds: number; cpu: Cpu; rejected: number }> {
    const bodies = this.bodies(setting.bodyBytes);
    await deleteIndices(this.search, this.prefix);
    const before = cpuOf(watched);
    const ours = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    let rejected = 0;
    const base = this.search.base.href;
    await Promise.all([
      alongside?.(),
      ...Array.from({ length: setting.concurrency }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          for (let attempt = 0; ; attempt++) {
            const response = await fetch(new URL("_bulk?filter_path=errors,items.*.error", base), { method: "POST", body: body as BodyInit, headers: { "content-type": "application/x-ndjson" } });
            const text = await response.text();
            // a whole-request 429 (the engine's memory circuit breaker) is sent again after a pause, as any client would; counted
            if (response.status === 429 && attempt < 8) {
              rejected++;
              await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
              continue;
            }
            if (response.status !== 200 || !text.startsWith('{"errors":false')) throw new Error(`ceiling: HTTP ${response.status} ${text.slice(0, 300)}`);
            break;
          }
        }
      }),
    ]);
    await this.search.request("POST", `/${this.prefix}-*/_refresh`);
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(ours);
    const after = cpuOf(watched);
    const cpu: Cpu = { ours: (used.user + used.system) / 1e6 };
    if (before.engine !== undefined && after.engine !== undefined) cpu.engine = after.engine - before.engine;
    if (before.s3 !== undefined && after.s3 !== undefined) cpu.s3 = after.s3 - before.s3;
    return { seconds, cpu, rejected };
  }
}

/**
 * Every object GET from S3 and read to its end, `inFlight` at a time, nothing done with the bytes: the least an
 * ingest from this S3 must make it (and this process) do. Beside the ceiling's posts, it is the ceiling of an
 * ingest on a machine that also runs its S3 (LocalStack here).
 */
export function s3Reads(s3: S3, bucket: string, keys: readonly string[], inFlight = 8): () => Promise<number> {
  return async () => {
    let next = 0;
    let bytes = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < keys.length) {
          const response = await s3.get(bucket, keys[next++]!);
          bytes += (await response.arrayBuffer()).byteLength;
        }
      }),
    );
    return bytes;
  };
}

/**
 * The blog's loop: `curl -X POST <url>/<index>/_doc -d <record>`, one process and one request per record, for
 * the first `sample` records of the file. Returns the time it took and how many the engine created.
 */
export async function blogCurl(search: SearchClient, index: string, ndjson: string, sample: number): Promise<{ seconds: number; records: number; created: number }> {
  await deleteIndices(search, index);
  const lines = readFileSync(ndjson, "utf8").split("\n").filter(Boolean).slice(0, sample);
  const url = new URL(`${index}/_doc`, search.base.href).href;
  const t0 = performance.now();
  let created = 0;
  for (const line of lines) {
    const result = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@-", url], { input: line, encoding: "utf8" });
    if (result.stdout === "201") created++;
  }
  return { seconds: (performance.now() - t0) / 1000, records: lines.length, created };
}

/** Deletes the indices `<prefix>-*` (or `prefix` itself) by name: Elasticsearch refuses wildcard deletes. */
export async function deleteIndices(search: SearchClient, prefix: string): Promise<void> {
  const response = await search.request("GET", `/_cat/indices/${prefix},${prefix}-*?h=index&format=json&expand_wildcards=all&allow_no_indices=true&ignore_unavailable=true`);
  if (response.status !== 200) return;
  const names = (JSON.parse(response.text) as { index: string }[]).map((i) => i.index);
  for (let i = 0; i < names.length; i += 50) await search.request("DELETE", `/${names.slice(i, i + 50).map(encodeURIComponent).join(",")}`);
}
