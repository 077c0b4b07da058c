/**
 * Work on several cores (lib/parallel), with the workers in this thread (a MessageChannel per worker, the same
 * messages as threads get): the split job through the pool must print exactly what one thread prints, in the
 * same order, with the same books and the same failures in the same order, whatever the bundle sizes, the
 * number of workers, and delays on the way (seeded); large objects go chunk by chunk; a worker that fails, a
 * body that errors and a consumer that stops are handled.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { generateDayJson } from "../../../fixtures/generate.ts";
import { Ledger } from "../../../lib/ledger.ts";
import { channelPair, type Channel } from "../../../lib/parallel/channel.ts";
import { ObjectPool } from "../../../lib/parallel/pool.ts";
import { serve, type Job } from "../../../lib/parallel/serve.ts";
import { OrderedLines, splitJob } from "../../../lib/parallel/split-job.ts";
import { decompressionStream, gunzipBody } from "../../../lib/streams/gunzip.ts";
import { ObjectError, type LogObject } from "../../../lib/streams/log-object.ts";
import { selectEach } from "../../../lib/streams/select.ts";
import { hostileCorpus, Rng } from "../../support/hostile-json.ts";

interface Input {
  name: string;
  bytes: Uint8Array;
}

/** A generated day's files, hostile files (broken, odd), a few gzipped, and empty ones. */
function inputs(seed: number): Input[] {
  const rng = new Rng(seed);
  const out: Input[] = [];
  for (const f of generateDayJson({ date: "2024-03-04", records: 400, seed })) out.push({ name: `gen/${out.length}`, bytes: gzipSync(f.json) });
  for (const f of hostileCorpus(seed, 30)) out.splice(rng.int(out.length + 1), 0, { name: `hostile/${out.length}`, bytes: rng.chance(0.5) ? gzipSync(f.text) : new TextEncoder().encode(f.text) });
  out.splice(rng.int(out.length), 0, { name: "empty", bytes: new Uint8Array(0) }, { name: "not-gzip-not-json", bytes: new Uint8Array([0x1f, 0x8c, 1, 2]) });
  return out;
}

/** Objects whose bodies come in chunks of `chunk` bytes (a fresh buffer each, or views of one buffer). */
function objects(list: Input[], chunk: number, views = false): ReadableStream<LogObject> {
  let i = 0;
  return new ReadableStream<LogObject>(
    {
      pull(controller) {
        const input = list[i++];
        if (!input) return controller.close();
        let at = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(c) {
            if (at >= input.bytes.length) return c.close();
            const part = input.bytes.subarray(at, at + chunk);
            at += chunk;
            c.enqueue(views ? part : part.slice());
          },
        });
        controller.enqueue({ name: input.name, body });
      },
    },
    { highWaterMark: 0 },
  );
}

/** What one thread prints: split.ts's own path. */
async function oneThread(list: Input[], program: string) {
  const ledger = new Ledger();
  const lines: string[] = [];
  const unzipped = objects(list, 1 << 14).pipeThrough(new TransformStream({ transform: (o, c) => c.enqueue({ name: o.name, body: gunzipBody({ ...o, transportDecoded: true }) }) }));
  await selectEach(unzipped, program, (r) => void lines.push(r.text), { ledger });
  return { out: lines.map((l) => `${l}\n`).join(""), ledger };
}

/** A worker in this thread, whose messages each way may wait a little (seeded). */
function localWorker(jobs: Record<string, Job>, rng?: Rng): Channel {
  const [main, worker] = channelPair();
  const delayed = (channel: Channel): Channel =>
    rng
      ? {
          ...channel,
          receive: (handler) => {
            let chain = Promise.resolve();
            channel.receive((m) => {
              const wait = rng.chance(0.2) ? rng.int(3) : 0;
              // delivered in order, late; the handler's own promise is not waited for (as a thread's port does not)
              chain = chain.then(() => (wait ? new Promise((r) => setTimeout(r, wait)) : undefined)).then(() => void handler(m));
            });
          },
        }
      : channel;
  serve(delayed(worker), jobs);
  return delayed(main);
}

async function throughPool(list: Input[], program: string, options: { workers: number; bundleBytes?: number; chunk?: number; views?: boolean; rng?: Rng; chunks?: number }) {
  const ledger = new Ledger();
  const parts: Uint8Array[] = [];
  const ordered = new OrderedLines(async (bytes) => void parts.push(bytes.slice()));
  const pool = new ObjectPool({
    spawn: () => localWorker({ split: splitJob(decompressionStream) }, options.rng),
    workers: options.workers,
    job: "split",
    config: { program },
    ledger,
    bundleBytes: options.bundleBytes,
    chunks: options.chunks,
    onResult: (r) => ordered.result(r),
    onDone: (seq) => ordered.done(seq),
  });
  await pool.run(objects(list, options.chunk ?? 1 << 14, options.views));
  await ordered.settled;
  return { out: Buffer.concat(parts).toString("utf8"), ledger };
}

function sameBooks(a: Ledger, b: Ledger) {
  assert.deepEqual({ objects: a.objects, bytes: a.bytes, records: a.records }, { objects: b.objects, bytes: b.bytes, records: b.records });
  assert.deepEqual(a.failures, b.failures, "the same failures, in the same order");
}

describe("ObjectPool with the split job", () => {
  for (const [seed, workers, bundleBytes, chunk] of [
    [1, 1, 1 << 20, 1 << 14],
    [2, 2, 4096, 1 << 14],
    [3, 3, 1, 512],
    [4, 2, 20_000, 100],
    [5, 4, 300, 1 << 16],
  ] as const) {
    test(`seed ${seed}: ${workers} workers, bundles of ${bundleBytes} bytes, chunks of ${chunk}: the same lines, books and failures as one thread`, async () => {
      const list = inputs(seed);
      for (const program of [".Records[]", '.Records[] | select(.eventName != "b") | .eventID']) {
        const one = await oneThread(list, program);
        one.ledger.records.read = one.out.split("\n").length - 1;
        const many = await throughPool(list, program, { workers, bundleBytes, chunk, rng: new Rng(seed), views: seed % 2 === 0 });
        assert.equal(many.out, one.out, program);
        sameBooks(many.ledger, one.ledger);
        assert.ok(one.ledger.failures.length > 0, "some files fail");
      }
    });
  }

  test("a large object goes chunk by chunk, never more than `chunks` ahead of the worker's reading", async () => {
    const records = Array.from({ length: 4000 }, (_, i) => `{"eventID":"${i}","eventTime":"2024-03-04T00:00:00Z","pad":"${"x".repeat(200)}"}`);
    const big = new TextEncoder().encode(`{"Records":[${records.join(",")}]}`);
    let read = 0;
    let most = 0;
    const ledger = new Ledger();
    let consumed = 0;
    const parts: string[] = [];
    const ordered = new OrderedLines(async (bytes) => {
      consumed += bytes.length;
      parts.push(new TextDecoder().decode(bytes));
      await new Promise((r) => setTimeout(r, 1)); // a slow consumer
    });
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (read >= big.length) return c.close();
        c.enqueue(big.slice(read, read + 1000));
        read += 1000;
        most = Math.max(most, read - consumed * 0.9);
      },
    });
    const pool = new ObjectPool({ spawn: () => localWorker({ split: splitJob(decompressionStream) }), workers: 2, job: "split", config: { program: ".Records[]" }, ledger, chunks: 4, onResult: (r) => ordered.result(r), onDone: (s) => ordered.done(s) });
    await pool.run(new ReadableStream({ start: (c) => (c.enqueue({ name: "big", body }), c.close()) }));
    await ordered.settled;
    assert.equal(parts.join(""), records.map((r) => `${r}\n`).join(""));
    assert.equal(ledger.records.read, 4000);
    assert.ok(most < big.length / 2, `the body was read ahead of the output by at most ${most} bytes of ${big.length}`);
  });

  test("a body that fails while read is that object's failure, named, as one thread reports it; the others go on", async () => {
    const list = inputs(7).slice(0, 12);
    const failing = (name: string) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(gzipSync('{"Records":[{"a":1}').subarray(0, 10));
        },
        pull() {
          throw new ObjectError(name, "connection reset after 10 bytes");
        },
      });
    const make = () => {
      let i = 0;
      return new ReadableStream<LogObject>({
        pull(c) {
          if (i === 5) return void (i++, c.enqueue({ name: "s3://b/broken", body: failing("s3://b/broken") }));
          const input = list[i++ > 5 ? i - 2 : i - 1];
          if (!input) return c.close();
          c.enqueue({ name: input.name, body: new Blob([input.bytes as BlobPart]).stream() });
        },
      });
    };
    const one = new Ledger();
    const oneLines: string[] = [];
    await selectEach(make().pipeThrough(new TransformStream({ transform: (o, c) => c.enqueue({ name: o.name, body: gunzipBody({ ...o, transportDecoded: true }) }) })), ".Records[]", (r) => void oneLines.push(r.text), { ledger: one });
    const many = new Ledger();
    const parts: Uint8Array[] = [];
    const ordered = new OrderedLines(async (b) => void parts.push(b.slice()));
    await new ObjectPool({ spawn: () => localWorker({ split: splitJob(decompressionStream) }), workers: 2, job: "split", config: { program: ".Records[]" }, ledger: many, bundleBytes: 1, onResult: (r) => ordered.result(r), onDone: (s) => ordered.done(s) }).run(make());
    await ordered.settled;
    assert.equal(Buffer.concat(parts).toString(), oneLines.map((l) => `${l}\n`).join(""));
    assert.ok(many.failures.some((f) => f.subject === "s3://b/broken" && /connection reset after 10 bytes/.test(f.reason)), JSON.stringify(many.failures));
    assert.deepEqual(many.failures, one.failures);
    assert.deepEqual(many.objects, one.objects);
  });

  test("a worker that fails ends the run with its error; the input is cancelled", async () => {
    let cancelled = false;
    const source = objects(inputs(8), 1 << 14);
    const reader = source.getReader();
    const input = new ReadableStream<LogObject>({ pull: async (c) => { const n = await reader.read(); if (n.done) c.close(); else c.enqueue(n.value); }, cancel: () => void (cancelled = true) });
    const broken: Job = async (objects) => {
      await objects.getReader().read();
      throw new Error("out of memory, say");
    };
    const pool = new ObjectPool({ spawn: () => localWorker({ split: broken }), workers: 2, job: "split", config: {}, ledger: new Ledger(), onResult: () => {} });
    await assert.rejects(pool.run(input), /worker \d: out of memory, say/);
    assert.equal(cancelled, true);
  });

  test("a job the worker does not know is an error naming it", async () => {
    const pool = new ObjectPool({ spawn: () => localWorker({}), workers: 1, job: "nope", config: {}, ledger: new Ledger(), onResult: () => {} });
    await assert.rejects(pool.run(objects(inputs(9), 100)), /no job "nope"/);
  });

  test("stop(): a consumer that wants no more (| head) ends the run at once, the input cancelled", async () => {
    let cancelled = false;
    const endless = new ReadableStream<LogObject>({
      pull: (c) => c.enqueue({ name: "x", body: new Blob([gzipSync(`{"Records":[${'{"a":1},'.repeat(1000)}{"a":2}]}`)]).stream() }),
      cancel: () => void (cancelled = true),
    });
    let pieces = 0;
    const pool: ObjectPool = new ObjectPool({
      spawn: () => localWorker({ split: splitJob(decompressionStream) }),
      workers: 2,
      job: "split",
      config: { program: ".Records[]" },
      ledger: new Ledger(),
      bundleBytes: 1,
      onResult: () => {
        if (++pieces === 3) pool.stop();
      },
    });
    await pool.run(endless);
    assert.equal(cancelled, true);
    assert.ok(pieces >= 3);
  });

  test("options are checked", () => {
    assert.throws(() => new ObjectPool({ spawn: () => localWorker({}), workers: 0, job: "x", config: {}, ledger: new Ledger(), onResult: () => {} }), /workers must be/);
  });
});
