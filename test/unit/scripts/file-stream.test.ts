import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileBody, streamedFileObjects, WHOLE_FILE_LIMIT } from "../../../scripts/runtime/file-stream.ts";

const dir = mkdtempSync(join(tmpdir(), "trailpost-file-stream-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

async function chunksOf(body: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of body as unknown as AsyncIterable<Uint8Array>) out.push(c);
  return out;
}

test("a file's bytes, in chunks of 64 KiB at most, the same as readFileSync", async () => {
  for (const size of [0, 1, 65_536, 65_537, 300_001]) {
    const path = join(dir, `f${size}`);
    writeFileSync(path, new Uint8Array(size).map((_, i) => (i * 7) & 255));
    const chunks = await chunksOf(fileBody(path));
    assert.ok(chunks.every((c) => c.length > 0 && c.length <= 65_536), `chunks of ${size} bytes: ${chunks.map((c) => c.length)}`);
    assert.deepEqual(Buffer.concat(chunks), readFileSync(path));
  }
});

test("objects are named by their paths, read as they are taken; a missing file errors its body", async () => {
  writeFileSync(join(dir, "a"), "A");
  const reader = streamedFileObjects([join(dir, "a"), join(dir, "missing")]).getReader();
  const a = (await reader.read()).value!;
  const missing = (await reader.read()).value!;
  assert.equal(a.name, join(dir, "a"));
  assert.equal(missing.name, join(dir, "missing"), "listing does not open the file");
  assert.deepEqual(Buffer.concat(await chunksOf(a.body)).toString(), "A");
  await assert.rejects(chunksOf(missing.body), /ENOENT/);
  assert.equal((await reader.read()).done, true);
});

test("a file up to WHOLE_FILE_LIMIT is read at once into `bytes`; a larger one is streamed; both read as the file", async () => {
  const sizes = [0, 1, WHOLE_FILE_LIMIT, WHOLE_FILE_LIMIT + 1];
  const paths = sizes.map((size) => {
    const path = join(dir, `w${size}`);
    writeFileSync(path, new Uint8Array(size).map((_, i) => (i * 13) & 255));
    return path;
  });
  const reader = streamedFileObjects(paths).getReader();
  for (const [k, size] of sizes.entries()) {
    const object = (await reader.read()).value!;
    assert.equal(object.bytes !== undefined, size <= WHOLE_FILE_LIMIT, `${size} bytes`);
    if (object.bytes) assert.deepEqual(Buffer.from(object.bytes), readFileSync(paths[k]!));
    assert.deepEqual(Buffer.concat(await chunksOf(object.body)), readFileSync(paths[k]!));
  }
});
