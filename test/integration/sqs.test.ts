/**
 * Our SQS client (JSON protocol over fetch, aws4fetch) against the AWS CLI (botocore) as the reference, on the
 * same LocalStack queue: what one sends the other receives, byte for byte; receive counts, visibility changes
 * and batch failures agree.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { SQS } from "../../lib/aws/sqs.ts";
import { localStack, uniqueName } from "../support/stack.ts";

test("messages and receive counts agree with the AWS CLI; a stale receipt handle is a per-entry failure", async () => {
  const stack = await localStack();
  const sqs = new SQS({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  const url = await sqs.createQueue(uniqueName("cli"));
  const cli = (...args: string[]) =>
    JSON.parse(execFileSync("aws", ["--endpoint-url", stack.aws, "--region", stack.region, "--output", "json", "sqs", ...args], {
      encoding: "utf8",
      env: { ...process.env, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" },
    }) || "{}");
  try {
    const bodies = ['{"Records":[{"s3":{"object":{"key":"a+b%3A.json.gz"}}}]}', "日本 😀 \" \\ \t", "x".repeat(10_000)];
    assert.deepEqual(await sqs.sendBatch(url, bodies.map((body, i) => ({ id: `e${i}`, body }))), []);
    const received = cli("receive-message", "--queue-url", url, "--max-number-of-messages", "10", "--attribute-names", "ApproximateReceiveCount", "--wait-time-seconds", "1") as { Messages: { Body: string; ReceiptHandle: string; Attributes: Record<string, string> }[] };
    assert.deepEqual(received.Messages.map((m) => m.Body).sort(), [...bodies].sort());
    // the CLI's handles work with our calls: release one at once, delete the others
    const [first, ...rest] = received.Messages;
    await sqs.changeVisibility(url, first!.ReceiptHandle, 0);
    assert.deepEqual(await sqs.deleteBatch(url, rest.map((m, i) => ({ id: String(i), receiptHandle: m.ReceiptHandle }))), []);
    const again = await sqs.receive(url, { waitSeconds: 1, visibilitySeconds: 30 });
    assert.deepEqual(again.map((m) => [m.body, m.receiveCount]), [[first!.Body, 2]]);
    const failed = await sqs.deleteBatch(url, [{ id: "ok", receiptHandle: again[0]!.receiptHandle }, { id: "stale", receiptHandle: "bogus" }]);
    assert.deepEqual(failed.map((f) => [f.id, f.code]), [["stale", "ReceiptHandleIsInvalid"]]);

    cli("send-message", "--queue-url", url, "--message-body", bodies[1]!);
    const fromCli = await sqs.receive(url, { waitSeconds: 1 });
    assert.deepEqual(fromCli.map((m) => [m.body, m.receiveCount]), [[bodies[1], 1]]);
    assert.ok(fromCli[0]!.sentAt > Date.now() - 60_000, "SentTimestamp read");
    const attributes = cli("get-queue-attributes", "--queue-url", url, "--attribute-names", "All") as { Attributes: Record<string, string> };
    assert.equal(await sqs.queueArn(url), attributes.Attributes.QueueArn);
  } finally {
    await sqs.deleteQueue(url);
  }
});

test("a missing queue is an SQSError with the service's code", async () => {
  const stack = await localStack();
  const sqs = new SQS({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  assert.equal(await sqs.queueUrl(uniqueName("none")), undefined);
  await assert.rejects(sqs.attributes(`${stack.aws}/queue/us-east-1/000000000000/${uniqueName("none")}`), /QueueDoesNotExist|NonExistentQueue/);
});
