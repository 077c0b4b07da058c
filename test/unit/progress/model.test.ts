/**
 * The progress model in virtual time: done/total, rates over the recent window (checked against a brute-force
 * reference over a seeded random run), and an ETA that is right for a steady run.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Rng } from "../../../fixtures/common.ts";
import { Ledger } from "../../../lib/ledger.ts";
import { Progress } from "../../../lib/progress/model.ts";

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe("Progress", () => {
  test("a steady run: rates are exact and the ETA is the remaining time", () => {
    const ledger = new Ledger();
    const c = clock();
    const progress = new Progress(ledger, { now: c.now });
    ledger.expected.objects = 100;
    for (let s = 1; s <= 20; s++) {
      c.advance(1000);
      ledger.objects.read += 2; // 2 objects, 300 records, 10 KB a second
      ledger.records.read += 300;
      ledger.bytes.read += 10_240;
      const snap = progress.sample();
      assert.equal(snap.recordsPerSecond, 300, `second ${s}`);
      assert.equal(snap.bytesPerSecond, 10_240);
      assert.equal(snap.etaMs, ((100 - 2 * s) / 2) * 1000, `ETA at second ${s}`);
    }
    const end = progress.sample();
    assert.deepEqual(end.objects, { done: 40, failed: 0, total: 100 });
    assert.equal(end.elapsedMs, 20_000);
  });

  test("bytes decide the ETA when their total is known; failed objects count as done", () => {
    const ledger = new Ledger();
    const c = clock();
    const progress = new Progress(ledger, { now: c.now });
    Object.assign(ledger.expected, { objects: 2, bytes: 1000 });
    c.advance(2000);
    ledger.bytes.read = 250; // 125 B/s: 750 B left is 6 s
    ledger.objects.failed = 1;
    const s = progress.sample();
    assert.equal(s.etaMs, 6000);
    assert.equal(s.objects.done, 1);
    assert.equal(s.objects.failed, 1);
    assert.equal(s.bytes.total, 1000);
  });

  test("no total: no ETA; nothing moving: no ETA; everything done: 0", () => {
    const ledger = new Ledger();
    const c = clock();
    const progress = new Progress(ledger, { now: c.now });
    c.advance(1000);
    ledger.objects.read = 5;
    assert.equal(progress.sample().etaMs, undefined, "total unknown");
    ledger.expected.objects = 10;
    c.advance(20_000); // 5 objects in 21 s, none in the last window
    assert.equal(progress.sample().etaMs, undefined, "no rate in the window");
    ledger.objects.read = 10;
    assert.equal(progress.sample().etaMs, 0, "all done");
  });

  test("a pause longer than the window brings the rate to 0; it recovers at once", () => {
    const ledger = new Ledger();
    const c = clock();
    const progress = new Progress(ledger, { now: c.now, windowMs: 10_000 });
    for (let i = 0; i < 10; i++) {
      c.advance(1000);
      ledger.records.read += 1000;
      progress.sample();
    }
    assert.equal(progress.sample().recordsPerSecond, 1000);
    for (let i = 0; i < 11; i++) {
      c.advance(1000);
      progress.sample();
    }
    assert.equal(progress.sample().recordsPerSecond, 0);
    c.advance(1000);
    ledger.records.read += 500;
    assert.equal(progress.sample().recordsPerSecond, 50, "500 records over the 10 s window");
  });

  test("generative: the rate equals a brute-force computation over the whole history (seeded)", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rng = new Rng(`progress-${seed}`);
      const ledger = new Ledger();
      const c = clock();
      const windowMs = rng.pick([1000, 5000, 10_000]);
      const progress = new Progress(ledger, { now: c.now, windowMs });
      const history: { at: number; records: number }[] = [{ at: c.now(), records: 0 }];
      for (let i = 0; i < 300; i++) {
        c.advance(rng.pick([0, 1, 50, 250, 250, 1000, 4000, 12_000]));
        ledger.records.read += rng.pick([0, 0, 1, 7, 100, 5000]);
        const at = c.now();
        const s = progress.sample();
        // reference: the newest sample at or before the window's start (or the first), against now
        const base = [...history].reverse().find((h) => h.at <= at - windowMs) ?? history[0]!;
        const expected = at > base.at ? (ledger.records.read - base.records) / ((at - base.at) / 1000) : 0;
        assert.ok(Math.abs(s.recordsPerSecond - expected) < 1e-9, `seed ${seed} step ${i}: ${s.recordsPerSecond} ≠ ${expected}`);
        if (at > history.at(-1)!.at) history.push({ at, records: ledger.records.read });
      }
    }
  });

  test("options are checked", () => {
    assert.throws(() => new Progress(undefined as unknown as Ledger), /needs a Ledger/);
    assert.throws(() => new Progress(new Ledger(), { windowMs: 0 }), /windowMs must be positive/);
  });
});
