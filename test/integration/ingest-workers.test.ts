/**
 * ingest on worker threads (WORKERS=2 under Node, 3 under Deno) against the real stack gives what one thread
 * gives: the same documents under the same ids (eventVersion 1.0 records without an eventID included, identical
 * ones counted per object), the same dead letters with the records' own text, the same bad objects named, the
 * same books and exit code. Over the awkward day (fixtures/awkward.ts) and a generated day of another account
 * with records that cannot be placed.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { S3 } from "../../lib/aws/s3.ts";
import { awkwardDay, type AwkwardDay } from "../../fixtures/awkward.ts";
import { generateDay } from "../../fixtures/generate.ts";
import { localStack, scriptEnv, uniqueName, type TestStack } from "../support/stack.ts";
import { allDocuments, runScript, type RunResult } from "../support/run.ts";

let stack: TestStack;
let day: AwkwardDay;
let bucket: string;
let env: Record<string, string | undefined>;
/** Records a worker's toBulk dead-letters (no time, a bad time, not an object, nested deeper than MAX_DEPTH), as jq -c prints them. */
const UNPLACEABLE = [
  `{"eventID":"no-time"}`,
  `{"eventTime":"2013-13-45T00:00:00Z","eventID":"bad-time"}`,
  `[1,2]`,
  `{"eventTime":"2024-03-04T01:02:03Z","eventID":"too-deep","deep":${"[".repeat(1000)}${"]".repeat(1000)}}`,
];
const work = mkdtempSync(join(tmpdir(), "trailpost-ingest-workers-"));

before(async () => {
  stack = await localStack();
  bucket = uniqueName("workers");
  day = awkwardDay({ bucket });
  const s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  await s3.createBucket(bucket);
  for (const object of day.objects) {
    await s3.put(bucket, object.key, object.body, { "content-type": object.contentType, "content-encoding": object.contentEncoding });
  }
  let first = true;
  for (const object of generateDay({ date: day.date, records: 3000, accounts: ["999988887777"], prefix: day.prefix, seed: 5 })) {
    let body = object.body;
    if (first) {
      // records that cannot be placed: dead letters at batching, in a worker
      const json = gunzipSync(body).toString("utf8");
      body = gzipSync(`${json.slice(0, -2)},${UNPLACEABLE.join(",")}]}`);
      first = false;
    }
    await s3.put(bucket, object.key, body);
  }
  env = scriptEnv(stack, {
    CLOUDTRAIL_BUCKET: bucket,
    CLOUDTRAIL_PREFIX: day.prefix,
  });
});

after(() => rmSync(work, { recursive: true, force: true }));

async function ingest(workers: string, runtime: "node" | "deno" = "node") {
  const prefix = uniqueName(`wk${workers}`);
  const deadLetterFile = join(work, `${prefix}.ndjson`);
  const result = await runScript("ingest.ts", ["--date", day.date], { ...env, INDEX_PREFIX: prefix, WORKERS: workers, DEAD_LETTER_FILE: deadLetterFile }, { runtime });
  const docs = await allDocuments(stack.search, `${prefix}-*`);
  const documents = [...docs].map(([id, d]) => JSON.stringify([id, d.index.slice(prefix.length), d.source])).sort();
  const deadLetters = existsSync(deadLetterFile)
    ? readFileSync(deadLetterFile, "utf8").trim().split("\n").map((l) => l.replace(/"at":"[^"]*"/, "").replace(/"index":"[^"]*"/, "")).sort()
    : [];
  return { result, documents, deadLetters };
}

/** The books of the summary: records read, indexed, duplicates, dead-lettered, and the objects line. */
function books(r: RunResult): string[] {
  return r.stderr
    .split("\n")
    .filter((l) => /^ingest: (\d[\d,]* records read|.* log objects? read)|^ingest: FAILED/.test(l))
    .map((l) => l.replace(/;? ?\d+ retries.*$/, "").replace(/ \(.*? of JSON\)/, ""))
    .sort();
}

test("ingest with worker threads: the same documents, ids, dead letters, failures and books as one thread", async () => {
  const one = await ingest("0");
  assert.equal(one.result.code, 1, one.result.stderr);
  assert.ok(one.deadLetters.length >= UNPLACEABLE.length, `dead letters: ${one.deadLetters.length}`);
  assert.ok(one.documents.length > 3000, `documents: ${one.documents.length}`);
  for (const [workers, runtime] of [["2", "node"], ["3", "deno"]] as const) {
    const many = await ingest(workers, runtime);
    assert.match(many.result.stderr, new RegExp(`\\(${workers} worker threads\\)`), many.result.stderr);
    assert.equal(many.result.code, one.result.code, many.result.stderr);
    assert.deepEqual(books(many.result), books(one.result));
    assert.deepEqual(many.documents, one.documents, `${runtime}: the same documents under the same ids`);
    assert.deepEqual(many.deadLetters, one.deadLetters, `${runtime}: the same dead letters`);
    for (const text of UNPLACEABLE) assert.ok(many.deadLetters.some((l) => l.endsWith(`"record":${text}}`)), `${runtime}: not dead-lettered as delivered: ${text.slice(0, 80)}\n${many.deadLetters.map((l) => l.slice(0, 300)).join("\n")}`);
    for (const key of day.expected.badObjects) assert.ok(many.result.stderr.includes(`FAILED s3://${bucket}/${key}`), `bad object not named: ${key}`);
  }
});
