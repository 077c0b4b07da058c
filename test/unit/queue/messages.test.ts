/**
 * Every message shape a queue (or an SNS push) brings, as the services write them: S3 event notifications (AWS's
 * documented example and one LocalStack 4.14 sent), SNS-wrapped ones, CloudTrail's SNS notification, EventBridge
 * "Object Created" (with and without detail-type), s3:TestEvent, and what must never be mistaken for them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseMessage, type ParsedMessage } from "../../../lib/queue/messages.ts";
import { encodeKey } from "../../../lib/queue/keys.ts";
import { s3EventMessage } from "../../../lib/queue/s3-event.ts";

const KEY = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/04/111122223333_CloudTrail_us-east-1_20240304T0005Z_abc.json.gz";

/** The S3 User Guide's example (notification-content-structure), with a CloudTrail key. */
const S3_EVENT = JSON.stringify({
  Records: [{
    eventVersion: "2.1", eventSource: "aws:s3", awsRegion: "us-west-2", eventTime: "1970-01-01T00:00:00.000Z", eventName: "ObjectCreated:Put",
    userIdentity: { principalId: "AIDAJDPLRKLG7UEXAMPLE" }, requestParameters: { sourceIPAddress: "172.16.0.1" },
    responseElements: { "x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD" },
    s3: {
      s3SchemaVersion: "1.0", configurationId: "testConfigRule",
      bucket: { name: "amzn-s3-demo-bucket", ownerIdentity: { principalId: "A3NL1KOZZKExample" }, arn: "arn:aws:s3:::amzn-s3-demo-bucket" },
      object: { key: KEY, size: 1024, eTag: "d41d8cd98f00b204e9800998ecf8427e", versionId: "096fKKXTRTtl3on89fVO.nfljtsv6qko", sequencer: "0055AED6DCD90281E5" },
    },
  }],
});

/** What LocalStack 4.14 put in the queue for `AWSLogs/a b+c:d%e/x.json.gz` (spaces as %20). */
const LOCALSTACK_EVENT = '{"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventTime": "2026-12-01T15:11:33.601Z", "eventName": "ObjectCreated:Put", "userIdentity": {"principalId": "AIDAJDPLRKLG7UEXAMPLE"}, "requestParameters": {"sourceIPAddress": "127.0.0.1"}, "responseElements": {"x-amz-request-id": "e7faadc1", "x-amz-id-2": "eftixk72aD6Ap51TnqcoF8eFidJG9Z/2"}, "s3": {"s3SchemaVersion": "1.0", "configurationId": "trailpost", "bucket": {"name": "exp-bucket", "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": "arn:aws:s3:::exp-bucket"}, "object": {"key": "AWSLogs/a%20b%2Bc%3Ad%25e/x.json.gz", "sequencer": "0055AED6DCD90281E5", "eTag": "764efa883dda1e11db47671c4a3bbd9e", "size": 3}}}]}';

const TEST_EVENT = '{"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-12-01T15:11:29.897Z", "Bucket": "exp-bucket", "RequestId": "1feb3bd6", "HostId": "eftixk72aD6Ap51TnqcoF8eFidJG9Z/2"}';

const sns = (message: string, type = "Notification") => JSON.stringify({
  Type: type, MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", TopicArn: "arn:aws:sns:us-west-2:123456789012:MyTopic", Subject: "Amazon S3 Notification",
  Message: message, Timestamp: "2012-05-02T00:54:06.655Z", SignatureVersion: "1", Signature: "EXAMPLEw6JRN…",
  SigningCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
  UnsubscribeURL: "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0",
});

/** CloudTrail's SNS notification (CloudTrail User Guide, configure-sns-notifications-for-cloudtrail). */
const CLOUDTRAIL = JSON.stringify({ s3Bucket: "amzn-s3-demo-bucket", s3ObjectKey: [KEY, KEY.replace("abc", "def")] });

/** EventBridge "Object Created" (S3 User Guide, ev-events). */
const EVENTBRIDGE = {
  version: "0", id: "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": "Object Created", source: "aws.s3", account: "111122223333",
  time: "2021-11-12T00:00:00Z", region: "ca-central-1", resources: ["arn:aws:s3:::amzn-s3-demo-bucket1"],
  detail: { version: "0", bucket: { name: "amzn-s3-demo-bucket1" }, object: { key: KEY, size: 5, etag: "b1946ac92492d2347c6235b4d2611184", sequencer: "00617F08299329D189" }, "request-id": "N4N7GDK58NMKJ12R", requester: "123456789012", "source-ip-address": "1.2.3.4", reason: "PutObject" },
};

const objects = (parsed: ParsedMessage) => {
  assert.equal(parsed.kind, "objects", JSON.stringify(parsed));
  return (parsed as Extract<ParsedMessage, { kind: "objects" }>).objects;
};

describe("parseMessage: the shapes that occur", () => {
  test("an S3 event notification: bucket, key, size, time", () => {
    const parsed = parseMessage(S3_EVENT);
    assert.deepEqual(objects(parsed), [{ bucket: "amzn-s3-demo-bucket", key: KEY, size: 1024, eventTime: "1970-01-01T00:00:00.000Z" }]);
    assert.equal((parsed as { shape: string }).shape, "s3");
  });

  test("LocalStack's event: the key is URL-decoded, and the undecoded one kept as the alternative", () => {
    const [o] = objects(parseMessage(LOCALSTACK_EVENT));
    assert.equal(o!.key, "AWSLogs/a b+c:d%e/x.json.gz");
    assert.equal(o!.alternateKey, "AWSLogs/a%20b%2Bc%3Ad%25e/x.json.gz");
  });

  test("SNS-wrapped S3 event, CloudTrail and EventBridge messages are unwrapped", () => {
    assert.deepEqual(objects(parseMessage(sns(S3_EVENT))), objects(parseMessage(S3_EVENT)));
    assert.equal((parseMessage(sns(S3_EVENT)) as { shape: string }).shape, "sns/s3");
    assert.equal(objects(parseMessage(sns(CLOUDTRAIL))).length, 2);
    assert.equal(objects(parseMessage(sns(JSON.stringify(EVENTBRIDGE))))[0]!.key, KEY);
  });

  test("CloudTrail's SNS notification: every key of s3ObjectKey, as written", () => {
    const parsed = parseMessage(CLOUDTRAIL);
    assert.deepEqual(objects(parsed), [{ bucket: "amzn-s3-demo-bucket", key: KEY }, { bucket: "amzn-s3-demo-bucket", key: KEY.replace("abc", "def") }]);
    const odd = objects(parseMessage(JSON.stringify({ s3Bucket: "b-b-b", s3ObjectKey: ["logs/a+b%3A.json.gz"] })))[0]!;
    assert.deepEqual(odd, { bucket: "b-b-b", key: "logs/a+b%3A.json.gz", alternateKey: "logs/a b:.json.gz" });
  });

  test("EventBridge Object Created, and Security Lake's variant without detail-type", () => {
    assert.deepEqual(objects(parseMessage(JSON.stringify(EVENTBRIDGE))), [{ bucket: "amzn-s3-demo-bucket1", key: KEY, size: 5, eventTime: "2021-11-12T00:00:00Z" }]);
    const { "detail-type": _, ...lake } = EVENTBRIDGE;
    assert.equal(objects(parseMessage(JSON.stringify(lake)))[0]!.key, KEY);
    assert.equal(parseMessage(JSON.stringify({ ...EVENTBRIDGE, "detail-type": "Object Deleted" })).kind, "ignored");
  });

  test("s3:TestEvent, direct or SNS-wrapped, is a test", () => {
    assert.equal(parseMessage(TEST_EVENT).kind, "test");
    assert.equal(parseMessage(sns(TEST_EVENT)).kind, "test");
  });

  test("events that create nothing are ignored; mixed records keep the created objects", () => {
    const removed = JSON.parse(S3_EVENT);
    removed.Records[0].eventName = "ObjectRemoved:Delete";
    assert.equal(parseMessage(JSON.stringify(removed)).kind, "ignored");
    const created = JSON.parse(S3_EVENT).Records[0];
    const mixed = parseMessage(JSON.stringify({ Records: [removed.Records[0], created, { ...created, eventName: "ObjectCreated:CompleteMultipartUpload" }] }));
    assert.equal(objects(mixed).length, 2);
    assert.equal((mixed as { ignored: number }).ignored, 1);
  });

  test("enqueue.ts's message reads back as the object it names, for awkward keys too", () => {
    for (const key of [KEY, "trails/my logs/AWSLogs/1/x+y%z:é😀.json.gz"]) {
      const encoded = encodeKey(key);
      assert.deepEqual(objects(parseMessage(s3EventMessage({ bucket: "my-trail-bucket", key, size: 7, time: new Date(0) })))[0], {
        bucket: "my-trail-bucket",
        key,
        ...(encoded !== key ? { alternateKey: encoded } : {}),
        size: 7,
        eventTime: "1970-01-01T00:00:00.000Z",
      });
    }
  });
});

describe("parseMessage: what is not a notification is unknown, with the reason (never deleted as done)", () => {
  const cases: [string, string, RegExp][] = [
    ["not JSON", "hello", /not JSON/],
    ["a JSON array", "[1,2]", /not a JSON object/],
    ["a CloudTrail log file itself", JSON.stringify({ Records: [{ eventVersion: "1.08", eventSource: "ec2.amazonaws.com", eventName: "RunInstances" }] }), /not an S3 event/],
    ["an empty Records array", '{"Records":[]}', /empty Records/],
    ["an S3 event of version 3", S3_EVENT.replace('"2.1"', '"3.0"'), /version/],
    ["an S3 event without a key", S3_EVENT.replace(`"key":"${KEY}"`, '"key":""'), /s3\.object\.key/],
    ["an S3 event with a bad bucket name", S3_EVENT.replace('"name":"amzn-s3-demo-bucket"', '"name":"../etc"'), /bucket/],
    ["a malformed escape in the key", S3_EVENT.replace(KEY, "AWSLogs/%E0%A4%A.json.gz"), /not validly URL-encoded/],
    ["an SNS SubscriptionConfirmation in a queue", sns("You have chosen to subscribe", "SubscriptionConfirmation"), /SubscriptionConfirmation.*SubscribeURL/],
    ["an SNS notification whose Message is not JSON", sns("hello"), /Message is not JSON/],
    ["SNS inside SNS", sns(sns(S3_EVENT)), /SNS envelope inside/],
    ["CloudTrail with an empty key list", JSON.stringify({ s3Bucket: "bucket", s3ObjectKey: [] }), /CloudTrail notification/],
    ["EventBridge without an object", JSON.stringify({ ...EVENTBRIDGE, detail: { bucket: { name: "bucket" } } }), /EventBridge/],
    ["anything else", '{"hello":"world"}', /not an S3, SNS, CloudTrail or EventBridge/],
  ];
  for (const [name, body, reason] of cases) {
    test(name, () => {
      const parsed = parseMessage(body);
      assert.equal(parsed.kind, "unknown", JSON.stringify(parsed));
      assert.match((parsed as { reason: string }).reason, reason);
    });
  }
});
