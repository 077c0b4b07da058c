/**
 * The consumer's rules, against an in-memory queue with SQS's semantics (visibility timeouts, receipt handles
 * that change per receive, ApproximateReceiveCount, a redrive to a dead-letter queue). The real SQS (LocalStack)
 * is in test/integration/worker*.test.ts; this is the logic: extension, backoff, giving up, holding on a
 * transient failure, draining on stop, concurrency.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SQSError, type Message, type ReceiveOptions, type SQS } from "../../../lib/aws/sqs.ts";
import { Consumer, type Verdict } from "../../../lib/queue/consumer.ts";

interface Stored {
  id: string;
  body: string;
  visibleAt: number;
  receiveCount: number;
  handle: string;
}

/** An SQS queue in memory: what the consumer calls, with SQS's visibility and redrive behaviour. */
class MemoryQueue {
  readonly messages: Stored[] = [];
  readonly dlq: Stored[] = [];
  readonly calls: { action: string; detail: string }[] = [];
  #handles = 0;

  constructor(readonly maxReceiveCount = Infinity) {}

  add(body: string): void {
    this.messages.push({ id: `m${this.messages.length + this.dlq.length + 1}`, body, visibleAt: 0, receiveCount: 0, handle: "" });
  }

  asSQS(): SQS {
    return this as unknown as SQS;
  }

  async receive(_url: string, options: ReceiveOptions = {}): Promise<Message[]> {
    const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
    for (;;) {
      if (options.signal?.aborted) throw new DOMException("aborted", "AbortError");
      const now = Date.now();
      const out: Message[] = [];
      for (const m of [...this.messages]) {
        if (out.length >= (options.max ?? 10) || m.visibleAt > now) continue;
        if (m.receiveCount >= this.maxReceiveCount) {
          this.messages.splice(this.messages.indexOf(m), 1);
          this.dlq.push(m);
          continue;
        }
        m.receiveCount++;
        m.handle = `h${++this.#handles}`;
        m.visibleAt = now + (options.visibilitySeconds ?? 30) * 1000;
        out.push({ messageId: m.id, receiptHandle: m.handle, body: m.body, receiveCount: m.receiveCount, sentAt: 0 });
      }
      if (out.length || Date.now() >= deadline) {
        this.calls.push({ action: "receive", detail: out.map((m) => m.messageId).join(",") });
        return out;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async delete(_url: string, handle: string): Promise<void> {
    this.calls.push({ action: "delete", detail: handle });
    const i = this.messages.findIndex((m) => m.handle === handle);
    if (i >= 0) this.messages.splice(i, 1);
  }

  async changeVisibility(_url: string, handle: string, seconds: number): Promise<void> {
    this.calls.push({ action: "changeVisibility", detail: `${handle} ${seconds}` });
    const m = this.messages.find((x) => x.handle === handle && x.visibleAt > Date.now());
    if (!m) throw new SQSError(400, "InvalidParameterValue", "Message does not exist or is not available for visibility timeout change");
    m.visibleAt = Date.now() + seconds * 1000;
  }

  async changeVisibilityBatch(url: string, entries: { id: string; receiptHandle: string; seconds: number }[]) {
    this.calls.push({ action: "changeVisibilityBatch", detail: entries.map((e) => e.receiptHandle).join(",") });
    const failed = [];
    for (const e of entries) {
      try {
        await this.changeVisibility(url, e.receiptHandle, e.seconds);
        this.calls.pop();
      } catch (error) {
        failed.push({ id: e.id, code: (error as SQSError).code, message: (error as Error).message, senderFault: true });
      }
    }
    return failed;
  }

  async depth() {
    const now = Date.now();
    return { visible: this.messages.filter((m) => m.visibleAt <= now).length, inFlight: this.messages.filter((m) => m.visibleAt > now).length, delayed: 0 };
  }

  count(action: string): number {
    return this.calls.filter((c) => c.action === action).length;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Consumer", () => {
  test("a message processed for 2.5 times its visibility timeout is extended, never handed out twice, then deleted", async () => {
    const queue = new MemoryQueue();
    queue.add("big object");
    let calls = 0;
    const consumer = new Consumer({
      sqs: queue.asSQS(), queueUrl: "q", concurrency: 2, visibilitySeconds: 2, waitSeconds: 0, exitWhenIdleSeconds: 0,
      handle: async () => {
        calls++;
        await sleep(5000);
        return { action: "delete" };
      },
    });
    const result = await consumer.run();
    assert.equal(calls, 1, "processed once");
    assert.equal(result.deleted, 1);
    assert.equal(queue.messages.length, 0);
    assert.ok(queue.count("changeVisibilityBatch") >= 3, `extended every second: ${queue.count("changeVisibilityBatch")} extensions`);
    assert.equal(result.reason, "idle");
  });

  test("a failing message comes back after a doubling delay; its last failure before the dead-letter queue is logged as such", async () => {
    const queue = new MemoryQueue(3);
    queue.add("poison");
    const lines: string[] = [];
    const receives: number[] = [];
    const consumer = new Consumer({
      sqs: queue.asSQS(), queueUrl: "q", visibilitySeconds: 30, waitSeconds: 1, retryDelaySeconds: 1, maxReceiveCount: 3, exitWhenIdleSeconds: 0,
      log: (line) => lines.push(line),
      handle: async (message): Promise<Verdict> => {
        receives.push(message.receiveCount);
        return { action: "retry", reason: "s3://b/k: corrupt or truncated gzip" };
      },
    });
    const started = Date.now();
    const result = await consumer.run();
    assert.deepEqual(receives, [1, 2, 3]);
    const releases = queue.calls.filter((c) => c.action === "changeVisibility").map((c) => Number(c.detail.split(" ")[1]));
    assert.deepEqual(releases, [1, 2, 0], "1 s, 2 s, then at once (the redrive moves it)");
    assert.ok(Date.now() - started >= 2900, "waited the backoff");
    assert.equal(result.gaveUp, 1);
    assert.equal(result.retried, 2);
    assert.equal(queue.dlq.length, 1, "in the dead-letter queue");
    assert.ok(lines.some((l) => /GIVING UP message m1 after 3 receives: s3:\/\/b\/k: corrupt or truncated gzip/.test(l)), lines.join("\n"));
  });

  test("a transient failure: the message is held (not released, not received again), and processed again once ready", async () => {
    const queue = new MemoryQueue(2);
    queue.add("object while the engine restarts");
    queue.add("second");
    let readyCalls = 0;
    const seen: string[] = [];
    const consumer = new Consumer({
      sqs: queue.asSQS(), queueUrl: "q", concurrency: 1, visibilitySeconds: 2, waitSeconds: 0, maxReceiveCount: 2, exitWhenIdleSeconds: 0,
      ready: async () => {
        if (++readyCalls < 3) throw new Error("engine unavailable");
      },
      handle: async (message): Promise<Verdict> => {
        seen.push(`${message.messageId}#${message.receiveCount}`);
        return seen.length === 1 ? { action: "retry", reason: "engine down", transient: true } : { action: "delete" };
      },
    });
    const result = await consumer.run();
    assert.deepEqual(seen, ["m1#1", "m1#1", "m2#1"], "processed again in place, with the same receive");
    assert.equal(readyCalls, 3);
    assert.equal(result.resumed, 1);
    assert.equal(result.deleted, 2);
    assert.equal(queue.count("changeVisibility"), 0, "never released");
    assert.equal(queue.dlq.length, 0);
  });

  test("stop(): what finishes within the drain time is deleted, the rest released at once (visibility 0)", async () => {
    const queue = new MemoryQueue();
    queue.add("quick");
    queue.add("slow");
    const consumer = new Consumer({
      sqs: queue.asSQS(), queueUrl: "q", concurrency: 2, visibilitySeconds: 60, waitSeconds: 20, drainSeconds: 1,
      handle: async (message, signal) => {
        await sleep(message.body === "quick" ? 300 : 4000);
        assert.equal(signal.aborted, message.body === "slow");
        return { action: "delete" };
      },
    });
    const running = consumer.run();
    await sleep(150);
    const stoppedAt = Date.now();
    consumer.stop();
    const result = await running;
    assert.ok(Date.now() - stoppedAt < 3000, `returned ${Date.now() - stoppedAt} ms after stop`);
    assert.equal(result.deleted, 1);
    assert.equal(result.released, 1);
    assert.deepEqual(queue.messages.map((m) => m.body), ["slow"]);
    assert.ok(queue.messages[0]!.visibleAt <= Date.now(), "visible again for another consumer");
  });

  test("a long poll under way at stop() is let finish, and what it brings is released at once, not processed", async () => {
    const queue = new MemoryQueue();
    let handled = 0;
    const consumer = new Consumer({
      sqs: queue.asSQS(), queueUrl: "q", visibilitySeconds: 600, waitSeconds: 2,
      handle: async () => (handled++, { action: "delete" }),
    });
    const running = consumer.run();
    await sleep(200);
    consumer.stop();
    await sleep(300);
    queue.add("arrives while the poll still waits");
    const result = await running;
    assert.equal(handled, 0);
    assert.equal(result.released, 1);
    assert.equal(queue.messages[0]!.receiveCount, 1, "the poll did take it");
    assert.ok(queue.messages[0]!.visibleAt <= Date.now(), "and it is visible again at once, not after 600 s");
  });

  test("a second stop() releases at once", async () => {
    const queue = new MemoryQueue();
    queue.add("slow");
    const consumer = new Consumer({
      sqs: queue.asSQS(), queueUrl: "q", visibilitySeconds: 60, waitSeconds: 0, drainSeconds: 600,
      handle: async () => (await sleep(4000), { action: "delete" }),
    });
    const running = consumer.run();
    await sleep(100);
    consumer.stop();
    await sleep(100);
    const t = Date.now();
    consumer.stop();
    const result = await running;
    assert.ok(Date.now() - t < 2000);
    assert.equal(result.released, 1);
  });

  test("never more than `concurrency` messages in flight; all deleted", async () => {
    const queue = new MemoryQueue();
    for (let i = 0; i < 25; i++) queue.add(`m${i}`);
    let now = 0;
    let most = 0;
    const consumer = new Consumer({
      sqs: queue.asSQS(), queueUrl: "q", concurrency: 3, visibilitySeconds: 30, waitSeconds: 0, exitWhenIdleSeconds: 0,
      handle: async () => {
        most = Math.max(most, ++now);
        await sleep(20 + Math.random() * 30);
        now--;
        return { action: "delete" };
      },
    });
    const result = await consumer.run();
    assert.equal(most, 3);
    assert.equal(result.deleted, 25);
    assert.equal(queue.messages.length, 0);
  });

  test("a handler that throws is a retry, not a crash", async () => {
    const queue = new MemoryQueue(1);
    queue.add("x");
    const lines: string[] = [];
    const consumer = new Consumer({
      sqs: queue.asSQS(), queueUrl: "q", waitSeconds: 0, maxReceiveCount: 1, exitWhenIdleSeconds: 0, log: (l) => lines.push(l),
      handle: async () => {
        throw new Error("boom");
      },
    });
    const result = await consumer.run();
    assert.equal(result.gaveUp, 1);
    assert.ok(lines.some((l) => l.includes("boom")));
  });

  test("options are checked in the constructor", () => {
    const sqs = new MemoryQueue().asSQS();
    const handle = async (): Promise<Verdict> => ({ action: "delete" });
    assert.throws(() => new Consumer({ sqs, queueUrl: "q", handle, concurrency: 0 }), /concurrency/);
    assert.throws(() => new Consumer({ sqs, queueUrl: "q", handle, visibilitySeconds: 1 }), /visibilitySeconds/);
    assert.throws(() => new Consumer({ sqs, queueUrl: "q", handle, waitSeconds: 21 }), /waitSeconds/);
    assert.throws(() => new Consumer({ sqs, queueUrl: "", handle }), /queue URL/);
  });
});
