/**
 * ingest on several cores (lib/parallel/index-job.ts through lib/search/indexer.ts indexObjects), with workers in
 * this thread: the same documents under the same ids (identical records without an eventID counted per object),
 * the same dead letters with the records' own text, the same books as one thread (indexRecords) over the same
 * objects, against an engine that rejects some items for load (429) and refuses some for good (400).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { generateDayJson } from "../../../fixtures/generate.ts";
import { hostileRecords } from "../../../fixtures/hostile.ts";
import { Ledger } from "../../../lib/ledger.ts";
import { channelPair } from "../../../lib/parallel/channel.ts";
import { indexJob } from "../../../lib/parallel/index-job.ts";
import { serve } from "../../../lib/parallel/serve.ts";
import type { DeadLetter } from "../../../lib/search/bulk.ts";
import type { SearchClient, SearchResponse } from "../../../lib/search/client.ts";
import { indexObjects, indexRecords } from "../../../lib/search/indexer.ts";
import { decompressionStream, gunzip } from "../../../lib/streams/gunzip.ts";
import type { LogObject } from "../../../lib/streams/log-object.ts";
import { select } from "../../../lib/streams/select.ts";

/** Log objects: a generated day's, hostile records (some without a valid eventTime), repeats without eventID, broken ones. */
function bodies(): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const f of generateDayJson({ date: "2024-03-04", records: 600, seed: 11 })) out.push({ name: `s3://b/${f.key}`, bytes: gzipSync(f.json) });
  const hostile = hostileRecords({ seed: "index-job", count: 400 });
  for (let i = 0; i < hostile.length; i += 40) out.push({ name: `s3://b/hostile-${i}.json.gz`, bytes: gzipSync(`{"Records":[${hostile.slice(i, i + 40).map((r) => r.text).join(",")}]}`) });
  const unplaceable = ['{"eventID":"no-time"}', '{"eventTime":"2013-13-45T00:00:00Z","eventID":"bad-time"}', "[1,2]", '"text"'];
  out.push({ name: "s3://b/unplaceable.json.gz", bytes: gzipSync(`{"Records":[${unplaceable.join(",")},{"eventTime":"2024-03-04T01:00:00Z","eventID":"fine"}]}`) });
  const same = '{"eventVersion":"1.0","eventTime":"2013-12-07T05:03:12Z","eventName":"DescribeInstances"}';
  for (let k = 0; k < 3; k++) out.push({ name: `s3://b/repeats-${k}.json.gz`, bytes: gzipSync(`{"Records":[${[same, same, same].join(",")}]}`) });
  out.push({ name: "s3://b/not-gzip.json.gz", bytes: new TextEncoder().encode('{"Records":[]}') });
  out.push({ name: "s3://b/truncated.json.gz", bytes: gzipSync('{"Records":[{"eventTime":"2024-03-04T00:00:00Z"}]}').subarray(0, 30) });
  return out;
}

function objects(): ReadableStream<LogObject> {
  const list = bodies();
  let i = 0;
  return new ReadableStream<LogObject>({
    pull(controller) {
      const o = list[i++];
      if (!o) return controller.close();
      controller.enqueue({ name: o.name, body: new Blob([o.bytes as BlobPart]).stream() });
    },
  });
}

/** An engine: 201 for new ids, 409 for ids it has; a 429 the first time it sees some ids; a 400 for some. */
class Engine {
  readonly documents = new Map<string, string>();
  readonly #seen = new Set<string>();
  async request(_method: string, path: string, body?: string | Uint8Array): Promise<SearchResponse> {
    if (!path.startsWith("/_bulk")) return { status: 200, headers: new Headers(), text: "{}" };
    const lines = (typeof body === "string" ? body : new TextDecoder().decode(body)).split("\n").filter(Boolean);
    const items = [];
    for (let i = 0; i < lines.length; i += 2) {
      const { _index, _id } = (JSON.parse(lines[i]!) as { create: { _index: string; _id: string } }).create;
      const key = `${_index}/${_id}`;
      const h = [...key].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7);
      if (h % 13 === 0 && !this.#seen.has(key)) {
        this.#seen.add(key);
        items.push({ create: { status: 429, error: { type: "es_rejected_execution_exception", reason: "queue full" } } });
      } else if (h % 17 === 0) items.push({ create: { status: 400, error: { type: "document_parsing_exception", reason: "refused" } } });
      else if (this.documents.has(key)) items.push({ create: { status: 409 } });
      else {
        this.documents.set(key, lines[i + 1]!);
        items.push({ create: { status: 201 } });
      }
    }
    return { status: 200, headers: new Headers(), text: JSON.stringify({ errors: true, items }) };
  }
}

async function run(parallel: number) {
  const engine = new Engine();
  const ledger = new Ledger();
  const deadLetters: DeadLetter[] = [];
  const options = { indexPrefix: "cloudtrail", ledger, deadLetter: (d: DeadLetter) => void deadLetters.push(d), maxBytes: 30_000, random: () => 0, sleep: async () => {}, concurrency: 3 };
  const client = engine as unknown as SearchClient;
  if (parallel === 0) {
    await indexRecords(objects().pipeThrough(gunzip()).pipeThrough(select(".Records[]", { ledger })), client, options);
  } else {
    const spawn = () => {
      const [main, worker] = channelPair();
      serve(worker, { index: indexJob(decompressionStream) });
      return main;
    };
    await indexObjects(objects(), client, options, { spawn, workers: parallel, program: ".Records[]" });
  }
  return { engine, ledger, deadLetters };
}

const letter = (d: DeadLetter) => JSON.stringify([d.record.object, d.record.position, d.record.text, d.status, d.reason, d.index ?? null, d.id ?? null]);

for (const workers of [1, 3]) {
  test(`${workers} worker(s): the same documents, ids, dead letters and books as one thread`, async () => {
    const one = await run(0);
    const many = await run(workers);
    assert.deepEqual([...many.engine.documents].sort(), [...one.engine.documents].sort());
    assert.deepEqual(many.deadLetters.map(letter).sort(), one.deadLetters.map(letter).sort());
    assert.deepEqual(many.ledger.records, one.ledger.records);
    assert.deepEqual(many.ledger.objects, one.ledger.objects);
    assert.equal(many.ledger.bytes.read, one.ledger.bytes.read);
    assert.deepEqual([...many.ledger.perIndex].sort(), [...one.ledger.perIndex].sort());
    assert.deepEqual(many.ledger.failures.map((f) => f.subject + f.reason).sort(), one.ledger.failures.map((f) => f.subject + f.reason).sort());
    // the run itself: everything accounted for, each kind of outcome there
    const r = many.ledger.records;
    assert.equal(r.indexed + r.duplicates + r.deadLettered, r.read);
    assert.ok(r.retried > 0 && r.deadLettered > 10 && many.deadLetters.some((d) => d.status === 0) && many.deadLetters.some((d) => d.status === 400), JSON.stringify(r));
    assert.equal(many.ledger.objects.failed, 2);
    // identical records without an eventID: three per object, three distinct documents, the same in every object
    const repeats = [...many.engine.documents.keys()].filter((k) => k.startsWith("cloudtrail-2013.12.07/")).filter((k) => /\/[0-9a-f]{64}(-[23])?$/.test(k));
    assert.ok(repeats.length >= 3, `the repeated records give distinct ids: ${repeats.length}`);
  });
}
