/** The scripts run unchanged under Deno: one end-to-end ingest, and the four-step chain (make ingest's). */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { S3 } from "../../lib/aws/s3.ts";
import { localStack, repoRoot, uniqueName, type TestStack } from "../support/stack.ts";
import { countDocuments, runScript } from "../support/run.ts";

const manifest = JSON.parse(readFileSync(join(repoRoot, "fixtures", "demo-bucket.manifest.json"), "utf8")) as { records: number; files: number };
let stack: TestStack;
let env: Record<string, string>;

before(async () => {
  stack = await localStack();
  const bucket = uniqueName("deno");
  const s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  await s3.createBucket(bucket);
  const dir = join(repoRoot, "fixtures", "demo-bucket");
  for (const file of (await readdir(dir, { recursive: true })).map(String).filter((f) => f.endsWith(".json.gz"))) {
    await s3.put(bucket, relative(dir, join(dir, file)), readFileSync(join(dir, file)), { "content-encoding": "gzip" });
  }
  env = { CLOUDTRAIL_BUCKET: bucket, AWS_ENDPOINT_URL: stack.aws, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: stack.region, ES_URL: stack.search };
});

test("deno run scripts/ingest.ts indexes the demo day", async () => {
  const prefix = uniqueName("deno-ingest");
  const result = await runScript("ingest.ts", ["--date", "2013-12-07"], { ...env, INDEX_PREFIX: prefix }, { runtime: "deno" });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(await countDocuments(stack.search, `${prefix}-*`), manifest.records);
});

test("deno run scripts/blog.ts runs copy, gunzip, split and bulk under Deno", async () => {
  const prefix = uniqueName("deno-chain");
  const cwd = mkdtempSync(join(tmpdir(), "trailpost-deno-"));
  try {
    const result = await runScript("blog.ts", ["--date", "2013-12-07"], { ...env, INDEX_PREFIX: prefix }, { runtime: "deno", cwd });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`split: ${manifest.files} files, ${manifest.records} lines out`));
    assert.equal(await countDocuments(stack.search, `${prefix}-*`), manifest.records);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
