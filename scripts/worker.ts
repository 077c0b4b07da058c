/**
 * A long-running worker: long-polls the trail's SQS queue, runs each object a message names through the same
 * pipeline as `ingest`, and deletes the message only when every record of its objects is indexed, a duplicate, or
 * dead-lettered. Run as many as you like, anywhere: they share nothing but the queue and the engine.
 *
 *   CLOUDTRAIL_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/trail-events ES_URL=https://search.example.com:9200 \
 *     npx tsx scripts/worker.ts --concurrency 4
 *
 * Runs until SIGTERM or SIGINT: it then finishes what it holds (or releases it, visibility 0, after the drain
 * time) and exits. `--exit-when-idle SECONDS` ends it once the queue has been empty that long. Exit code: 0, or 1
 * when records were dead-lettered or messages went to the dead-letter queue (each one logged).
 */
import process from "node:process";
import { queueName } from "../lib/aws/sqs.ts";
import { ConfigError, readConfig, usage, type SettingName } from "../lib/config.ts";
import type { TrailLocation } from "../lib/cloudtrail/objects.ts";
import { Ledger } from "../lib/ledger.ts";
import { Consumer } from "../lib/queue/consumer.ts";
import { ObjectIndexer, type ObjectOutcome } from "../lib/queue/index-object.ts";
import { processMessage } from "../lib/queue/process-message.ts";
import { prepareIndex } from "../lib/search/indexer.ts";
import { DEFAULT_PROGRAM } from "../lib/streams/select.ts";
import { awsFrom, INDEXING, indexingFrom, s3From, sqsFrom } from "./runtime/common.ts";
import { main, plural, programOf } from "./runtime/run.ts";
import { args, decompress, env, openAppend } from "./runtime/platform.ts";

const SETTINGS: SettingName[] = ["queueUrl", "bucket", "prefix", "accounts", "regions", "orgId", "region", "profile", "endpoint", "s3Endpoint", "sqsEndpoint", ...INDEXING];
const whole = (name: string, min: number) => (v: string) => (/^\d+$/.test(v) && Number(v) >= min ? undefined : `${name} must be a whole number${min ? ` ≥ ${min}` : ""}, not ${JSON.stringify(v)}`);
const FLAGS = {
  concurrency: { env: "WORKER_CONCURRENCY", flag: "--concurrency", help: "messages (objects) processed at once (default 4)", check: whole("--concurrency", 1) },
  visibility: { env: "WORKER_VISIBILITY_TIMEOUT", flag: "--visibility-timeout", help: "seconds a held message stays invisible, renewed every half (default 60)", check: whole("--visibility-timeout", 2) },
  retryDelay: { env: "WORKER_RETRY_DELAY", flag: "--retry-delay", help: "seconds before a failed message comes back, doubling per receive (default 10)", check: whole("--retry-delay", 0) },
  drain: { env: "WORKER_DRAIN_SECONDS", flag: "--drain-seconds", help: "on SIGTERM, seconds to finish held messages before releasing them (default 20)", check: whole("--drain-seconds", 0) },
  exitWhenIdle: { env: "WORKER_EXIT_WHEN_IDLE", flag: "--exit-when-idle", help: "exit 0 once the queue has been empty this many seconds", check: whole("--exit-when-idle", 0) },
  wait: { env: "WORKER_WAIT_SECONDS", flag: "--wait-seconds", help: "long-poll wait, 0-20 (default 20)", check: (v: string) => (/^\d+$/.test(v) && Number(v) <= 20 ? undefined : `--wait-seconds must be 0-20, not ${JSON.stringify(v)}`) },
  select: { env: "", flag: "--select", help: `jq program choosing the records (default ${DEFAULT_PROGRAM})` },
  verbose: { env: "WORKER_VERBOSE", flag: "--verbose", help: "one line per object", boolean: true },
};
const HELP = `usage: worker.ts --queue-url URL [--concurrency N] [--exit-when-idle SECONDS] [--es-url URL]

Long-polls the queue of the trail's S3 events (S3 notifications, SNS-wrapped or not, CloudTrail's SNS
notifications, EventBridge "Object Created") and indexes every log object they name. A message is deleted only
when every record of its objects is indexed, a duplicate or dead-lettered; a failed one comes back later, and
after the queue's redrive count it rests in the dead-letter queue. Digest and Insight files are skipped.`;

await main("worker", async () => {
  const { values, help, extra, positionals } = readConfig(SETTINGS, args(), env(), FLAGS);
  if (help) return console.log(usage(HELP, SETTINGS, FLAGS)), 0;
  if (positionals.length) throw new ConfigError([`unexpected argument ${JSON.stringify(positionals[0])}`]);
  if (!values.queueUrl) throw new ConfigError(["no queue: set CLOUDTRAIL_QUEUE_URL or --queue-url (setup.ts prints it)"]);
  const queueUrl = values.queueUrl;
  const program = programOf(extra.select);
  const aws = awsFrom(values);
  const sqs = sqsFrom(aws, values);
  const ledger = new Ledger();
  const indexing = indexingFrom("worker", values, ledger);
  const deadLetterPath = values.deadLetter ?? "trailpost-dead-letter.ndjson";
  const verbose = extra.verbose === "true" || extra.verbose === "1";
  const log = (line: string) => console.error(`worker: ${line}`);
  const location: Partial<TrailLocation> = {
    bucket: values.bucket,
    prefix: values.prefix,
    orgId: values.orgId,
    accounts: values.accounts?.split(",").map((s) => s.trim()),
    regions: values.regions?.split(",").map((s) => s.trim()),
  };

  let stopping = false;
  let consumer: Consumer | undefined;
  const onSignal = (signal: string) => {
    log(`${signal}: ${stopping ? "releasing what is held now" : "finishing what is held, receiving no more"}`);
    stopping = true;
    consumer?.stop();
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));

  const redrive = await queueRedrive(sqs, queueUrl);
  const ready = () => prepareIndex(indexing.client, indexing.options.indexPrefix, indexing.template, indexing.serverless);
  const engine = await untilEngine(ready, log, () => stopping);
  if (!engine) return 0;
  log(`polling ${queueUrl} (${redrive ? `dead-letter queue ${redrive.dlq} after ${redrive.maxReceiveCount} receives` : "no redrive policy: failed messages come back until they expire"}) → ${indexing.options.indexPrefix}-* on ${indexing.client.describe()} (${engine.distribution} ${engine.version})`);

  const indexer = new ObjectIndexer({
    s3: s3From(aws),
    client: indexing.client,
    indexPrefix: indexing.options.indexPrefix,
    program,
    decompress,
    location,
    maxBytes: indexing.options.maxBytes,
    bulk: { concurrency: indexing.options.concurrency, maxRetries: indexing.options.maxRetries, backoffMs: indexing.options.backoffMs, onRetry: indexing.options.onRetry },
  });
  // opened by the first dead letter, once: objects are indexed concurrently, so keep the opening promise
  let deadLetterFile: ReturnType<typeof openAppend> | undefined;
  const keep = async (lines: string[]) => {
    deadLetterFile ??= openAppend(deadLetterPath);
    await (await deadLetterFile).write(lines.map((l) => `${l}\n`).join(""));
  };
  const counts = { messages: 0, tests: 0, ignored: 0, indexed: 0, failed: 0 };
  const account = (outcome: ObjectOutcome, sentAt: number) => {
    if (outcome.status === "skipped") {
      ledger.objects.skipped[outcome.kind ?? "other"]++;
      if (verbose || outcome.kind === "other") log(`skipped ${outcome.object}: ${outcome.reason}`);
      return;
    }
    if (outcome.status === "failed") {
      counts.failed++;
      return;
    }
    counts.indexed++;
    ledger.objects.read++;
    ledger.bytes.read += outcome.bytes;
    const r = ledger.records;
    r.read += outcome.records.read;
    r.indexed += outcome.records.indexed;
    r.duplicates += outcome.records.duplicates;
    r.deadLettered += outcome.records.deadLettered;
    r.retried += outcome.records.retried;
    if (outcome.records.deadLettered) log(`${outcome.object}: ${plural(outcome.records.deadLettered, "record")} dead-lettered to ${deadLetterPath}`);
    if (verbose) {
      const o = outcome.records;
      log(`${outcome.object}: ${plural(o.read, "record")}: ${o.indexed} indexed, ${o.duplicates} duplicates, ${o.deadLettered} dead-lettered${sentAt ? `; ${((Date.now() - sentAt) / 1000).toFixed(1)} s after the notification` : ""}`);
    }
  };

  consumer = new Consumer({
    sqs,
    queueUrl,
    concurrency: num(extra.concurrency) ?? 4,
    visibilitySeconds: num(extra.visibility) ?? 60,
    retryDelaySeconds: num(extra.retryDelay) ?? 10,
    drainSeconds: num(extra.drain) ?? 20,
    waitSeconds: num(extra.wait) ?? 20,
    exitWhenIdleSeconds: num(extra.exitWhenIdle),
    maxReceiveCount: redrive?.maxReceiveCount,
    ready: async () => void (await ready()),
    log,
    handle: async (message, signal) => {
      counts.messages++;
      const result = await processMessage(message.body, indexer, { keep, signal, onOutcome: (o) => account(o, message.sentAt) });
      if (result.parsed.kind === "test") {
        counts.tests++;
        log(`deleting ${result.parsed.shape} message ${message.messageId}`);
      } else if (result.parsed.kind === "ignored") {
        counts.ignored++;
        if (verbose) log(`deleting message ${message.messageId}: ${result.parsed.reason}`);
      }
      return result.verdict;
    },
  });
  if (stopping) consumer.stop();
  const progress = setInterval(() => log(summary()), 60_000);
  const summary = () => {
    const r = ledger.records;
    const s = ledger.objects.skipped;
    return `${plural(counts.indexed, "object")} indexed (${plural(r.read, "record")}: ${r.indexed.toLocaleString("en-US")} indexed, ${r.duplicates.toLocaleString("en-US")} duplicates, ${r.deadLettered.toLocaleString("en-US")} dead-lettered), skipped ${s.digest} digest, ${s.insight} insight, ${s.other} other; ${plural(counts.failed, "failed attempt")}; ${plural(counts.tests, "test event")}`;
  };
  let result;
  try {
    result = await consumer.run();
  } finally {
    clearInterval(progress);
    await (await deadLetterFile)?.close();
  }
  log(`${summary()}; ${plural(result.deleted, "message")} deleted, ${result.retried} released for another try, ${result.gaveUp} given up to the dead-letter queue, ${result.released} released on stop`);
  log(result.reason === "idle" ? `the queue ${queueName(queueUrl)} has been empty for ${extra.exitWhenIdle} s: exiting` : "stopped");
  if (ledger.records.deadLettered) log(`${plural(ledger.records.deadLettered, "dead letter")} in ${deadLetterPath}; fix the cause, then replay: bulk.ts ${deadLetterPath}`);
  return ledger.records.deadLettered || result.gaveUp ? 1 : 0;
});

/** The queue's redrive policy, which also proves the queue exists (a missing queue is a configuration error). */
async function queueRedrive(sqs: ReturnType<typeof sqsFrom>, queueUrl: string): Promise<{ dlq: string; maxReceiveCount: number } | undefined> {
  let attributes;
  try {
    attributes = await sqs.attributes(queueUrl, ["RedrivePolicy", "QueueArn"]);
  } catch (error) {
    if (/QueueDoesNotExist|NonExistentQueue/.test(String((error as { code?: string }).code))) throw new ConfigError([`CLOUDTRAIL_QUEUE_URL: no such queue ${queueUrl}`]);
    throw error;
  }
  if (!attributes.RedrivePolicy) return undefined;
  try {
    const policy = JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
    return { dlq: String(policy.deadLetterTargetArn ?? "?").split(":").pop()!, maxReceiveCount: Number(policy.maxReceiveCount) };
  } catch {
    return undefined;
  }
}

/** Waits for the engine (it may be restarting): network failures and 5xx are waited out; anything else is fatal. */
async function untilEngine<T>(prepare: () => Promise<T>, log: (line: string) => void, stopping: () => boolean): Promise<T | undefined> {
  let lastLog = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await prepare();
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (!/failed: |HTTP (5\d\d|429)\b/.test(text)) throw error;
      if (stopping()) return undefined;
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`waiting for the engine: ${text}`);
      }
      await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * 2 ** attempt)));
      if (stopping()) return undefined;
    }
  }
}

function num(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}
