/**
 * The reporter in virtual time: a live line drawn at once and every 250 ms, other lines printed above it, erased
 * at the end; plain lines after 2 s and every 10 s; nothing when off. What a terminal shows is checked with a
 * small model of one (carriage return, erase line, newline); test/integration/progress.test.ts runs the real
 * scripts in tmux.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Ledger } from "../../../lib/ledger.ts";
import { Progress } from "../../../lib/progress/model.ts";
import { ProgressReporter, type ProgressMode } from "../../../lib/progress/reporter.ts";

/** A scheduler in virtual time. */
function virtualTime() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 0;
  return {
    now: () => now,
    schedule: (fn: () => void, ms: number) => {
      const id = next++;
      timers.push({ at: now + ms, fn, id });
      return () => void (timers = timers.filter((t) => t.id !== id));
    },
    /** Runs every timer due within `ms`, in order. */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at || a.id - b.id);
        const t = timers[0];
        if (!t || t.at > end) break;
        timers.shift();
        now = t.at;
        t.fn();
      }
      now = end;
    },
    pending: () => timers.length,
  };
}

/** What a terminal shows after `output`: lines, the cursor's line last. */
function screen(output: string): string[] {
  const lines: string[] = [""];
  let col = 0;
  for (let i = 0; i < output.length; i++) {
    const c = output[i]!;
    if (c === "\r") col = 0;
    else if (c === "\n") {
      lines.push("");
      col = 0;
    } else if (output.startsWith("\x1b[K", i)) {
      lines[lines.length - 1] = lines.at(-1)!.slice(0, col);
      i += 2;
    } else {
      const line = lines.at(-1)!;
      lines[lines.length - 1] = line.slice(0, col) + c + line.slice(col + 1);
      col++;
    }
  }
  return lines;
}

function setup(mode: ProgressMode) {
  const time = virtualTime();
  const ledger = new Ledger();
  const writes: { at: number; text: string }[] = [];
  const reporter = new ProgressReporter({
    name: "ingest",
    mode,
    kind: "indexing",
    progress: new Progress(ledger, { now: time.now }),
    write: (text) => void writes.push({ at: time.now(), text }),
    columns: () => 100,
    schedule: time.schedule,
  });
  return { time, ledger, writes, reporter, output: () => writes.map((w) => w.text).join("") };
}

describe("ProgressReporter", () => {
  test("live: drawn at once, redrawn every 250 ms, one line on the screen; lines go above it; erased at the end", () => {
    const { time, ledger, writes, reporter, output } = setup("live");
    reporter.start();
    assert.equal(writes.length, 1, "drawn at the start, before any timer");
    assert.match(screen(output()).at(-1)!, /^ingest 0:00 0 objects, 0 records/);
    ledger.objects.read = 3;
    time.advance(1000);
    assert.equal(writes.length, 5, "redrawn 4 times in a second");
    assert.deepEqual(screen(output()).filter((l) => l).length, 1, "one line on the screen");
    assert.match(screen(output())[0]!, /^ingest 0:01 3 objects/);

    reporter.line("ingest: retrying 12 items in 250 ms (attempt 1): item 429");
    const shown = screen(output());
    assert.equal(shown[0], "ingest: retrying 12 items in 250 ms (attempt 1): item 429");
    assert.match(shown[1]!, /^ingest 0:01 3 objects/, "the live line is redrawn below the printed line");

    reporter.stop();
    const count = writes.length;
    time.advance(5000);
    assert.equal(writes.length, count, "nothing after stop");
    assert.equal(time.pending(), 0, "no timer left");
    assert.deepEqual(screen(output()), ["ingest: retrying 12 items in 250 ms (attempt 1): item 429", ""], "the live line is gone");
  });

  test("plain: a line at 2 s, then every 10 s, each ending with a newline and without escapes", () => {
    const { time, ledger, writes, reporter } = setup("plain");
    reporter.start();
    ledger.expected.objects = 10;
    time.advance(1999);
    assert.equal(writes.length, 0, "nothing before 2 s");
    time.advance(1);
    ledger.objects.read = 5;
    time.advance(33_000);
    assert.deepEqual(writes.map((w) => w.at), [2000, 12_000, 22_000, 32_000]);
    for (const w of writes) {
      assert.match(w.text, /^ingest: \d+:\d\d .*\n$/);
      assert.doesNotMatch(w.text, /[\r\x1b]/);
    }
    assert.match(writes[1]!.text, /ingest: 0:12 5\/10 objects/);
    reporter.line("a line of the script's own");
    assert.equal(writes.at(-1)!.text, "a line of the script's own\n");
    reporter.stop();
    time.advance(60_000);
    assert.equal(writes.length, 5);
  });

  test("off: nothing but the script's own lines, ever", () => {
    const { time, writes, reporter } = setup("off");
    reporter.start();
    time.advance(120_000);
    reporter.line("hello");
    reporter.stop();
    assert.deepEqual(writes.map((w) => w.text), ["hello\n"]);
  });

  test("start twice does not double the timers; stop before start is harmless", () => {
    const { time, writes, reporter } = setup("plain");
    reporter.stop();
    reporter.start();
    reporter.start();
    time.advance(2000);
    assert.equal(writes.length, 1);
  });

  test("options are checked", () => {
    const progress = new Progress(new Ledger());
    const base = { name: "x", mode: "live" as const, kind: "objects" as const, progress, write: () => {} };
    assert.throws(() => new ProgressReporter({ ...base, mode: "loud" as ProgressMode }), /live, plain or off/);
    assert.throws(() => new ProgressReporter({ ...base, name: "" }), /script's name/);
    assert.throws(() => new ProgressReporter({ ...base, plainEveryMs: 0 }), /plainEveryMs must be positive/);
    assert.throws(() => new ProgressReporter({ ...base, write: undefined as unknown as () => void }), /write function/);
  });
});
