/** The queue settings: CLOUDTRAIL_QUEUE_URL / --queue-url and AWS_ENDPOINT_URL_SQS / --sqs-endpoint-url, checked like the others. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { queueName, queueRegion } from "../../../lib/aws/sqs.ts";
import { ConfigError, readConfig } from "../../../lib/config.ts";

test("from the environment, the flag winning; not URLs are configuration errors", () => {
  const { values } = readConfig(["queueUrl", "sqsEndpoint"], ["--queue-url", "https://sqs.eu-west-1.amazonaws.com/123456789012/b"], {
    CLOUDTRAIL_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/a",
    AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:4566",
  });
  assert.equal(values.queueUrl, "https://sqs.eu-west-1.amazonaws.com/123456789012/b");
  assert.equal(values.sqsEndpoint, "http://127.0.0.1:4566");
  assert.throws(() => readConfig(["queueUrl", "sqsEndpoint"], [], { CLOUDTRAIL_QUEUE_URL: "trail-events", AWS_ENDPOINT_URL_SQS: "ftp://x" }), (e: unknown) =>
    e instanceof ConfigError && e.problems.length === 2 && /CLOUDTRAIL_QUEUE_URL must be an http\(s\) URL/.test(e.problems.join()) && /AWS_ENDPOINT_URL_SQS/.test(e.problems.join()));
});

test("an AWS queue URL names the region its requests go to; others name none", () => {
  assert.equal(queueRegion("https://sqs.eu-west-1.amazonaws.com/123456789012/trail"), "eu-west-1");
  assert.equal(queueRegion("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/trail"), "cn-north-1");
  assert.equal(queueRegion("https://eu-west-1.queue.amazonaws.com/123456789012/trail"), "eu-west-1");
  assert.equal(queueRegion("http://127.0.0.1:4566/queue/us-east-1/000000000000/trail"), undefined);
  assert.equal(queueRegion("not a url"), undefined);
  assert.equal(queueName("http://127.0.0.1:4566/queue/us-east-1/000000000000/trail"), "trail");
});
