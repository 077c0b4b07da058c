/**
 * Progress text: what each kind of script shows, and the live line never wider than the terminal (a wrapped
 * line cannot be redrawn in place), whatever the numbers and widths (seeded).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Rng } from "../../../fixtures/common.ts";
import { byteSize, duration, liveLine, plainLine, progressText } from "../../../lib/progress/format.ts";
import type { ProgressSnapshot } from "../../../lib/progress/model.ts";

function snapshot(over: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    elapsedMs: 7_000,
    objects: { done: 42, failed: 0, total: 84 },
    records: { read: 12_345, indexed: 12_000, duplicates: 300, deadLettered: 2, retried: 3 },
    bytes: { read: 12.3 * 1024 * 1024, total: undefined },
    recordsPerSecond: 2345.4,
    bytesPerSecond: 1_000_000,
    etaMs: 12_000,
    ...over,
  };
}

describe("progress text", () => {
  test("indexing: objects done/total, records and rate, bytes, retries, dead letters, ETA", () => {
    assert.equal(progressText(snapshot(), "indexing"), "0:07 42/84 objects, 12,345 records (2,345/s), 12.3 MB, 3 retries, 2 dead letters, ETA 0:12");
  });

  test("objects scripts show no records; records scripts no retries; unknown totals and ETA say so", () => {
    const s = snapshot({ objects: { done: 1, failed: 1, total: undefined }, etaMs: undefined, bytes: { read: 2048, total: 4096 } });
    assert.equal(progressText(s, "objects"), "0:07 1 object, 1 failed, 2.0 KB of 4.0 KB, ETA ?");
    assert.equal(progressText(s, "records"), "0:07 1 object, 1 failed, 12,345 records (2,345/s), 2.0 KB of 4.0 KB, ETA ?");
  });

  test("singular and plural", () => {
    const s = snapshot({ records: { read: 1, indexed: 1, duplicates: 0, deadLettered: 1, retried: 1 }, objects: { done: 1, failed: 0, total: 1 } });
    assert.match(progressText(s, "indexing"), /1\/1 object, 1 records .* 1 retry, 1 dead letter,/);
  });

  test("plain line is `name: text`; live line is `name text`", () => {
    assert.equal(plainLine("bulk", snapshot(), "indexing"), `bulk: ${progressText(snapshot(), "indexing")}`);
    assert.equal(liveLine("bulk", snapshot(), "indexing", 200), `bulk ${progressText(snapshot(), "indexing")}`);
  });

  test("generative: the live line fits one column less than any width, in ASCII (seeded)", () => {
    const rng = new Rng("progress-format");
    const big = () => rng.pick([0, 1, 999, 1_000_000, 2 ** 40, Number.MAX_SAFE_INTEGER]);
    for (let i = 0; i < 3000; i++) {
      const s = snapshot({
        elapsedMs: big(),
        objects: { done: big(), failed: big(), total: rng.chance(0.5) ? big() : undefined },
        records: { read: big(), indexed: 0, duplicates: 0, deadLettered: big(), retried: big() },
        bytes: { read: big(), total: rng.chance(0.5) ? big() : undefined },
        recordsPerSecond: rng.float() * 1e9,
        etaMs: rng.chance(0.5) ? big() : undefined,
      });
      const columns = rng.pick([0, 1, 5, 20, 40, 80, 132, 400, Number.NaN]);
      const line = liveLine(rng.pick(["ingest", "bulk", "x"]), s, rng.pick(["objects", "records", "indexing"] as const), columns);
      const width = Math.max(10, Math.floor(columns) || 80) - 1;
      assert.ok(line.length <= width, `${line.length} > ${width}: ${line}`);
      assert.match(line, /^[\x20-\x7e]*$/, "printable ASCII only: no escape or wide character");
    }
  });

  test("durations and sizes", () => {
    assert.equal(duration(0), "0:00");
    assert.equal(duration(59_499), "0:59");
    assert.equal(duration(61_000), "1:01");
    assert.equal(duration(3_600_000 + 62_000), "1:01:02");
    assert.equal(duration(-5), "0:00");
    assert.equal(byteSize(1023), "1023 B");
    assert.equal(byteSize(1536), "1.5 KB");
    assert.equal(byteSize(5 * 1024 ** 3), "5.00 GB");
  });
});
