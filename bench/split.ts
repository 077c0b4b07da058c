/**
 * Benchmark: the blog's tools against trailpost's, on the same generated files, in the same run.
 *
 *   npx tsx bench/split.ts [--records 200000] [--runs 3]        (make bench)
 *
 * Baseline: `gzip -dc *.json.gz | jq -c '.Records[]'` (the 2013 blog's pipeline, minus the POST that never
 * worked). Against it: scripts/split.ts (gunzip + split, NDJSON out) under Node (tsx) and Deno, and
 * scripts/ingest.ts end to end into the local engine (needs `make up`; skipped with --no-ingest).
 * Prints wall time (median of the runs), records/s, MB/s of JSON, peak RSS, and the ratio to the baseline.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { generateDay } from "../fixtures/generate.ts";
import { ConfigError, positive, readConfig } from "../lib/config.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const FLAGS = {
  records: { env: "RECORDS", flag: "--records", help: "records to generate (default 200000)", check: positive("RECORDS") },
  runs: { env: "", flag: "--runs", help: "runs of each row (default 3)", check: positive("--runs") },
  noIngest: { env: "", flag: "--no-ingest", help: "skip the indexing row", boolean: true },
};
let options: ReturnType<typeof readConfig>["extra"];
try {
  options = readConfig([], process.argv.slice(2), process.env, FLAGS).extra;
} catch (error) {
  for (const problem of error instanceof ConfigError ? error.problems : [String(error)]) console.error(`bench: ${problem}`);
  console.error("usage: bench/split.ts [--records N] [--runs N] [--no-ingest]   (or RECORDS=N)");
  process.exit(2);
}
const records = Number(options.records ?? "200000");
const runs = Number(options.runs ?? "3");
const withIngest = !options.noIngest;

const dir = mkdtempSync(join(tmpdir(), "trailpost-bench-"));
try {
  const started = Date.now();
  let files = 0;
  let jsonBytes = 0;
  let gzBytes = 0;
  const accounts = ["111122223333", "444455556666"];
  const regions = ["us-east-1", "eu-west-1", "ap-southeast-2"];
  for (const object of generateDay({ date: "2024-03-04", records, accounts, regions, seed: 42 })) {
    const path = join(dir, "bucket", object.key);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, object.body);
    files++;
    gzBytes += object.body.length;
    jsonBytes += object.jsonLength;
  }
  const list = walk(join(dir, "bucket"));
  console.log(`input: ${records.toLocaleString("en-US")} records in ${files} files, ${mb(gzBytes)} MB gzip, ${mb(jsonBytes)} MB JSON (generated in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`machine: ${process.platform} ${process.arch}, Node ${process.versions.node}, ${runs} runs each, median shown\n`);

  const listFile = join(dir, "files.txt");
  writeFileSync(listFile, list.join("\n") + "\n");
  const tsx = [process.execPath, "--import", "tsx"];
  const deno = join(root, "node_modules", ".bin", "deno");
  const rows: { name: string; command: string[]; env?: Record<string, string> }[] = [
    { name: "blog: gzip -dc | jq -c .Records[]", command: ["sh", "-c", `xargs cat < ${q(listFile)} | gzip -dc | jq -c '.Records[]' > /dev/null`] },
    { name: "trailpost split.ts (Node, zlib)", command: ["sh", "-c", `${tsx.map(q).join(" ")} ${q(join(root, "scripts/split.ts"))} ${q(join(dir, "bucket"))} > /dev/null`] },
    { name: "trailpost split.ts (Deno)", command: ["sh", "-c", `${q(deno)} run -A --quiet ${q(join(root, "scripts/split.ts"))} ${q(join(dir, "bucket"))} > /dev/null`] },
  ];
  if (withIngest) {
    const env = { ...process.env, ES_URL: process.env.ES_URL ?? "http://127.0.0.1:9200" } as Record<string, string>;
    const ok = spawnSync("curl", ["-sf", `${env.ES_URL}/`]).status === 0;
    if (ok) {
      rows.push({
        name: "trailpost bulk.ts (split | bulk → engine)",
        command: ["sh", "-c", `${tsx.map(q).join(" ")} ${q(join(root, "scripts/split.ts"))} ${q(join(dir, "bucket"))} | ${tsx.map(q).join(" ")} ${q(join(root, "scripts/bulk.ts"))}`],
        env: { ...env, INDEX_PREFIX: "bench" },
      });
    } else console.log(`(no engine at ${env.ES_URL}: the indexing row is skipped; run make up first)\n`);
  }

  let baseline = 0;
  console.log(`${"what".padEnd(44)} ${"seconds".padStart(8)} ${"records/s".padStart(10)} ${"MB/s JSON".padStart(10)} ${"peak RSS".padStart(9)} ${"vs blog".padStart(8)}`);
  for (const row of rows) {
    const times: number[] = [];
    let rss = 0;
    for (let i = 0; i < runs; i++) {
      if (row.env?.INDEX_PREFIX) spawnSync("curl", ["-s", "-XDELETE", `${row.env.ES_URL}/${row.env.INDEX_PREFIX}-*`]);
      const t0 = process.hrtime.bigint();
      const result = spawnSync("/usr/bin/time", ["-f", "%M", ...row.command], { env: row.env ?? process.env, encoding: "utf8", maxBuffer: 1 << 26 });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (result.status !== 0) throw new Error(`${row.name} failed (exit ${result.status}): ${result.stderr.slice(-500)}`);
      times.push(seconds);
      rss = Math.max(rss, Number(result.stderr.trim().split("\n").pop()) * 1024);
    }
    const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    if (!baseline) baseline = median;
    console.log(
      `${row.name.padEnd(44)} ${median.toFixed(2).padStart(8)} ${Math.round(records / median).toLocaleString("en-US").padStart(10)} ${(jsonBytes / 1e6 / median).toFixed(1).padStart(10)} ${`${mb(rss)} MB`.padStart(9)} ${`${(baseline / median).toFixed(2)}×`.padStart(8)}`,
    );
  }
  console.log("\npeak RSS is the largest process of the pipeline (/usr/bin/time %M); 'vs blog' is speed relative to the first row.");
} finally {
  rmSync(dir, { recursive: true, force: true });
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
function q(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}
function mb(n: number): string {
  return (n / 1e6).toFixed(1);
}
