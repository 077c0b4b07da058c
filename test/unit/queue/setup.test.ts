/**
 * What setup.ts writes, merged into what is there: nothing else in a bucket policy, queue policy or notification
 * configuration is touched, and a second merge changes nothing (that is what makes setup idempotent).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  cloudTrailStatements,
  logNotification,
  mergeQueueNotification,
  mergeStatements,
  parseArn,
  queuePolicyStatement,
  redrivePolicy,
  sameRedrive,
} from "../../../lib/queue/setup.ts";

const QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:trail-events";

describe("policies", () => {
  test("CloudTrail's statements: the bucket ACL, and PutObject under [prefix/]AWSLogs/<account>/ (and the org's) with bucket-owner-full-control", () => {
    const [acl, write] = cloudTrailStatements({ bucket: "trail", prefix: "/logs/", account: "123456789012", partition: "aws", orgId: "o-exampleorgid" });
    assert.equal(acl!.Action, "s3:GetBucketAcl");
    assert.equal(acl!.Resource, "arn:aws:s3:::trail");
    assert.deepEqual(write!.Resource, ["arn:aws:s3:::trail/logs/AWSLogs/123456789012/*", "arn:aws:s3:::trail/logs/AWSLogs/o-exampleorgid/*"]);
    assert.equal(write!.Condition?.StringEquals?.["s3:x-amz-acl"], "bucket-owner-full-control");
    assert.deepEqual(cloudTrailStatements({ bucket: "t", account: "1", partition: "aws-cn" })[1]!.Resource, "arn:aws-cn:s3:::t/AWSLogs/1/*");
  });

  test("a new policy; then the same merge again changes nothing", () => {
    const wanted = [queuePolicyStatement({ queueArn: QUEUE_ARN, bucket: "trail", account: "123456789012", partition: "aws" })];
    const first = mergeStatements(undefined, wanted);
    assert.equal(first.changed, true);
    const second = mergeStatements(first.policy, wanted);
    assert.equal(second.changed, false);
    assert.equal(second.policy, first.policy);
    // key order and a single (non-array) Statement do not matter
    const reversed = Object.fromEntries(Object.entries(wanted[0]!).reverse());
    const reordered = JSON.stringify({ Statement: reversed, Version: "2012-10-17" });
    assert.equal(mergeStatements(reordered, wanted).changed, false);
  });

  test("other statements are kept as they are; ours is replaced by Sid when it differs", () => {
    const other = { Sid: "DenyInsecure", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "arn:aws:s3:::trail/*", Condition: { Bool: { "aws:SecureTransport": "false" } } };
    const stale = { ...queuePolicyStatement({ queueArn: QUEUE_ARN, bucket: "old-bucket", account: "123456789012", partition: "aws" }) };
    const existing = JSON.stringify({ Version: "2012-10-17", Id: "mine", Statement: [other, stale] });
    const merged = mergeStatements(existing, [queuePolicyStatement({ queueArn: QUEUE_ARN, bucket: "trail", account: "123456789012", partition: "aws" })]);
    assert.equal(merged.changed, true);
    const doc = JSON.parse(merged.policy);
    assert.equal(doc.Id, "mine");
    assert.deepEqual(doc.Statement[0], other);
    assert.equal(doc.Statement.length, 2);
    assert.equal(doc.Statement[1].Condition.ArnLike["aws:SourceArn"], "arn:aws:s3:::trail");
  });

  test("a bucket CloudTrail can already write to (a console-made trail's policy) gets no second grant", () => {
    const console = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Sid: "AWSCloudTrailAclCheck20150319", Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "s3:GetBucketAcl", Resource: "arn:aws:s3:::trail" },
        { Sid: "AWSCloudTrailWrite20150319", Effect: "Allow", Principal: { Service: ["cloudtrail.amazonaws.com"] }, Action: ["s3:PutObject"], Resource: "arn:aws:s3:::trail/AWSLogs/123456789012/*" },
      ],
    });
    assert.equal(mergeStatements(console, cloudTrailStatements({ bucket: "trail", account: "123456789012", partition: "aws" })).changed, false);
  });

  test("redrive policies compare by value, the count as SQS may give it back (a string)", () => {
    const policy = redrivePolicy(QUEUE_ARN, 5);
    assert.equal(sameRedrive(policy, policy), true);
    assert.equal(sameRedrive(`{"maxReceiveCount":"5","deadLetterTargetArn":"${QUEUE_ARN}"}`, policy), true);
    assert.equal(sameRedrive(redrivePolicy(QUEUE_ARN, 3), policy), false);
    assert.equal(sameRedrive(undefined, policy), false);
  });

  test("ARNs", () => {
    assert.deepEqual(parseArn(QUEUE_ARN), { partition: "aws", service: "sqs", region: "eu-west-1", account: "123456789012", resource: "trail-events" });
    assert.throws(() => parseArn("not-an-arn"), /not an ARN/);
  });
});

describe("the bucket's notification configuration", () => {
  const wanted = logNotification(QUEUE_ARN, "logs");

  test("into an empty configuration (as S3 answers it), then unchanged on the second merge", () => {
    const empty = '<?xml version="1.0" encoding="UTF-8"?>\n<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>';
    const first = mergeQueueNotification(empty, wanted);
    assert.equal(first.changed, true);
    assert.match(first.xml, /<Queue>arn:aws:sqs:eu-west-1:123456789012:trail-events<\/Queue><Event>s3:ObjectCreated:\*<\/Event>/);
    assert.match(first.xml, /<Name>prefix<\/Name><Value>logs\/AWSLogs\/<\/Value>.*<Name>suffix<\/Name><Value>\.json\.gz<\/Value>/);
    assert.equal(mergeQueueNotification(first.xml, wanted).changed, false);
  });

  test("topics, Lambda functions, EventBridge and other queues are kept byte for byte", () => {
    const others =
      "<TopicConfiguration><Id>alerts</Id><Topic>arn:aws:sns:eu-west-1:123456789012:alerts</Topic><Event>s3:ObjectRemoved:*</Event></TopicConfiguration>" +
      "<CloudFunctionConfiguration><Id>thumbs</Id><CloudFunction>arn:aws:lambda:eu-west-1:123456789012:function:t</CloudFunction><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>Suffix</Name><Value>.jpg</Value></FilterRule></S3Key></Filter></CloudFunctionConfiguration>" +
      "<QueueConfiguration><Id>other</Id><Queue>arn:aws:sqs:eu-west-1:123456789012:other</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>Prefix</Name><Value>images/</Value></FilterRule></S3Key></Filter></QueueConfiguration>" +
      "<EventBridgeConfiguration></EventBridgeConfiguration>";
    const merged = mergeQueueNotification(`<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${others}</NotificationConfiguration>`, wanted);
    assert.equal(merged.changed, true);
    assert.ok(merged.xml.includes(others), "every other configuration is still there, unchanged");
    assert.equal((merged.xml.match(/<QueueConfiguration>/g) ?? []).length, 2);
  });

  test("ours (same Id) pointing elsewhere is replaced, not duplicated", () => {
    const stale = mergeQueueNotification("", logNotification("arn:aws:sqs:eu-west-1:123456789012:old-queue", "logs")).xml;
    const merged = mergeQueueNotification(stale, wanted);
    assert.equal(merged.changed, true);
    assert.equal((merged.xml.match(/<QueueConfiguration>/g) ?? []).length, 1);
    assert.ok(!merged.xml.includes("old-queue"));
  });

  test("the same notification made in the console under another Id (capitalised rule names) counts as done", () => {
    const console = `<NotificationConfiguration><QueueConfiguration><Id>NmZlYjQ2</Id><Queue>${QUEUE_ARN}</Queue><Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>Prefix</Name><Value>logs/AWSLogs/</Value></FilterRule><FilterRule><Name>Suffix</Name><Value>.json.gz</Value></FilterRule></S3Key></Filter></QueueConfiguration></NotificationConfiguration>`;
    assert.equal(mergeQueueNotification(console, wanted).changed, false);
  });

  test("XML special characters in a prefix are escaped, and read back as equal", () => {
    const odd = logNotification(QUEUE_ARN, "a&b<c>");
    const first = mergeQueueNotification("", odd);
    assert.match(first.xml, /<Value>a&#38;b&#60;c&#62;\/AWSLogs\/<\/Value>/);
    assert.equal(mergeQueueNotification(first.xml, odd).changed, false);
  });
});
