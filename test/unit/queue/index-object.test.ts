/**
 * The per-object rule's pure parts: which failures are the engine's (the object comes back later) and which are
 * the record's (a dead letter, and the object is done), and which keys are not read at all. Indexing itself runs
 * against the real stack in test/integration/worker*.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { S3 } from "../../../lib/aws/s3.ts";
import { parseProgram } from "../../../lib/jq/mod.ts";
import { isTransient, ObjectIndexer } from "../../../lib/queue/index-object.ts";
import { SearchClient } from "../../../lib/search/client.ts";

const record = { text: "{}", object: "s3://b/k", position: 1 };
const indexer = (location?: ConstructorParameters<typeof ObjectIndexer>[0]["location"]) =>
  new ObjectIndexer({
    s3: new S3({ credentials: { accessKeyId: "a", secretAccessKey: "b" }, region: "us-east-1", endpoint: "http://127.0.0.1:9" }),
    client: new SearchClient({ url: "http://127.0.0.1:9" }),
    indexPrefix: "cloudtrail",
    program: parseProgram(".Records[]"),
    location,
  });
const LOG = "trails/AWSLogs/o-exampleorgid/111122223333/CloudTrail/eu-west-1/2024/03/04/111122223333_CloudTrail_eu-west-1_20240304T0005Z_a.json.gz";

describe("isTransient", () => {
  test("the engine unreachable, refusing for load, or refusing our credentials: transient; refused for good or never sent: a dead letter", () => {
    for (const status of [0, 401, 403, 404, 408, 429, 500, 502, 503, 504]) assert.equal(isTransient({ record, index: "cloudtrail-2024.03.04", id: "x", status, reason: "" }), true, String(status));
    for (const status of [400, 409, 413]) assert.equal(isTransient({ record, index: "cloudtrail-2024.03.04", id: "x", status, reason: "" }), false, String(status));
    assert.equal(isTransient({ record, status: 0, reason: "no valid eventTime" }), false, "never reached the engine");
  });
});

describe("ObjectIndexer.skipReason", () => {
  test("digest, Insight and other keys are skipped, as copy skips them", () => {
    const i = indexer();
    assert.equal(i.skipReason({ bucket: "b", key: LOG }), undefined);
    assert.equal(i.skipReason({ bucket: "b", key: LOG.replace("/CloudTrail/", "/CloudTrail-Digest/") })?.kind, "digest");
    assert.equal(i.skipReason({ bucket: "b", key: LOG.replace("/CloudTrail/", "/CloudTrail-Insight/") })?.kind, "insight");
    assert.equal(i.skipReason({ bucket: "b", key: LOG.replace(".json.gz", ".txt") })?.kind, "other");
    assert.equal(i.skipReason({ bucket: "b", key: "images/cat.json.gz" })?.kind, "other");
  });

  test("with a location, only its bucket, prefix, organization, accounts and regions", () => {
    assert.equal(indexer({ bucket: "b", prefix: "trails", orgId: "o-exampleorgid", accounts: ["111122223333"], regions: ["eu-west-1"] }).skipReason({ bucket: "b", key: LOG }), undefined);
    assert.match(indexer({ bucket: "other" }).skipReason({ bucket: "b", key: LOG })!.reason, /bucket b, not other/);
    assert.match(indexer({ prefix: "logs" }).skipReason({ bucket: "b", key: LOG })!.reason, /prefix/);
    assert.match(indexer({ orgId: "o-otherorgid00" }).skipReason({ bucket: "b", key: LOG })!.reason, /organization/);
    assert.match(indexer({ accounts: ["444455556666"] }).skipReason({ bucket: "b", key: LOG })!.reason, /account 111122223333/);
    assert.match(indexer({ regions: ["us-east-1"] }).skipReason({ bucket: "b", key: LOG })!.reason, /region eu-west-1/);
  });

  test("a skipped object is done without reading it", async () => {
    const outcome = await indexer().index({ bucket: "b", key: LOG.replace("/CloudTrail/", "/CloudTrail-Digest/") });
    assert.equal(outcome.status, "skipped");
    assert.equal(outcome.records.read, 0);
  });

  test("S3 unreachable: failed and transient, naming the cause", async () => {
    const outcome = await indexer().index({ bucket: "b", key: LOG });
    assert.equal(outcome.status, "failed");
    assert.equal(outcome.transient, true);
    assert.match(outcome.reason!, /failed/);
  });
});
