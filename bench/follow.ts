/**
 * Benchmark of continuous ingestion on the local stack (make bench-follow): throughput of 1, 2 and 4 workers on
 * the same backlog of log objects (enqueued with enqueue.ts, so every run starts with a full queue), side by side
 * with one `ingest` run over the same objects, and the delay from PutObject to searchable at a steady rate
 * (follow.ts with 2 workers).
 *
 *   npx tsx bench/follow.ts [--objects 300] [--records-per-object 50] [--workers 1,2,4] [--latency-seconds 60] [--every 0.5]
 *
 * Throughput is counted from the moment every worker polls until the engine counts every record; a worker
 * process's start (tsx compiling, the engine check) is outside it, an ingest run's start is inside it.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { readStackConfig } from "../emulators/config.ts";
import { up } from "../emulators/stack.ts";
import { S3 } from "../lib/aws/s3.ts";
import { SQS } from "../lib/aws/sqs.ts";
import { SearchClient } from "../lib/search/client.ts";
import { simulatedCloudTrail } from "../fixtures/simulate.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
};
const objects = Number(flag("objects", "300"));
const perObject = Number(flag("records-per-object", "50"));
const workerCounts = flag("workers", "1,2,4").split(",").map(Number);
const latencySeconds = Number(flag("latency-seconds", "60"));
const every = flag("every", "0.5");
if (![objects, perObject, latencySeconds, ...workerCounts].every((n) => Number.isInteger(n) && n > 0) || !(Number(every) > 0)) {
  console.error("usage: bench/follow.ts [--objects N] [--records-per-object N] [--workers 1,2,4] [--latency-seconds N] [--every SECONDS]");
  process.exit(2);
}

const stack = await up(readStackConfig(process.env, root), (line) => console.error(line));
const credentials = { accessKeyId: stack.accessKeyId, secretAccessKey: stack.secretAccessKey };
const s3 = new S3({ credentials, region: stack.region, endpoint: stack.aws });
const sqs = new SQS({ credentials, region: stack.region, endpoint: stack.aws });
const search = new SearchClient({ url: stack.search });
const run = Date.now().toString(36);
const bucket = `bench-follow-${run}`;
const date = "2024-03-04";
const baseEnv: Record<string, string> = {
  ...(Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined))),
  AWS_ENDPOINT_URL: stack.aws,
  AWS_ACCESS_KEY_ID: stack.accessKeyId,
  AWS_SECRET_ACCESS_KEY: stack.secretAccessKey,
  AWS_REGION: stack.region,
  ES_URL: stack.search,
  CLOUDTRAIL_BUCKET: bucket,
  DEAD_LETTER_FILE: join(root, "work", "bench-follow-dead-letter.ndjson"),
};

// the backlog: one day of objects for 3 accounts × 2 regions
await s3.createBucket(bucket);
let records = 0;
let written = 0;
const generated = simulatedCloudTrail({ accounts: ["111122223333", "444455556666", "777788889999"], regions: ["us-east-1", "eu-west-1"], startDate: date, recordsPerObject: perObject, filesPerHour: Math.max(1, Math.ceil(objects / 144)), seed: 7 });
const uploads: Promise<void>[] = [];
for (const object of generated) {
  if (written >= objects) break;
  if (!object.key.includes(`/${date.replaceAll("-", "/")}/`)) break;
  written++;
  records += object.records;
  uploads.push(s3.put(bucket, object.key, object.body, { "content-encoding": "gzip" }));
  if (uploads.length >= 16) await Promise.all(uploads.splice(0));
}
await Promise.all(uploads);
console.log(`input: ${written} objects, ${records.toLocaleString("en-US")} records (s3://${bucket}, ${date}); machine: ${process.platform} ${process.arch}, Node ${process.versions.node}\n`);

const rows: { name: string; seconds: number }[] = [];
{
  const prefix = `bench-ingest-${run}`;
  const t0 = Date.now();
  const code = await script("ingest.ts", ["--date", date], { ...baseEnv, INDEX_PREFIX: prefix });
  if (code !== 0) throw new Error(`ingest.ts exited ${code}`);
  await untilCount(prefix, records);
  rows.push({ name: "ingest.ts, one process", seconds: (Date.now() - t0) / 1000 });
}
for (const n of workerCounts) {
  const prefix = `bench-w${n}-${run}`;
  const queueUrl = await sqs.createQueue(`bench-follow-${run}-w${n}`);
  const code = await script("enqueue.ts", ["--queue-url", queueUrl, "--date", date], baseEnv);
  if (code !== 0) throw new Error(`enqueue.ts exited ${code}`);
  const ready: Promise<void>[] = [];
  const exits: Promise<number>[] = [];
  for (let i = 0; i < n; i++) {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "scripts", "worker.ts"), "--queue-url", queueUrl, "--exit-when-idle", "3", "--wait-seconds", "2"], {
      env: { ...baseEnv, INDEX_PREFIX: prefix },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    ready.push(new Promise((resolve) => child.stderr!.on("data", (d: Uint8Array) => {
      err += new TextDecoder().decode(d);
      if (err.includes("polling")) resolve();
    })));
    exits.push(new Promise((resolve) => child.on("exit", (c) => resolve(c ?? 1))));
  }
  await Promise.all(ready);
  const t0 = Date.now();
  await untilCount(prefix, records);
  rows.push({ name: `worker.ts × ${n}`, seconds: (Date.now() - t0) / 1000 });
  const codes = await Promise.all(exits);
  if (codes.some((c) => c !== 0)) throw new Error(`workers exited ${codes.join(", ")}`);
  await sqs.deleteQueue(queueUrl);
}

console.log(`${"what".padEnd(28)} ${"seconds".padStart(8)} ${"records/s".padStart(10)} ${"objects/s".padStart(10)}`);
for (const row of rows) {
  console.log(`${row.name.padEnd(28)} ${row.seconds.toFixed(1).padStart(8)} ${Math.round(records / row.seconds).toLocaleString("en-US").padStart(10)} ${(written / row.seconds).toFixed(1).padStart(10)}`);
}

// latency at a steady rate: follow.ts, 2 workers, one object every `every` seconds
const follow = await capture(process.execPath, ["--import", "tsx", join(root, "scripts", "follow.ts"), "--workers", "2", "--every", every, "--duration", String(latencySeconds), "--json", "--report-every", "30"]);
const figures = JSON.parse(follow.trim().split("\n").at(-1)!) as { objectsWritten: number; recordsWritten: number; p50: number; p99: number; latenciesMs: number[] };
const sorted = [...figures.latenciesMs].sort((a, b) => a - b);
console.log(`\nPutObject → searchable, 2 workers, one object every ${every} s for ${latencySeconds} s (${figures.objectsWritten} objects, ${figures.recordsWritten} records): ` +
  `p50 ${(figures.p50 / 1000).toFixed(2)} s, p99 ${(figures.p99 / 1000).toFixed(2)} s, max ${((sorted.at(-1) ?? 0) / 1000).toFixed(2)} s (polled every 0.25 s; the engine refreshes every 1 s)`);
// the benchmark's indices, by name (Elasticsearch 8+ refuses wildcard deletes by default)
const indices = await search.json<{ index: string }[]>("GET", `/_cat/indices/bench-*-${run}-*?format=json&h=index`).catch(() => []);
if (indices.length) await search.json("DELETE", `/${indices.map((i) => encodeURIComponent(i.index)).join(",")}`);

async function untilCount(prefix: string, expected: number): Promise<void> {
  for (;;) {
    const response = await search.request("GET", `/${prefix}-*/_count?ignore_unavailable=true&allow_no_indices=true`);
    if (response.status === 200 && (JSON.parse(response.text) as { count: number }).count >= expected) return;
    await new Promise((r) => setTimeout(r, 200));
    if (response.status === 200) await search.request("POST", `/${prefix}-*/_refresh?ignore_unavailable=true&allow_no_indices=true`);
  }
}

function script(name: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(root, "scripts", name), ...args], { env, stdio: ["ignore", "ignore", "inherit"] });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

function capture(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: process.env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout!.on("data", (d: Uint8Array) => (out += new TextDecoder().decode(d)));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`follow.ts exited ${code}`))));
  });
}
