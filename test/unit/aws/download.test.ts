/**
 * Resumable GetObject bodies (lib/aws/download.ts) against a scripted server in a fetch function: bodies that
 * break after some bytes, stall, end early, ignore Range, or change between attempts. The same behaviour against
 * the real LocalStack, through a proxy that cuts connections, is in test/integration/s3.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { openObject } from "../../../lib/aws/download.ts";
import { S3 } from "../../../lib/aws/s3.ts";
import { ObjectError } from "../../../lib/streams/log-object.ts";
import { Rng } from "../../../fixtures/common.ts";

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

interface Behaviour {
  /** For answer n (1-based): break the body after this many bytes (undefined: send it all). */
  breakAfter?: (n: number) => number | undefined;
  /** For answer n: stop sending (stall) after this many bytes. */
  stallAfter?: (n: number) => number | undefined;
  /** For answer n: end the body cleanly (short) after this many bytes. */
  endAfter?: (n: number) => number | undefined;
  ignoreRange?: boolean;
  /** The object's ETag at answer n. */
  etag?: (n: number) => string;
  gzipEncoded?: boolean;
}

function server(data: Uint8Array, behaviour: Behaviour = {}) {
  const requests: { range: string | null; ifMatch: string | null }[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const n = requests.push({ range: request.headers.get("range"), ifMatch: request.headers.get("if-match") });
    const etag = behaviour.etag?.(n) ?? '"v1"';
    if (request.headers.get("if-match") && request.headers.get("if-match") !== etag) return new Response("<Error><Code>PreconditionFailed</Code></Error>", { status: 412 });
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(request.headers.get("range") ?? "");
    if (range && !behaviour.ignoreRange) start = Number(range[1]);
    const part = data.subarray(start);
    const cut = behaviour.breakAfter?.(n);
    const stall = behaviour.stallAfter?.(n);
    const end = behaviour.endAfter?.(n);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const limit = Math.min(part.length, cut ?? Infinity, stall ?? Infinity, end ?? Infinity);
        if (sent >= limit) {
          if (cut !== undefined && sent >= cut) return controller.error(new TypeError("terminated", { cause: new Error("other side closed") }));
          if (stall !== undefined && sent >= stall) return new Promise<void>((resolve) => request.signal.addEventListener("abort", () => (controller.error(request.signal.reason), resolve())));
          return controller.close();
        }
        const chunk = part.subarray(sent, Math.min(limit, sent + 1000));
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const headers: Record<string, string> = { etag, "content-length": String(part.length) };
    if (behaviour.gzipEncoded) headers["content-encoding"] = "gzip";
    if (range && !behaviour.ignoreRange) {
      headers["content-range"] = `bytes ${start}-${data.length - 1}/${data.length}`;
      return new Response(body, { status: 206, headers });
    }
    return new Response(body, { status: 200, headers });
  }) as typeof globalThis.fetch;
  return { s3: new S3({ credentials, region: "us-east-1", fetch, backoffMs: 1 }), requests };
}

function bytes(n: number, seed = 1): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(body).arrayBuffer());
}

const fast = { backoffMs: 1 };

describe("openObject: a body that breaks is resumed", () => {
  test("reset mid-body on the first three answers: Range from the byte reached, If-Match the first ETag; every byte once", async () => {
    const data = bytes(10_000);
    const retries: number[] = [];
    const { s3, requests } = server(data, { breakAfter: (n) => (n <= 3 ? 2_500 : undefined) });
    const download = await openObject(s3, "bucket", "key", { ...fast, onRetry: (i) => retries.push(i.offset) });
    assert.deepEqual(await readAll(download.body), data);
    assert.deepEqual(requests, [
      { range: null, ifMatch: null },
      { range: "bytes=2500-", ifMatch: '"v1"' },
      { range: "bytes=5000-", ifMatch: '"v1"' },
      { range: "bytes=7500-", ifMatch: '"v1"' },
    ]);
    assert.deepEqual(retries, [2500, 5000, 7500]);
  });

  test("seeded: random break points and counts within the retry budget always give the exact bytes", async () => {
    const rng = new Rng(2024);
    for (let round = 0; round < 40; round++) {
      const data = bytes(rng.range(1, 20_000), round);
      const breaks = rng.range(0, 4);
      const points = Array.from({ length: breaks }, () => rng.range(0, data.length));
      const { s3, requests } = server(data, { breakAfter: (n) => points[n - 1] });
      const download = await openObject(s3, "bucket", "key", { ...fast, retries: 4 });
      assert.deepEqual(await readAll(download.body), data, `round ${round}`);
      assert.ok(requests.length <= breaks + 1);
    }
  });

  test("a body that ends cleanly before Content-Length is resumed too", async () => {
    const data = bytes(5_000);
    const { s3, requests } = server(data, { endAfter: (n) => (n === 1 ? 1_234 : undefined) });
    assert.deepEqual(await readAll((await openObject(s3, "bucket", "key", fast)).body), data);
    assert.equal(requests[1]!.range, "bytes=1234-");
  });

  test("a stalled body is aborted after idleTimeoutMs and resumed", async () => {
    const data = bytes(5_000);
    const { s3, requests } = server(data, { stallAfter: (n) => (n === 1 ? 3_000 : undefined) });
    const started = Date.now();
    assert.deepEqual(await readAll((await openObject(s3, "bucket", "key", { ...fast, idleTimeoutMs: 200 })).body), data);
    assert.equal(requests[1]!.range, "bytes=3000-");
    assert.ok(Date.now() - started < 10_000);
  });

  test("a server that ignores Range (200) is read from the start, the bytes already delivered skipped", async () => {
    const data = bytes(8_000);
    const { s3 } = server(data, { ignoreRange: true, breakAfter: (n) => (n <= 2 ? 3_000 * n : undefined) });
    assert.deepEqual(await readAll((await openObject(s3, "bucket", "key", fast)).body), data);
  });

  test("a body the transport decoded is re-read from the start without Range (offsets are not the stored ones)", async () => {
    const data = bytes(6_000);
    const { s3, requests } = server(data, { gzipEncoded: true, breakAfter: (n) => (n === 1 ? 2_000 : undefined) });
    const download = await openObject(s3, "bucket", "key", fast);
    assert.equal(download.transportDecoded, true);
    assert.deepEqual(await readAll(download.body), data);
    assert.deepEqual(requests[1], { range: null, ifMatch: '"v1"' });
  });

  test("suspend() closes the connection; the next read resumes from the same byte", async () => {
    const data = bytes(5_000);
    const { s3, requests } = server(data);
    const download = await openObject(s3, "bucket", "key", fast);
    const reader = download.body.getReader();
    const first = await reader.read();
    download.suspend();
    const chunks = [first.value!];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    assert.deepEqual(Buffer.concat(chunks), Buffer.from(data));
    assert.equal(requests[1]!.range, `bytes=${first.value!.length}-`);
  });
});

describe("openObject: when not to resume", () => {
  test("the object changed between attempts (If-Match fails): an ObjectError, no stitched bytes", async () => {
    const data = bytes(5_000);
    const { s3 } = server(data, { breakAfter: (n) => (n === 1 ? 1_000 : undefined), etag: (n) => (n === 1 ? '"v1"' : '"v2"') });
    await assert.rejects(readAll((await openObject(s3, "bucket", "key", fast)).body), (e: unknown) => e instanceof ObjectError && e.object === "s3://bucket/key" && /changed while it was read/.test(e.reason));
  });

  test("retries spent: an ObjectError naming the object, the attempts, the byte reached and the cause", async () => {
    const data = bytes(5_000);
    const { s3, requests } = server(data, { breakAfter: () => 100 });
    const body = (await openObject(s3, "bucket", "AWSLogs/x.json.gz", { ...fast, retries: 3 })).body;
    await assert.rejects(readAll(body), (e: unknown) => {
      assert.ok(e instanceof ObjectError, String(e));
      assert.equal(e.object, "s3://bucket/AWSLogs/x.json.gz");
      assert.match(e.message, /^s3:\/\/bucket\/AWSLogs\/x\.json\.gz: download failed 4 times, last at byte 400 of 5000: terminated \(other side closed\)$/);
      return true;
    });
    assert.equal(requests.length, 4);
  });

  test("a 206 that starts elsewhere than asked is an error, not a splice", async () => {
    const data = bytes(3_000);
    let n = 0;
    const fetch = (async (input: RequestInfo | URL) => {
      const request = input as Request;
      n++;
      if (n === 1) {
        let sent = false;
        const body = new ReadableStream<Uint8Array>({
          pull(c) {
            if (sent) return c.error(new TypeError("terminated"));
            c.enqueue(data.subarray(0, 1000));
            sent = true;
          },
        });
        return new Response(body, { headers: { etag: '"v1"', "content-length": "3000" } });
      }
      assert.equal(request.headers.get("range"), "bytes=1000-");
      return new Response(data.slice(500), { status: 206, headers: { etag: '"v1"', "content-range": "bytes 500-2999/3000" } });
    }) as typeof globalThis.fetch;
    const s3 = new S3({ credentials, region: "us-east-1", fetch, backoffMs: 1 });
    await assert.rejects(readAll((await openObject(s3, "bucket", "key", fast)).body), /asked for the bytes from 1000/);
  });

  test("a missing object fails at open with S3's answer", async () => {
    const fetch = (async () => new Response("<Error><Code>NoSuchKey</Code></Error>", { status: 404 })) as typeof globalThis.fetch;
    await assert.rejects(openObject(new S3({ credentials, region: "us-east-1", fetch }), "bucket", "key"), /s3:\/\/bucket\/key: NoSuchKey/);
  });
});
