/**
 * Batches as bytes (lib/search/bulk-body.ts): the encoded batches toBulk makes must be the very bodies the item
 * batches would send, cut at the same places; every record's text must come back exactly for a dead letter,
 * though it is kept only when the document does not end with it; and bulkWriter must keep its bound on bytes in
 * flight. Generative, over hostile records (fixtures/hostile.ts) and a generated day.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generateDayJson } from "../../../fixtures/generate.ts";
import { hostileRecords } from "../../../fixtures/hostile.ts";
import { annotateDocuments } from "../../../lib/integrity/annotate.ts";
import { IntegrityBook } from "../../../lib/integrity/stage.ts";
import { Ledger } from "../../../lib/ledger.ts";
import { actionLine, BodyBuilder, encodeBatch, recordOf } from "../../../lib/search/bulk-body.ts";
import { bulkWriter, toBulk, type BulkBatch, type DeadLetter, type EncodedBatch } from "../../../lib/search/bulk.ts";
import type { SearchClient, SearchResponse } from "../../../lib/search/client.ts";
import { toAction } from "../../../lib/search/document.ts";
import type { Selected } from "../../../lib/streams/select.ts";
import { streamOf } from "../../support/streams.ts";

const decoder = new TextDecoder();

/** Hostile records (a quarter or more rewritten), a generated day's, and a few edge shapes. */
function corpus(seed: string, count: number): Selected[] {
  const out: Selected[] = [];
  for (const [i, r] of hostileRecords({ seed, count }).entries()) out.push({ text: r.text, value: JSON.parse(r.text), object: r.object, position: i + 1 });
  for (const f of generateDayJson({ date: "2024-03-04", records: 300, seed: 3 })) {
    for (const [i, value] of (JSON.parse(f.json) as { Records: unknown[] }).Records.entries()) out.push({ text: JSON.stringify(value), value, object: f.key, position: i + 1 });
  }
  const edges = [
    '{ "eventTime":"2013-12-07T05:03:12Z","eventID":"spaced"}',
    '{"eventTime":"2013-12-07T05:03:12Z","eventID":"dup","a":1,"a":2}',
    '{"eventTime":"2013-12-07T05:03:12Z","eventID":"lone","s":"\ud800x"}',
    '{"eventTime":"2013-12-07T05:03:12Z","eventID":"astral","s":"😀 é 日本"}',
    '{"eventTime":"2013-12-07T05:03:12Z"}',
  ];
  for (const [i, text] of edges.entries()) out.push({ text, value: JSON.parse(text), object: "edges", position: i + 1 });
  return out;
}

async function collect<T>(records: Selected[], encode: boolean, maxBytes: number): Promise<T[]> {
  const out: T[] = [];
  await streamOf(records)
    .pipeThrough(toBulk({ indexPrefix: "cloudtrail", ledger: new Ledger(), deadLetter: () => {}, maxBytes, flushAfterMs: 0, encode }) as TransformStream<Selected, T>)
    .pipeTo(new WritableStream({ write: (b) => void out.push(b) }));
  return out;
}

/** The bytes a batch of items puts on the wire (fetch encodes text as UTF-8, a lone surrogate as U+FFFD), as text. */
const bodyText = (batch: BulkBatch) => decoder.decode(new TextEncoder().encode(batch.items.map((i) => `${actionLine(i.action)}\n${i.action.source}\n`).join("")));

describe("encoded batches", () => {
  for (const maxBytes of [300, 4000, 60_000, 5_000_000]) {
    test(`toBulk with encode gives the same bodies, cut at the same places, as item batches (maxBytes ${maxBytes})`, async () => {
      const records = corpus(`body-${maxBytes}`, 400);
      const items = await collect<BulkBatch>(records, false, maxBytes);
      const encoded = await collect<EncodedBatch>(records, true, maxBytes);
      assert.equal(encoded.length, items.length);
      for (let b = 0; b < items.length; b++) {
        assert.equal(decoder.decode(encoded[b]!.body), bodyText(items[b]!), `batch ${b}`);
        assert.equal(encoded[b]!.body.length, items[b]!.bytes, `batch ${b}: its size is its body's`);
        assert.ok(encoded[b]!.body.length <= maxBytes || encoded[b]!.items.length === 1, `batch ${b}: ${encoded[b]!.body.length} bytes`);
        assert.deepEqual(encoded[b]!.items.map((i) => i.id), items[b]!.items.map((i) => i.action.id));
        // encodeBatch (the writer's, for item batches) makes the same bytes
        assert.deepEqual(encodeBatch(items[b]!).body, encoded[b]!.body);
      }
    });
  }

  test("every record's text comes back exactly, from either form, kept only when the document does not end with it", async () => {
    const records = corpus("texts", 1500);
    const texts = new Map(records.map((r) => [`${r.object}#${r.position}`, r.text]));
    const encoded = await collect<EncodedBatch>(records, true, 50_000);
    let kept = 0;
    let derived = 0;
    for (const batch of encoded) {
      for (let i = 0; i < batch.items.length; i++) {
        const record = recordOf(batch, i);
        assert.equal(record.text, texts.get(`${record.object}#${record.position}`));
        if (batch.items[i]!.text === undefined) derived++;
        else kept++;
        // a generated day's records are never rewritten: not one keeps its text
        if (record.object.startsWith("AWSLogs/")) assert.equal(batch.items[i]!.text, undefined, record.text);
      }
    }
    assert.ok(derived > 600, `texts derived: ${derived} of ${records.length}`);
    assert.ok(kept > 100, `rewritten documents keep their text (${kept})`);
    for (const batch of await collect<BulkBatch>(records, false, 50_000)) {
      for (const item of batch.items) assert.equal(item.record.text, texts.get(`${item.record.object}#${item.record.position}`));
    }
  });

  test("a stage that puts fields in front of the documents (--validate's) does not change the texts", async () => {
    const records = corpus("stage", 600);
    const book = new IntegrityBook();
    for (const r of records) book.set(r.object, { status: "valid", digest: "d" });
    const batches: BulkBatch[] = [];
    await streamOf(await collect<BulkBatch>(records, false, 20_000))
      .pipeThrough(annotateDocuments(book))
      .pipeTo(new WritableStream({ write: (b) => void batches.push(b) }));
    let i = 0;
    for (const batch of batches) {
      const encoded = encodeBatch(batch);
      for (let k = 0; k < batch.items.length; k++, i++) {
        assert.match(batch.items[k]!.action.source, /"integrity":"valid"/);
        assert.equal(batch.items[k]!.record.text, records[i]!.text);
        assert.equal(recordOf(encoded, k).text, records[i]!.text);
      }
    }
    assert.equal(i, records.length);
  });

  test("BodyBuilder grows for a document larger than its buffer, and a batch taken whole is not copied", async () => {
    const builder = new BodyBuilder(64);
    const text = `{"eventTime":"2013-12-07T05:03:12Z","eventID":"big","pad":"${"x".repeat(5000)}"}`;
    const action = await toAction(text, JSON.parse(text), "cloudtrail");
    const size = builder.add(action, { text, object: "o", position: 1 });
    assert.equal(size, builder.bytes);
    const batch = builder.take();
    assert.equal(decoder.decode(batch.body), `${actionLine(action)}\n${action.source}\n`);
    assert.equal(builder.bytes, 0);
    assert.equal(recordOf(batch, 0).text, text);
  });
});

describe("bulkWriter: bytes in flight", () => {
  async function run(batches: EncodedBatch[], maxInFlightBytes: number, concurrency = 16) {
    let inFlight = 0;
    let most = 0;
    let mostRequests = 0;
    let requests = 0;
    const client = {
      async request(_method: string, _path: string, body?: string | Uint8Array): Promise<SearchResponse> {
        const size = (body as Uint8Array).length;
        inFlight += size;
        requests++;
        most = Math.max(most, inFlight);
        mostRequests = Math.max(mostRequests, requests);
        await new Promise((r) => setTimeout(r, 5));
        inFlight -= size;
        requests--;
        const lines = decoder.decode(body as Uint8Array).split("\n").filter(Boolean);
        return { status: 200, headers: new Headers(), text: JSON.stringify({ errors: false, items: lines.filter((_, i) => i % 2 === 0).map(() => ({ create: { status: 201 } })) }) };
      },
    };
    const ledger = new Ledger();
    ledger.records.read = batches.reduce((n, b) => n + b.items.length, 0);
    await streamOf(batches).pipeTo(bulkWriter(client as unknown as SearchClient, { ledger, deadLetter: () => {}, concurrency, maxInFlightBytes }));
    return { most, mostRequests, ledger };
  }

  test("never more than maxInFlightBytes of bodies in flight, whatever the concurrency allows", async () => {
    const batches = await collect<EncodedBatch>(corpus("inflight", 300).filter((r) => r.object !== "edges"), true, 3000);
    const biggest = Math.max(...batches.map((b) => b.body.length));
    for (const bound of [biggest, 2 * biggest, 10_000]) {
      const { most, ledger } = await run(batches, bound);
      assert.ok(most <= Math.max(bound, biggest), `${most} bytes in flight, bound ${bound}`);
      assert.equal(ledger.records.indexed + ledger.records.duplicates + ledger.records.deadLettered, ledger.records.read);
    }
    const { mostRequests } = await run(batches, 1e9, 3);
    assert.equal(mostRequests, 3, "with room in bytes, the concurrency is the limit");
  });

  test("a batch larger than the bound still goes, alone", async () => {
    const batches = await collect<EncodedBatch>(corpus("alone", 50).filter((r) => r.object !== "edges"), true, 5000);
    const { most, ledger } = await run(batches, 10);
    assert.equal(most, Math.max(...batches.map((b) => b.body.length)));
    assert.equal(ledger.records.indexed, ledger.records.read);
  });

  test("dead letters of encoded batches carry the record as delivered", async () => {
    const records = corpus("dead", 200);
    const batches = await collect<EncodedBatch>(records, true, 20_000);
    const deadLetters: DeadLetter[] = [];
    const client = { request: async (): Promise<SearchResponse> => ({ status: 403, headers: new Headers(), text: '{"error":{"type":"security_exception","reason":"no"}}' }) };
    const ledger = new Ledger();
    await streamOf(batches).pipeTo(bulkWriter(client as unknown as SearchClient, { ledger, deadLetter: (d) => void deadLetters.push(d) }));
    const placed = batches.reduce((n, b) => n + b.items.length, 0);
    assert.equal(deadLetters.length, placed);
    const texts = new Map(records.map((r) => [`${r.object}#${r.position}`, r.text]));
    for (const d of deadLetters) assert.equal(d.record.text, texts.get(`${d.record.object}#${d.record.position}`));
  });

  test("bodies' buffers are used again only once their requests are settled: no body changes while it is in flight", async () => {
    const records: Selected[] = [];
    for (const f of generateDayJson({ date: "2024-03-04", records: 3000, seed: 11 })) {
      for (const [i, value] of (JSON.parse(f.json) as { Records: unknown[] }).Records.entries()) records.push({ text: JSON.stringify(value), value, object: f.key, position: i + 1 });
    }
    // batches of item form give the expected bodies; the encoded ones go through the builder, the pool and the writer
    const expected = (await collect<BulkBatch>(records, false, 100_000)).map(bodyText);
    const seen: string[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let reused = 0;
    let changed = 0; // counted here: an assertion thrown in the client would be taken for a network failure, and retried
    const client = {
      async request(_method: string, _path: string, body?: string | Uint8Array): Promise<SearchResponse> {
        const bytes = body as Uint8Array;
        if (buffers.has(bytes.buffer)) reused++;
        buffers.add(bytes.buffer);
        const before = decoder.decode(bytes);
        await new Promise((r) => setTimeout(r, 5 + 5 * (seen.length % 3)));
        if (decoder.decode(bytes) !== before) changed++;
        seen.push(before);
        const lines = before.split("\n").filter(Boolean);
        return { status: 200, headers: new Headers(), text: JSON.stringify({ errors: false, items: lines.filter((_, i) => i % 2 === 0).map(() => ({ create: { status: 201 } })) }) };
      },
    };
    const ledger = new Ledger();
    await streamOf(records)
      .pipeThrough(toBulk({ indexPrefix: "cloudtrail", ledger, deadLetter: () => {}, maxBytes: 100_000, flushAfterMs: 0, encode: true }))
      .pipeTo(bulkWriter(client as unknown as SearchClient, { ledger, deadLetter: () => {}, concurrency: 4 }));
    assert.equal(changed, 0, "bodies changed while their requests were in flight");
    assert.equal(ledger.records.retried, 0);
    assert.deepEqual([...seen].sort(), [...expected].sort(), "every body sent is one of the expected ones, each once");
    assert.equal(ledger.records.indexed, records.length);
    assert.ok(reused > 0, `buffers were used again (${buffers.size} buffers for ${seen.length} requests)`);
  });

  test("options are checked", () => {
    const ledger = new Ledger();
    const client = {} as SearchClient;
    assert.throws(() => bulkWriter(client, { ledger, deadLetter: () => {}, maxInFlightBytes: 0 }), /maxInFlightBytes/);
    assert.throws(() => bulkWriter(client, { ledger, deadLetter: () => {}, concurrency: 1.5 }), /concurrency/);
    assert.throws(() => toBulk({ indexPrefix: "x", ledger, deadLetter: () => {}, maxBytes: -1 }), /maxBytes/);
  });
});
