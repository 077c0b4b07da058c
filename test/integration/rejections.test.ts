/**
 * Real rejections from a real engine: a tiny write queue flooded with requests in flight (429s, retried until
 * every record lands exactly once), and a document over http.max_content_length (dead-lettered with its reason,
 * then replayed from the dead-letter file once the limit is raised).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateDayJson } from "../../fixtures/generate.ts";
import { extraEngine, uniqueName } from "../support/stack.ts";
import { allDocuments, countDocuments, runScript } from "../support/run.ts";

const dir = mkdtempSync(join(tmpdir(), "trailpost-rejections-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function corpus(records: number, seed: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const file of generateDayJson({ date: "2024-03-04", records, seed })) out.push(...(JSON.parse(file.json) as { Records: Record<string, unknown>[] }).Records);
  return out;
}

test("429s from a flooded engine are retried until every record lands exactly once", async () => {
  const engine = await extraEngine({ "thread_pool.write.size": "1", "thread_pool.write.queue_size": "1" });
  try {
    const records = corpus(1500, 11);
    const file = join(dir, "flood.ndjson");
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const prefix = uniqueName("flood");
    const result = await runScript("bulk.ts", [file], {
      ES_URL: engine.url, INDEX_PREFIX: prefix, BULK_CONCURRENCY: "16", BULK_MAX_BYTES: "20000", BULK_BACKOFF_MS: "50", BULK_RETRIES: "30",
      DEAD_LETTER_FILE: join(dir, "flood-dead.ndjson"),
    });
    assert.equal(result.code, 0, result.stderr);
    const retries = Number(/; ([\d,]+) retr(y|ies)/.exec(result.stderr)?.[1]?.replaceAll(",", "") ?? "0");
    assert.ok(retries > 0, `expected retries in the summary: ${result.stderr}`);
    // item-level 429s, or whole requests refused (Elasticsearch 8+ also coordinates a bulk on the write pool)
    assert.match(result.stderr, /retrying \d+ items? in \d+ ms \(attempt \d+\): (item|HTTP) 429/);
    assert.match(result.stderr, /1,500 records read: 1,500 indexed, 0 duplicates, 0 dead-lettered/);
    const docs = await allDocuments(engine.url, `${prefix}-*`);
    assert.equal(docs.size, records.length);
    for (const r of records) assert.ok(docs.has(r.eventID as string), `missing ${String(r.eventID)}`);
  } finally {
    await engine.stop();
  }
});

test("a document over http.max_content_length is dead-lettered with its reason, the rest lands; replay lands it", async () => {
  const home = join(dir, "engine-home");
  const prefix = uniqueName("toolarge");
  const records = corpus(200, 12);
  const big = { ...records[0], eventID: "big-record-0001", requestParameters: { policy: "p".repeat(300 * 1024) } };
  const file = join(dir, "toolarge.ndjson");
  writeFileSync(file, [...records, big].map((r) => JSON.stringify(r)).join("\n") + "\n");
  const deadLetters = join(dir, "toolarge-dead.ndjson");

  let engine = await extraEngine({ "http.max_content_length": "200kb" }, { home });
  try {
    const result = await runScript("bulk.ts", [file], { ES_URL: engine.url, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: deadLetters });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /201 records read: 200 indexed, 0 duplicates, 1 dead-lettered/);
    assert.equal(await countDocuments(engine.url, `${prefix}-*`), 200);
    const lines = readFileSync(deadLetters, "utf8").trim().split("\n");
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]!) as { deadLetter: { status: number; reason: string; index: string; id: string; object: string }; record: Record<string, unknown> };
    assert.equal(entry.deadLetter.status, 413);
    assert.match(entry.deadLetter.reason, /http\.max_content_length/);
    assert.equal(entry.deadLetter.id, "big-record-0001");
    assert.equal(entry.deadLetter.object, file);
    assert.equal((entry.deadLetter as { position?: number }).position, 201);
    assert.deepEqual(entry.record, big);
  } finally {
    await engine.stop();
  }

  engine = await extraEngine({ "http.max_content_length": "10mb" }, { home });
  try {
    const replay = await runScript("bulk.ts", [deadLetters], { ES_URL: engine.url, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: join(dir, "replay-dead.ndjson") });
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stderr, /1 record read: 1 indexed, 0 duplicates, 0 dead-lettered/);
    const docs = await allDocuments(engine.url, `${prefix}-*`);
    assert.equal(docs.size, 201);
    assert.ok(docs.has("big-record-0001"), "the replayed record is in the index");
  } finally {
    await engine.stop();
  }
});
