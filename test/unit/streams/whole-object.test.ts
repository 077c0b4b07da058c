/**
 * Objects whose whole body is in memory (`LogObject.bytes`: small files read at once, bodies inflated at once) go
 * through gunzip and select without a stream per chunk. They must come out exactly as the streamed path has them:
 * the same bytes, the same records, and the same errors in the same words, for the gzip corpus and for the jq
 * corpus (valid, malformed and odd JSON), gzipped and plain.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Ledger } from "../../../lib/ledger.ts";
import { gunzipObject } from "../../../lib/streams/gunzip.ts";
import { wholeObject, type LogObject } from "../../../lib/streams/log-object.ts";
import { selectEach } from "../../../lib/streams/select.ts";
import { zlibStream } from "../../../scripts/runtime/zlib-stream.ts";
import { corpus } from "./gzip-corpus.ts";

const streamed = (name: string, bytes: Uint8Array, transportDecoded?: boolean): LogObject => ({
  name,
  transportDecoded,
  body: new ReadableStream({
    start(c) {
      if (bytes.length) c.enqueue(bytes.slice());
      c.close();
    },
  }),
});

async function contentOf(object: LogObject): Promise<string> {
  try {
    return Buffer.from(await new Response(object.body).arrayBuffer()).toString("base64");
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

/** Every output line and the ledger's failures, for objects made by `make`. */
async function selected(inputs: [string, Uint8Array][], make: (name: string, bytes: Uint8Array) => LogObject, program = ".Records[]") {
  const ledger = new Ledger();
  const lines: string[] = [];
  const objects = new ReadableStream<LogObject>({
    start(c) {
      for (const [name, bytes] of inputs) c.enqueue(gunzipObject(make(name, bytes), zlibStream));
      c.close();
    },
  });
  await selectEach(objects, program, (s) => lines.push(`${s.object} ${s.position} ${s.text}`), { ledger });
  return { lines, read: ledger.objects.read, failed: ledger.objects.failed, failures: JSON.stringify(ledger) };
}

describe("whole objects", () => {
  test("the gzip corpus: gunzipObject gives the streamed path's bytes or its error, word for word; valid small bodies are inflated at once", async () => {
    let atOnce = 0;
    for (const c of corpus()) {
      const whole = gunzipObject(wholeObject(c.name, c.bytes), zlibStream);
      const stream = gunzipObject(streamed(c.name, c.bytes), zlibStream);
      assert.equal(stream.bytes, undefined);
      if (whole.bytes) atOnce++;
      assert.equal(await contentOf(whole), await contentOf(stream), c.name);
    }
    assert.ok(atOnce >= 8, `valid cases inflated at once: ${atOnce}`);
  });

  test("not gzip: refused in the same words unless the transport decoded it, then passed through as it is", async () => {
    const plain = new TextEncoder().encode('{"Records":[{"a":1}]}');
    for (const bytes of [plain, new Uint8Array(0), new Uint8Array([0x1f]), new Uint8Array([0x1f, 0x8b])]) {
      for (const decoded of [undefined, true]) {
        const whole = gunzipObject(wholeObject("o", bytes, decoded), zlibStream);
        const stream = gunzipObject(streamed("o", bytes, decoded), zlibStream);
        assert.equal(await contentOf(whole), await contentOf(stream), `${bytes.length} bytes, transportDecoded ${decoded}`);
      }
    }
  });

  test("the jq corpus through select, gzipped and plain: the same lines, positions, counts and failures as streamed", async () => {
    const dir = fileURLToPath(new URL("../../jq-corpus/", import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
    assert.ok(files.length >= 20);
    const inputs: [string, Uint8Array][] = files.map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]);
    const encode = (s: string) => new TextEncoder().encode(s);
    inputs.push(["cut.json", encode('{"Records":[{"a":1},{"b"')], ["not-json.json", encode("Records: []")], ["bad-utf8.json", new Uint8Array([...encode('{"Records":[{"k":"'), 0xff, 0xc3, ...encode('"}]}')])]);
    const gzipped: [string, Uint8Array][] = inputs.map(([f, b]) => [`${f}.gz`, new Uint8Array(gzipSync(b))]);
    for (const program of [".Records[]", ".Records[] | .eventName", "."]) {
      for (const set of [gzipped, inputs]) {
        const whole = await selected(set, (n, b) => wholeObject(n, b, true), program);
        const stream = await selected(set, (n, b) => streamed(n, b, true), program);
        assert.deepEqual(whole, stream, program);
        assert.ok(whole.failed > 0 && whole.lines.length > 0, `the corpus has good and bad files (${whole.failed} failed)`);
      }
    }
  });

  test("the body of a whole object is made only when read, and reads as its bytes", async () => {
    const bytes = new TextEncoder().encode("abc");
    const object = wholeObject("o", bytes);
    assert.equal(await new Response(object.body).text(), "abc");
    assert.equal(wholeObject("o", bytes).bytes, bytes);
  });
});
