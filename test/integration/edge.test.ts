/**
 * The edge handler under `deno serve`, on the local stack, with LocalStack's SNS delivering to it: the bucket
 * notifies an SNS topic, SNS pushes to the handler over HTTP, the handler confirms the subscription, verifies
 * every signature (LocalStack's signing certificate trusted only because SNS_LOCAL_CERT_ORIGIN says so) and
 * indexes the objects with the ids ingest gives. Forged messages, other topics and certificates from anywhere
 * else are refused, and nothing is fetched from an untrusted certificate URL.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { S3 } from "../../lib/aws/s3.ts";
import { S3Buckets } from "../../lib/aws/s3-bucket.ts";
import { SNS } from "../../lib/aws/sns.ts";
import { RecordIds } from "../../lib/search/ids.ts";
import { localStack, repoRoot, uniqueName, type TestStack } from "../support/stack.ts";
import { allDocuments } from "../support/run.ts";
import { stackEnv } from "../support/workers.ts";

const DEMO = join(repoRoot, "fixtures", "demo-bucket");
let stack: TestStack;
let sns: SNS;
let server: { child: ChildProcess; url: string; output: () => string; waitFor: (re: RegExp, ms?: number) => Promise<void> };
let topic: string;
const prefix = uniqueName("edge");

before(async () => {
  stack = await localStack();
  sns = new SNS({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  topic = await sns.createTopic(uniqueName("edge-topic"));
  server = await serve("deno", { INDEX_PREFIX: prefix, SNS_LOCAL_CERT_ORIGIN: stack.aws, SNS_TOPIC_ARNS: topic });
});

after(() => {
  server?.child.kill("SIGTERM");
});

test("deno serve: S3 → SNS → the handler; subscription confirmed, signatures verified, every record indexed with ingest's ids", async () => {
  const bucket = uniqueName("edge");
  const s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  await s3.createBucket(bucket);
  await new S3Buckets({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws }).putNotification(
    bucket,
    `<NotificationConfiguration><TopicConfiguration><Id>trailpost</Id><Topic>${topic}</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration></NotificationConfiguration>`,
  );
  const subscription = await sns.subscribe(topic, "http", `${server.url}/`);
  await server.waitFor(/confirmed the subscription to arn:aws:sns/);
  assert.equal((await sns.subscriptionAttributes(subscription)).PendingConfirmation, "false", "confirmed");

  const files = (readdirSync(DEMO, { recursive: true }) as string[]).filter((f) => f.endsWith(".json.gz")).sort().slice(0, 12);
  const expected: string[] = [];
  for (const file of files) {
    const body = readFileSync(join(DEMO, file));
    await s3.put(bucket, file, body, { "content-encoding": "gzip" });
    const ids = new RecordIds();
    for (const r of recordsOf(gunzipSync(body).toString("utf8"))) expected.push(await ids.idOf(r.text, r.value, `s3://${bucket}/${file}`));
  }
  let found: string[] = [];
  for (let i = 0; i < 120 && found.length < expected.length; i++) {
    await new Promise((r) => setTimeout(r, 500));
    found = [...(await allDocuments(stack.search, `${prefix}-*`)).keys()];
  }
  assert.deepEqual(found.sort(), expected.sort(), server.output());
  assert.equal((server.output().match(/objects?, \d+ records accounted for/g) ?? []).length, files.length);
});

test("refused: a forged signature, a certificate from anywhere but SNS (never fetched), a topic not accepted", async () => {
  let certificateFetches = 0;
  const elsewhere = createServer((_req, res) => {
    certificateFetches++;
    res.end("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
  });
  await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
  const port = (elsewhere.address() as { port: number }).port;
  try {
    const message = {
      Type: "Notification", MessageId: "forged-1", TopicArn: topic, Timestamp: new Date().toISOString(), SignatureVersion: "1",
      Message: JSON.stringify({ Records: [{ eventVersion: "2.1", eventSource: "aws:s3", eventName: "ObjectCreated:Put", s3: { bucket: { name: "victim" }, object: { key: "AWSLogs/1/x.json.gz" } } }] }),
      Signature: Buffer.from("not a signature").toString("base64"),
      SigningCertURL: `${stack.aws}/_aws/sns/SimpleNotificationService-6c6f63616c737461636b69736e696365.pem`,
    };
    const post = (body: unknown) => fetch(`${server.url}/`, { method: "POST", headers: { "content-type": "text/plain", "x-amz-sns-message-type": "Notification" }, body: JSON.stringify(body) });
    const forged = await post(message);
    assert.equal(forged.status, 403);
    assert.match(await forged.text(), /signature does not match/);
    for (const url of [`http://127.0.0.1:${port}/SimpleNotificationService-x.pem`, `https://sns.us-east-1.amazonaws.com.127.0.0.1.nip.io:${port}/x.pem`, "https://evil.example/sns.us-east-1.amazonaws.com/x.pem"]) {
      const answer = await post({ ...message, SigningCertURL: url });
      assert.equal(answer.status, 403, url);
      assert.match(await answer.text(), /not an Amazon SNS certificate URL/);
    }
    assert.equal(certificateFetches, 0, "no untrusted certificate URL was fetched");
    assert.equal((await post({ ...message, TopicArn: "arn:aws:sns:us-east-1:000000000000:other" })).status, 403);
    assert.equal((await fetch(`${server.url}/`, { method: "POST", body: "{" })).status, 400);
    assert.equal((await fetch(`${server.url}/`, { method: "PUT", body: "{}" })).status, 405);
    assert.equal((await fetch(`${server.url}/`, { method: "POST", body: "x".repeat(400_000) })).status, 413);

    // a real, LocalStack-signed subscription confirmation from a topic that is not accepted
    const other = await sns.createTopic(uniqueName("edge-other"));
    const subscription = await sns.subscribe(other, "http", `${server.url}/`);
    await server.waitFor(/refused a message \(topic \S+ is not one this endpoint accepts\)/);
    assert.equal((await sns.subscriptionAttributes(subscription)).PendingConfirmation, "true", "not confirmed");
  } finally {
    elsewhere.close();
  }
});

test("the same handler under Node (node:http): health, and refusals", async () => {
  const node = await serve("node", { INDEX_PREFIX: prefix, SNS_TOPIC_ARNS: topic });
  try {
    assert.equal((await fetch(`${node.url}/`)).status, 200);
    const answer = await fetch(`${node.url}/`, { method: "POST", body: JSON.stringify({ Type: "Notification", TopicArn: topic, SignatureVersion: "1", SigningCertURL: `${stack.aws}/_aws/sns/x.pem` }) });
    assert.equal(answer.status, 403, "LocalStack's certificate is not trusted without SNS_LOCAL_CERT_ORIGIN");
  } finally {
    node.child.kill("SIGTERM");
  }
});

/**
 * scripts/edge.ts under `deno serve`, or under Node with `--port 0` (the system picks the port, and the log line
 * must name the one bound); resolves once it listens.
 */
async function serve(runtime: "deno" | "node", extra: Record<string, string>): Promise<typeof server> {
  let port = runtime === "deno" ? await freePort() : 0;
  const script = join(repoRoot, "scripts", "edge.ts");
  const [command, args] = runtime === "deno"
    ? [join(repoRoot, "node_modules", ".bin", "deno"), ["serve", "-A", "--host", "127.0.0.1", "--port", String(port), script]]
    : [process.execPath, ["--import", import.meta.resolve("tsx"), script, "--port", "0"]];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...stackEnv(stack), ...extra })) if (v !== undefined) env[k] = v;
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d));
  child.stderr!.on("data", (d: Buffer) => (output += d));
  const waitFor = async (re: RegExp, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!re.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`edge output did not match ${re}:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitFor(/[Ll]istening on http:\/\/127\.0\.0\.1/);
  if (runtime === "node") {
    port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+) /.exec(output)?.[1]);
    assert.ok(port > 0, `edge --port 0 names the port it bound: ${output}`);
  }
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, waitFor };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A log file's records, each with its text and value (the fixtures hold no number a double would round). */
function recordsOf(json: string): { text: string; value: unknown }[] {
  return (JSON.parse(json) as { Records: unknown[] }).Records.map((value) => ({ text: JSON.stringify(value), value }));
}
