import assert from "node:assert/strict";
import { test } from "node:test";
import { Ledger, MAX_PROBLEMS_LISTED } from "../../lib/ledger.ts";
import { applyDelta, LedgerDelta } from "../../lib/parallel/ledger-delta.ts";
import { runSummary } from "../../lib/progress/summary.ts";
import { printFailures } from "../../scripts/runtime/run.ts";

test("line and record problems past the bound are counted, not kept; failed objects are always kept", () => {
  const ledger = new Ledger();
  for (let i = 1; i <= MAX_PROBLEMS_LISTED + 2500; i++) ledger.problem(`f.ndjson:${i}`, "not JSON");
  for (let i = 1; i <= 30; i++) ledger.objectFailed(`s3://b/k${i}`, "gone");
  assert.equal(ledger.failures.length, MAX_PROBLEMS_LISTED + 30);
  assert.equal(ledger.unlisted, 2500);
  assert.deepEqual(ledger.failures[MAX_PROBLEMS_LISTED - 1], { subject: `f.ndjson:${MAX_PROBLEMS_LISTED}`, reason: "not JSON" });
  assert.deepEqual(ledger.failures.at(-1), { subject: "s3://b/k30", reason: "gone" });
  assert.equal(ledger.objects.failed, 30);

  // the summary says how many it does not list; the printed lines count them in "more"
  const summary = JSON.parse(JSON.stringify(runSummary("bulk", ledger, { exitCode: 1, seconds: 1, kind: "indexing" })));
  assert.equal(summary.failures.length, MAX_PROBLEMS_LISTED + 30);
  assert.equal(summary.unlistedFailures, 2500);
  const lines: string[] = [];
  const error = console.error;
  console.error = (line: string) => void lines.push(line);
  try {
    printFailures("bulk", ledger);
  } finally {
    console.error = error;
  }
  assert.equal(lines.length, 51);
  assert.equal(lines.at(-1), `bulk: … and ${MAX_PROBLEMS_LISTED + 30 - 50 + 2500} more failures`);
  // under the bound nothing changes: no field, every failure
  const few = new Ledger();
  few.problem("f.ndjson:1", "not JSON");
  assert.equal("unlistedFailures" in runSummary("bulk", few, { exitCode: 1, seconds: 1, kind: "indexing" }), false);
});

test("a worker's unlisted problems reach the run's ledger through its delta", () => {
  const worker = new Ledger();
  const delta = new LedgerDelta(worker);
  for (let i = 0; i < MAX_PROBLEMS_LISTED + 7; i++) worker.problem(`x:${i}`, "bad");
  const main = new Ledger();
  applyDelta(main, delta.take());
  worker.problem("x:late", "bad");
  applyDelta(main, delta.take());
  assert.equal(main.failures.length, MAX_PROBLEMS_LISTED);
  assert.equal(main.unlisted, 8);
});
