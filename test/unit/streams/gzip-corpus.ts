/**
 * A corpus of gzip inputs, the same bytes for every run (seeded): members, empty members, chunk cuts at every
 * offset around member boundaries, truncation, corrupt CRC and length, garbage, zero padding, `gzip`'s own headers
 * (file name), a member over a small cap. `writeCorpus(dir)` writes it with the cases.json that
 * test/support/gunzip-corpus.ts reads.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface CorpusCase {
  name: string;
  file: string;
  splits: (number[] | `every ${number}`)[];
  cap?: number;
  bytes: Uint8Array;
  /** The offset of the boundary the splits are around, for the record. */
  boundary?: number;
}

/** Seeded pseudo-random JSON-ish text: compressible like CloudTrail, but not trivially. */
export function text(seed: number, size: number): string {
  let x = seed >>> 0 || 1;
  const words = ["eventName", "DescribeInstances", "us-east-1", "111122223333", "AssumeRole", "s3.amazonaws.com", "null", "true", "{", "}", ":", ","];
  let out = "";
  while (out.length < size) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += x % 7 === 0 ? String(x % 100000) : words[x % words.length]!;
  }
  return out.slice(0, size);
}

const gz = (s: string | Uint8Array, level = 6) => new Uint8Array(gzipSync(s, { level }));
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const around = (at: number, span: number, length: number) => {
  const out: number[][] = [];
  for (let d = -span; d <= span; d++) if (at + d > 0 && at + d < length) out.push([at + d]);
  return out;
};

export function corpus(): CorpusCase[] {
  const a = gz(text(1, 200_000));
  const b = gz(text(2, 3_000));
  const empty = gz("");
  const cases: CorpusCase[] = [];
  const add = (name: string, bytes: Uint8Array, splits: CorpusCase["splits"] = [[], "every 65536", "every 1021"], extra: Partial<CorpusCase> = {}) =>
    cases.push({ name, file: `${name}.gz`, splits, bytes, ...extra });

  add("single", a, [[], "every 65536", "every 1000"]);
  add("two-tiny", cat(gz("a"), gz("bc")), [[], "every 1", "every 2", "every 3"]);
  add("two", cat(a, b), [[], "every 65536", "every 7", ...around(a.length, 24, a.length + b.length)], { boundary: a.length });
  add("two-small-first", cat(b, a), [[], "every 65536", "every 3", ...around(b.length, 24, a.length + b.length)], { boundary: b.length });
  const fifty = Array.from({ length: 50 }, (_, i) => (i % 7 === 3 ? empty : gz(text(100 + i, 50 + i * 997))));
  add("fifty", cat(...fifty), [[], "every 65536", "every 1024", "every 5"]);
  add("empty-members", cat(empty, gz("x"), empty, empty, gz("y")), [[], "every 1", "every 20"]);
  add("only-empty-member", empty, [[], "every 1"]);
  const fromGzip = new Uint8Array(execFileSync("gzip", ["-c", "-n", "--name"], { input: text(3, 5000) }));
  add("gzip-cli-and-zlib", cat(b, fromGzip, b), [[], "every 7", ...around(b.length, 12, 2 * b.length + fromGzip.length)], { boundary: b.length });
  add("stored-and-level-0", cat(gz(text(4, 70_000), 0), gz(text(5, 100), 0)), [[], "every 65536", "every 999"]);

  add("truncated-second", cat(a, b.subarray(0, b.length - 20)));
  add("truncated-trailer", cat(a, b.subarray(0, b.length - 1)));
  add("truncated-header", cat(a, b.subarray(0, 10)));
  add("first-truncated", a.subarray(0, a.length - 9));
  const badCrc = cat(a, b);
  badCrc[badCrc.length - 6]! ^= 0x40;
  add("corrupt-crc-second", badCrc);
  const badSize = cat(b, a);
  badSize[badSize.length - 2]! ^= 0x01;
  add("corrupt-length-last", badSize);
  const badData = cat(b, a);
  for (let i = b.length + 200; i < b.length + 240; i++) badData[i]! ^= 0xa5;
  add("corrupt-data-second", badData);

  add("garbage-after", cat(a, new TextEncoder().encode("garbage\n")));
  add("newline-after", cat(b, b, new Uint8Array([0x0a])));
  add("magic-byte-after", cat(a, new Uint8Array([0x1f])));
  add("magic-bytes-after", cat(a, new Uint8Array([0x1f, 0x8b])));
  add("zeros-after", cat(a, new Uint8Array(1)), [[], "every 65536", "every 1021", [a.length]]);
  add("many-zeros-after", cat(b, a, new Uint8Array(70_000)), [[], "every 65536", "every 4096", [b.length + a.length]]);
  add("zeros-then-member", cat(a, new Uint8Array(2), b), [[], "every 65536", "every 1021", [a.length], [a.length + 1], [a.length + 2]]);
  add("zeros-then-member-small", cat(b, new Uint8Array(2), b), [[], "every 1", "every 5"]);
  add("zeros-then-garbage", cat(a, new Uint8Array([0, 0, 7])));
  add("garbage-then-member", cat(a, new Uint8Array([7]), b));
  const big = gz(text(6, 400_000));
  add("over-cap-then-member", cat(big, b), [[], "every 65536"], { cap: 1024 });
  add("over-cap-alone", big, [[], "every 65536"], { cap: 1024 });
  return cases;
}

export function writeCorpus(dir: string, cases = corpus()): void {
  mkdirSync(dir, { recursive: true });
  for (const c of cases) writeFileSync(join(dir, c.file), c.bytes);
  writeFileSync(join(dir, "cases.json"), JSON.stringify(cases.map(({ bytes: _, ...c }) => c)));
}
