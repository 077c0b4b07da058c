/**
 * Identical records without an eventID (the same call in the same second, as pollers make them): `make ingest`'s
 * four scripts chained (copy, gunzip, split --out, bulk) give exactly the ids `ingest` gives, in one file and across
 * files and days, and a re-run over a wider range adds nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { S3 } from "../../lib/aws/s3.ts";
import { localStack, scriptEnv, uniqueName } from "../support/stack.ts";
import { allDocuments, runScript } from "../support/run.ts";

const R = { eventVersion: "1.0", eventTime: "2013-12-07T05:03:12Z", eventSource: "ec2.amazonaws.com", eventName: "DescribeInstances", awsRegion: "us-east-1", sourceIPAddress: "192.0.2.10", userIdentity: { type: "IAMUser", arn: "arn:aws:iam::123456789012:user/poller" } };
const S = { ...R, eventTime: "2013-12-06T23:59:59Z" };
const key = (day: string, name: string) => `AWSLogs/123456789012/CloudTrail/us-east-1/${day.replaceAll("-", "/")}/123456789012_CloudTrail_us-east-1_${day.replaceAll("-", "")}T0505Z_${name}.json.gz`;

test("the four scripts chained give ingest's ids for identical records in one file and across files; a wider re-run adds nothing", async () => {
  const stack = await localStack();
  const bucket = uniqueName("chain-ids");
  const s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  await s3.createBucket(bucket);
  const put = (k: string, records: unknown[]) => s3.put(bucket, k, gzipSync(JSON.stringify({ Records: records })), { "content-type": "application/json", "content-encoding": "gzip" });
  await put(key("2013-12-07", "aaaaaaaaaaaaaaaa"), [R, R]); // R twice in one file: two events
  await put(key("2013-12-07", "bbbbbbbbbbbbbbbb"), [R]); // R again in another file: the same document as A's first
  await put(key("2013-12-06", "cccccccccccccccc"), [S, R]); // the day before holds R too
  const env = scriptEnv(stack, { CLOUDTRAIL_BUCKET: bucket, CLOUDTRAIL_PREFIX: undefined });
  const work = mkdtempSync(join(tmpdir(), "trailpost-chain-ids-"));
  const streamed = uniqueName("ids-ingest");
  const chained = uniqueName("ids-chain");
  const chain = async (days: string[], run: string) => {
    const dir = join(work, run);
    const dayArgs = days.length === 1 ? ["--date", days[0]!] : ["--from", days[0]!, "--to", days.at(-1)!];
    for (const [script, args] of [["copy.ts", [...dayArgs, "--out", join(dir, "s3")]], ["gunzip.ts", [join(dir, "s3"), "--out", join(dir, "json")]], ["split.ts", [join(dir, "json"), "--out", join(dir, "records")]], ["bulk.ts", [join(dir, "records"), "--dead-letter", join(dir, "dl.ndjson")]]] as const) {
      const result = await runScript(script, [...args], { ...env, INDEX_PREFIX: chained });
      assert.equal(result.code, 0, `${script}: ${result.stderr}`);
    }
  };
  const ids = async (prefix: string) => [...(await allDocuments(stack.search, `${prefix}-*`)).keys()].sort();
  try {
    const ingest = await runScript("ingest.ts", ["--date", "2013-12-07"], { ...env, INDEX_PREFIX: streamed, DEAD_LETTER_FILE: join(work, "dl.ndjson") });
    assert.equal(ingest.code, 0, ingest.stderr);
    assert.match(ingest.stderr, /3 records read: 2 indexed, 1 duplicate/);
    await chain(["2013-12-07"], "one");
    const first = await ids(streamed);
    assert.equal(first.length, 2);
    assert.match(first[1]!, /^[0-9a-f]{64}-2$/);
    assert.deepEqual(await ids(chained), first);

    const wider = await runScript("ingest.ts", ["--from", "2013-12-06", "--to", "2013-12-07"], { ...env, INDEX_PREFIX: streamed, DEAD_LETTER_FILE: join(work, "dl.ndjson") });
    assert.equal(wider.code, 0, wider.stderr);
    assert.match(wider.stderr, /5 records read: 1 indexed, 4 duplicates/);
    await chain(["2013-12-06", "2013-12-07"], "two");
    const both = await ids(streamed);
    assert.equal(both.length, 3, "R, R's second, and S: the day before's R is R");
    assert.deepEqual(await ids(chained), both);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
