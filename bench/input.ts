/**
 * The benchmark's input: a generated day of today-shaped CloudTrail (fixtures/generate.ts) as `.json.gz` files,
 * one huge object made of the same records, and the day in a LocalStack bucket (once, or under ten days).
 *
 * ```ts
 * const day = generateFiles(join(dir, "bucket"), 100_000);   // { files, records, jsonBytes, inner }
 * await bigObject(join(dir, "big.json.gz"), day.inner, 1024e6);
 * await uploadDays(s3, "bench-day", day, ["2024-03-04"]);
 * ```
 */
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createGzip } from "node:zlib";
import type { S3 } from "../lib/aws/s3.ts";
import { generateDayJson } from "../fixtures/generate.ts";
import { gzip } from "../fixtures/common.ts";

export const DATE = "2024-03-04";

export interface Day {
  dir: string;
  files: string[];
  records: number;
  jsonBytes: number;
  gzipBytes: number;
  /** Each file's records without the `{"Records":[ ]}` around them (for the big object; emptied after). */
  inner: string[];
}

export function generateFiles(dir: string, records: number, keepInner: boolean): Day {
  const day: Day = { dir, files: [], records: 0, jsonBytes: 0, gzipBytes: 0, inner: [] };
  for (const f of generateDayJson({ date: DATE, records, accounts: ["111122223333", "444455556666"], regions: ["us-east-1", "eu-west-1", "ap-southeast-2"], seed: 42 })) {
    const path = join(dir, f.key);
    mkdirSync(join(path, ".."), { recursive: true });
    const body = gzip(f.json);
    writeFileSync(path, body);
    if (keepInner && f.records > 0) day.inner.push(f.json.slice('{"Records":['.length, -"]}".length));
    day.files.push(path);
    day.records += f.records;
    day.jsonBytes += f.jsonLength;
    day.gzipBytes += body.length;
  }
  day.files.sort();
  return day;
}

/** One `{"Records":[…]}` object of at least `bytes` of JSON: the day's records again and again, gzipped as written. */
export async function bigObject(path: string, inner: string[], bytes: number): Promise<{ path: string; records: number; jsonBytes: number }> {
  mkdirSync(join(path, ".."), { recursive: true });
  const gz = createGzip({ level: 1 });
  const done = new Promise<void>((resolve, reject) => gz.pipe(createWriteStream(path)).on("finish", resolve).on("error", reject));
  const write = async (text: string) => {
    if (!gz.write(text)) await new Promise((r) => gz.once("drain", r));
  };
  const perRound = inner.reduce((sum, part) => sum + part.length + 1, 0);
  const recordsPerRound = inner.reduce((sum, part) => sum + (part.match(/"eventVersion"/g)?.length ?? 0), 0);
  let jsonBytes = '{"Records":['.length + "]}".length;
  let records = 0;
  await write('{"Records":[');
  for (let round = 0; jsonBytes < bytes; round++) {
    for (let i = 0; i < inner.length; i++) await write((round || i ? "," : "") + inner[i]);
    jsonBytes += perRound;
    records += recordsPerRound;
  }
  await write("]}");
  gz.end();
  await done;
  return { path, records, jsonBytes: jsonBytes - 1 };
}

/**
 * The day's files in a bucket, under each of `dates` (the key's date folder and stamp changed, the records not:
 * the same day again, as CloudTrail would deliver a copy). Eight uploads at a time.
 */
export async function uploadDays(s3: S3, bucket: string, day: Day, dates: string[]): Promise<number> {
  await s3.createBucket(bucket).catch(() => {});
  const keys: { key: string; file: string }[] = [];
  const [y, m, d] = DATE.split("-");
  for (const date of dates) {
    const [yy, mm, dd] = date.split("-");
    for (const file of day.files) {
      const key = relative(day.dir, file).replaceAll(`/${y}/${m}/${d}/`, `/${yy}/${mm}/${dd}/`).replace(`_${y}${m}${d}T`, `_${yy}${mm}${dd}T`);
      keys.push({ key, file });
    }
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < keys.length) {
        const { key, file } = keys[next++]!;
        await s3.put(bucket, key, readFileSync(file));
      }
    }),
  );
  return keys.length;
}

/** `n` consecutive days from DATE. */
export function daysFrom(n: number): string[] {
  const start = Date.parse(`${DATE}T00:00:00Z`);
  return Array.from({ length: n }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10));
}
