/**
 * The edge handler's answers, for everything short of indexing (which test/integration/edge.test.ts does on the
 * local stack): methods, sizes, bad JSON, refused signatures, subscription confirmation, notifications that
 * name no object, unknown shapes, an engine that is not ready; and lib/edge/main.ts configured from bindings.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { S3 } from "../../../lib/aws/s3.ts";
import { snsHandler } from "../../../lib/edge/handler.ts";
import edge, { edgeHandler } from "../../../lib/edge/main.ts";
import { SnsVerificationError, type SnsVerifier } from "../../../lib/edge/sns-signature.ts";
import { parseProgram } from "../../../lib/jq/mod.ts";
import { ObjectIndexer } from "../../../lib/queue/index-object.ts";
import { SearchClient } from "../../../lib/search/client.ts";
import { TEST_SECRETS } from "../../support/secrets.ts";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:trail-events";
const indexer = new ObjectIndexer({
  s3: new S3({ credentials: { accessKeyId: "a", secretAccessKey: "b" }, region: "us-east-1", endpoint: "http://127.0.0.1:9" }),
  client: new SearchClient({ url: "http://127.0.0.1:9" }),
  indexPrefix: "cloudtrail",
  program: parseProgram(".Records[]"),
});

function handler(options: { refuse?: string; fetched?: string[]; prepare?: () => Promise<unknown>; fetchFails?: boolean } = {}) {
  const verifier = {
    async verify() {
      if (options.refuse) throw new SnsVerificationError(options.refuse);
    },
  } as unknown as SnsVerifier;
  const logs: string[] = [];
  const h = snsHandler({
    indexer,
    verifier,
    prepare: options.prepare,
    log: (l) => logs.push(l),
    fetch: (async (url: RequestInfo | URL) => {
      options.fetched?.push(String(url));
      return options.fetchFails ? new Response("no", { status: 403 }) : new Response("<ConfirmSubscriptionResponse/>");
    }) as typeof fetch,
  });
  return { h, logs };
}

const post = (body: unknown, headers: Record<string, string> = {}) =>
  new Request("http://edge.test/", { method: "POST", headers: { "content-type": "text/plain", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
const message = (overrides: Record<string, unknown>) => ({ Type: "Notification", MessageId: "m1", TopicArn: TOPIC, Timestamp: "2024-03-04T00:00:00Z", SignatureVersion: "1", Signature: "x", SigningCertURL: "https://sns.us-east-1.amazonaws.com/a.pem", ...overrides });

describe("snsHandler", () => {
  test("GET is a health check, other methods 405, oversized bodies 413 (declared or streamed), not JSON 400", async () => {
    const { h } = handler();
    assert.equal((await h.fetch(new Request("http://edge.test/"))).status, 200);
    assert.equal((await h.fetch(new Request("http://edge.test/", { method: "DELETE" }))).status, 405);
    assert.equal((await h.fetch(post("x".repeat(300_000)))).status, 413);
    const chunks = new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(64 * 1024)) }); // endless, no content-length
    assert.equal((await h.fetch(new Request("http://edge.test/", { method: "POST", body: chunks, duplex: "half" } as RequestInit))).status, 413);
    assert.equal((await h.fetch(post("{not json"))).status, 400);
    assert.equal((await h.fetch(post("[1,2]"))).status, 400);
    assert.equal((await h.fetch(post(message({}), { "x-amz-sns-message-type": "SubscriptionConfirmation" }))).status, 400, "the header must match the body");
  });

  test("a message that does not verify is 403, and nothing is fetched or indexed", async () => {
    const fetched: string[] = [];
    let prepared = 0;
    const { h, logs } = handler({ refuse: "the signature does not match the message", fetched, prepare: async () => prepared++ });
    const answer = await h.fetch(post(message({ Type: "SubscriptionConfirmation", SubscribeURL: "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription" })));
    assert.equal(answer.status, 403);
    assert.match(await answer.text(), /signature does not match/);
    assert.deepEqual(fetched, []);
    assert.equal(prepared, 0);
    assert.ok(logs.some((l) => /refused a message/.test(l)));
  });

  test("SubscriptionConfirmation: the SubscribeURL is fetched (200), or 502 when that fails", async () => {
    const fetched: string[] = [];
    const url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=t&Token=1";
    const { h, logs } = handler({ fetched });
    assert.equal((await h.fetch(post(message({ Type: "SubscriptionConfirmation", SubscribeURL: url })))).status, 200);
    assert.deepEqual(fetched, [url]);
    assert.ok(logs.some((l) => l === `confirmed the subscription to ${TOPIC}`));
    assert.equal((await handler({ fetchFails: true }).h.fetch(post(message({ Type: "SubscriptionConfirmation", SubscribeURL: url })))).status, 502);
    assert.equal((await h.fetch(post(message({ Type: "UnsubscribeConfirmation", SubscribeURL: url })))).status, 200);
    assert.equal(fetched.length, 1, "an unsubscribe confirmation is not acted on");
  });

  test("notifications: a test event is 200; an unknown shape 500 with the reason; an engine not ready 503, then tried again", async () => {
    let attempts = 0;
    const { h } = handler({
      prepare: async () => {
        if (++attempts === 1) throw new Error("GET / failed: ECONNREFUSED");
      },
    });
    const test = message({ Message: JSON.stringify({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: "b" }) });
    assert.equal((await h.fetch(post(test))).status, 503);
    assert.equal((await h.fetch(post(test))).status, 200);
    const unknown = await h.fetch(post(message({ Message: '{"hello":"world"}' })));
    assert.equal(unknown.status, 500);
    assert.match((await unknown.json() as { error: string }).error, /unrecognised message/);
    const digest = await h.fetch(post(message({ Message: JSON.stringify({ s3Bucket: "bucket", s3ObjectKey: ["AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/03/04/x.json.gz"] }) })));
    assert.equal(digest.status, 200);
    assert.deepEqual(await digest.json(), { objects: 0, records: 0, skipped: 1 });
    assert.equal(attempts, 2, "prepared once it worked, not again");
  });
});

describe("lib/edge/main.ts", () => {
  test("the default export takes its settings as bindings, and says what is wrong without a secret", async () => {
    const none = await edge.fetch(new Request("http://edge.test/"), {});
    assert.equal(none.status, 500);
    assert.match(await none.text(), /no AWS credentials/);
    const bad = await edge.fetch(new Request("http://edge.test/"), { AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: TEST_SECRETS.awsSecretAccessKey, ES_URL: `https://user:${TEST_SECRETS.password}@/x`, ES_API_KEY: TEST_SECRETS.apiKey, SNS_TOPIC_ARNS: "nope" });
    const text = await bad.text();
    assert.equal(bad.status, 500);
    assert.match(text, /ES_URL must be an http\(s\) URL/);
    assert.match(text, /SNS_TOPIC_ARNS must be/);
    for (const secret of Object.values(TEST_SECRETS)) assert.ok(!text.includes(secret), "no secret in the answer");
    const env = { AWS_ACCESS_KEY_ID: "AKID", AWS_SECRET_ACCESS_KEY: TEST_SECRETS.awsSecretAccessKey, ES_URL: "http://127.0.0.1:9" };
    assert.equal((await edge.fetch(new Request("http://edge.test/"), env)).status, 200);
    assert.equal((await edge.fetch(new Request("http://edge.test/", { method: "PUT" }), env)).status, 405);
  });

  test("edgeHandler: a bad --select is a configuration error", () => {
    assert.throws(() => edgeHandler({ AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", EDGE_SELECT: ".Records[] | @base64" }), /EDGE_SELECT/);
  });
});
