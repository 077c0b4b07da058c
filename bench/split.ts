/**
 * Benchmark: trailpost's split against the blog's tools, on the same generated files, in the same run, and its
 * memory on a day, on the same day ten times over, and on one huge log object.
 *
 *   npx tsx bench/split.ts                      (make bench)
 *   RECORDS=200000 RUNS=5 BIG_MB=1024 npx tsx bench/split.ts
 *
 * Settings come from the environment (flags `--records N`, `--runs N`, `--big-mb N`, `--no-ingest` win):
 * RECORDS (records in the day, default 100,000), RUNS (runs per row, the median is shown, default 3), BIG_MB (size
 * of the single object in MB of JSON, default 1024; 0 skips it), ES_URL or SEARCH_PORT (the engine for the
 * indexing row, skipped when none answers).
 *
 * Rows: the baseline `gzip -dc *.json.gz | jq -c '.Records[]'` (the 2013 blog's pipeline, minus the POST that never
 * worked); scripts/split.ts under Node (tsx) and Deno, and under Node with `--max-old-space-size=96`, which fails
 * if the heap ever needs more; the day ×10 (the same files given ten times); one object of BIG_MB; split | bulk
 * into the engine. Each row: wall time, records/s, MB/s of JSON, peak RSS (/usr/bin/time, the largest process of a
 * pipeline), and speed relative to the baseline. Then the checks: RSS of the day ×10 within 10% of the day's, and
 * peak RSS of every split row within 150 MB. Figures only: nothing here asserts a speed.
 */
import { spawnSync } from "node:child_process";
import { closeSync, createWriteStream, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { createGzip } from "node:zlib";
import { generateDayJson } from "../fixtures/generate.ts";
import { gzip } from "../fixtures/common.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const RSS_BOUND = 150e6;

const settings = readSettings();
const dir = mkdtempSync(join(tmpdir(), "trailpost-bench-"));
try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const { records, runs, bigMb, ingest } = settings;
  const started = Date.now();
  const bucket = join(dir, "bucket");
  const inner: string[] = []; // each file's records, without the {"Records":[ ]} around them, for the big object
  let files = 0;
  let jsonBytes = 0;
  const accounts = ["111122223333", "444455556666"];
  const regions = ["us-east-1", "eu-west-1", "ap-southeast-2"];
  for (const f of generateDayJson({ date: "2024-03-04", records, accounts, regions, seed: 42 })) {
    const path = join(bucket, f.key);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, gzip(f.json));
    if (bigMb > 0 && f.records > 0) inner.push(f.json.slice('{"Records":['.length, -"]}".length));
    files++;
    jsonBytes += f.jsonLength;
  }
  const list = walk(bucket);
  const listFile = join(dir, "files.txt");
  writeFileSync(listFile, list.join("\n") + "\n");
  console.log(`input: ${n(records)} records in ${files} files, ${mb(jsonBytes)} MB of JSON (generated in ${((Date.now() - started) / 1000).toFixed(1)} s)`);

  let big: { path: string; records: number; jsonBytes: number } | undefined;
  if (bigMb > 0) {
    const t0 = Date.now();
    big = await bigObject(join(dir, "big", "big.json.gz"), inner, bigMb * 1e6);
    console.log(`one object: ${n(big.records)} records, ${mb(big.jsonBytes)} MB of JSON, ${mb(statSync(big.path).size)} MB gzip (written in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  inner.length = 0;
  console.log(`machine: ${process.platform} ${process.arch}, ${availableParallelism()} cores, Node ${process.versions.node}, ${deno("--version").split("\n")[0]}; ${runs} runs per row, median shown\n`);

  const split = join(root, "scripts", "split.ts");
  const node = (...flags: string[]) => [process.execPath, ...flags, "--import", "tsx", split];
  const denoRun = [join(root, "node_modules", ".bin", "deno"), "run", "-A", "--quiet", split];
  const day = { records, jsonBytes };
  const times10 = { records: records * 10, jsonBytes: jsonBytes * 10 };
  const rows: Row[] = [
    { name: "blog: gzip -dc | jq -c .Records[]", work: day, command: ["sh", "-c", 'xargs cat < "$1" | gzip -dc | jq -c ".Records[]" > /dev/null', "sh", listFile], baseline: true },
    { name: "split.ts, Node", work: day, command: [...node(), bucket], split: "node day" },
    { name: "split.ts, Deno", work: day, command: [...denoRun, bucket], split: "deno day" },
    { name: "split.ts, Node --max-old-space-size=96", work: day, command: [...node("--max-old-space-size=96"), bucket], split: "node96 day" },
    { name: "split.ts, Node, the day ×10", work: times10, command: [...node(), ...Array(10).fill(bucket)], split: "node ×10", runs: 1 },
    { name: "split.ts, Deno, the day ×10", work: times10, command: [...denoRun, ...Array(10).fill(bucket)], split: "deno ×10", runs: 1 },
  ];
  if (big) {
    const work = { records: big.records, jsonBytes: big.jsonBytes };
    rows.push(
      { name: `split.ts, Node, one ${mb(big.jsonBytes)} MB object`, work, command: [...node(), big.path], split: "node big", runs: 1 },
      { name: `split.ts, Deno, one ${mb(big.jsonBytes)} MB object`, work, command: [...denoRun, big.path], split: "deno big", runs: 1 },
      { name: "  … Node --max-old-space-size=96", work, command: [...node("--max-old-space-size=96"), big.path], split: "node96 big", runs: 1 },
    );
  }
  if (ingest) {
    const tsx = [process.execPath, "--import", "tsx"];
    rows.push({
      name: "split.ts | bulk.ts into the engine",
      work: day,
      command: ["sh", "-c", '"$@" "$SPLIT" "$BUCKET" | "$@" "$BULK"', "sh", ...tsx],
      env: { ES_URL: ingest, INDEX_PREFIX: "bench", SPLIT: split, BUCKET: bucket, BULK: join(root, "scripts", "bulk.ts") },
      before: () => void spawnSync("curl", ["-s", "-XDELETE", `${ingest}/bench-*`]),
    });
  } else console.log("(no engine answers at ES_URL or 127.0.0.1:$SEARCH_PORT: the indexing row is skipped; run make up first)\n");

  console.log(`${"what".padEnd(44)} ${"seconds".padStart(8)} ${"records/s".padStart(10)} ${"MB/s JSON".padStart(10)} ${"peak RSS".padStart(9)} ${"vs blog".padStart(8)}`);
  let baseline = 0;
  const rss = new Map<string, number>();
  for (const row of rows) {
    const measured = measure(row, row.runs ?? runs);
    if (row.baseline) baseline = measured.seconds;
    if (row.split) rss.set(row.split, measured.rss);
    const ratio = baseline && row.work === day ? `${(baseline / measured.seconds).toFixed(2)}×` : "";
    console.log(
      `${row.name.padEnd(44)} ${measured.seconds.toFixed(2).padStart(8)} ${n(Math.round(row.work.records / measured.seconds)).padStart(10)} ${(row.work.jsonBytes / 1e6 / measured.seconds).toFixed(1).padStart(10)} ${`${mb(measured.rss)} MB`.padStart(9)} ${ratio.padStart(8)}`,
    );
  }
  console.log("\npeak RSS is the largest process of a pipeline (/usr/bin/time %M); 'vs blog' is speed relative to the first row, in this run.");
  for (const runtime of ["node", "deno"]) {
    const one = rss.get(`${runtime} day`)!;
    const ten = rss.get(`${runtime} ×10`)!;
    const change = (ten - one) / one;
    console.log(`flat: ${runtime} peak RSS for the day ${mb(one)} MB, for the day ×10 ${mb(ten)} MB: ${change >= 0 ? "+" : ""}${(change * 100).toFixed(1)}% (${Math.abs(change) <= 0.1 ? "within" : "NOT within"} 10%)`);
  }
  const over = [...rss].filter(([, bytes]) => bytes > RSS_BOUND);
  console.log(`bound: every split row's peak RSS ${over.length ? `is NOT within 150 MB: ${over.map(([k, b]) => `${k} ${mb(b)} MB`).join(", ")}` : "is within 150 MB"}`);
}

interface Row {
  name: string;
  work: { records: number; jsonBytes: number };
  command: string[];
  env?: Record<string, string>;
  baseline?: boolean;
  /** Which split row this is, for the RSS checks. */
  split?: string;
  runs?: number;
  before?: () => void;
}

/** Median wall time and largest peak RSS of `runs` runs; a failed run stops the bench with its stderr. */
function measure(row: Row, runs: number): { seconds: number; rss: number } {
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    row.before?.();
    const devNull = openSync("/dev/null", "w");
    const t0 = process.hrtime.bigint();
    const result = spawnSync("/usr/bin/time", ["-f", "%M", ...row.command], { env: { ...process.env, ...row.env }, stdio: ["ignore", devNull, "pipe"], encoding: "utf8", maxBuffer: 1 << 26 });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    closeSync(devNull);
    if (result.status !== 0) throw new Error(`${row.name} failed (exit ${result.status}): ${result.stderr.slice(-800)}`);
    times.push(seconds);
    rss = Math.max(rss, Number(result.stderr.trim().split("\n").pop()) * 1024);
  }
  return { seconds: times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!, rss };
}

/** One `{"Records":[…]}` object of at least `bytes` of JSON: the day's records again and again, gzipped as written. */
async function bigObject(path: string, inner: string[], bytes: number): Promise<{ path: string; records: number; jsonBytes: number }> {
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

function readSettings(): { records: number; runs: number; bigMb: number; ingest: string | undefined } {
  const argv = process.argv.slice(2);
  const flag = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const problems: string[] = [];
  const whole = (name: string, value: string | undefined, fallback: number, min: number, max: number) => {
    if (value === undefined || value === "") return fallback;
    if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
      problems.push(`${name} must be a whole number from ${min} to ${n(max)}, not ${JSON.stringify(value)}`);
      return fallback;
    }
    return Number(value);
  };
  const records = whole("RECORDS", flag("records") ?? process.env.RECORDS, 100_000, 1, 10_000_000);
  const runs = whole("RUNS", flag("runs") ?? process.env.RUNS, 3, 1, 100);
  const bigMb = whole("BIG_MB", flag("big-mb") ?? process.env.BIG_MB, 1024, 0, 100_000);
  const known = new Set(["--records", "--runs", "--big-mb", "--no-ingest"]);
  for (let i = 0; i < argv.length; i++) {
    if (!known.has(argv[i]!)) problems.push(`unknown argument ${JSON.stringify(argv[i])}`);
    else if (argv[i] !== "--no-ingest") i++;
  }
  if (problems.length) {
    for (const p of problems) console.error(`bench: ${p}`);
    console.error("usage: bench/split.ts [--records N] [--runs N] [--big-mb N] [--no-ingest]   (or RECORDS, RUNS, BIG_MB in the environment)");
    process.exit(2);
  }
  let ingest: string | undefined;
  if (!argv.includes("--no-ingest")) {
    const port = process.env.SEARCH_PORT;
    const url = process.env.ES_URL ?? (port && /^\d{1,5}$/.test(port) ? `http://127.0.0.1:${port}` : "http://127.0.0.1:9200");
    if (spawnSync("curl", ["-sf", "-o", "/dev/null", `${url}/`]).status === 0) ingest = url;
  }
  return { records, runs, bigMb, ingest };
}

function walk(d: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function deno(...args: string[]): string {
  return spawnSync(join(root, "node_modules", ".bin", "deno"), args, { encoding: "utf8" }).stdout ?? "deno ?";
}

function n(x: number): string {
  return x.toLocaleString("en-US");
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
