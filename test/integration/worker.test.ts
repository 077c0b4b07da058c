/**
 * Continuous ingestion on the real local stack (LocalStack's S3 and SQS, the real engine): setup.ts, worker.ts
 * and enqueue.ts as a user runs them.
 *
 * - setup: a dry run changes nothing, a run creates everything, a second run changes nothing;
 * - S3 notifications → worker: every record lands, with exactly the ids `ingest` gives; digest and Insight
 *   files are skipped; the queue and the dead-letter queue end empty;
 * - duplicate delivery: every object enqueued twice, two workers (one under Deno) at once: the same documents;
 * - every message shape through the real queue (SNS-wrapped, CloudTrail's SNS list, EventBridge with an
 *   unencoded key), keys with spaces and plus signs;
 * - a poison object (corrupt gzip) and an unknown message go to the dead-letter queue after the redrive count,
 *   the log names the object and the cause, every other object is indexed, exit 1;
 * - SIGTERM while a message is held: released at once (visibility 0), exit 0, another worker finishes it.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { S3 } from "../../lib/aws/s3.ts";
import { S3Buckets } from "../../lib/aws/s3-bucket.ts";
import { encodeKey } from "../../lib/queue/keys.ts";
import { simulatedCloudTrail } from "../../fixtures/simulate.ts";
import { localStack, repoRoot, uniqueName, type TestStack } from "../support/stack.ts";
import { allDocuments, countDocuments, runScript } from "../support/run.ts";
import { setUpQueue, stackEnv, startWorker } from "../support/workers.ts";

const DEMO = join(repoRoot, "fixtures", "demo-bucket");
const manifest = JSON.parse(readFileSync(join(repoRoot, "fixtures", "demo-bucket.manifest.json"), "utf8")) as { records: number; files: number; objects: { key: string; records: number }[] };
const demoFiles = (readdirSync(DEMO, { recursive: true }) as string[]).filter((f) => f.endsWith(".json.gz")).sort();
const DIGEST = "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2013/12/07/123456789012_CloudTrail-Digest_us-east-1_trail_us-east-1_20131207T060000Z.json.gz";
const INSIGHT = "AWSLogs/123456789012/CloudTrail-Insight/us-east-1/2013/12/07/123456789012_CloudTrail-Insight_us-east-1_20131207T0600Z_abcdefgh.json.gz";

let stack: TestStack;
let s3: S3;
/** The demo day with S3 notifications to a queue set up by setup.ts; its ids as ingest.ts gives them. */
let demoBucket: string;
let ingestIds: string[];

async function putDemo(bucket: string, files = demoFiles): Promise<void> {
  for (let i = 0; i < files.length; i += 16) {
    await Promise.all(files.slice(i, i + 16).map((f) => s3.put(bucket, relative(DEMO, join(DEMO, f)), readFileSync(join(DEMO, f)), { "content-encoding": "gzip" })));
  }
}

const idsOf = async (prefix: string) => [...(await allDocuments(stack.search, `${prefix}-*`)).keys()].sort();
const totals = (output: string) => {
  const m = /(\d[\d,]*) records?: (\d[\d,]*) indexed, (\d[\d,]*) duplicates, (\d[\d,]*) dead-lettered/.exec(output);
  const n = (s: string) => Number(s.replaceAll(",", ""));
  return m ? { read: n(m[1]!), indexed: n(m[2]!), duplicates: n(m[3]!), deadLettered: n(m[4]!) } : undefined;
};

before(async () => {
  stack = await localStack();
  s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  demoBucket = uniqueName("worker-demo");
  await s3.createBucket(demoBucket);
  await putDemo(demoBucket);
  const prefix = uniqueName("ingest-ref");
  const ingest = await runScript("ingest.ts", ["--bucket", demoBucket, "--date", "2013-12-07"], stackEnv(stack, { INDEX_PREFIX: prefix }));
  assert.equal(ingest.code, 0, ingest.stderr);
  ingestIds = await idsOf(prefix);
  assert.equal(ingestIds.length, manifest.records);
});

describe("setup.ts", () => {
  test("a dry run makes no change; a run sets everything up; a second run changes nothing", async () => {
    const bucket = uniqueName("setup");
    const queue = uniqueName("setup-q");
    const dry = await runScript("setup.ts", ["--bucket", bucket, "--queue", queue, "--dry-run"], stackEnv(stack));
    assert.equal(dry.code, 0, dry.stderr);
    for (const call of ["s3 CreateBucket", "sqs CreateQueue", "sqs SetQueueAttributes", "s3 PutBucketPolicy", "s3 PutBucketNotificationConfiguration"]) {
      assert.match(dry.stderr, new RegExp(`would call ${call} `), call);
    }
    const probe = await setUpQueue(stack, uniqueName("probe"), uniqueName("probe-q")); // an SQS client, and proof the stack works
    assert.equal(await probe.sqs.queueUrl(queue), undefined, "the dry run created no queue");
    assert.equal(await new S3Buckets({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws }).exists(bucket), false, "the dry run created no bucket");

    const first = await setUpQueue(stack, bucket, queue, ["--max-receive-count", "3"]);
    assert.match(first.stderr, /done: 6 changes/);
    const attributes = await first.sqs.attributes(first.url, ["All"]);
    assert.deepEqual(JSON.parse(attributes.RedrivePolicy!), { deadLetterTargetArn: await first.sqs.queueArn(first.dlqUrl), maxReceiveCount: 3 });
    assert.match(attributes.Policy!, /"aws:SourceArn":"arn:aws:s3:::[^"]+"/);

    const second = await runScript("setup.ts", ["--bucket", bucket, "--queue", queue, "--max-receive-count", "3"], stackEnv(stack));
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /nothing to change: everything was set up already/);
    assert.doesNotMatch(second.stderr, /→ done/);
    assert.equal(second.stdout.trim().split("\n").at(-1), `CLOUDTRAIL_QUEUE_URL=${first.url}`);
  });

  test("bad settings exit 2 naming them", async () => {
    const result = await runScript("setup.ts", ["--bucket", "Bad_Bucket!", "--queue", "a b"], stackEnv(stack));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /CLOUDTRAIL_BUCKET must be/);
    assert.match(result.stderr, /--queue must be/);
  });
});

describe("enqueue.ts --checkpoint", () => {
  test("today's folder (UTC) is not marked done: a re-run enqueues what was delivered since (hostile review)", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const [y, m, d] = today.split("-");
    const bucket = uniqueName("ckpt");
    const queue = await setUpQueue(stack, bucket, uniqueName("ckpt-q"));
    await queue.sqs.purge(queue.url);
    const key = (hhmm: string, id: string) => `AWSLogs/123456789012/CloudTrail/us-east-1/${y}/${m}/${d}/123456789012_CloudTrail_us-east-1_${y}${m}${d}T${hhmm}Z_${id}.json.gz`;
    await s3.put(bucket, key("0005", "aaaaaaaaaaaaaaaa"), "{}");
    const dir = mkdtempSync(join(tmpdir(), "trailpost-ckpt-"));
    try {
      const done = join(dir, "done");
      const enqueue = () => runScript("enqueue.ts", ["--bucket", bucket, "--date", today, "--checkpoint", done], stackEnv(stack, { CLOUDTRAIL_QUEUE_URL: queue.url }));
      const first = await enqueue();
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /1 log object → .*; 1 folder not marked done: its day is not over/);
      assert.equal(readFileSync(done, "utf8"), "", "today's folder is not in the checkpoint");
      await s3.put(bucket, key("0010", "bbbbbbbbbbbbbbbb"), "{}"); // delivered later that day
      const second = await enqueue();
      assert.match(second.stderr, /2 log objects → .*0 folders done before/, "the later object is enqueued on the re-run");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("worker.ts", () => {
  test("S3 notifications → every record indexed with ingest's ids; digest and Insight skipped; queue and DLQ empty", async () => {
    const bucket = uniqueName("worker-live");
    const queue = await setUpQueue(stack, bucket, uniqueName("live-q"));
    await putDemo(bucket);
    await s3.put(bucket, DIGEST, "{}");
    await s3.put(bucket, INSIGHT, "{}");
    const prefix = uniqueName("live");
    const worker = startWorker(["--exit-when-idle", "3", "--concurrency", "4"], stackEnv(stack, { CLOUDTRAIL_QUEUE_URL: queue.url, INDEX_PREFIX: prefix }));
    assert.equal(await worker.exit, 0, worker.output());
    assert.deepEqual(totals(worker.output()), { read: manifest.records, indexed: manifest.records, duplicates: 0, deadLettered: 0 });
    assert.match(worker.output(), /84 objects indexed .* skipped 1 digest, 1 insight, 0 other/);
    assert.match(worker.output(), /deleting s3:TestEvent message/);
    assert.deepEqual(await idsOf(prefix), ingestIds, "the same documents as ingest.ts");
    assert.deepEqual(await queue.depths(), { queue: 0, dlq: 0 });
  });

  test("duplicate delivery: every object enqueued twice, two workers at once (one under Deno): the same documents", async () => {
    const queue = await setUpQueue(stack, uniqueName("dup"), uniqueName("dup-q"));
    await queue.sqs.purge(queue.url);
    const prefix = uniqueName("dup");
    const dir = mkdtempSync(join(tmpdir(), "trailpost-enqueue-"));
    const enqueue = (args: string[]) => runScript("enqueue.ts", ["--bucket", demoBucket, "--date", "2013-12-07", ...args], stackEnv(stack, { CLOUDTRAIL_QUEUE_URL: queue.url }));
    const first = await enqueue(["--checkpoint", join(dir, "done")]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /84 log objects → .* in 9 batches/);
    const again = await enqueue([]);
    assert.match(again.stderr, /84 log objects/, "re-running sends again: harmless");
    const resumed = await enqueue(["--checkpoint", join(dir, "done")]);
    assert.match(resumed.stderr, /0 log objects .* 1 folder done before/, "with the checkpoint, finished folders are skipped");

    const env = stackEnv(stack, { CLOUDTRAIL_QUEUE_URL: queue.url, INDEX_PREFIX: prefix });
    const workers = [startWorker(["--exit-when-idle", "3", "--concurrency", "4"], env), startWorker(["--exit-when-idle", "3", "--concurrency", "4"], env, { runtime: "deno" })];
    const codes = await Promise.all(workers.map((w) => w.exit));
    assert.deepEqual(codes, [0, 0], workers.map((w) => w.output()).join("\n"));
    const [a, b] = workers.map((w) => totals(w.output())!);
    assert.equal(a!.read + b!.read, 2 * manifest.records, "every message was processed");
    assert.equal(a!.indexed + b!.indexed, manifest.records, "each record indexed once");
    assert.equal(a!.duplicates + b!.duplicates, manifest.records, "the second delivery counted as duplicates");
    assert.deepEqual(await idsOf(prefix), ingestIds);
    assert.deepEqual(await queue.depths(), { queue: 0, dlq: 0 });
  });

  test("every message shape through the real queue; keys with spaces and plus signs; EventBridge's unencoded key", async () => {
    const bucket = uniqueName("shapes");
    await s3.createBucket(bucket);
    const queue = await setUpQueue(stack, uniqueName("shapes-other"), uniqueName("shapes-q"));
    await queue.sqs.purge(queue.url);
    const objects = [...take(simulatedCloudTrail({ accounts: ["444455556666"], regions: ["eu-west-1"], startDate: "2024-03-04", prefix: "my trail+logs", seed: 3 }), 5)];
    for (const o of objects) await s3.put(bucket, o.key, o.body, { "content-encoding": "gzip" });
    const s3Event = (key: string) => JSON.stringify({ Records: [{ eventVersion: "2.1", eventSource: "aws:s3", eventName: "ObjectCreated:Put", eventTime: "2024-03-04T00:05:00Z", s3: { bucket: { name: bucket }, object: { key: encodeKey(key) } } }] });
    const snsWrap = (message: string) => JSON.stringify({ Type: "Notification", MessageId: "m", TopicArn: "arn:aws:sns:us-east-1:000000000000:t", Message: message, Timestamp: "2024-03-04T00:05:00Z" });
    const bodies = [
      s3Event(objects[0]!.key),
      snsWrap(s3Event(objects[1]!.key)),
      JSON.stringify({ s3Bucket: bucket, s3ObjectKey: [objects[2]!.key, objects[3]!.key] }),
      JSON.stringify({ version: "0", "detail-type": "Object Created", source: "aws.s3", time: "2024-03-04T00:05:00Z", detail: { bucket: { name: bucket }, object: { key: objects[4]!.key } } }),
      JSON.stringify({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: bucket }),
    ];
    assert.deepEqual(await queue.sqs.sendBatch(queue.url, bodies.map((body, i) => ({ id: String(i), body }))), []);
    const prefix = uniqueName("shapes");
    const worker = startWorker(["--exit-when-idle", "3"], stackEnv(stack, { CLOUDTRAIL_QUEUE_URL: queue.url, INDEX_PREFIX: prefix }));
    assert.equal(await worker.exit, 0, worker.output());
    assert.deepEqual(await idsOf(prefix), objects.flatMap((o) => o.eventIds).sort());
    assert.deepEqual(await queue.depths(), { queue: 0, dlq: 0 });
  });

  test("a poison object and an unknown message go to the dead-letter queue after the redrive count; the log names the object and cause; the rest is indexed", async () => {
    const bucket = uniqueName("poison");
    const queue = await setUpQueue(stack, bucket, uniqueName("poison-q"), ["--max-receive-count", "2"]);
    const good = demoFiles.slice(0, 5);
    await putDemo(bucket, good);
    const poisonKey = "AWSLogs/123456789012/CloudTrail/us-east-1/2013/12/07/123456789012_CloudTrail_us-east-1_20131207T2355Z_poisonpoisonpois.json.gz";
    const whole = readFileSync(join(DEMO, demoFiles[0]!));
    await s3.put(bucket, poisonKey, whole.subarray(0, Math.floor(whole.length / 2)), { "content-encoding": "gzip" });
    await queue.sqs.send(queue.url, '{"hello":"world"}');
    const prefix = uniqueName("poison");
    const worker = startWorker(["--exit-when-idle", "3", "--retry-delay", "0", "--wait-seconds", "1"], stackEnv(stack, { CLOUDTRAIL_QUEUE_URL: queue.url, INDEX_PREFIX: prefix }));
    assert.equal(await worker.exit, 1, worker.output());
    const output = worker.output();
    assert.match(output, new RegExp(`GIVING UP message \\S+ after 2 receives: s3://${bucket}/${poisonKey}: corrupt or truncated gzip`));
    assert.match(output, /GIVING UP message \S+ after 2 receives: unrecognised message: not an S3, SNS, CloudTrail or EventBridge notification/);
    const expected = good.reduce((n, f) => n + manifest.objects.find((o) => o.key === f)!.records, 0);
    assert.equal(await countDocuments(stack.search, `${prefix}-*`), expected);
    assert.deepEqual(await queue.depths(), { queue: 0, dlq: 2 });
    const dead = await queue.sqs.receive(queue.dlqUrl, { max: 10, waitSeconds: 1 });
    assert.ok(dead.some((m) => m.body.includes(encodeKey(poisonKey))), "the poison object's notification rests in the DLQ");
  });

  test("SIGTERM while a message is held: released at once (visibility 0), exit 0; another worker finishes it", async () => {
    const bucket = uniqueName("sigterm");
    const queue = await setUpQueue(stack, bucket, uniqueName("sigterm-q"));
    await queue.sqs.purge(queue.url);
    const file = demoFiles[1]!;
    await putDemo(bucket, [file]);
    const proxy = await holdingProxy(stack.search);
    const prefix = uniqueName("sigterm");
    try {
      const worker = startWorker(["--drain-seconds", "2", "--visibility-timeout", "600", "--wait-seconds", "5"], stackEnv(stack, { CLOUDTRAIL_QUEUE_URL: queue.url, INDEX_PREFIX: prefix, ES_URL: proxy.url }));
      await proxy.bulkHeld;
      const signalled = Date.now();
      worker.child.kill("SIGTERM");
      assert.equal(await worker.exit, 0, worker.output());
      assert.ok(Date.now() - signalled < 15_000, `exited ${Date.now() - signalled} ms after SIGTERM`);
      assert.match(worker.output(), /SIGTERM: finishing what is held/);
      assert.match(worker.output(), /releasing 1 message still being processed \(visibility 0\)/);
      const handedOver = Date.now();
      const next = startWorker(["--exit-when-idle", "2", "--wait-seconds", "1"], stackEnv(stack, { CLOUDTRAIL_QUEUE_URL: queue.url, INDEX_PREFIX: prefix }));
      assert.equal(await next.exit, 0, next.output());
      assert.ok(Date.now() - handedOver < 60_000, `the released message was taken at once, not after its 600 s visibility timeout (${Date.now() - handedOver} ms)`);
      assert.equal(await countDocuments(stack.search, `${prefix}-*`), manifest.objects.find((o) => o.key === file)!.records);
      assert.deepEqual(await queue.depths(), { queue: 0, dlq: 0 });
    } finally {
      await proxy.close();
    }
  });
});

describe("worker.ts and a cluster that refuses the credentials", () => {
  test("401 on _bulk (an expired API key): the messages are held, nothing is dead-lettered; with the right cluster they land", async () => {
    const bucket = uniqueName("refused");
    const queue = await setUpQueue(stack, bucket, uniqueName("refused-q"));
    await queue.sqs.purge(queue.url);
    const files = demoFiles.slice(0, 3);
    await putDemo(bucket, files);
    const proxy = await refusingProxy(stack.search);
    const prefix = uniqueName("refused");
    const deadLetters = join(mkdtempSync(join(tmpdir(), "trailpost-refused-")), "dead.ndjson");
    try {
      const worker = startWorker(["--wait-seconds", "1", "--retry-delay", "0"], stackEnv(stack, { CLOUDTRAIL_QUEUE_URL: queue.url, INDEX_PREFIX: prefix, ES_URL: proxy.url, DEAD_LETTER_FILE: deadLetters, BULK_RETRIES: "0" }));
      await proxy.refused;
      await new Promise((r) => setTimeout(r, 3000));
      worker.child.kill("SIGTERM");
      await worker.exit;
      assert.deepEqual(readdirSync(join(deadLetters, "..")), [], `nothing dead-lettered:\n${worker.output()}`);
      assert.equal((await queue.depths()).queue, files.length, "every message is still in the queue");
      assert.equal((await queue.depths()).dlq, 0);
    } finally {
      await proxy.close();
    }
    const next = startWorker(["--exit-when-idle", "2", "--wait-seconds", "1"], stackEnv(stack, { CLOUDTRAIL_QUEUE_URL: queue.url, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: deadLetters }));
    assert.equal(await next.exit, 0, next.output());
    const expected = files.reduce((n, f) => n + manifest.objects.find((o) => o.key === f)!.records, 0);
    assert.equal(await countDocuments(stack.search, `${prefix}-*`), expected);
    assert.deepEqual(await queue.depths(), { queue: 0, dlq: 0 });
  });
});

describe("scripts/lambda.ts", () => {
  test("an SQS event's messages are indexed; the ones not done are batchItemFailures", async () => {
    const prefix = uniqueName("lambda");
    const settings = stackEnv(stack, { INDEX_PREFIX: prefix });
    const saved = { ...process.env };
    for (const [k, v] of Object.entries(settings)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    try {
      const { handler } = await import("../../scripts/lambda.ts");
      const files = demoFiles.slice(0, 6);
      const event = (key: string) => JSON.stringify({ Records: [{ eventVersion: "2.1", eventSource: "aws:s3", eventName: "ObjectCreated:Put", s3: { bucket: { name: demoBucket }, object: { key: encodeKey(key) } } }] });
      const result = await handler({
        Records: [
          ...files.map((f, i) => ({ messageId: `ok-${i}`, body: event(f) })),
          { messageId: "test", body: JSON.stringify({ Service: "Amazon S3", Event: "s3:TestEvent" }) },
          { messageId: "unknown", body: '{"hello":"world"}' },
          { messageId: "missing", body: event(files[0]!.replace(".json.gz", "-gone.json.gz")) },
        ],
      });
      assert.deepEqual(result, { batchItemFailures: [{ itemIdentifier: "unknown" }, { itemIdentifier: "missing" }] });
      const expected = ingestIds.filter(Boolean);
      const got = await idsOf(prefix);
      assert.equal(got.length, files.reduce((n, f) => n + manifest.objects.find((o) => o.key === f)!.records, 0));
      assert.ok(got.every((id) => expected.includes(id)), "the ids ingest gives");
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

/** The engine behind a proxy that never answers a _bulk request (a stalled network), to hold a message in flight. */
/** The cluster behind a proxy that answers every _bulk with 401, as a cluster does to an expired API key. */
async function refusingProxy(target: string): Promise<{ url: string; refused: Promise<void>; close: () => Promise<void> }> {
  let refused: () => void = () => {};
  const first = new Promise<void>((resolve) => (refused = resolve));
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url?.startsWith("/_bulk")) {
      refused();
      res.writeHead(401, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ error: { type: "security_exception", reason: "unable to authenticate with provided credentials" }, status: 401 }));
    }
    const response = await fetch(`${target}${req.url}`, { method: req.method, headers: { "content-type": req.headers["content-type"] ?? "application/json" }, body: chunks.length ? Buffer.concat(chunks) : undefined });
    res.writeHead(response.status, { "content-type": response.headers.get("content-type") ?? "application/json" });
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    refused: first,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function holdingProxy(target: string): Promise<{ url: string; bulkHeld: Promise<void>; close: () => Promise<void> }> {
  let held: () => void = () => {};
  const bulkHeld = new Promise<void>((resolve) => (held = resolve));
  const server: Server = createServer(async (req, res) => {
    if (req.url?.startsWith("/_bulk")) return void held(); // never answered
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const response = await fetch(`${target}${req.url}`, { method: req.method, headers: { "content-type": req.headers["content-type"] ?? "application/json" }, body: chunks.length ? Buffer.concat(chunks) : undefined });
    res.writeHead(response.status, { "content-type": response.headers.get("content-type") ?? "application/json" });
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bulkHeld,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function* take<T>(items: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const item of items) {
    yield item;
    if (--n <= 0) return;
  }
}
