/**
 * An uploaded day with awkward contents (fixtures/awkward.ts): another account, an organization trail, a key
 * prefix, `{"Records":[]}`, digest and insight objects, a truncated gzip, an object that is not JSON, eventIDs
 * repeated across two files and eventVersion 1.0 records. Every valid record lands exactly once, each bad
 * object is named, the exit code is 1; and the four scripts chained give the same documents as ingest.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3 } from "../../lib/aws/s3.ts";
import { awkwardDay, type AwkwardDay } from "../../fixtures/awkward.ts";
import { localStack, scriptEnv, uniqueName, type TestStack } from "../support/stack.ts";
import { allDocuments, countDocuments, runScript } from "../support/run.ts";

let stack: TestStack;
let day: AwkwardDay;
let bucket: string;
let env: Record<string, string | undefined>;
const work = mkdtempSync(join(tmpdir(), "trailpost-awkward-"));

before(async () => {
  stack = await localStack();
  bucket = uniqueName("awkward");
  day = awkwardDay({ bucket });
  const s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  await s3.createBucket(bucket);
  for (const object of day.objects) {
    await s3.put(bucket, object.key, object.body, { "content-type": object.contentType, "content-encoding": object.contentEncoding });
  }
  env = scriptEnv(stack, {
    CLOUDTRAIL_BUCKET: bucket,
    CLOUDTRAIL_PREFIX: day.prefix,
    DEAD_LETTER_FILE: join(work, "dead-letter.ndjson"),
  });
});

after(() => rmSync(work, { recursive: true, force: true }));

test("ingest: every valid record once, bad objects named, exit 1", async () => {
  const prefix = uniqueName("awk-ingest");
  const result = await runScript("ingest.ts", ["--date", day.date], { ...env, INDEX_PREFIX: prefix });
  assert.equal(result.code, 1, result.stderr);
  for (const key of day.expected.badObjects) assert.ok(result.stderr.includes(`FAILED s3://${bucket}/${key}`), `bad object not named: ${key}\n${result.stderr}`);
  assert.match(result.stderr, new RegExp(`skipped ${day.expected.digestObjects} digest, ${day.expected.insightObjects} insight`));

  const docs = await allDocuments(stack.search, `${prefix}-*`);
  assert.equal(docs.size, day.expected.uniqueRecords);
  for (const id of day.expected.duplicateEventIds) assert.ok(docs.has(id), `duplicate-delivered event ${id} missing`);
  const versions10 = [...docs.values()].filter((d) => d.source.eventVersion === "1.0").length;
  assert.equal(versions10, day.expected.version10Records);
  assert.match(result.stderr, new RegExp(`${day.expected.validRecords} records read: ${day.expected.uniqueRecords} indexed, ${day.expected.duplicateRecords} duplicates, 0 dead-lettered`));

  const again = await runScript("ingest.ts", ["--date", day.date], { ...env, INDEX_PREFIX: prefix });
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`${day.expected.validRecords} records read: 0 indexed, ${day.expected.validRecords} duplicates, 0 dead-lettered`));
  assert.equal(await countDocuments(stack.search, `${prefix}-*`), day.expected.uniqueRecords);
});

test("the four scripts chained index the same documents as ingest", async () => {
  const chained = uniqueName("awk-chain");
  const streamed = uniqueName("awk-stream");
  const s3dir = join(work, "s3");
  const jsondir = join(work, "json");

  const copy = await runScript("copy.ts", ["--date", day.date, "--out", s3dir], env);
  assert.equal(copy.code, 0, copy.stderr); // copy moves bytes, like `aws s3 cp`: the bad objects are found by the next steps
  assert.match(copy.stderr, new RegExp(`skipped ${day.expected.digestObjects} digest, ${day.expected.insightObjects} insight`));
  const gunzip = await runScript("gunzip.ts", [s3dir, "--out", jsondir], env);
  assert.equal(gunzip.code, 1, gunzip.stderr);
  assert.match(gunzip.stderr, /FAILED .*corrupt or truncated gzip/);
  const split = await runScript("split.ts", [jsondir], env);
  assert.equal(split.code, 1, split.stderr);
  assert.match(split.stderr, /FAILED .*not valid JSON/);
  const records = join(work, "records.ndjson");
  writeFileSync(records, split.stdout);
  const bulk = await runScript("bulk.ts", [records], { ...env, INDEX_PREFIX: chained });
  assert.equal(bulk.code, 0, bulk.stderr);

  const ingest = await runScript("ingest.ts", ["--date", day.date], { ...env, INDEX_PREFIX: streamed });
  assert.equal(ingest.code, 1, ingest.stderr);

  const a = await allDocuments(stack.search, `${chained}-*`);
  const b = await allDocuments(stack.search, `${streamed}-*`);
  assert.equal(a.size, day.expected.uniqueRecords);
  assert.equal(b.size, a.size);
  for (const [id, doc] of a) {
    const other = b.get(id);
    assert.ok(other, `document ${id} only in the chained run`);
    assert.equal(other.index.replace(streamed, ""), doc.index.replace(chained, ""));
    assert.deepEqual(other.source, doc.source, `document ${id} differs`);
  }
});
