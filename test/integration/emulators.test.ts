import { test } from "node:test";
import assert from "node:assert/strict";
import { S3 } from "../../lib/aws/s3.ts";
import { SQS } from "../../lib/aws/sqs.ts";
import { extraEngine, localStack, uniqueName } from "../support/stack.ts";

test("S3 event notifications reach an SQS queue in the local stack", async () => {
  const stack = await localStack();
  const s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  const sqs = new SQS({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  const bucket = uniqueName("notify");
  const queueUrl = await sqs.createQueue(uniqueName("events"));
  await s3.createBucket(bucket);
  await s3.notifyQueue(bucket, await sqs.queueArn(queueUrl));

  const key = "AWSLogs/123456789012/CloudTrail/us-east-1/2013/12/07/x.json.gz";
  await s3.put(bucket, key, "{}");

  const seen: string[] = [];
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !seen.includes(key)) {
    for (const message of await sqs.receive(queueUrl, { waitSeconds: 2 })) {
      const body = JSON.parse(message.body) as { Event?: string; Records?: { eventName: string; s3: { object: { key: string } } }[] };
      if (body.Event === "s3:TestEvent") continue; // sent once when the configuration is stored
      for (const record of body.Records ?? []) {
        assert.match(record.eventName, /^ObjectCreated:/);
        seen.push(decodeURIComponent(record.s3.object.key));
      }
      await sqs.delete(queueUrl, message.receiptHandle);
    }
  }
  assert.deepEqual(seen, [key]);
});

test("an engine with a tiny write queue answers a flood with real 429 rejections", async () => {
  const engine = await extraEngine({ "thread_pool.write.size": "1", "thread_pool.write.queue_size": "1" });
  try {
    const line = JSON.stringify({ message: "x".repeat(2000) });
    const body = Array.from({ length: 200 }, (_, i) => `{"index":{"_index":"flood-${i % 8}"}}\n${line}\n`).join("");
    const statuses = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const response = await fetch(`${engine.url}/_bulk`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body });
        const result = (await response.json()) as { items?: Record<string, { status: number }>[] };
        const items = (result.items ?? []).map((item) => Object.values(item)[0]!.status);
        return [response.status, ...items];
      }),
    );
    const all = statuses.flat();
    const rejected = all.filter((s) => s === 429).length;
    assert.ok(rejected > 0, `expected some 429s among ${all.length} statuses, saw ${JSON.stringify(countBy(all))}`);
    process.stderr.write(`# flood: ${JSON.stringify(countBy(all))}\n`);
  } finally {
    await engine.stop();
  }
});

function countBy(values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
