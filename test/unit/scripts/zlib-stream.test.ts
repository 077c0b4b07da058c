/**
 * zlibStream inflates what gunzipSync inflates, small objects at once and large ones as they arrive, in pieces of
 * 16 KiB at most; it reads several gzip members; a truncated or corrupt body is an error, as platform.ts words it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { SYNC_INPUT_LIMIT, SYNC_OUTPUT_LIMIT, zlibStream } from "../../../scripts/runtime/zlib-stream.ts";
import { Rng } from "../../support/hostile-json.ts";

/** The bytes in chunks of `size`, as a stream. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(at, (at += size)));
    },
  });
}

async function inflate(gz: Uint8Array, size = 1 << 16): Promise<{ bytes: Uint8Array; pieces: number; largest: number }> {
  const parts: Uint8Array[] = [];
  for await (const part of zlibStream(chunked(gz, size)) as unknown as AsyncIterable<Uint8Array>) parts.push(part);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) bytes.set(p, (at += p.length) - p.length);
  return { bytes, pieces: parts.length, largest: parts.reduce((m, p) => Math.max(m, p.length), 0) };
}

function randomJson(rng: Rng, size: number): Uint8Array {
  let s = '{"Records":[';
  while (s.length < size) s += `{"eventID":"${rng.int(1e9)}","n":${rng.next()}},`;
  return new TextEncoder().encode(s + "{}]}");
}

describe("zlibStream", () => {
  test("small, medium and large objects inflate to gunzipSync's bytes, in pieces of 16 KiB at most", async () => {
    const rng = new Rng(9);
    // incompressible-ish content pushes the gzip over SYNC_INPUT_LIMIT, the streaming path
    const noise = new Uint8Array(SYNC_INPUT_LIMIT * 2).map(() => rng.int(256));
    for (const json of [new Uint8Array(0), randomJson(rng, 100), randomJson(rng, 300_000), noise]) {
      const gz = gzipSync(json);
      for (const size of gz.length < 10_000 ? [1, 7, 1 << 16] : [4096, 1 << 16]) {
        const { bytes, largest } = await inflate(gz, size);
        assert.ok(Buffer.from(bytes).equals(gunzipSync(gz)), `${json.length} bytes, gzip in chunks of ${size}: ${bytes.length} bytes out`);
        assert.ok(largest <= 1 << 14, `pieces of at most 16 KiB (${largest})`);
      }
    }
  });

  test("an object whose output passes the one-call limit (a zip bomb) is inflated as it arrives", async () => {
    const gz = gzipSync(new Uint8Array(SYNC_OUTPUT_LIMIT * 3), { level: 9 });
    assert.ok(gz.length < SYNC_INPUT_LIMIT, "small enough to be tried in one call");
    const { bytes, pieces } = await inflate(gz);
    assert.equal(bytes.length, SYNC_OUTPUT_LIMIT * 3);
    assert.ok(pieces >= (SYNC_OUTPUT_LIMIT * 3) >> 14, `${pieces} pieces`);
  });

  test("concatenated gzip members are one body, as gzip -d reads them", async () => {
    const a = gzipSync("first ");
    const b = gzipSync("second");
    const { bytes } = await inflate(new Uint8Array([...a, ...b]), 5);
    assert.equal(new TextDecoder().decode(bytes), "first second");
  });

  test("a truncated body is 'unexpected end of file'; a corrupt one names zlib's complaint", async () => {
    const gz = gzipSync(randomJson(new Rng(3), 50_000));
    await assert.rejects(inflate(gz.subarray(0, gz.length - 20)), /^Error: unexpected end of file$/);
    const corrupt = new Uint8Array(gz);
    corrupt.fill(0xff, 20, 60);
    await assert.rejects(inflate(corrupt), (e: Error) => e.message.length > 0 && e.message !== "unexpected end of file");
  });

  test("a body that fails while being read fails the inflation with its error", async () => {
    const rng = new Rng(4);
    const gz = gzipSync(new Uint8Array(SYNC_INPUT_LIMIT * 2).map(() => rng.int(256)));
    let sent = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent > SYNC_INPUT_LIMIT + 70_000) return c.error(new Error("connection reset"));
        c.enqueue(gz.subarray(sent, (sent += 65_536)));
      },
    });
    await assert.rejects(async () => {
      for await (const _ of zlibStream(failing) as unknown as AsyncIterable<Uint8Array>);
    }, /connection reset/);
  });
});
