/**
 * `make follow`: continuous ingestion, live, on the local stack. Sets up a bucket, its queue and notification
 * (setup.ts), starts workers (worker.ts), and runs a simulated CloudTrail that writes a gzipped log object every
 * few seconds for several accounts and regions (fixtures/simulate.ts). Every few seconds it prints the objects
 * and records written and indexed, the queue's depth, and how long records took from PutObject to searchable
 * (p50, p99). Ctrl-C stops the simulator, then the workers (SIGTERM: they finish what they hold), and prints the
 * totals.
 *
 *   npx tsx scripts/follow.ts [--workers 2] [--every 2] [--duration SECONDS]
 */
import { spawn, type ChildProcess } from "node:child_process";
import process from "node:process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readStackConfig } from "../emulators/config.ts";
import { up } from "../emulators/stack.ts";
import { S3 } from "../lib/aws/s3.ts";
import { SQS } from "../lib/aws/sqs.ts";
import { ConfigError, readConfig, usage } from "../lib/config.ts";
import { SearchClient } from "../lib/search/client.ts";
import { simulatedCloudTrail, type SimulatedObject } from "../fixtures/simulate.ts";
import { main, plural } from "./runtime/run.ts";
import { args, env, scriptCommand } from "./runtime/platform.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const positive = (name: string) => (v: string) => (/^\d+(\.\d+)?$/.test(v) && Number(v) > 0 ? undefined : `${name} must be a positive number, not ${JSON.stringify(v)}`);
const FLAGS = {
  workers: { env: "WORKERS", flag: "--workers", help: "worker processes (default 2)", check: (v: string) => (/^[1-9]\d?$/.test(v) ? undefined : `--workers must be 1-99, not ${JSON.stringify(v)}`) },
  every: { env: "EVERY", flag: "--every", help: "seconds between two log objects written (default 2)", check: positive("--every") },
  duration: { env: "DURATION", flag: "--duration", help: "stop by itself after this many seconds (default: at Ctrl-C)", check: positive("--duration") },
  concurrency: { env: "WORKER_CONCURRENCY", flag: "--concurrency", help: "objects each worker processes at once (default 4)", check: positive("--concurrency") },
  report: { env: "", flag: "--report-every", help: "seconds between two status lines (default 5)", check: positive("--report-every") },
  json: { env: "", flag: "--json", help: "print the final figures as one JSON line on stdout", boolean: true },
};
const HELP = `usage: follow.ts [--workers N] [--every SECONDS] [--duration SECONDS]

A live demo of continuous ingestion on the local stack: a simulated CloudTrail writes log objects for 3 accounts
and 2 regions, the bucket notifies the queue, workers index; status every few seconds, totals at Ctrl-C.`;

const BUCKET = "trailpost-follow";
const QUEUE = "trailpost-follow-events";
const PREFIX = "follow";
const ACCOUNTS = ["111122223333", "444455556666", "777788889999"];
const REGIONS = ["us-east-1", "eu-west-1"];

await main("follow", async () => {
  const { extra, help, positionals } = readConfig([], args(), env(), FLAGS);
  if (help) return console.log(usage(HELP, [], FLAGS)), 0;
  if (positionals.length) throw new ConfigError([`unexpected argument ${JSON.stringify(positionals[0])}`]);
  const workers = Number(extra.workers ?? 2);
  const every = Number(extra.every ?? 2) * 1000;
  const reportEvery = Number(extra.report ?? 5) * 1000;
  const log = (line: string) => console.error(`follow: ${line}`);

  const stack = await up(readStackConfig(env(), ROOT), (line) => log(line));
  const credentials = { accessKeyId: stack.accessKeyId, secretAccessKey: stack.secretAccessKey };
  const s3 = new S3({ credentials, region: stack.region, endpoint: stack.aws });
  const sqs = new SQS({ credentials, region: stack.region, endpoint: stack.aws });
  const search = new SearchClient({ url: stack.search });
  const childEnv: Record<string, string> = {
    ...(Object.fromEntries(Object.entries(env()).filter((e): e is [string, string] => e[1] !== undefined))),
    AWS_ENDPOINT_URL: stack.aws,
    AWS_ACCESS_KEY_ID: stack.accessKeyId,
    AWS_SECRET_ACCESS_KEY: stack.secretAccessKey,
    AWS_REGION: stack.region,
    ES_URL: stack.search,
    INDEX_PREFIX: PREFIX,
    DEAD_LETTER_FILE: join(ROOT, "work", "follow-dead-letter.ndjson"),
  };
  delete childEnv.AWS_ENDPOINT_URL_S3;
  delete childEnv.AWS_ENDPOINT_URL_SQS;
  delete childEnv.CLOUDTRAIL_QUEUE_URL;

  // a clean start: the index and the queue of an earlier run are emptied
  await deleteIndices(search);
  log(`setup.ts --bucket ${BUCKET} --queue ${QUEUE}`);
  const queueUrl = await runSetup(childEnv);
  await sqs.purge(queueUrl).catch(() => {});
  log(`CLOUDTRAIL_QUEUE_URL=${queueUrl}`);

  const children: ChildProcess[] = [];
  for (let i = 1; i <= workers; i++) {
    const [command, prefix] = scriptCommand(join(ROOT, "scripts", "worker.ts"));
    const workerArgs = ["--queue-url", queueUrl, "--concurrency", extra.concurrency ?? "4", "--visibility-timeout", "30", "--retry-delay", "2"];
    const child = spawn(command, [...prefix, ...workerArgs], { env: childEnv, stdio: ["ignore", "inherit", "pipe"] });
    child.stderr!.on("data", (d: Uint8Array) => {
      for (const line of new TextDecoder().decode(d).split("\n").filter(Boolean)) console.error(`  [worker ${i}] ${line.replace(/^worker: /, "")}`);
    });
    children.push(child);
  }
  log(`${plural(workers, "worker")} polling; a simulated CloudTrail writes a log object every ${every / 1000} s for ${ACCOUNTS.length} accounts × ${REGIONS.length} regions (Ctrl-C stops)`);

  const written: { object: SimulatedObject; putAt: number; searchableAt?: number }[] = [];
  const simulator = simulatedCloudTrail({ accounts: ACCOUNTS, regions: REGIONS, recordsPerObject: 20 });
  const started = Date.now();
  let stopping = false;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    console.error("");
    log("stopping: no more objects; the workers finish what they hold");
    stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  if (extra.duration) setTimeout(onSignal, Number(extra.duration) * 1000);

  const writer = (async () => {
    while (!stopping) {
      const object = simulator.next().value as SimulatedObject;
      const entry = { object, putAt: Date.now() };
      written.push(entry);
      await s3.put(BUCKET, object.key, object.body, { "content-encoding": "gzip", "content-type": "application/json" });
      entry.putAt = Date.now();
      await Promise.race([new Promise((r) => setTimeout(r, every)), stopped]);
    }
  })();
  const exited = children.map((child) => new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 1))));
  let workersGone = false;
  void Promise.all(exited).then(() => (workersGone = true));
  const watcher = (async () => {
    let drainUntil = 0;
    for (;;) {
      await markSearchable(search, written);
      if (stopping) {
        drainUntil ||= Date.now() + 30_000;
        if (written.every((w) => w.searchableAt) || workersGone || Date.now() > drainUntil) return;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const status = async () => {
    const done = written.filter((w) => w.searchableAt);
    const latencies = done.map((w) => w.searchableAt! - w.putAt).sort((a, b) => a - b);
    const depth = await sqs.depth(queueUrl).catch(() => undefined);
    const count = await countDocs(search);
    const records = written.reduce((n, w) => n + w.object.records, 0);
    return {
      seconds: Math.round((Date.now() - started) / 1000),
      objectsWritten: written.length,
      recordsWritten: records,
      objectsSearchable: done.length,
      recordsIndexed: count,
      queue: depth,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
  };
  const line = (s: Awaited<ReturnType<typeof status>>) =>
    `${String(s.seconds).padStart(4)} s: written ${s.objectsWritten} objects (${s.recordsWritten} records) | searchable ${s.objectsSearchable} objects, ${s.recordsIndexed} records indexed | queue ${s.queue ? `${s.queue.visible} waiting, ${s.queue.inFlight} in flight` : "?"} | PutObject→searchable p50 ${seconds(s.p50)}, p99 ${seconds(s.p99)}`;
  const reporter = setInterval(() => void status().then((s) => log(line(s))), reportEvery);

  await stopped;
  await writer;
  await watcher;
  clearInterval(reporter);
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  const codes = await Promise.all(exited);
  await search.request("POST", `/${PREFIX}-*/_refresh`).catch(() => undefined);
  await markSearchable(search, written);
  const final = await status();
  log(line(final));
  const missing = final.recordsWritten - final.recordsIndexed;
  log(`done: ${final.objectsWritten} objects, ${final.recordsWritten} records written; ${final.recordsIndexed} indexed${missing ? ` (${missing} still on their way: stopped before the queue was empty)` : ""}; workers exited ${codes.join(", ")}`);
  if (extra.json === "true") console.log(JSON.stringify({ ...final, latenciesMs: written.filter((w) => w.searchableAt).map((w) => w.searchableAt! - w.putAt) }));
  return codes.every((c) => c === 0) ? 0 : 1;
});

/** Runs setup.ts for the demo bucket and queue; its last line is the queue URL. */
async function runSetup(childEnv: Record<string, string>): Promise<string> {
  const [command, prefix] = scriptCommand(join(ROOT, "scripts", "setup.ts"));
  const child = spawn(command, [...prefix, "--bucket", BUCKET, "--queue", QUEUE], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Uint8Array) => (out += new TextDecoder().decode(d)));
  child.stderr!.on("data", (d: Uint8Array) => (err += new TextDecoder().decode(d)));
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
  const url = /CLOUDTRAIL_QUEUE_URL=(\S+)/.exec(out)?.[1];
  if (code !== 0 || !url) throw new Error(`setup.ts failed (exit ${code}): ${err.trim().split("\n").slice(-3).join(" | ")}`);
  return url;
}

/** Marks the objects whose last record is now searchable (one _search for all pending objects). */
async function markSearchable(search: SearchClient, written: { object: SimulatedObject; searchableAt?: number }[]): Promise<void> {
  const pending = written.filter((w) => !w.searchableAt).slice(0, 500);
  if (!pending.length) return;
  const ids = pending.map((w) => w.object.eventIds.at(-1)!);
  const response = await search.request("POST", `/${PREFIX}-*/_search?ignore_unavailable=true&allow_no_indices=true`, JSON.stringify({ size: ids.length, _source: false, query: { ids: { values: ids } } })).catch(() => undefined);
  if (!response || response.status !== 200) return;
  const found = new Set(((JSON.parse(response.text) as { hits?: { hits?: { _id: string }[] } }).hits?.hits ?? []).map((h) => h._id));
  const now = Date.now();
  for (const w of pending) if (found.has(w.object.eventIds.at(-1)!)) w.searchableAt = now;
}

/** The indices of an earlier run, by name (Elasticsearch 8+ refuses wildcard deletes by default). */
async function deleteIndices(search: SearchClient): Promise<void> {
  const names = await search.json<{ index: string }[]>("GET", `/_cat/indices/${PREFIX}-*?format=json&h=index`).catch(() => []);
  for (let i = 0; i < names.length; i += 50) {
    await search.json("DELETE", `/${names.slice(i, i + 50).map((n) => encodeURIComponent(n.index)).join(",")}`);
  }
}

async function countDocs(search: SearchClient): Promise<number> {
  const response = await search.request("GET", `/${PREFIX}-*/_count?ignore_unavailable=true&allow_no_indices=true`).catch(() => undefined);
  return response?.status === 200 ? (JSON.parse(response.text) as { count: number }).count : 0;
}

function percentile(sorted: number[], p: number): number | undefined {
  if (!sorted.length) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? "–" : `${(ms / 1000).toFixed(1)} s`;
}
