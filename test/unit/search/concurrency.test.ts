/**
 * The adaptive limit against simulated engines in virtual time: it must find the engine's best rate, back off on
 * rejections, and not grow when the input is the bottleneck.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AdaptiveLimit } from "../../../lib/search/concurrency.ts";

interface Engine {
  /** Requests the engine indexes at once (its write threads). */
  threads: number;
  /** ms to index one request. */
  serviceMs: number;
  /** Requests it queues beyond its threads before it answers 429. */
  queue: number;
  /** Contention: each request in the engine beyond its threads slows every request by this share. */
  contention?: number;
}

/** Runs `seconds` of virtual time; returns requests/s over the second half, and the limit at the end. */
function simulate(engine: Engine, seconds: number, options: { inputEveryMs?: number; initial?: number } = {}) {
  let now = 0;
  const limit = new AdaptiveLimit({ initial: options.initial, windowMs: 1000, now: () => now });
  const events: { at: number; started: number; rejected: boolean }[] = [];
  const queued: number[] = [];
  let busy = 0;
  let inFlight = 0;
  let nextInput = 0;
  let late = 0;
  let rejections = 0;
  const serviceMs = () => engine.serviceMs * (1 + (engine.contention ?? 0) * Math.max(0, busy + queued.length - engine.threads));
  const start = (started: number) => {
    busy++;
    events.push({ at: now + serviceMs(), started, rejected: false });
  };
  const arrive = () => {
    inFlight++;
    if (busy < engine.threads) start(now);
    else if (queued.length < engine.queue) queued.push(now);
    else events.push({ at: now + 1, started: now, rejected: true });
  };
  const inputReady = () => !options.inputEveryMs || now >= nextInput;
  while (now < seconds * 1000) {
    while (inFlight < limit.current && inputReady()) {
      arrive();
      if (options.inputEveryMs) nextInput = now + options.inputEveryMs;
    }
    if (inFlight >= limit.current && inputReady()) limit.waited();
    events.sort((a, b) => a.at - b.at);
    const nextEvent = events[0]?.at ?? Infinity;
    const wake = options.inputEveryMs && inFlight < limit.current ? Math.min(nextEvent, nextInput) : nextEvent;
    now = Math.max(now, wake);
    if (nextEvent > now) continue;
    const done = events.shift()!;
    inFlight--;
    if (done.rejected) rejections++;
    else {
      busy--;
      if (now > (seconds * 1000) / 2) late++;
      if (queued.length) start(queued.shift()!);
    }
    limit.record({ bytes: 1_000_000, ms: now - done.started, rejected: done.rejected });
  }
  return { rate: late / (seconds / 2), limit: limit.current, peak: limit.peak, rejections };
}

describe("AdaptiveLimit", () => {
  test("an engine with 4 write threads: reaches ≥ 90% of its best rate and settles near 4", () => {
    const best = 4 * (1000 / 100);
    const result = simulate({ threads: 4, serviceMs: 100, queue: 1000 }, 300);
    assert.ok(result.rate >= 0.9 * best, `rate ${result.rate}/s, best ${best}/s`);
    assert.ok(result.limit >= 4 && result.limit <= 6, `settled at ${result.limit}`);
  });

  test("contention past its threads: it backs off to where the rate is best", () => {
    const best = 3 * (1000 / 50);
    const result = simulate({ threads: 3, serviceMs: 50, queue: 1000, contention: 0.3 }, 300);
    assert.ok(result.rate >= 0.9 * best, `rate ${result.rate}/s, best ${best}/s`);
    assert.ok(result.limit <= 5, `settled at ${result.limit}`);
  });

  test("a tiny write queue: 429s halve the limit, and the rate stays near the best", () => {
    const best = 2 * (1000 / 100);
    const result = simulate({ threads: 2, serviceMs: 100, queue: 1 }, 300, { initial: 8 });
    assert.ok(result.rejections > 0, "the engine did push back");
    assert.ok(result.rate >= 0.85 * best, `rate ${result.rate}/s, best ${best}/s`);
    assert.ok(result.limit <= 4, `settled at ${result.limit}`);
  });

  test("when records come slower than the engine takes them, it does not grow", () => {
    const result = simulate({ threads: 8, serviceMs: 100, queue: 1000 }, 120, { inputEveryMs: 100 });
    assert.ok(result.peak <= 3, `grew to ${result.peak}`);
  });

  test("a fast engine lets it grow to its maximum and no further", () => {
    const result = simulate({ threads: 64, serviceMs: 20, queue: 1000 }, 300);
    assert.equal(result.peak, 16);
  });
});
