import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { decompressionStream, gunzip, gunzipBody, gzip, type Decompress } from "../../../lib/streams/gunzip.ts";
import { iterate, ObjectError, readText, type LogObject } from "../../../lib/streams/log-object.ts";
import { decompress as platformDecompress } from "../../../scripts/runtime/platform.ts";
import { streamOf } from "../../support/streams.ts";



const NAME = "s3://bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/x.json.gz";
const JSON_TEXT = JSON.stringify({ Records: [{ eventID: "a", eventTime: "2013-12-07T05:03:12Z", pad: "x".repeat(100_000) }] });

/** A body delivered in chunks of `chunk` bytes (1-byte chunks exercise the magic-byte check across reads). */
function body(bytes: Uint8Array, chunk = 1 << 16): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const object = (bytes: Uint8Array, extra: Partial<LogObject> = {}, chunk?: number): LogObject => ({ name: NAME, body: body(bytes, chunk), ...extra });

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const decompressors: [string, Decompress][] = [
  ["DecompressionStream", decompressionStream],
  ["zlib (scripts/runtime/platform.ts)", platformDecompress],
];

for (const [label, decompress] of decompressors) {
  describe(`gunzipBody with ${label}`, () => {
    test("valid gzip decompresses to the original bytes", async () => {
      const text = await readText({ name: NAME, body: gunzipBody(object(gzipSync(JSON_TEXT)), decompress) });
      assert.equal(text, JSON_TEXT);
    });

    test("valid gzip delivered one byte at a time", async () => {
      const small = '{"Records":[{"a":1}]}';
      const text = await readText({ name: NAME, body: gunzipBody(object(gzipSync(small), {}, 1), decompress) });
      assert.equal(text, small);
    });

    test("a truncated gzip is an ObjectError naming the object: corrupt or truncated gzip", async () => {
      const full = gzipSync(JSON_TEXT);
      const truncated = full.subarray(0, Math.floor(full.length / 2));
      await assert.rejects(bytesOf(gunzipBody(object(truncated), decompress)), (e: unknown) => {
        assert.ok(e instanceof ObjectError, `expected ObjectError, got ${String(e)}`);
        assert.equal(e.object, NAME);
        assert.match(e.message, /corrupt or truncated gzip/);
        assert.ok(e.message.startsWith(`${NAME}: `), e.message);
        return true;
      });
    });

    test("a gzip that lost only its trailer is still refused", async () => {
      const full = gzipSync(JSON_TEXT);
      const noTrailer = full.subarray(0, full.length - 8);
      await assert.rejects(bytesOf(gunzipBody(object(noTrailer), decompress)), (e: unknown) => e instanceof ObjectError && /corrupt or truncated gzip/.test(e.message));
    });

    test("concatenated members (cat a.gz b.gz) decode to both, as gzip -d does", async () => {
      const both = concat(gzipSync(JSON_TEXT), gzipSync(""), gzipSync("tail"));
      assert.equal(await readText({ name: NAME, body: gunzipBody(object(both, {}, 1000), decompress) }), JSON_TEXT + "tail");
    });

    test("zero bytes after the last member are padding, ignored", async () => {
      const padded = concat(gzipSync(JSON_TEXT), new Uint8Array(3000));
      assert.equal(await readText({ name: NAME, body: gunzipBody(object(padded, {}, 1000), decompress) }), JSON_TEXT);
    });

    test("a member after zero padding is refused, not dropped (zlib on its own drops it silently)", async () => {
      const hidden = concat(gzipSync(JSON_TEXT), new Uint8Array(2), gzipSync('{"Records":[{"eventID":"lost"}]}'));
      await assert.rejects(bytesOf(gunzipBody(object(hidden), decompress)), (e: unknown) => e instanceof ObjectError && /corrupt or truncated gzip \(.*(data after|header check)/.test(e.message));
    });

    test("garbage after a member is refused, naming the object", async () => {
      const garbage = concat(gzipSync(JSON_TEXT), new TextEncoder().encode("garbage"));
      await assert.rejects(bytesOf(gunzipBody(object(garbage), decompress)), (e: unknown) => e instanceof ObjectError && e.object === NAME && /corrupt or truncated gzip/.test(e.message));
    });

    test("corrupt gzip data is refused", async () => {
      const full = new Uint8Array(gzipSync(JSON_TEXT));
      for (let i = 20; i < 60; i++) full[i] = full[i]! ^ 0xff;
      await assert.rejects(bytesOf(gunzipBody(object(full), decompress)), (e: unknown) => e instanceof ObjectError && /corrupt or truncated gzip/.test(e.message) && e.object === NAME);
    });
  });
}

describe("gunzipBody: bodies that are not gzip", () => {
  test("plain bytes are refused with 'not gzip', naming the object", async () => {
    await assert.rejects(bytesOf(gunzipBody(object(new TextEncoder().encode(JSON_TEXT)))), (e: unknown) => {
      assert.ok(e instanceof ObjectError, `expected ObjectError, got ${String(e)}`);
      assert.equal(e.object, NAME);
      assert.match(e.reason, /^not gzip/);
      assert.match(e.message, new RegExp(`^${NAME.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: not gzip`));
      return true;
    });
  });

  test("a single byte that could start gzip (0x1f) is not gzip", async () => {
    await assert.rejects(bytesOf(gunzipBody(object(new Uint8Array([0x1f])))), (e: unknown) => e instanceof ObjectError && /not gzip/.test(e.reason));
  });

  test("an empty body is refused as empty", async () => {
    await assert.rejects(bytesOf(gunzipBody(object(new Uint8Array(0)))), (e: unknown) => e instanceof ObjectError && /empty object/.test(e.reason) && e.object === NAME);
  });

  test("transportDecoded: plain JSON passes through unchanged", async () => {
    const bytes = new TextEncoder().encode(JSON_TEXT);
    const out = await bytesOf(gunzipBody(object(bytes, { transportDecoded: true }, 1000)));
    assert.deepEqual(out, bytes);
  });

  test("transportDecoded but still gzip (a server that ignored the request): it is decompressed", async () => {
    const out = await bytesOf(gunzipBody(object(gzipSync(JSON_TEXT), { transportDecoded: true })));
    assert.equal(new TextDecoder().decode(out), JSON_TEXT);
  });

  test("transportDecoded and empty: an empty body", async () => {
    const out = await bytesOf(gunzipBody(object(new Uint8Array(0), { transportDecoded: true })));
    assert.equal(out.length, 0);
  });

  test("an error reading the body is an ObjectError naming the object", async () => {
    const failing: LogObject = {
      name: NAME,
      body: new ReadableStream({
        pull(controller) {
          controller.error(new Error("connection reset"));
        },
      }),
    };
    await assert.rejects(bytesOf(gunzipBody(failing)), (e: unknown) => e instanceof ObjectError && e.object === NAME && /connection reset/.test(e.message));
  });
});

describe("gzip", () => {
  test("round-trips strings and bytes, readable by zlib", async () => {
    const zipped = await gzip(JSON_TEXT);
    assert.equal(zipped[0], 0x1f);
    assert.equal(zipped[1], 0x8b);
    assert.equal(zipped.length < JSON_TEXT.length, true);
    assert.equal(gunzipSync(zipped).toString("utf8"), JSON_TEXT);
    const bytes = new Uint8Array([0, 1, 2, 255, 254, 0x1f, 0x8b]);
    assert.deepEqual(new Uint8Array(gunzipSync(await gzip(bytes))), bytes);
    const text = await readText({ name: NAME, body: gunzipBody(object(await gzip("héllo ✓"))) });
    assert.equal(text, "héllo ✓");
  });

  test("a view into a larger buffer (a bulk body) gives exactly its bytes; empty input is a valid empty gzip", async () => {
    const buffer = new Uint8Array(3 << 20);
    for (let i = 0; i < buffer.length; i++) buffer[i] = (i * 2654435761) >>> 24;
    const view = buffer.subarray(12345, buffer.length - 999);
    const zipped = await gzip(view);
    assert.deepEqual(new Uint8Array(gunzipSync(zipped)), view);
    assert.equal(buffer[12344], (12344 * 2654435761) >>> 24, "the buffer itself is untouched");
    assert.equal(gunzipSync(await gzip(new Uint8Array(0))).length, 0);
    assert.equal(gunzipSync(await gzip("")).length, 0);
  });
});

describe("gunzip() TransformStream", () => {
  test("keeps each object's name, decompresses each, and fails only the bad one", async () => {
    const objects: LogObject[] = [
      { name: "a.json.gz", body: body(gzipSync('{"Records":[{"a":1}]}')) },
      { name: "bad.json.gz", body: body(new TextEncoder().encode("plain")) },
      { name: "c.json.gz", body: body(gzipSync('{"Records":[]}')) },
    ];
    const out = streamOf(objects).pipeThrough(gunzip());
    const results: [string, string][] = [];
    for await (const o of iterate(out)) {
      try {
        results.push([o.name, await readText(o)]);
      } catch (e) {
        assert.ok(e instanceof ObjectError, `expected ObjectError, got ${String(e)}`);
        results.push([o.name, `error: ${e.object}: ${e.reason}`]);
      }
    }
    assert.equal(results.length, 3);
    assert.deepEqual(results[0], ["a.json.gz", '{"Records":[{"a":1}]}']);
    assert.equal(results[1]![0], "bad.json.gz");
    assert.match(results[1]![1], /^error: bad\.json\.gz: not gzip/);
    assert.deepEqual(results[2], ["c.json.gz", '{"Records":[]}']);
  });

  test("uses the decompressor handed in", async () => {
    let used = 0;
    const counting: Decompress = (s) => {
      used++;
      return platformDecompress(s);
    };
    const out = streamOf<LogObject>([{ name: "x", body: body(gzipSync("{}")) }]).pipeThrough(gunzip({ decompress: counting }));
    for await (const o of iterate(out)) assert.equal(await readText(o), "{}");
    assert.equal(used, 1);
  });
});

describe("scripts/runtime/platform.ts decompress (zlib)", () => {
  test("data past zero padding is refused, naming where the padding starts and the data", async () => {
    const a = gzipSync("hello ");
    const input = concat(a, new Uint8Array(4), gzipSync("world"));
    await assert.rejects(bytesOf(platformDecompress(body(input))), { message: `data after the gzip data at byte ${a.length + 4}, past zero padding from byte ${a.length}` });
  });

  test("inflates a whole gzip", async () => {
    assert.equal(new TextDecoder().decode(await bytesOf(platformDecompress(body(gzipSync(JSON_TEXT), 1000)))), JSON_TEXT);
  });

  test("a truncated gzip errors with 'unexpected end of file'", async () => {
    const full = gzipSync(JSON_TEXT);
    await assert.rejects(bytesOf(platformDecompress(body(full.subarray(0, full.length - 10)))), { message: "unexpected end of file" });
    await assert.rejects(bytesOf(platformDecompress(body(full.subarray(0, 30)))), { message: "unexpected end of file" });
  });

  test("through gunzipBody the zlib error is named and explained", async () => {
    const full = gzipSync(JSON_TEXT);
    await assert.rejects(bytesOf(gunzipBody(object(full.subarray(0, 100)), platformDecompress)), {
      message: `${NAME}: corrupt or truncated gzip (unexpected end of file)`,
    });
  });
});
