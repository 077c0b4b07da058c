/** Totals for progress: a listing counts its log objects only once complete; input bytes counted as they pass. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Ledger } from "../../../lib/ledger.ts";
import { countBytes, expectObjects } from "../../../lib/progress/expected.ts";
import { streamOf } from "../../support/streams.ts";

async function* listing(kinds: string[], failAt?: number) {
  for (const [i, kind] of kinds.entries()) {
    if (i === failAt) throw new Error("AccessDenied");
    await Promise.resolve();
    yield { kind };
  }
}

describe("expectObjects", () => {
  test("counts the log objects once the listing is complete (digests and insights are not read)", async () => {
    const ledger = new Ledger();
    const counting = expectObjects(listing(["log", "digest", "log", "insight", "log", "other"]), ledger);
    assert.equal(ledger.expected.objects, undefined, "unknown while listing");
    assert.equal(await counting, 3);
    assert.equal(ledger.expected.objects, 3);
  });

  test("a listing that fails, or is aborted, leaves the total unknown", async () => {
    const ledger = new Ledger();
    assert.equal(await expectObjects(listing(["log", "log", "log"], 2), ledger), undefined);
    assert.equal(ledger.expected.objects, undefined);
    const controller = new AbortController();
    controller.abort();
    assert.equal(await expectObjects(listing(["log"]), ledger, controller.signal), undefined);
    assert.equal(ledger.expected.objects, undefined);
  });
});

describe("countBytes", () => {
  test("passes every byte through unchanged, counts them, and one object at the end", async () => {
    const ledger = new Ledger();
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(1000).fill(7)];
    const out = new Uint8Array(await new Response(streamOf(chunks).pipeThrough(countBytes(ledger))).arrayBuffer());
    assert.equal(out.length, 1003);
    assert.deepEqual([...out.slice(0, 4)], [1, 2, 3, 7]);
    assert.equal(ledger.bytes.read, 1003);
    assert.equal(ledger.objects.read, 1);
  });
});
