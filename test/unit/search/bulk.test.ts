import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Ledger } from "../../../lib/ledger.ts";
import { actionLine, bulkWriter, deadLetterLine, toBulk, type BulkBatch, type BulkItem, type BulkWriterOptions, type DeadLetter, type DuplicateItem } from "../../../lib/search/bulk.ts";
import type { SearchClient, SearchResponse } from "../../../lib/search/client.ts";
import { toAction } from "../../../lib/search/document.ts";
import type { Selected } from "../../../lib/streams/select.ts";
import { streamOf } from "../../support/streams.ts";
import { Rng } from "../../support/hostile-json.ts";


const encoder = new TextEncoder();
const bytes = (s: string) => encoder.encode(s).length;

function record(i: number, extra = ""): Selected {
  const text = `{"eventVersion":"1.08","eventTime":"2013-12-07T05:0${i % 10}:12Z","eventID":"id-${i}","eventName":"E${i}","n":1.10${extra}}`;
  return { text, value: JSON.parse(text), object: `s3://b/k${Math.floor(i / 100)}.json.gz`, position: (i % 100) + 1 };
}

async function batchesOf(records: (Selected | Selected[])[], options: { maxBytes?: number; ledger?: Ledger; deadLetters?: DeadLetter[] } = {}) {
  const ledger = options.ledger ?? new Ledger();
  const deadLetters = options.deadLetters ?? [];
  const batches: BulkBatch[] = [];
  await streamOf(records)
    .pipeThrough(toBulk({ indexPrefix: "cloudtrail", ledger, deadLetter: (d) => void deadLetters.push(d), maxBytes: options.maxBytes, flushAfterMs: 0 }))
    .pipeTo(new WritableStream({ write: (b) => void batches.push(b) }));
  return { batches, ledger, deadLetters };
}

const ndjson = (items: BulkItem[]) => items.map((i) => `${actionLine(i.action)}\n${i.action.source}\n`).join("");

describe("toBulk", () => {
  test("batches are bounded by maxBytes, and a batch's bytes are its NDJSON body's bytes", async () => {
    const records = Array.from({ length: 50 }, (_, i) => record(i));
    const { batches, ledger, deadLetters } = await batchesOf(records, { maxBytes: 1000 });
    assert.ok(batches.length > 1, `expected several batches, got ${batches.length}`);
    for (const b of batches) {
      assert.equal(b.bytes, bytes(ndjson(b.items)));
      assert.ok(b.bytes <= 1000, `batch of ${b.bytes} bytes`);
    }
    // nothing lost, nothing duplicated, order kept
    assert.deepEqual(batches.flatMap((b) => b.items.map((i) => i.record)), records.map(({ text, object, position }) => ({ text, object, position })));
    assert.deepEqual(batches.flatMap((b) => b.items.map((i) => i.action.id)), records.map((_, i) => `id-${i}`));
    // batches are filled: each batch plus the next batch's first item would exceed the bound
    for (let i = 0; i + 1 < batches.length; i++) {
      const next = batches[i + 1]!.items[0]!;
      assert.ok(batches[i]!.bytes + bytes(ndjson([next])) > 1000, `batch ${i} could have taken one more`);
    }
    assert.equal(ledger.records.read, 50);
    assert.equal(deadLetters.length, 0);
  });

  test("the byte count is in UTF-8 bytes, not characters", async () => {
    const r = record(1, `,"s":"${"é".repeat(200)}","cjk":"日本語","emoji":"😀🎉","esc":"\\ud83d\\ude00"`);
    const { batches } = await batchesOf([r]);
    assert.equal(batches[0]!.bytes, bytes(ndjson(batches[0]!.items)));
    assert.ok(batches[0]!.bytes > ndjson(batches[0]!.items).length, "é takes two bytes");
  });

  test("a single record larger than maxBytes goes alone", async () => {
    const big = record(5, `,"pad":"${"x".repeat(3000)}"`);
    const records = [record(1), record(2), big, record(3), record(4)];
    const { batches } = await batchesOf(records, { maxBytes: 1000 });
    const alone = batches.find((b) => b.items.some((i) => i.record.text === big.text))!;
    assert.equal(alone.items.length, 1);
    assert.ok(alone.bytes > 1000);
    assert.equal(batches.flatMap((b) => b.items).length, 5);
    for (const b of batches) if (b !== alone) assert.ok(b.bytes <= 1000, `batch of ${b.bytes} bytes`);
  });

  test("the default bound keeps a small day in one batch", async () => {
    const { batches } = await batchesOf(Array.from({ length: 20 }, (_, i) => record(i)));
    assert.equal(batches.length, 1);
    assert.equal(batches[0]!.items.length, 20);
  });

  test("records that cannot be placed are dead-lettered at once with status 0 and the reason; read counts them", async () => {
    const bad1: Selected = { text: "[1,2]", value: [1, 2], object: "s3://b/x.json.gz", position: 2 };
    const bad2: Selected = { text: '{"eventID":"x"}', value: { eventID: "x" }, object: "s3://b/x.json.gz", position: 3 };
    const { batches, ledger, deadLetters } = await batchesOf([record(1), bad1, bad2, record(4)]);
    assert.deepEqual(batches.flatMap((b) => b.items.map((i) => i.action.id)), ["id-1", "id-4"]);
    assert.equal(deadLetters.length, 2);
    assert.equal(deadLetters[0]!.record, bad1);
    assert.equal(deadLetters[0]!.status, 0);
    assert.match(deadLetters[0]!.reason, /not a CloudTrail record/);
    assert.equal(deadLetters[1]!.record, bad2);
    assert.equal(deadLetters[1]!.status, 0);
    assert.match(deadLetters[1]!.reason, /no valid eventTime/);
    assert.equal(ledger.records.read, 4);
    assert.equal(ledger.records.deadLettered, 2);
  });

  test("runs of records (ndjsonRecords' chunks) give the same batches, dead letters and counts as the records one by one", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const rng = new Rng(seed);
      const records: Selected[] = Array.from({ length: 40 + rng.int(200) }, (_, i) => {
        const roll = rng.int(10);
        if (roll === 0) return { text: "[1]", value: [1], object: "s3://b/x", position: i + 1 };
        if (roll === 1) return { text: '{"eventName":"NoTime"}', value: { eventName: "NoTime" }, object: "s3://b/x", position: i + 1 };
        if (roll === 2) {
          const text = `{"eventTime":"2013-12-07T05:03:12Z","eventName":"NoId","n":${i % 3}}`;
          return { text, value: JSON.parse(text), object: "s3://b/x", position: i + 1 };
        }
        return record(i, roll === 3 ? `,"pad":"${"x".repeat(rng.int(900))}"` : "");
      });
      const runs: Selected[][] = [];
      for (let at = 0; at < records.length; ) {
        const size = rng.int(4) === 0 ? 1 : 1 + rng.int(60);
        runs.push(records.slice(at, at + size));
        at += size;
      }
      const maxBytes = 700 + rng.int(3000);
      // a run of one is sent as it is or as a record, as a producer may
      const chunks = runs.map((run) => (run.length === 1 && rng.chance(0.5) ? run[0]! : run));
      const one = await batchesOf(records, { maxBytes });
      const again = await batchesOf(chunks, { maxBytes });
      const shape = (r: { batches: BulkBatch[]; ledger: Ledger; deadLetters: DeadLetter[] }) => ({
        batches: r.batches.map((b) => ({ bytes: b.bytes, body: ndjson(b.items), records: b.items.map((i) => [i.record.text, i.record.object, i.record.position]) })),
        deadLetters: r.deadLetters.map((d) => [d.record.text, d.record.position, d.status, d.reason]),
        read: r.ledger.records.read,
        deadLettered: r.ledger.records.deadLettered,
      });
      assert.ok(one.batches.length > 1 && one.deadLetters.length > 0, `seed ${seed}: several batches and some dead letters`);
      assert.deepEqual(shape(again), shape(one), `seed ${seed}`);
      assert.equal(again.ledger.records.read, records.length, `seed ${seed}`);
      assert.equal(again.batches.reduce((n, b) => n + b.items.length, 0) + again.deadLetters.length, records.length, `seed ${seed}`);
    }
  });
});

describe("actionLine and deadLetterLine", () => {
  test("actionLine is a create with index and id", async () => {
    const action = await toAction('{"eventTime":"2013-12-07T05:03:12Z","eventID":"a\\"b"}', { eventTime: "2013-12-07T05:03:12Z", eventID: 'a"b' }, "cloudtrail");
    const line = actionLine(action);
    assert.deepEqual(JSON.parse(line), { create: { _index: "cloudtrail-2013.12.07", _id: 'a"b' } });
    assert.doesNotMatch(line, /\n/);
  });

  test("deadLetterLine: {deadLetter:{reason,status,index,id,object,position,at}, record:<raw text>}", () => {
    const text = '{"eventTime":"2013-12-07T05:03:12Z","n":1.10,"big":12345678901234567890,"s":"é\\u0000"}';
    const entry: DeadLetter = {
      record: { text, object: "s3://b/k.json.gz", position: 7 },
      index: "cloudtrail-2013.12.07",
      id: "abc",
      status: 400,
      reason: "mapper_parsing_exception: failed to parse",
    };
    const line = deadLetterLine(entry, new Date("2024-01-02T03:04:05.678Z"));
    assert.doesNotMatch(line, /\n/);
    const parsed = JSON.parse(line) as { deadLetter: Record<string, unknown>; record: unknown };
    assert.deepEqual(Object.keys(parsed), ["deadLetter", "record"]);
    assert.deepEqual(parsed.deadLetter, {
      reason: "mapper_parsing_exception: failed to parse",
      status: 400,
      index: "cloudtrail-2013.12.07",
      id: "abc",
      object: "s3://b/k.json.gz",
      position: 7,
      at: "2024-01-02T03:04:05.678Z",
    });
    assert.deepEqual(parsed.record, JSON.parse(text));
    assert.ok(line.endsWith(`,"record":${text}}`), "the record is embedded byte for byte");
  });

  test("deadLetterLine without index and id (never reached the engine)", () => {
    const text = "[1,2]";
    const line = deadLetterLine({ record: { text, object: "o", position: 1 }, status: 0, reason: "not a CloudTrail record" });
    const parsed = JSON.parse(line) as { deadLetter: Record<string, unknown>; record: unknown };
    assert.equal(parsed.deadLetter.status, 0);
    assert.equal("index" in parsed.deadLetter, false);
    assert.deepEqual(parsed.record, [1, 2]);
    assert.ok(line.endsWith(',"record":[1,2]}'), line);
  });
});

// ---------------------------------------------------------------------------------------------------------------

interface Sent {
  method: string;
  path: string;
  contentType: string | undefined;
  plainAnswer: boolean | undefined;
  ids: string[];
  body: string;
}

type Answer = SearchResponse | Error;
type Handler = (sent: Sent, call: number) => Answer | Promise<Answer>;

class StubClient {
  readonly sent: Sent[] = [];
  constructor(private readonly handler: Handler) {}
  async request(method: string, path: string, bytes?: string | Uint8Array, contentType?: string, plainAnswer?: boolean): Promise<SearchResponse> {
    const body = typeof bytes === "string" || bytes === undefined ? bytes : new TextDecoder().decode(bytes);
    const lines = (body ?? "").split("\n").filter(Boolean);
    const ids = lines.filter((_, i) => i % 2 === 0).map((l) => (JSON.parse(l) as { create: { _id: string } }).create._id);
    const sent = { method, path, contentType, plainAnswer, ids, body: body ?? "" };
    this.sent.push(sent);
    const answer = await this.handler(sent, this.sent.length);
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

const response = (status: number, body: unknown): SearchResponse => ({ status, headers: new Headers(), text: typeof body === "string" ? body : JSON.stringify(body) });
const itemsResponse = (statuses: (number | { status: number; error: unknown })[]) =>
  response(200, { errors: statuses.some((s) => typeof s !== "number" || s >= 300), items: statuses.map((s) => ({ create: typeof s === "number" ? { status: s } : s })) });
const allCreated = (sent: Sent) => itemsResponse(sent.ids.map(() => 201));

async function batchesFor(n: number, perBatch = n): Promise<BulkBatch[]> {
  const out: BulkBatch[] = [];
  for (let start = 0; start < n; start += perBatch) {
    const items: BulkItem[] = [];
    for (let i = start; i < Math.min(n, start + perBatch); i++) {
      const r = record(i);
      items.push({ record: r, action: await toAction(r.text, r.value, "cloudtrail") });
    }
    out.push({ items, bytes: bytes(ndjson(items)) });
  }
  return out;
}

interface RunOptions {
  onDuplicate?: BulkWriterOptions["onDuplicate"];
  maxRetries?: number;
  backoffMs?: number;
  random?: () => number;
  concurrency?: number;
}

async function write(batches: BulkBatch[], handler: Handler, options: RunOptions = {}) {
  const client = new StubClient(handler);
  const ledger = new Ledger();
  ledger.records.read = batches.reduce((n, b) => n + b.items.length, 0); // as toBulk counts them
  const deadLetters: DeadLetter[] = [];
  const retries: { attempt: number; items: number; reason: string; delayMs: number }[] = [];
  const slept: number[] = [];
  let error: unknown;
  try {
    await streamOf(batches).pipeTo(
      bulkWriter(client as unknown as SearchClient, {
        ledger,
        deadLetter: (d) => void deadLetters.push(d),
        onRetry: (info) => void retries.push(info),
        sleep: async (ms) => void slept.push(ms),
        random: options.random ?? (() => 0),
        maxRetries: options.maxRetries,
        backoffMs: options.backoffMs,
        concurrency: options.concurrency,
        onDuplicate: options.onDuplicate,
      }),
    );
  } catch (e) {
    error = e;
  }
  return { client, ledger, deadLetters, retries, slept, error };
}

function assertBalanced(ledger: Ledger) {
  const r = ledger.records;
  assert.equal(r.indexed + r.duplicates + r.deadLettered, r.read, `ledger does not balance: ${JSON.stringify(r)}`);
  assert.equal(ledger.balanced, true);
}

describe("bulkWriter", () => {
  test("201 items are indexed, counted per index; the request is a POST of NDJSON to _bulk", async () => {
    const batches = await batchesFor(10, 4);
    const { client, ledger, deadLetters, error } = await write(batches, allCreated);
    assert.equal(error, undefined);
    assert.equal(ledger.records.indexed, 10);
    assert.equal(ledger.perIndex.get("cloudtrail-2013.12.07"), 10);
    assert.equal(deadLetters.length, 0);
    assert.equal(client.sent.length, 3);
    for (const s of client.sent) {
      assert.equal(s.method, "POST");
      assert.match(s.path, /^\/_bulk(\?|$)/);
      assert.equal(s.contentType, "application/x-ndjson");
      assert.equal(s.plainAnswer, true); // the answer uncompressed (client.ts): small, and cheaper to read plain
      assert.ok(s.body.endsWith("\n"), "NDJSON ends with a newline");
    }
    assert.deepEqual(client.sent.flatMap((s) => s.ids).sort(), Array.from({ length: 10 }, (_, i) => `id-${i}`).sort());
    assert.equal(client.sent[0]!.body, ndjson(batches[0]!.items));
    assertBalanced(ledger);
    assert.equal(ledger.clean, true);
  });

  test("409 items are duplicates, not failures", async () => {
    const { ledger, deadLetters } = await write(await batchesFor(3), (s) => itemsResponse(s.ids.map((_, i) => (i === 1 ? { status: 409, error: { type: "version_conflict_engine_exception", reason: "document already exists" } } : 201))));
    assert.equal(ledger.records.indexed, 2);
    assert.equal(ledger.records.duplicates, 1);
    assert.equal(deadLetters.length, 0);
    assertBalanced(ledger);
  });

  test("onDuplicate is told each 409 item's index, id, object and position, once, after retries too; not the others", async () => {
    const seen: DuplicateItem[] = [];
    const { ledger } = await write(await batchesFor(6, 3), (s, call) => itemsResponse(s.ids.map((id) => (id === "id-1" || id === "id-4" ? 409 : id === "id-5" && call <= 2 ? 429 : 201))), {
      onDuplicate: (item) => void seen.push({ index: item.index, id: item.id, object: item.object, position: item.position }),
      concurrency: 1,
    });
    assert.deepEqual(seen, [
      { index: "cloudtrail-2013.12.07", id: "id-1", object: "s3://b/k0.json.gz", position: 2 },
      { index: "cloudtrail-2013.12.07", id: "id-4", object: "s3://b/k0.json.gz", position: 5 },
    ]);
    assert.equal(ledger.records.duplicates, 2);
    assertBalanced(ledger);
  });

  test("item 429 is retried for those items only, until they land", async () => {
    const { client, ledger, deadLetters, retries } = await write(await batchesFor(5), (s, call) => {
      if (call <= 2) return itemsResponse(s.ids.map((id) => (id === "id-1" || id === "id-3" ? { status: 429, error: { type: "es_rejected_execution_exception", reason: "rejected execution" } } : 201)));
      return allCreated(s);
    });
    assert.equal(client.sent.length, 3);
    assert.deepEqual(client.sent[0]!.ids, ["id-0", "id-1", "id-2", "id-3", "id-4"]);
    assert.deepEqual(client.sent[1]!.ids, ["id-1", "id-3"]);
    assert.deepEqual(client.sent[2]!.ids, ["id-1", "id-3"]);
    assert.equal(ledger.records.indexed, 5);
    assert.equal(ledger.records.retried, 4);
    assert.equal(deadLetters.length, 0);
    assert.deepEqual(retries.map((r) => [r.attempt, r.items]), [[1, 2], [2, 2]]);
    assert.match(retries[0]!.reason, /429/);
    assertBalanced(ledger);
  });

  test("item 400 mapper_parsing_exception is dead-lettered with status and reason, the others land", async () => {
    const error = { type: "mapper_parsing_exception", reason: "failed to parse field [readOnly] of type [boolean]", caused_by: { type: "illegal_argument_exception", reason: "Failed to parse value [maybe]" } };
    const batches = await batchesFor(3);
    const { client, ledger, deadLetters } = await write(batches, (s) => itemsResponse(s.ids.map((id) => (id === "id-2" ? { status: 400, error } : 201))));
    assert.equal(client.sent.length, 1, "a 400 is not retried");
    assert.equal(ledger.records.indexed, 2);
    assert.equal(deadLetters.length, 1);
    const d = deadLetters[0]!;
    assert.equal(d.status, 400);
    assert.equal(d.id, "id-2");
    assert.equal(d.index, "cloudtrail-2013.12.07");
    assert.equal(d.record, batches[0]!.items[2]!.record);
    assert.match(d.reason, /mapper_parsing_exception: failed to parse field \[readOnly\]/);
    assert.match(d.reason, /illegal_argument_exception: Failed to parse value \[maybe\]/);
    assertBalanced(ledger);
  });

  test("request-level 503 is retried for the whole batch", async () => {
    const { client, ledger, retries } = await write(await batchesFor(4), (s, call) => (call === 1 ? response(503, { error: { type: "unavailable_shards_exception", reason: "primary shard is not active" } }) : allCreated(s)));
    assert.equal(client.sent.length, 2);
    assert.deepEqual(client.sent[1]!.ids, client.sent[0]!.ids);
    assert.equal(ledger.records.indexed, 4);
    assert.equal(ledger.records.retried, 4);
    assert.match(retries[0]!.reason, /HTTP 503 unavailable_shards_exception/);
    assertBalanced(ledger);
  });

  test("request-level 429, 502 and 504 are retried too", async () => {
    for (const status of [429, 502, 504]) {
      const { client, ledger } = await write(await batchesFor(2), (s, call) => (call === 1 ? response(status, "busy") : allCreated(s)));
      assert.equal(client.sent.length, 2, `HTTP ${status}`);
      assert.equal(ledger.records.indexed, 2);
      assertBalanced(ledger);
    }
  });

  test("request-level 413 splits the batch until it fits", async () => {
    const { client, ledger, deadLetters } = await write(await batchesFor(8), (s) => (s.ids.length > 2 ? response(413, "") : allCreated(s)));
    assert.equal(ledger.records.indexed, 8);
    assert.equal(deadLetters.length, 0);
    const landed = client.sent.filter((s) => s.ids.length <= 2).flatMap((s) => s.ids);
    assert.deepEqual(landed, Array.from({ length: 8 }, (_, i) => `id-${i}`));
    assertBalanced(ledger);
  });

  test("a single document that is still too large (413) is dead-lettered, mentioning http.max_content_length", async () => {
    const { ledger, deadLetters } = await write(await batchesFor(5), (s) => (s.ids.includes("id-3") ? response(413, "") : allCreated(s)));
    assert.equal(ledger.records.indexed, 4);
    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0]!.id, "id-3");
    assert.equal(deadLetters[0]!.status, 413);
    assert.match(deadLetters[0]!.reason, /http\.max_content_length/);
    assertBalanced(ledger);
  });

  test("retries are bounded by maxRetries, then the items are dead-lettered", async () => {
    const { client, ledger, deadLetters } = await write(await batchesFor(3), (s) => itemsResponse(s.ids.map((id) => (id === "id-0" ? 201 : { status: 429, error: { type: "es_rejected_execution_exception", reason: "queue full" } }))), { maxRetries: 3 });
    assert.equal(client.sent.length, 4, "the first attempt and 3 retries");
    assert.equal(ledger.records.indexed, 1);
    assert.equal(deadLetters.length, 2);
    for (const d of deadLetters) assert.match(d.reason, /still rejected after 3 retries/);
    assert.deepEqual(deadLetters.map((d) => d.id).sort(), ["id-1", "id-2"]);
    assertBalanced(ledger);
  });

  test("maxRetries 0: no retry at all", async () => {
    const { client, deadLetters, ledger } = await write(await batchesFor(2), () => response(503, "down"), { maxRetries: 0 });
    assert.equal(client.sent.length, 1);
    assert.equal(deadLetters.length, 2);
    for (const d of deadLetters) assert.match(d.reason, /still rejected after 0 retries/);
    assertBalanced(ledger);
  });

  test("the dead letter after exhausted retries carries the status last seen (503), not another", async () => {
    const { deadLetters } = await write(await batchesFor(1), () => response(503, "down"), { maxRetries: 2 });
    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0]!.status, 503);
  });

  test("a network error (request rejects) is retried", async () => {
    const { client, ledger, retries } = await write(await batchesFor(3), (s, call) => (call <= 2 ? new TypeError("fetch failed") : allCreated(s)));
    assert.equal(client.sent.length, 3);
    assert.equal(ledger.records.indexed, 3);
    assert.match(retries[0]!.reason, /request failed: fetch failed/);
    assertBalanced(ledger);
  });

  test("network errors that never stop: dead-lettered after maxRetries, the writer still closes", async () => {
    const { client, ledger, deadLetters, error } = await write(await batchesFor(2), () => new TypeError("fetch failed"), { maxRetries: 2 });
    assert.equal(error, undefined);
    assert.equal(client.sent.length, 3);
    assert.equal(deadLetters.length, 2);
    for (const d of deadLetters) assert.match(d.reason, /still rejected after 2 retries: request failed: fetch failed/);
    assertBalanced(ledger);
  });

  test("a request-level 4xx other than 413/429 dead-letters the batch with that status", async () => {
    const { client, ledger, deadLetters } = await write(await batchesFor(3), () => response(403, { error: { type: "security_exception", reason: "action [indices:data/write/bulk] is unauthorized" } }));
    assert.equal(client.sent.length, 1);
    assert.equal(deadLetters.length, 3);
    for (const d of deadLetters) {
      assert.equal(d.status, 403);
      assert.match(d.reason, /HTTP 403 security_exception: action \[indices:data\/write\/bulk\] is unauthorized/);
    }
    assertBalanced(ledger);
  });

  test("a response with the wrong number of items is retried whole (create is idempotent); what landed then counts as a duplicate", async () => {
    const { client, ledger, deadLetters, retries } = await write(await batchesFor(3), (s, call) => (call === 1 ? itemsResponse([201]) : itemsResponse(s.ids.map((id) => (id === "id-0" ? 409 : 201)))));
    assert.equal(client.sent.length, 2);
    assert.deepEqual(client.sent[1]!.ids, ["id-0", "id-1", "id-2"]);
    assert.match(retries[0]!.reason, /1 items for 3 sent/);
    assert.equal(deadLetters.length, 0);
    assert.equal(ledger.records.indexed, 2);
    assert.equal(ledger.records.duplicates, 1);
    assertBalanced(ledger);
  });

  test("a response with the wrong number of items every time: dead-lettered after the retries, with that reason", async () => {
    const { ledger, deadLetters } = await write(await batchesFor(3), () => itemsResponse([201]), { maxRetries: 2 });
    assert.equal(deadLetters.length, 3);
    assert.match(deadLetters[0]!.reason, /still rejected after 2 retries: the bulk response had 1 items for 3 sent/);
    assertBalanced(ledger);
  });

  test("a whole-request 500 is retried, not dead-lettered: the items that landed before it answer 409 and count as duplicates", async () => {
    const { client, ledger, deadLetters } = await write(await batchesFor(4), (s, call) =>
      call === 1 ? response(500, { error: { type: "illegal_state_exception", reason: "node is shutting down" } }) : itemsResponse(s.ids.map((id) => (id === "id-1" ? 409 : 201))),
    );
    assert.equal(client.sent.length, 2);
    assert.equal(deadLetters.length, 0);
    assert.equal(ledger.records.indexed, 3);
    assert.equal(ledger.records.duplicates, 1);
    assertBalanced(ledger);
  });

  test("request-level 408 and item-level 500 are retried too; item 400 is not", async () => {
    const timedOut = await write(await batchesFor(2), (s, call) => (call === 1 ? response(408, "") : allCreated(s)));
    assert.equal(timedOut.ledger.records.indexed, 2);
    const itemFailed = await write(await batchesFor(3), (s, call) =>
      call === 1 ? itemsResponse([{ status: 500, error: { type: "node_closed_exception", reason: "x" } }, 201, { status: 400, error: { type: "document_parsing_exception", reason: "y" } }]) : allCreated(s),
    );
    assert.deepEqual(itemFailed.client.sent[1]!.ids, ["id-0"]);
    assert.equal(itemFailed.ledger.records.indexed, 2);
    assert.equal(itemFailed.deadLetters.length, 1);
    assert.equal(itemFailed.deadLetters[0]!.status, 400);
    assertBalanced(itemFailed.ledger);
  });

  test("a mix in one response: created, duplicate, retried, rejected", async () => {
    const { ledger, deadLetters } = await write(await batchesFor(4), (s, call) =>
      call === 1 ? itemsResponse([201, 409, 429, { status: 400, error: { type: "mapper_parsing_exception", reason: "x" } }]) : allCreated(s),
    );
    assert.equal(ledger.records.indexed, 2);
    assert.equal(ledger.records.duplicates, 1);
    assert.equal(ledger.records.deadLettered, 1);
    assert.equal(deadLetters[0]!.id, "id-3");
    assertBalanced(ledger);
  });

  test("concurrent batches all land, each ledger entry once", async () => {
    const { ledger, client } = await write(await batchesFor(40, 3), async (s) => {
      await new Promise((r) => setTimeout(r, 1));
      return allCreated(s);
    }, { concurrency: 4 });
    assert.equal(ledger.records.indexed, 40);
    assert.equal(new Set(client.sent.flatMap((s) => s.ids)).size, 40);
    assertBalanced(ledger);
  });

  test("backoff grows exponentially from backoffMs and is capped at 30000 ms (random () => 1)", async () => {
    const { retries, slept, deadLetters } = await write(await batchesFor(1), () => response(429, "slow down"), { maxRetries: 10, backoffMs: 250, random: () => 1 });
    const delays = retries.map((r) => r.delayMs);
    assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.deepEqual(slept, delays, "it sleeps for the delay it announces");
    assert.deepEqual(retries.map((r) => r.attempt), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(deadLetters.length, 1);
  });

  test("full jitter: random () => 0 means no wait, 0.5 half the step", async () => {
    const zero = await write(await batchesFor(1), (s, call) => (call <= 3 ? response(503, "") : allCreated(s)), { random: () => 0 });
    assert.deepEqual(zero.slept, [0, 0, 0]);
    const half = await write(await batchesFor(1), (s, call) => (call <= 3 ? response(503, "") : allCreated(s)), { random: () => 0.5, backoffMs: 100 });
    assert.deepEqual(half.slept, [50, 100, 200]);
  });
});

describe("toBulk into bulkWriter", () => {
  test("a failing engine with the flush timer armed: the error reaches the caller, nothing throws uncaught", async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => void uncaught.push(e);
    process.on("uncaughtException", onUncaught);
    process.on("unhandledRejection", onUncaught);
    try {
      const ledger = new Ledger();
      // one batch goes out (maxBytes), the writer fails on it; then a slow trickle leaves a partial batch on the timer
      let i = 0;
      const records = new ReadableStream<Selected>({
        async pull(controller) {
          if (i >= 6) return controller.close();
          if (i >= 3) await new Promise((r) => setTimeout(r, 30));
          controller.enqueue(record(i++));
        },
      });
      const failing = new WritableStream<BulkBatch>({ write: () => Promise.reject(new Error("engine gone")) });
      await assert.rejects(records.pipeThrough(toBulk({ indexPrefix: "cloudtrail", ledger, deadLetter: () => {}, maxBytes: 300, flushAfterMs: 10 })).pipeTo(failing), /engine gone/);
      await new Promise((r) => setTimeout(r, 200)); // let any armed timer fire
      assert.deepEqual(uncaught, []);
    } finally {
      process.off("uncaughtException", onUncaught);
      process.off("unhandledRejection", onUncaught);
    }
  });

  test("identical records without eventID in one object get distinct ids; re-reading the object gives the same ids", async () => {
    const text = '{"eventVersion":"1.0","eventTime":"2013-12-07T05:03:12Z","eventName":"DescribeInstances"}';
    const same = (position: number, object = "s3://b/a.json.gz"): Selected => ({ text, value: JSON.parse(text), object, position });
    const run = async () => {
      const { batches } = await batchesOf([same(1), same(2), same(3), same(1, "s3://b/other.json.gz")]);
      return batches.flatMap((b) => b.items.map((i) => i.action.id));
    };
    const first = await run();
    assert.equal(new Set(first.slice(0, 3)).size, 3);
    assert.equal(first[3], first[0], "the same record in another object is the same document");
    assert.deepEqual(await run(), first);
  });

  test("records in, every one accounted for", async () => {
    const records = [...Array.from({ length: 30 }, (_, i) => record(i)), { text: "1", value: 1, object: "o", position: 31 }];
    const ledger = new Ledger();
    const deadLetters: DeadLetter[] = [];
    const client = new StubClient((s) => itemsResponse(s.ids.map((id) => (id === "id-7" ? 409 : 201))));
    await streamOf(records)
      .pipeThrough(toBulk({ indexPrefix: "cloudtrail", ledger, deadLetter: (d) => void deadLetters.push(d), maxBytes: 2000, flushAfterMs: 0 }))
      .pipeTo(bulkWriter(client as unknown as SearchClient, { ledger, deadLetter: (d) => void deadLetters.push(d), random: () => 0, sleep: async () => {} }));
    assert.equal(ledger.records.read, 31);
    assert.equal(ledger.records.indexed, 29);
    assert.equal(ledger.records.duplicates, 1);
    assert.equal(ledger.records.deadLettered, 1);
    assert.ok(client.sent.length > 1, "several requests");
    assertBalanced(ledger);
  });
});
