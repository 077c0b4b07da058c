/**
 * ingest --validate's parts: the verdict each log file of a fixture scenario gets from the day's digests (valid,
 * invalid, pending, unsigned), the stage that hashes exactly what the next stage reads, the fields documents get,
 * and which stored verdicts a later run may update.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { digestDay, Mutator, scenario, testPublicKeys, type DigestDay, type FixtureObject, type ScenarioName } from "../../../fixtures/digests.ts";
import { annotateDocuments, integrityFields, withFields } from "../../../lib/integrity/annotate.ts";
import { DigestIndex, deliveryTime, type IntegrityStatus } from "../../../lib/integrity/digest-index.ts";
import { pendingQuery, shouldUpdate, updateLines, updatableFrom } from "../../../lib/integrity/pending.ts";
import { fileKeys, parsePublicKeyList } from "../../../lib/integrity/public-keys.ts";
import { IntegrityBook, integrityStage } from "../../../lib/integrity/stage.ts";
import { memoryStore } from "../../../lib/integrity/store.ts";
import { gunzip } from "../../../lib/streams/gunzip.ts";
import { ObjectError, type LogObject } from "../../../lib/streams/log-object.ts";
import { select, type Selected } from "../../../lib/streams/select.ts";
import { toAction } from "../../../lib/search/document.ts";
import { Ledger } from "../../../lib/ledger.ts";

const BUCKET = "trail-bucket";
const keys = fileKeys(parsePublicKeyList(testPublicKeys(), "test keys"));

/** Runs a day's log objects of 2024-03-04 through gunzip and the stage; the verdicts by key. */
async function verdicts(day: DigestDay, objects: FixtureObject[], now = Date.UTC(2024, 5, 1)) {
  const store = memoryStore(objects.map((o) => ({ bucket: BUCKET, key: o.key, bytes: o.body, metadata: o.metadata })));
  const index = await DigestIndex.load({ store, keys, location: { bucket: BUCKET }, days: [day.date], now });
  const book = new IntegrityBook();
  const logs = objects.filter((o) => o.kind === "log" && o.key.includes("/2024/03/04/"));
  let i = 0;
  const source = new ReadableStream<LogObject>({
    pull(c) {
      const o = logs[i++];
      if (!o) return c.close();
      c.enqueue({ name: `s3://${BUCKET}/${o.key}`, body: new Blob([o.body as BlobPart]).stream() });
    },
  });
  const ledger = new Ledger();
  const records: Selected[] = [];
  await source.pipeThrough(gunzip()).pipeThrough(integrityStage(index, book)).pipeThrough(select(".Records[]", { ledger })).pipeTo(new WritableStream({ write: (r) => void records.push(r) }));
  const byKey = new Map<string, string>();
  for (const o of logs) {
    const v = book.get(`s3://${BUCKET}/${o.key}`);
    byKey.set(o.key, v ? `${v.status}${v.reason ? `: ${v.reason}` : ""}` : "none");
  }
  return { byKey, book, index, records, ledger };
}

function only(byKey: Map<string, string>, expected: Record<string, string>, rest: string) {
  for (const [key, verdict] of byKey) assert.equal(verdict, expected[key] ?? rest, key);
  for (const key of Object.keys(expected)) assert.ok(byKey.has(key), `${key} was not read`);
}

describe("verdicts from the day's digests", () => {
  const run = async (name: ScenarioName) => {
    const s = scenario(name, { bucket: BUCKET });
    return { s, ...(await verdicts(s.day, s.objects)) };
  };

  test("valid day: every log file valid, every record read", async () => {
    const { byKey, book, records, index } = await run("valid");
    only(byKey, {}, "valid");
    assert.equal(byKey.size, 48, "the day's folder holds 48 of the 50 logs (the first hour's are the day before)");
    assert.equal(book.objects.valid, 48);
    assert.equal(index.counts.valid, 25);
    assert.ok(records.length > 48);
  });

  test("modified log: invalid, hash value doesn't match; the others valid", async () => {
    const { s, byKey } = await run("modified-log");
    only(byKey, { [s.touched[0]!]: "invalid: hash value doesn't match" }, "valid");
  });

  test("appended gzip member: what is parsed is what is hashed, so it is invalid", async () => {
    const { s, byKey, records } = await run("appended-log");
    only(byKey, { [s.touched[0]!]: "invalid: hash value doesn't match" }, "valid");
    assert.ok(records.some((r) => (r.value as { eventName?: string }).eventName === "Forged"), "the appended record is read (and flagged with its file)");
  });

  test("added log: unsigned; tampered digest: the rest of its hour is invalid", async () => {
    const added = await run("added-log");
    only(added.byKey, { [added.s.touched[0]!]: "unsigned: no digest lists it" }, "valid");
    const tampered = await run("tampered-digest");
    const hour = tampered.s.day.logs.filter((l) => l.hour === 10).map((l) => l.key).filter((k) => tampered.byKey.has(k));
    assert.equal(hour.length, 1, "one log of the hour is left (the other was deleted)");
    only(tampered.byKey, { [hour[0]!]: "invalid: not listed; the digest for its hour is INVALID: signature verification failed" }, "valid");
    assert.deepEqual(tampered.index.problems.map((p) => p.reason), ["signature verification failed"]);
  });

  test("deleted digest: the logs of its hour are invalid, the digest is named missing", async () => {
    const { s, byKey, index } = await run("deleted-digest");
    const hour = s.day.logs.filter((l) => l.hour === 10).map((l) => l.key);
    only(byKey, Object.fromEntries(hour.map((k) => [k, "invalid: not listed; the digest for its hour is missing"])), "valid");
    assert.deepEqual(index.problems.map((p) => p.subject), [`s3://${BUCKET}/${s.touched[0]}`]);
    assert.equal(index.counts.missing, 1);
  });

  test("digests not delivered yet: the last hours' logs are pending, older ones valid; later they settle to unsigned", async () => {
    const day = digestDay({ bucket: BUCKET });
    const m = new Mutator(day);
    const held = day.digests.filter((d) => d.hour >= 20);
    for (const d of held) m.remove(d.key);
    const late = new Set(day.logs.filter((l) => l.hour >= 20).map((l) => l.key));
    const now = Date.UTC(2024, 2, 4, 21, 30); // 21:30: the digests of 19:00:31–20:00:31 and later are not there yet
    const { byKey, book } = await verdicts(day, m.objects, now);
    for (const [key, verdict] of byKey) assert.equal(verdict, late.has(key) ? "pending" : "valid", key);
    assert.equal(book.objects.pending, [...late].filter((k) => k.includes("/2024/03/04/")).length);
    const later = await verdicts(day, m.objects, Date.UTC(2024, 2, 5, 12));
    for (const [key, verdict] of later.byKey) assert.equal(verdict, late.has(key) ? "unsigned: no digest lists it" : "valid", key);
  });

  test("a corrupt gzip is passed on failing as before; its verdict is not booked", async () => {
    const s = scenario("truncated-log", { bucket: BUCKET });
    const { byKey, ledger } = await verdicts(s.day, s.objects);
    assert.equal(byKey.get(s.touched[0]!), "none");
    assert.equal(ledger.objects.failed, 1);
    assert.match(ledger.failures[0]!.reason, /corrupt or truncated gzip/);
  });

  test("delivery time from a log key", () => {
    assert.equal(deliveryTime("AWSLogs/1/CloudTrail/us-east-1/2024/03/04/1_CloudTrail_us-east-1_20240304T1005Z_abc.json.gz"), Date.UTC(2024, 2, 4, 10, 5));
    assert.ok(Number.isNaN(deliveryTime("x.json.gz")));
  });
});

describe("the stage", () => {
  test("passes every byte on, and books the SHA-256 of the gunzipped content", async () => {
    const content = new TextEncoder().encode('{"Records":[{"eventTime":"2024-03-04T10:00:00Z"}]}');
    let seen = "";
    const index = { verdict: (_: string, sha: string) => ((seen = sha), { status: "valid" as IntegrityStatus }) };
    const book = new IntegrityBook();
    const out: LogObject[] = [];
    const input = new ReadableStream<LogObject>({ start: (c) => (c.enqueue({ name: "s3://b/k", body: new Blob([gzipSync(content) as BlobPart]).stream() }), c.close()) });
    await input.pipeThrough(gunzip()).pipeThrough(integrityStage(index, book)).pipeTo(new WritableStream({ write: (o) => void out.push(o) }));
    assert.equal(seen, (await import("node:crypto")).createHash("sha256").update(content).digest("hex"));
    assert.deepEqual(new Uint8Array(await new Response(out[0]!.body).arrayBuffer()), content);
    assert.equal(book.get("s3://b/k")?.status, "valid");
  });

  test("an unreadable body errors downstream with the very same error", async () => {
    const error = new ObjectError("s3://b/k", "corrupt or truncated gzip (x)");
    const input = new ReadableStream<LogObject>({ start: (c) => (c.enqueue({ name: "s3://b/k", body: new ReadableStream({ start: (b) => b.error(error) }) }), c.close()) });
    const out: LogObject[] = [];
    await input.pipeThrough(integrityStage({ verdict: () => ({ status: "valid" }) }, new IntegrityBook())).pipeTo(new WritableStream({ write: (o) => void out.push(o) }));
    await assert.rejects(new Response(out[0]!.body).arrayBuffer(), (e) => e === error);
  });
});

describe("documents", () => {
  const fields = integrityFields("s3://b/AWSLogs/x.json.gz", { status: "invalid", reason: "hash value doesn't match", digest: "s3://b/d.json.gz" });

  test("fields: integrity, reason, digest, object", () => {
    assert.deepEqual(fields, { integrity: "invalid", integrityReason: "hash value doesn't match", integrityDigest: "s3://b/d.json.gz", object: "s3://b/AWSLogs/x.json.gz" });
    assert.deepEqual(integrityFields("o", { status: "pending" }), { integrity: "pending", object: "o" });
  });

  test("spliced into plain documents, merged into ones with trailpost.unindexed; always valid JSON", async () => {
    const plain = await toAction('{"eventTime":"2024-03-04T10:00:00Z","eventName":"X"}', { eventTime: "2024-03-04T10:00:00Z", eventName: "X" }, "ct");
    const doc = JSON.parse(withFields(plain.source, plain.unindexed.length === 0, fields));
    assert.deepEqual(doc.trailpost, fields);
    assert.equal(doc.eventName, "X");
    const record = { eventTime: "2024-03-04T10:00:00Z", trailpost: "mine", requestParameters: "not an object" };
    const misfit = await toAction(JSON.stringify(record), record, "ct");
    const merged = JSON.parse(withFields(misfit.source, misfit.unindexed.length === 0, fields));
    assert.equal(merged.trailpost.integrity, "invalid");
    assert.deepEqual(merged.trailpost.unindexed, { trailpost: "mine", requestParameters: "not an object" });
    // a record mentioning trailpost anywhere is merged, not spliced (no duplicate keys)
    const mention = { eventTime: "2024-03-04T10:00:00Z", userAgent: '"trailpost"' };
    const m = await toAction(JSON.stringify(mention), mention, "ct");
    assert.deepEqual(JSON.parse(withFields(m.source, true, fields)).trailpost, fields);
    assert.deepEqual(JSON.parse(withFields("{}", true, fields)), { trailpost: fields });
    // merging keeps numbers beyond 2^53 as delivered
    const bigText = '{"eventTime":"2024-03-04T10:00:00Z","n":12345678901234567891,"readOnly":"maybe"}';
    const big = await toAction(bigText, JSON.parse(bigText), "ct");
    assert.match(withFields(big.source, big.unindexed.length === 0, fields), /"n":12345678901234567891,/);
  });

  test("annotateDocuments adds the fields of the record's object and counts the records", async () => {
    const book = new IntegrityBook();
    book.set("s3://b/k1", { status: "valid", digest: "s3://b/d" });
    const a = await toAction('{"eventTime":"2024-03-04T10:00:00Z"}', { eventTime: "2024-03-04T10:00:00Z" }, "ct");
    const b = await toAction('{"eventTime":"2024-03-04T10:00:01Z"}', { eventTime: "2024-03-04T10:00:01Z" }, "ct");
    const batch = { items: [{ action: a, record: { text: "", object: "s3://b/k1", position: 1 } }, { action: b, record: { text: "", object: "s3://b/other", position: 1 } }], bytes: 100 };
    const out: (typeof batch)[] = [];
    await new ReadableStream({ start: (c) => (c.enqueue(batch), c.close()) }).pipeThrough(annotateDocuments(book)).pipeTo(new WritableStream({ write: (x) => void out.push(x as typeof batch) }));
    assert.equal(JSON.parse(out[0]!.items[0]!.action.source).trailpost.integrity, "valid");
    assert.equal(JSON.parse(out[0]!.items[1]!.action.source).trailpost, undefined, "an object without a verdict is left as it is");
    assert.ok(out[0]!.bytes > 100);
    assert.deepEqual(book.records, { valid: 1, invalid: 0, pending: 0, unsigned: 0 });
  });
});

describe("later runs", () => {
  test("pending moves to anything final; unsigned only to valid or invalid; valid and invalid stay", () => {
    const states: (IntegrityStatus | undefined)[] = ["pending", "unsigned", "valid", "invalid", undefined];
    const table = states.map((stored) => (["valid", "invalid", "pending", "unsigned"] as const).map((seen) => (shouldUpdate(stored, seen) ? "U" : ".")).join(""));
    assert.deepEqual(table, ["UU.U", "UU..", "....", "....", "...."]);
    assert.deepEqual(updatableFrom("valid"), ["pending", "unsigned"]);
    assert.deepEqual(updatableFrom("unsigned"), ["pending"]);
    assert.deepEqual(updatableFrom("pending"), []);
  });

  test("the query and the bulk update lines", () => {
    assert.deepEqual(pendingQuery(["s3://b/k"], ["pending"], 10), {
      size: 10,
      _source: ["trailpost.object", "trailpost.integrity"],
      query: { bool: { filter: [{ terms: { "trailpost.object": ["s3://b/k"] } }, { terms: { "trailpost.integrity": ["pending"] } }] } },
    });
    assert.equal(updateLines([{ index: "ct-2024.03.04", id: "e1", fields: { integrity: "valid", object: "s3://b/k" } }]), '{"update":{"_index":"ct-2024.03.04","_id":"e1"}}\n{"doc":{"trailpost":{"integrity":"valid","object":"s3://b/k"}}}\n');
  });
});
