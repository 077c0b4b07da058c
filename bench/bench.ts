/**
 * Benchmark (make bench): trailpost against the blog's tools and against the engine's own ceiling, on the same
 * generated day, in the same run; memory on a day, on the same day ten times over, and on one huge log object.
 *
 *   npx tsx bench/bench.ts                      (make bench; it runs npm run build first)
 *   RECORDS=200000 RUNS=5 BIG_MB=1024 npx tsx bench/bench.ts
 *   BENCH_ONLY=index npx tsx bench/bench.ts     (one section: split, index or memory)
 *
 * Settings come from the environment (flags `--records N`, `--runs N`, `--big-mb N`, `--only LIST`, `--no-ingest`
 * win): RECORDS (records in the day, default 100,000), RUNS (runs per row, the median is shown, default 3),
 * BIG_MB (size of the single object in MB of JSON, default 1024; 0 skips it), BENCH_ONLY (sections, default
 * split,index,memory). The indexing sections run on the local stack (`make up`'s, started if it is not running:
 * LOCALSTACK_PORT, SEARCH_PORT, SEARCH_ENGINE), so that the engine's and LocalStack's CPU can be read too.
 *
 * Node runs the built scripts (make build: dist/NAME.mjs, started by their first line, as a user runs them); a row
 * per section runs the source under tsx's loader instead. Deno runs the sources.
 *
 * Sections:
 * - split: the blog's `gzip -dc *.json.gz | jq -c '.Records[]'` (the baseline) against split under Node and Deno:
 *   as it runs by default, pinned to one core (taskset), with two worker threads (WORKERS=2), with
 *   `--max-old-space-size=96`, from source under tsx; the day ×10 (ten hard-linked copies); one object of BIG_MB.
 * - index: the engine's ceiling (bench/engine.ts: pre-built `_bulk` bodies of the same documents, the best of
 *   several body sizes and concurrencies) and the same while the bench reads every object of the day from S3
 *   (ingest's ceiling on a machine that also runs LocalStack), then, taking turns with them run by run: bulk.ts on the day's NDJSON,
 *   bulk.ts with ES_GZIP, ingest.ts from LocalStack's S3 as it runs by default, on one core, with two worker
 *   threads, both from source under tsx; and the blog's `curl -X POST` per record (1,000 records, scaled).
 * - memory: bulk.ts and ingest.ts on the day ×10 (1,000,000 records with the default day), with
 *   `--max-old-space-size=96`, and with `--max-old-space-size=64 --max-semi-space-size=1` (how small V8 can keep
 *   it); ingest.ts under Deno, as it runs by default and with the built scripts' V8 flags (`--v8-flags=…`).
 * Each row: wall time, records/s, MB/s of JSON, peak RSS (/usr/bin/time, the largest process of a pipeline), CPU
 * seconds (ours; the engine's and LocalStack's where they run), and the ratio to the row's reference (the blog's
 * pipeline, or the ceiling). Then the checks: peak RSS within 150 MB, and the day ×10 within 10% of the day.
 * Figures only: nothing here asserts a speed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { readStackConfig } from "../emulators/config.ts";
import { pidFile } from "../emulators/host.ts";
import { readPidRecord } from "../emulators/processes.ts";
import { up } from "../emulators/stack.ts";
import { S3 } from "../lib/aws/s3.ts";
import { SearchClient } from "../lib/search/client.ts";
import { blogCurl, Ceiling, deleteIndices, s3Reads, type Setting } from "./engine.ts";
import { bigObject, DATE, daysFrom, generateFiles, uploadDays } from "./input.ts";
import { measure, median, type Command, type Cpu, type Measured, type Watched } from "./measure.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const RSS_BOUND = 150e6;
const SECTIONS = ["split", "index", "memory"] as const;
type Section = (typeof SECTIONS)[number];

async function main(): Promise<void> {
  const { records, runs, bigMb, only } = settings;
  // the built scripts, from these sources (package.json's "build"), once the settings are known to be good
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);
  const started = Date.now();
  const day = generateFiles(join(dir, "bucket"), records, bigMb > 0 && only.has("split"));
  const listFile = join(dir, "files.txt");
  writeFileSync(listFile, day.files.join("\n") + "\n");
  console.log(`input: ${n(day.records)} records in ${day.files.length} files, ${mb(day.jsonBytes)} MB of JSON, ${mb(day.gzipBytes)} MB gzip (generated in ${s(Date.now() - started)} s)`);
  console.log(`machine: ${process.platform} ${process.arch}, ${availableParallelism()} cores, Node ${process.versions.node}, ${deno("--version").split("\n")[0]}; ${runs} runs per row, the median shown\n`);

  const split = join(root, "scripts", "split.ts");
  // Node runs the built scripts (make build: dist/NAME.mjs, started by their first line) as a user runs them; with
  // flags, node is started as the first line starts it (its environment and flags), then these. `tsx(…)`: the source
  // under tsx's loader.
  const node = (script: string, ...flags: string[]) => {
    const file = join(root, "dist", script.replace(/\.ts$/, ".mjs"));
    if (!flags.length) return [file];
    const start = builtStart(file);
    return ["env", ...start.env, process.execPath, ...start.flags, ...flags, file];
  };
  const tsx = (script: string, ...flags: string[]) => [process.execPath, ...flags, "--import", "tsx", join(root, "scripts", script)];
  const denoRun = (script: string, ...flags: string[]) => [join(root, "node_modules", ".bin", "deno"), "run", "-A", "--quiet", ...flags, join(root, "scripts", script)];
  // Deno with the V8 flags the built scripts start Node with (the README gives this line to Deno users)
  const denoV8 = `--v8-flags=${builtStart(join(root, "dist", "split.mjs")).flags.join(",")}`;
  const oneCore = ["taskset", "-c", "0"];
  const rss = new Map<string, number>();

  if (only.has("split")) {
    const work = { records: day.records, jsonBytes: day.jsonBytes };
    const times10 = { records: day.records * 10, jsonBytes: day.jsonBytes * 10 };
    const table = new Table("split", "vs blog");
    const blog = await table.row({ name: "blog: gzip -dc | jq -c .Records[]", command: ["sh", "-c", 'xargs cat < "$1" | gzip -dc | jq -c ".Records[]" > /dev/null', "sh", listFile] }, work, runs);
    table.reference = blog.seconds;
    const two = { WORKERS: "2" };
    for (const [name, command, key, env] of [
      ["split.ts, Node", [...node("split.ts"), day.dir], "split node day", {}],
      ["split.ts, Node, 1 core (taskset -c 0)", [...oneCore, ...node("split.ts"), day.dir], "", {}],
      ["split.ts, Node, WORKERS=2", [...node("split.ts"), day.dir], "", two],
      ["split.ts, Deno", [...denoRun("split.ts"), day.dir], "split deno day", {}],
      ["split.ts, Deno, 1 core (taskset -c 0)", [...oneCore, ...denoRun("split.ts"), day.dir], "", {}],
      ["split.ts, Deno, WORKERS=2", [...denoRun("split.ts"), day.dir], "", two],
      ["split.ts, Deno, --v8-flags as the built scripts'", [...denoRun("split.ts", denoV8), day.dir], "split deno-v8 day", {}],
      ["split.ts, Node --max-old-space-size=96", [...node("split.ts", "--max-old-space-size=96"), day.dir], "split node96 day", {}],
      ["split.ts, Node, from source under tsx", [...tsx("split.ts"), day.dir], "", {}],
    ] as const) {
      const m = await table.row({ name, command: [...command], env: { ...env } }, work, runs);
      if (key) rss.set(key, m.rss);
    }
    // ten copies of the day (hard links: each file is read, as ten days would be)
    const copies = [day.dir];
    for (let i = 1; i < 10; i++) {
      copies.push(`${day.dir}-${i}`);
      spawnSync("cp", ["-al", day.dir, copies[i]!]);
    }
    rss.set("split node ×10", (await table.row({ name: "split.ts, Node, the day ×10", command: [...node("split.ts"), ...copies] }, times10, 1, false)).rss);
    rss.set("split deno ×10", (await table.row({ name: "split.ts, Deno, the day ×10", command: [...denoRun("split.ts"), ...copies] }, times10, 1, false)).rss);
    rss.set("split deno-v8 ×10", (await table.row({ name: "split.ts, Deno, --v8-flags, the day ×10", command: [...denoRun("split.ts", denoV8), ...copies] }, times10, 1, false)).rss);
    await table.row({ name: "split.ts, Deno, the day ×10, WORKERS=2", command: [...denoRun("split.ts"), ...copies], env: two }, times10, 1, false);
    for (const copy of copies.slice(1)) rmSync(copy, { recursive: true, force: true });
    if (bigMb > 0) {
      const t0 = Date.now();
      const big = await bigObject(join(dir, "big", "big.json.gz"), day.inner, bigMb * 1e6);
      day.inner.length = 0;
      const bigWork = { records: big.records, jsonBytes: big.jsonBytes };
      table.note(`(one object: ${n(big.records)} records, ${mb(big.jsonBytes)} MB of JSON, written in ${s(Date.now() - t0)} s)`);
      rss.set("split node big", (await table.row({ name: `split.ts, Node, one ${mb(big.jsonBytes)} MB object`, command: [...node("split.ts"), big.path] }, bigWork, 1, false)).rss);
      rss.set("split deno big", (await table.row({ name: `split.ts, Deno, one ${mb(big.jsonBytes)} MB object`, command: [...denoRun("split.ts"), big.path] }, bigWork, 1, false)).rss);
      rss.set("split node96 big", (await table.row({ name: "  … Node --max-old-space-size=96", command: [...node("split.ts", "--max-old-space-size=96"), big.path] }, bigWork, 1, false)).rss);
      rmSync(join(dir, "big"), { recursive: true, force: true });
    }
    table.end("'vs blog' is speed relative to the blog's pipeline, in this run. 1 core: the process (all its threads) pinned to one core.");
  }

  if (!only.has("index") && !only.has("memory")) return printChecks(rss);
  if (settings.noIngest) {
    console.log("(--no-ingest: the indexing sections are skipped)");
    return printChecks(rss);
  }

  // the local stack, and what runs there
  const config = readStackConfig(process.env, root);
  const stack = await up(config, (line) => console.log(line));
  const watched: Watched = { engine: readPidRecord(pidFile(config, "search", config.search.port))?.pid, s3: readPidRecord(pidFile(config, "localstack", config.localstack.port))?.pid };
  const search = new SearchClient({ url: stack.search });
  const s3 = new S3({ credentials: { accessKeyId: stack.accessKeyId, secretAccessKey: stack.secretAccessKey }, region: stack.region, endpoint: stack.aws });
  const prefix = "bench";
  const bucket = `trailpost-bench-${Date.now().toString(36)}`;
  const ndjson = join(dir, "day.ndjson");
  const made = spawnSync("sh", ["-c", '"$@" > "$OUT"', "sh", ...node("split.ts"), "--quiet", day.dir], { env: { ...process.env, OUT: ndjson }, encoding: "utf8" });
  if (made.status !== 0) throw new Error(`split.ts for the NDJSON failed: ${made.stderr}`);
  let t0 = Date.now();
  const uploaded = await uploadDays(s3, bucket, day, [DATE]);
  console.log(`engine: ${stack.engine.family} ${stack.engine.version} at ${stack.search}${watched.engine ? ` (pid ${watched.engine})` : ""}; S3: LocalStack at ${stack.aws}${watched.s3 ? ` (pid ${watched.s3})` : ""}; ${uploaded} objects uploaded in ${s(Date.now() - t0)} s\n`);
  const env = {
    ES_URL: stack.search,
    INDEX_PREFIX: prefix,
    AWS_ENDPOINT_URL: stack.aws,
    AWS_ACCESS_KEY_ID: stack.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stack.secretAccessKey,
    AWS_REGION: stack.region,
    CLOUDTRAIL_BUCKET: bucket,
    DEAD_LETTER_FILE: join(dir, "dead-letter.ndjson"),
    F: ndjson,
  };
  const fresh = () => deleteIndices(search, prefix);
  const bulkOf = (name: string, flags: string[] = [], extra: Record<string, string> = {}): Command => ({ name, command: ["sh", "-c", 'exec "$@" < "$F"', "sh", ...node("bulk.ts", ...flags)], env: { ...env, ...extra }, before: fresh });
  const ingestOf = (name: string, command: string[], extra: Record<string, string> = {}): Command => ({ name, command: [...command, "--date", DATE], env: { ...env, ...extra }, before: fresh });
  const work = { records: day.records, jsonBytes: day.jsonBytes };

  if (only.has("index")) {
    t0 = Date.now();
    const ceiling = await Ceiling.build(search, prefix, ndjson);
    if (ceiling.records !== day.records) throw new Error(`the ceiling has ${ceiling.records} documents for ${day.records} records`);
    // the best of several body sizes and concurrencies (the first run also warms the engine up)
    const tried: { setting: Setting; seconds: number; rejected: number }[] = [];
    await ceiling.post({ bodyBytes: 5e6, concurrency: 2 }, watched);
    for (const bodyBytes of [2e6, 3e6, 5e6]) {
      for (const concurrency of [2, 4, 8]) tried.push({ setting: { bodyBytes, concurrency }, ...(await ceiling.post({ bodyBytes, concurrency }, watched)) });
    }
    const best = tried.reduce((a, b) => (b.seconds < a.seconds ? b : a)).setting;
    console.log(`ceiling: ${tried.map((t) => `${label(t.setting)} ${t.seconds.toFixed(2)} s${t.rejected ? ` (${t.rejected} × 429)` : ""}`).join(", ")}: best ${label(best)} (built and searched in ${s(Date.now() - t0)} s)\n`);

    const rows: Command[] = [
      bulkOf("bulk.ts < records.ndjson"),
      bulkOf("bulk.ts, ES_GZIP=true", [], { ES_GZIP: "true" }),
      ingestOf("ingest.ts (S3 → engine)", node("ingest.ts")),
      ingestOf("ingest.ts, 1 core (taskset -c 0)", [...oneCore, ...node("ingest.ts")]),
      ingestOf("ingest.ts, WORKERS=2", node("ingest.ts"), { WORKERS: "2" }),
      { ...bulkOf("bulk.ts, from source under tsx"), command: ["sh", "-c", 'exec "$@" < "$F"', "sh", ...tsx("bulk.ts")] },
      ingestOf("ingest.ts, from source under tsx", tsx("ingest.ts")),
    ];
    // the same posts while every object of the day is read from S3: what an ingest cannot do less than, here
    const keys: string[] = [];
    for await (const object of s3.list(bucket, "")) keys.push(object.key);
    const reads = s3Reads(s3, bucket, keys);
    // the ceilings and the rows take turns, run by run: the machine's load moves them alike
    const ceilingRuns: Measured[] = [];
    const withS3Runs: Measured[] = [];
    let ceilingRejected = 0;
    const rowRuns = rows.map((): Measured[] => []);
    for (let r = 0; r < runs; r++) {
      const c = await ceiling.post(best, watched);
      ceilingRejected += c.rejected;
      ceilingRuns.push({ seconds: c.seconds, rss: 0, cpu: c.cpu, stderr: "" });
      const both = await ceiling.post(best, watched, reads);
      withS3Runs.push({ seconds: both.seconds, rss: 0, cpu: both.cpu, stderr: "" });
      for (let i = 0; i < rows.length; i++) rowRuns[i]!.push(await measure(rows[i]!, watched));
    }
    const table = new Table("index", "vs ceiling");
    const top = median(ceilingRuns);
    const withS3 = median(withS3Runs);
    table.reference = top.seconds;
    table.print(`engine ceiling: pre-built _bulk, ${label(best)}`, top, work, true, `(the bench)${ceilingRejected ? `, ${ceilingRejected} × 429 sent again` : ""}`);
    table.print(`  … while reading the day's ${n(keys.length)} objects from S3`, withS3, work, true, "(the bench: ingest's ceiling here)");
    for (let i = 0; i < rows.length; i++) {
      const m = median(rowRuns[i]!);
      const s3Ratio = rows[i]!.name.startsWith("ingest") ? `, ${(withS3.seconds / m.seconds).toFixed(2)}× ingest's` : "";
      table.print(rows[i]!.name, m, work, true, settled(m.stderr) + s3Ratio);
      if (i === 0) rss.set("bulk day", m.rss);
      if (i === 2) rss.set("ingest day", m.rss);
    }
    const sample = Math.min(1000, day.records);
    const blog = await blogCurl(search, `${prefix}-blog`, ndjson, sample);
    const scaled = (blog.seconds * day.records) / sample;
    table.print(`blog: curl -X POST per record (${n(sample)} sampled, scaled)`, { seconds: scaled, rss: 0, cpu: { ours: NaN }, stderr: "" }, work, true, `${n(blog.created)} of ${n(sample)} created, ${s(blog.seconds * 1000)} s`);
    await deleteIndices(search, `${prefix}-blog`);
    table.end("CPU: seconds of CPU used by the row's processes (ours), the engine and LocalStack, during the run; 2 cores give 2 CPU seconds a second.\n'vs ceiling' is the ceiling's time over the row's, in this run; the rows and the ceiling took turns. Ingest's ceiling is the same posts\nwhile the bench reads every object of the day from S3 (8 GETs in flight), which LocalStack serves from the same two cores.");
  }

  if (only.has("memory")) {
    const table = new Table("memory", "");
    const times10 = { records: day.records * 10, jsonBytes: day.jsonBytes * 10 };
    if (!rss.has("bulk day")) rss.set("bulk day", (await table.row(bulkOf("bulk.ts < records.ndjson"), work, 1, true, watched)).rss);
    else table.note(`bulk.ts < records.ndjson: the day, peak RSS ${mb(rss.get("bulk day")!)} MB (index section)`);
    rss.set("bulk ×10", (await table.row({ ...bulkOf("bulk.ts, the day ×10 (stdin)"), command: ["sh", "-c", 'for i in 1 2 3 4 5 6 7 8 9 10; do cat "$F"; done | "$@"', "sh", ...node("bulk.ts")] }, times10, 1, true, watched)).rss);
    rss.set("bulk node96", (await table.row(bulkOf("bulk.ts --max-old-space-size=96", ["--max-old-space-size=96"]), work, 1, true, watched)).rss);
    // how small the heap V8 keeps can be (the documents and bodies held are a few MB; the rest is V8's sizing)
    await table.row(bulkOf("bulk.ts --max-old-space-size=64 --max-semi-space-size=1", ["--max-old-space-size=64", "--max-semi-space-size=1"]), work, 1, true, watched);
    if (!rss.has("ingest day")) rss.set("ingest day", (await table.row(ingestOf("ingest.ts", node("ingest.ts")), work, 1, true, watched)).rss);
    else table.note(`ingest.ts: the day, peak RSS ${mb(rss.get("ingest day")!)} MB (index section)`);
    t0 = Date.now();
    const days = daysFrom(10);
    const bucket10 = `${bucket}-x10`;
    const uploaded10 = await uploadDays(s3, bucket10, day, days);
    table.note(`(the day ×10: ${n(uploaded10)} objects, the day's under ten date folders, uploaded in ${s(Date.now() - t0)} s)`);
    rss.set("ingest ×10", (await table.row({ name: "ingest.ts, the day ×10 (10 days)", command: [...node("ingest.ts"), "--from", days[0]!, "--to", days.at(-1)!], env: { ...env, CLOUDTRAIL_BUCKET: bucket10 }, before: fresh }, times10, 1, true, watched)).rss);
    rss.set("ingest node96", (await table.row(ingestOf("ingest.ts --max-old-space-size=96", node("ingest.ts", "--max-old-space-size=96")), work, 1, true, watched)).rss);
    await table.row(ingestOf("ingest.ts --max-old-space-size=64 --max-semi-space-size=1", node("ingest.ts", "--max-old-space-size=64", "--max-semi-space-size=1")), work, 1, true, watched);
    await table.row(ingestOf("ingest.ts, Deno", denoRun("ingest.ts")), work, 1, true, watched);
    await table.row(ingestOf("ingest.ts, Deno, --v8-flags as the built scripts'", denoRun("ingest.ts", denoV8)), work, 1, true, watched);
    table.end("The day ×10 is a million records with the default day; nine in ten are duplicates the second time round (the same eventIDs).");
  }
  await deleteIndices(search, prefix);
  printChecks(rss);
}

/**
 * What a built script's first line starts it with (`#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=… node --max-semi-space-size=4 …`):
 * the environment it sets, and Node's flags.
 */
function builtStart(file: string): { env: string[]; flags: string[] } {
  if (!existsSync(file)) throw new Error(`${file} is missing: npm run build did not make it`);
  const first = readFileSync(file, "utf8").slice(0, 200).split("\n")[0]!;
  const words = first.split(/\s+/).filter(Boolean);
  const at = words.indexOf("node");
  if (!first.startsWith("#!") || at < 0) throw new Error(`${file}: its first line does not start node: ${first}`);
  return { env: words.slice(words.indexOf("-S") + 1, at), flags: words.slice(at + 1) };
}

/** The flatness and bound checks, from the rows measured. */
function printChecks(rss: Map<string, number>): void {
  for (const [what, one, ten] of [
    ["split.ts, Node", "split node day", "split node ×10"],
    ["split.ts, Deno", "split deno day", "split deno ×10"],
    ["split.ts, Deno --v8-flags", "split deno-v8 day", "split deno-v8 ×10"],
    ["bulk.ts", "bulk day", "bulk ×10"],
    ["ingest.ts", "ingest day", "ingest ×10"],
  ] as const) {
    const a = rss.get(one);
    const b = rss.get(ten);
    if (a === undefined || b === undefined) continue;
    const change = (b - a) / a;
    console.log(`flat: ${what} peak RSS for the day ${mb(a)} MB, for the day ×10 ${mb(b)} MB: ${change >= 0 ? "+" : ""}${(change * 100).toFixed(1)}% (${Math.abs(change) <= 0.1 ? "within" : "NOT within"} 10%)`);
  }
  const over = [...rss].filter(([, bytes]) => bytes > RSS_BOUND);
  if (rss.size) console.log(`bound: ${over.length ? `NOT within 150 MB: ${over.map(([k, b]) => `${k} ${mb(b)} MB`).join(", ")}` : `every row's peak RSS is within 150 MB (${rss.size} rows)`}`);
}

/** A table of rows, printed as they are measured. */
class Table {
  reference = 0;
  constructor(
    readonly title: string,
    readonly versus: string,
  ) {
    console.log(`${title.padEnd(46)} ${"seconds".padStart(8)} ${"records/s".padStart(10)} ${"MB/s".padStart(6)} ${"peak RSS".padStart(9)} ${"CPU s: ours".padStart(11)} ${"engine".padStart(6)} ${"S3".padStart(5)} ${versus.padStart(10)}`);
  }

  async row(command: Command, work: { records: number; jsonBytes: number }, runs: number, compare = true, watched: Watched = {}): Promise<Measured> {
    const measured: Measured[] = [];
    for (let i = 0; i < runs; i++) measured.push(await measure(command, watched));
    const m = median(measured);
    this.print(command.name, m, work, compare, settled(m.stderr));
    return m;
  }

  print(name: string, m: Measured, work: { records: number; jsonBytes: number }, compare: boolean, note = ""): void {
    const r = this.reference / m.seconds;
    const ratio = compare && this.reference ? `${r < 0.1 ? r.toPrecision(2) : r.toFixed(2)}×` : "";
    const cpu = (c: Cpu, key: keyof Cpu, width: number) => (c[key] === undefined || Number.isNaN(c[key]) ? "" : c[key]!.toFixed(1)).padStart(width);
    console.log(
      `${name.padEnd(46)} ${m.seconds.toFixed(2).padStart(8)} ${n(Math.round(work.records / m.seconds)).padStart(10)} ${(work.jsonBytes / 1e6 / m.seconds).toFixed(1).padStart(6)} ${(m.rss ? `${mb(m.rss)} MB` : "").padStart(9)} ${cpu(m.cpu, "ours", 11)} ${cpu(m.cpu, "engine", 6)} ${cpu(m.cpu, "s3", 5)} ${ratio.padStart(10)}${note ? `  ${note}` : ""}`,
    );
  }

  note(text: string): void {
    console.log(text);
  }

  end(text: string): void {
    console.log(`${text}\n`);
  }
}

/** "settled at 4" from an indexing summary line. */
function settled(stderr: string): string {
  const m = /concurrency settled at (\d+)[^;→]*/.exec(stderr) ?? /concurrency (\d+)[^;→]*/.exec(stderr);
  const workers = /(\d+) workers?/.exec(stderr);
  return [m ? `concurrency ${m[1]}` : "", workers ? `${workers[1]} workers` : ""].filter(Boolean).join(", ");
}

function label(setting: Setting): string {
  return `${setting.bodyBytes / 1e6} MB × ${setting.concurrency}`;
}

function readSettings(): { records: number; runs: number; bigMb: number; noIngest: boolean; only: Set<Section> } {
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
  const onlyText = flag("only") ?? process.env.BENCH_ONLY;
  const only = new Set<Section>(SECTIONS);
  if (onlyText !== undefined && onlyText !== "") {
    only.clear();
    for (const part of onlyText.split(",")) {
      if ((SECTIONS as readonly string[]).includes(part)) only.add(part as Section);
      else problems.push(`BENCH_ONLY must list sections of ${SECTIONS.join(", ")}, not ${JSON.stringify(onlyText)}`);
    }
  }
  const known = new Set(["--records", "--runs", "--big-mb", "--only", "--no-ingest"]);
  for (let i = 0; i < argv.length; i++) {
    if (!known.has(argv[i]!)) problems.push(`unknown argument ${JSON.stringify(argv[i])}`);
    else if (argv[i] !== "--no-ingest") i++;
  }
  if (problems.length) {
    for (const p of problems) console.error(`bench: ${p}`);
    console.error("usage: bench/bench.ts [--records N] [--runs N] [--big-mb N] [--only split,index,memory] [--no-ingest]   (or RECORDS, RUNS, BIG_MB, BENCH_ONLY in the environment)");
    process.exit(2);
  }
  return { records, runs, bigMb, noIngest: argv.includes("--no-ingest"), only };
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

function s(ms: number): string {
  return (ms / 1000).toFixed(1);
}

// last: the classes above exist by now
const settings = readSettings();
const dir = mkdtempSync(join(tmpdir(), "trailpost-bench-"));
try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
