/**
 * The first gzip member and the DEFLATE decoder under it, against two references:
 * - node:zlib compresses seeded random content at every level and strategy; inflateRaw must give it back and
 *   stop exactly at the end of the stream;
 * - Python's zlib, driven as the AWS CLI drives it before hashing a log (test/reference/awscli/gunzip_log.py),
 *   over gzip bodies damaged at random (truncated, bytes flipped, data appended, header flags): the same content
 *   hash, the same "member complete", the same count of bytes after it, or the same zlib error message.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { constants, deflateRawSync, gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { Rng } from "../../../fixtures/common.ts";
import { crc32, firstGzipMember, GzipError } from "../../../lib/integrity/gzip-member.ts";
import { InflateError, inflateRaw } from "../../../lib/integrity/inflate.ts";
import { awscliPython } from "../../support/awscli.ts";
import { repoRoot } from "../../support/stack.ts";

const STRATEGIES = [constants.Z_DEFAULT_STRATEGY, constants.Z_FILTERED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FIXED];

/** Content of several kinds: random bytes, JSON-like text, long runs, a mix. */
function content(rng: Rng): Uint8Array {
  const size = rng.pick([0, 1, 2, 10, 100, 1000, 40_000, 70_000, 300_000]);
  const kind = rng.int(4);
  const out = new Uint8Array(size);
  if (kind === 0) for (let i = 0; i < size; i++) out[i] = rng.int(256);
  else if (kind === 1) {
    const words = ["\"eventName\":", "\"DescribeInstances\"", ",", "{", "}", "\"awsRegion\":\"us-east-1\"", " ", "1234", rng.alnum(8)];
    const text = new TextEncoder().encode(Array.from({ length: size }, () => rng.pick(words)).join("").slice(0, size));
    out.set(text.subarray(0, size));
  } else if (kind === 2) out.fill(rng.int(256));
  else for (let i = 0; i < size; i++) out[i] = i % 7 === 0 ? rng.int(256) : out[Math.max(0, i - 1 - rng.int(300))]!;
  return out;
}

describe("inflateRaw against node:zlib", () => {
  test("300 seeded contents at every level and strategy come back whole, ending where the stream ends", () => {
    const rng = new Rng("inflate");
    for (let i = 0; i < 300; i++) {
      const data = content(rng);
      const level = rng.int(10);
      const strategy = rng.pick(STRATEGIES);
      const windowBits = rng.pick([9, 12, 15]);
      const compressed = deflateRawSync(data, { level, strategy, windowBits, memLevel: 1 + rng.int(9) });
      const junk = rng.chance(0.5) ? new Uint8Array([1, 2, 3]) : new Uint8Array(0);
      const input = new Uint8Array([...compressed, ...junk]);
      const r = inflateRaw(input);
      const what = `case ${i} (${data.length} bytes, level ${level}, strategy ${strategy}, windowBits ${windowBits})`;
      assert.ok(r.complete, `${what}: complete`);
      assert.equal(r.end, compressed.length, `${what}: ends where the stream ends`);
      assert.ok(Buffer.from(r.output).equals(Buffer.from(data)), `${what}: content`);
    }
  });

  test("truncated streams give a prefix of the content, never an error or more", () => {
    const rng = new Rng("inflate-truncated");
    for (let i = 0; i < 100; i++) {
      const data = content(rng);
      const compressed = deflateRawSync(data, { level: rng.int(10), strategy: rng.pick(STRATEGIES) });
      const cut = rng.int(compressed.length);
      const r = inflateRaw(compressed.subarray(0, cut));
      assert.equal(r.complete, false, `case ${i}: not complete at ${cut} of ${compressed.length}`);
      assert.ok(Buffer.from(data).subarray(0, r.output.length).equals(Buffer.from(r.output)), `case ${i}: a prefix`);
    }
  });

  test("random bytes end in an InflateError or a result, never anything else, and never hang", () => {
    const rng = new Rng("inflate-fuzz");
    let errors = 0;
    for (let i = 0; i < 2000; i++) {
      const input = new Uint8Array(1 + rng.int(200)).map(() => rng.int(256));
      try {
        inflateRaw(input);
      } catch (error) {
        assert.ok(error instanceof InflateError, `case ${i}: ${String(error)}`);
        errors++;
      }
    }
    assert.ok(errors > 500, `${errors} of 2000 random inputs refused`);
  });

  test("the zlib messages for the classic corruptions", () => {
    assert.throws(() => inflateRaw(new Uint8Array([0x07])), { message: "invalid block type" });
    assert.throws(() => inflateRaw(new Uint8Array([0x01, 0x05, 0x00, 0x05, 0x00])), { message: "invalid stored block lengths" });
    // fixed Huffman, a distance of 1 before any output
    assert.throws(() => inflateRaw(new Uint8Array([0x03, 0x02])), { message: "invalid distance too far back" });
  });
});

describe("crc32", () => {
  test("is zlib's CRC-32 (the check value of RFC 3720's test, and gzip's trailers)", () => {
    assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
    const rng = new Rng("crc");
    for (let i = 0; i < 50; i++) {
      const data = content(rng);
      const gz = gzipSync(data);
      assert.equal(crc32(data), new DataView(gz.buffer, gz.byteOffset + gz.length - 8, 4).getUint32(0, true));
    }
  });
});

describe("firstGzipMember", () => {
  test("a plain member, a member with trailing bytes, a second member, header fields", () => {
    const json = new TextEncoder().encode('{"Records":[]}');
    const gz = gzipSync(json);
    assert.deepEqual(firstGzipMember(gz), { content: json, complete: true, trailing: 0 });
    assert.equal(firstGzipMember(new Uint8Array([...gz, ...gzipSync("x")])).trailing, 21);
    assert.equal(firstGzipMember(new Uint8Array([...gz, 0, 0])).trailing, 2);
    const named = withHeader(gz, { name: "log.json", comment: "hi", extra: [1, 2, 3], headerCrc: true });
    assert.deepEqual(firstGzipMember(named).content, json);
    assert.throws(() => firstGzipMember(new TextEncoder().encode('{"Records":[]}')), GzipError);
    assert.deepEqual(firstGzipMember(new Uint8Array(0)), { content: new Uint8Array(0), complete: false, trailing: 0 });
  });

  test("agrees with the AWS CLI's zlib on 600 damaged gzip bodies and 6 crafted trailers", () => {
    const { python } = awscliPython();
    const rng = new Rng("gzip-member");
    const bodies: Uint8Array[] = [];
    for (let i = 0; i < 600; i++) {
      const data = content(rng);
      let body: Uint8Array = gzipSync(data, { level: rng.int(10), strategy: rng.pick(STRATEGIES) });
      if (rng.chance(0.3)) body = withHeader(body, { name: rng.chance(0.5) ? "x.json" : undefined, comment: rng.chance(0.3) ? "c" : undefined, extra: rng.chance(0.3) ? [9, 9] : undefined, headerCrc: rng.chance(0.5) });
      switch (rng.int(6)) {
        case 0:
          break;
        case 1:
          body = body.subarray(0, rng.int(body.length + 1));
          break;
        case 2: {
          const copy = new Uint8Array(body);
          const at = rng.int(copy.length);
          copy[at] = copy[at]! ^ (1 << rng.int(8));
          body = copy;
          break;
        }
        case 3:
          body = new Uint8Array([...body, ...(rng.chance(0.5) ? gzipSync("more") : [0, 0, 0].slice(0, 1 + rng.int(3)))]);
          break;
        case 4: // the trailer damaged: CRC or length
          body = new Uint8Array(body);
          body[body.length - 1 - rng.int(8)]! ^= 1;
          break;
        case 5: // header bytes: method, flags
          body = new Uint8Array(body);
          body[2 + rng.int(2)] = rng.int(256);
          break;
      }
      bodies.push(body);
    }
    // crafted: the trailer cut inside its length field, with the CRC right or wrong (zlib checks the CRC first)
    const whole = gzipSync('{"Records":[{"eventName":"x"}]}');
    for (const keep of [4, 5, 7]) {
      const cut = whole.subarray(0, whole.length - 8 + keep);
      const bad = new Uint8Array(cut);
      bad[whole.length - 8]! ^= 0xff;
      bodies.push(cut, bad);
    }
    const dir = mkdtempSync(join(tmpdir(), "trailpost-gzip-"));
    let expected: ({ error: string } | { sha256: string; eof: boolean; unused: number })[];
    try {
      writeFileSync(join(dir, "bodies.json"), JSON.stringify(bodies.map((b) => Buffer.from(b).toString("base64"))));
      expected = JSON.parse(execFileSync(python, [join(repoRoot, "test/reference/awscli/gunzip_log.py"), join(dir, "bodies.json")], { encoding: "utf8", maxBuffer: 1 << 26 }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const kinds = new Set<string>();
    for (const [i, body] of bodies.entries()) {
      let ours: { error: string } | { sha256: string; eof: boolean; unused: number };
      try {
        const m = firstGzipMember(body);
        ours = { sha256: createHash("sha256").update(m.content).digest("hex"), eof: m.complete, unused: m.trailing };
      } catch (error) {
        assert.ok(error instanceof GzipError, String(error));
        ours = { error: error.message };
      }
      assert.deepEqual(ours, expected[i], `body ${i} (${body.length} bytes)`);
      kinds.add("error" in ours ? ours.error : ours.eof ? (ours.unused ? "trailing" : "whole") : "truncated");
    }
    for (const kind of ["whole", "truncated", "trailing", "incorrect header check", "incorrect data check", "incorrect length check", "unknown compression method"]) {
      assert.ok(kinds.has(kind), `no case came out as ${kind}: ${[...kinds].join(", ")}`);
    }
  });
});

/** The same member with optional header fields set (FNAME, FCOMMENT, FEXTRA, FHCRC). */
function withHeader(gz: Uint8Array, o: { name?: string; comment?: string; extra?: number[]; headerCrc?: boolean }): Uint8Array {
  const flags = (o.headerCrc ? 2 : 0) | (o.extra ? 4 : 0) | (o.name ? 8 : 0) | (o.comment ? 16 : 0);
  const header = [...gz.subarray(0, 10)];
  header[3] = flags;
  if (o.extra) header.push(o.extra.length & 0xff, o.extra.length >> 8, ...o.extra);
  if (o.name) header.push(...new TextEncoder().encode(o.name), 0);
  if (o.comment) header.push(...new TextEncoder().encode(o.comment), 0);
  if (o.headerCrc) {
    const crc = crc32(new Uint8Array(header));
    header.push(crc & 0xff, (crc >> 8) & 0xff);
  }
  return new Uint8Array([...header, ...gz.subarray(10)]);
}
