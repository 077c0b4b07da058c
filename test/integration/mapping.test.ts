/**
 * No record of real CloudTrail is rejected for a mapping reason: a corpus with every type conflict of the
 * research notes (fixtures/generate.ts QUIRKS, in both orders), a 300 KB record, a record with 5,000 distinct
 * parameter paths, date-like strings, epoch numbers and Insights averages as integer, float and exponent,
 * indexes with zero rejections and zero dead letters, and the free-form fields stay searchable.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateDayJson, QUIRKS, recordFactory } from "../../fixtures/generate.ts";
import { localStack, uniqueName, type TestStack } from "../support/stack.ts";
import { allDocuments, countDocuments, runScript } from "../support/run.ts";

let stack: TestStack;
const prefix = uniqueName("mapping");
const dir = mkdtempSync(join(tmpdir(), "trailpost-mapping-"));
const records: Record<string, unknown>[] = [];
const T = Date.UTC(2024, 2, 4, 12) / 1000;

function extraRecords(): Record<string, unknown>[] {
  const make = recordFactory({ seed: "mapping" });
  const base = (i: number, fields: Record<string, unknown>) => ({ ...make("111122223333", "us-east-1", T + i), ...fields });
  const paths: Record<string, unknown> = {};
  for (let i = 0; i < 5000; i++) paths[`parameter${i}`] = { [`nested${i % 7}`]: i % 3 ? `value-${i}` : i };
  return [
    // every quirk again in the opposite order, so each conflicting pair is seen both ways round
    ...[...QUIRKS.keys()].reverse().map((q) => make("444455556666", "eu-west-1", T + 100 + q, { quirk: q })),
    base(1, { eventName: "RunInstances", eventSource: "ec2.amazonaws.com", requestParameters: { instanceType: "t3.micro", launchTime: 1709553600000, disableApiTermination: false } }),
    base(2, { eventName: "PutBucketPolicy", requestParameters: { bucketName: "big", policy: "x".repeat(300 * 1024) } }),
    base(3, { eventName: "CreateStack", requestParameters: paths }),
    base(4, { eventName: "DescribeThings", requestParameters: { when: "Mar 20, 2024, 11:16:09 PM", iso: "2024-03-04T12:00:00Z", notADate: "2016_01_28", epoch: 1709553600 } }),
    base(5, { eventName: "DescribeThings", requestParameters: { when: 1709553600123, iso: 42, notADate: { nested: true }, epoch: "soon" } }),
    base(6, { eventCategory: "Insight", eventType: "AwsCloudTrailInsight", insightDetails: { state: "Start", insightContext: { statistics: { baseline: { average: 4 }, insight: { average: 9.82222e-5 } } } } }),
    base(7, { eventCategory: "Insight", eventType: "AwsCloudTrailInsight", insightDetails: { state: "End", insightContext: { statistics: { baseline: { average: 0.0123 }, insight: { average: "n/a" } } } } }),
    base(8, { requestParameters: "a string where an object is mapped", responseElements: ["an", "array"], additionalEventData: 42 }),
    base(9, { userIdentity: { type: "IAMUser", sessionContext: { attributes: { mfaAuthenticated: false, creationDate: "20131102T010628Z" } } }, readOnly: "true", managementEvent: true }),
    base(10, { userIdentity: { type: "AssumedRole", sessionContext: { attributes: { mfaAuthenticated: "true", creationDate: "not a date" }, webIdFederationData: {} } }, sourceIPAddress: "AWS Internal" }),
    base(11, { errorCode: { unexpected: "object" }, errorMessage: "y".repeat(50_000), userAgent: "z".repeat(40_000) }),
    base(12, { resources: [{ ARN: "arn:aws:s3:::b", accountId: "111122223333", type: "AWS::S3::Bucket" }, { ARNPrefix: "arn:aws:s3:::b/", type: "AWS::S3::Object" }], tlsDetails: { tlsVersion: "TLSv1.3" } }),
    base(13, { requestParameters: { "": "empty key", "a.b": { c: 1 }, deep: JSON.parse(nest(120)) } }),
    base(14, { someFutureField: { shape: "unknown" }, eventContext: { tags: ["x"] } }),
  ];
}

function nest(depth: number): string {
  return `${"{\"d\":".repeat(depth)}1${"}".repeat(depth)}`;
}

before(async () => {
  stack = await localStack();
  for (const file of generateDayJson({ date: "2024-03-04", records: 3000, accounts: ["111122223333", "444455556666"], regions: ["us-east-1", "eu-west-1"], seed: 7 })) {
    records.push(...(JSON.parse(file.json) as { Records: Record<string, unknown>[] }).Records);
  }
  records.push(...extraRecords());
  writeFileSync(join(dir, "corpus.ndjson"), records.map((r) => JSON.stringify(r)).join("\n") + "\n");
});

test("the corpus indexes with zero rejections and zero dead letters", async () => {
  const deadLetters = join(dir, "dead.ndjson");
  const result = await runScript("bulk.ts", [join(dir, "corpus.ndjson")], { ES_URL: stack.search, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: deadLetters });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`${records.length.toLocaleString("en-US")} records read: ${records.length.toLocaleString("en-US")} indexed, 0 duplicates, 0 dead-lettered`));
  assert.equal(existsSync(deadLetters), false, existsSync(deadLetters) ? readFileSync(deadLetters, "utf8").slice(0, 2000) : "");
  assert.equal(await countDocuments(stack.search, `${prefix}-*`), records.length);
});

test("flat fields are searchable; moved values are kept whole; the mapping stays small", async () => {
  const search = async (query: unknown) => {
    const response = await fetch(`${stack.search}/${prefix}/_search`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, size: 5 }) });
    return ((await response.json()) as { hits: { total: { value: number }; hits: { _source: Record<string, unknown> }[] } }).hits;
  };
  const t3 = await search({ term: { "requestParameters.instanceType": "t3.micro" } });
  assert.ok(t3.total.value >= 1, "requestParameters.instanceType: t3.micro finds the record");
  assert.equal((await search({ term: { "requestParameters.parameter4999.nested1": "value-4999" } })).total.value, 1, "a path of the 5,000-path record");
  const ipRanges = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"].map((cidr) => ({ term: { "sourceIPAddress.ip": cidr } }));
  assert.ok((await search({ bool: { should: ipRanges } })).total.value > 0, "sourceIPAddress.ip answers CIDR queries");
  assert.ok((await search({ term: { sourceIPAddress: "AWS Internal" } })).total.value > 0, "non-IP sourceIPAddress values stay searchable as keywords");
  assert.ok((await search({ range: { eventTime: { gte: "2024-03-04T00:00:00Z", lt: "2024-03-05T00:00:00Z" } } })).total.value >= records.length - 20);

  const docs = await allDocuments(stack.search, `${prefix}-*`);
  const big = [...docs.values()].find((d) => d.source.eventName === "PutBucketPolicy" && (d.source.trailpost as { unindexedPaths?: string[] } | undefined)?.unindexedPaths);
  assert.ok(big, "the 300 KB record landed");
  const moved = (big.source.trailpost as { unindexed: Record<string, string> }).unindexed["requestParameters.policy"]!;
  assert.equal(moved.length, 300 * 1024, "its 300 KB value is kept whole in _source");
  assert.ok(typeof (big.source.requestParameters as Record<string, unknown>).bucketName === "string", "its other request parameters stay searchable");

  const mapping = await (await fetch(`${stack.search}/${prefix}-*/_mapping`)).json() as Record<string, { mappings: unknown }>;
  const fieldCount = JSON.stringify(Object.values(mapping)[0]!.mappings).split('"type"').length - 1;
  assert.ok(fieldCount < 200, `the index maps ${fieldCount} fields`);
});
