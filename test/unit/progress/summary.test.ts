/**
 * The JSON summary: it parses, says what the ledger says, balances for indexing scripts (and says so when it
 * does not), lists every failure, and extra facts cannot overwrite the counts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Ledger } from "../../../lib/ledger.ts";
import { runSummary } from "../../../lib/progress/summary.ts";

function ledgerOf(read: number, indexed: number, duplicates: number, deadLettered: number): Ledger {
  const ledger = new Ledger();
  Object.assign(ledger.records, { read, indexed, duplicates, deadLettered, retried: 4 });
  Object.assign(ledger.objects, { listed: 9, read: 7, failed: 1 });
  ledger.objects.skipped.digest = 1;
  ledger.bytes.read = 12345;
  ledger.expected.objects = 8;
  ledger.perIndex.set("cloudtrail-2024.03.05", indexed - 1);
  ledger.perIndex.set("cloudtrail-2024.03.04", 1);
  for (let i = 0; i < 120; i++) ledger.problem(`s3://b/k${i}`, `reason ${i}`);
  return ledger;
}

describe("runSummary", () => {
  test("indexing: counts, balance, indices in order, every failure, extras; one JSON line", () => {
    const s = runSummary("ingest", ledgerOf(100, 90, 7, 3), { exitCode: 1, seconds: 1.23456, kind: "indexing", extra: { target: "http://127.0.0.1:9200" } });
    const parsed = JSON.parse(JSON.stringify(s));
    assert.equal(parsed.script, "ingest");
    assert.equal(parsed.exitCode, 1);
    assert.equal(parsed.ok, false);
    assert.equal(parsed.seconds, 1.235);
    assert.deepEqual(parsed.records, { read: 100, indexed: 90, duplicates: 7, deadLettered: 3, retried: 4 });
    assert.equal(parsed.records.read, parsed.records.indexed + parsed.records.duplicates + parsed.records.deadLettered);
    assert.equal(parsed.balanced, true);
    assert.deepEqual(Object.keys(parsed.indices), ["cloudtrail-2024.03.04", "cloudtrail-2024.03.05"]);
    assert.deepEqual(parsed.objects, { expected: 8, listed: 9, read: 7, failed: 1, skipped: { digest: 1, insight: 0, other: 0, refused: 0 } });
    assert.equal(parsed.failures.length, 120, "every failure, not the first 50");
    assert.deepEqual(parsed.failures[119], { subject: "s3://b/k119", reason: "reason 119" });
    assert.equal(parsed.target, "http://127.0.0.1:9200");
  });

  test("a ledger that does not balance says so", () => {
    const s = runSummary("bulk", ledgerOf(100, 90, 7, 2), { exitCode: 1, seconds: 0, kind: "indexing" });
    assert.equal(s.balanced, false);
  });

  test("objects scripts have no records; records scripts only the records read", () => {
    const objects = runSummary("copy", ledgerOf(5, 5, 0, 0), { exitCode: 0, seconds: 0, kind: "objects" });
    assert.equal(objects.records, undefined);
    assert.equal(objects.balanced, undefined);
    assert.equal(objects.ok, true);
    const records = runSummary("split", ledgerOf(5, 5, 0, 0), { exitCode: 0, seconds: 0, kind: "records" });
    assert.deepEqual(records.records, { read: 5 });
    assert.equal(records.indices, undefined);
  });

  test("an extra fact cannot replace a count; the exit code must be an integer", () => {
    assert.throws(() => runSummary("x", new Ledger(), { exitCode: 0, seconds: 0, kind: "indexing", extra: { records: {} } }), /records is already set/);
    assert.throws(() => runSummary("x", new Ledger(), { exitCode: 0.5, seconds: 0, kind: "objects" }), /exitCode must be an integer/);
  });

  test("unknown totals are null, not missing", () => {
    assert.equal(JSON.parse(JSON.stringify(runSummary("x", new Ledger(), { exitCode: 0, seconds: 0, kind: "objects" }))).objects.expected, null);
  });
});
