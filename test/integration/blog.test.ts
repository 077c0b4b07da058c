/**
 * The story: `make ingest DATE=2013-12-07` on the local stack, twice; and the blog's own approach failing where
 * trailpost succeeds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { localStack, repoRoot, uniqueName } from "../support/stack.ts";
import { countDocuments, runScript } from "../support/run.ts";

const manifest = JSON.parse(readFileSync(join(repoRoot, "fixtures", "demo-bucket.manifest.json"), "utf8")) as { records: number; files: number; objects: { key: string; records: number }[] };

test("make ingest DATE=2013-12-07: every record of the day's fixtures indexed, and a second run changes nothing", async () => {
  const stack = await localStack();
  const prefix = uniqueName("blog");
  const cwd = mkdtempSync(join(tmpdir(), "trailpost-blog-"));
  const unset = { CLOUDTRAIL_BUCKET: undefined, ES_URL: undefined, DATE: undefined, INDEX_PREFIX: prefix };
  try {
    const first = await runScript("blog.ts", ["--date", "2013-12-07"], unset, { cwd });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(await countDocuments(stack.search, `${prefix}-2013.12.07`), manifest.records);
    assert.match(first.stderr, new RegExp(`copy: ${manifest.files} log objects`));
    assert.match(first.stderr, new RegExp(`split: ${manifest.files} files, ${manifest.records} lines out`));
    assert.match(first.stderr, new RegExp(`bulk: ${manifest.records} records read: ${manifest.records} indexed, 0 duplicates, 0 dead-lettered`));
    assert.match(first.stderr, new RegExp(`${prefix}-2013\\.12\\.07\\s+${manifest.records}`));
    assert.match(first.stderr, /top 10 eventName[\s\S]*DescribeInstances\s+\d+/);
    // and last the day's report, whose path ends the output
    const page = join("work", "2013-12-07", "report.html");
    assert.ok(first.stderr.trimEnd().endsWith(`→ ${page} (${(readFileSync(join(cwd, page)).length / 1024).toFixed(1)} KB)`), first.stderr.slice(-300));
    assert.match(first.stderr, new RegExp(`report: ${manifest.records} events in ${prefix}-2013\\.12\\.07`));
    assert.match(readFileSync(join(cwd, page), "utf8"), new RegExp(`<div class="tile" data-stat="total" data-count="${manifest.records}">`));
    // each step's output is there to look at
    assert.equal(readdirSync(join(cwd, "work", "2013-12-07", "json"), { recursive: true }).filter((f) => String(f).endsWith(".json")).length, manifest.files);
    const ndjson = (readdirSync(join(cwd, "work", "2013-12-07", "records"), { recursive: true }) as string[]).filter((f) => f.endsWith(".ndjson"));
    assert.equal(ndjson.length, manifest.files, "one NDJSON per log file");
    assert.equal(ndjson.reduce((n, f) => n + readFileSync(join(cwd, "work", "2013-12-07", "records", f), "utf8").trim().split("\n").length, 0), manifest.records);

    const second = await runScript("blog.ts", ["--date", "2013-12-07"], unset, { cwd });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, new RegExp(`bulk: ${manifest.records} records read: 0 indexed, ${manifest.records} duplicates`));
    assert.equal(await countDocuments(stack.search, `${prefix}-2013.12.07`), manifest.records);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test("the blog's own approach, POSTing `jq .Records[]` output to /index/_doc, does not index the file; trailpost does", async () => {
  const stack = await localStack();
  const index = uniqueName("blog-curl");
  const blogFile = manifest.objects.find((o) => o.key.endsWith("_20131207T0505Z_ZbdkeKdlzp6vikJl.json.gz"))!;
  assert.ok(blogFile.records > 1, "the blog's file holds several records");
  const path = join(repoRoot, "fixtures", "demo-bucket", blogFile.key);
  // gzip -d | jq .Records[]   (the real tools, as in 2013)
  const records = execFileSync("jq", [".Records[]"], { input: execFileSync("gzip", ["-dc", path]) });
  // curl -X POST :9200/index/type -d @-
  const response = await fetch(`${stack.search}/${index}/_doc`, { method: "POST", headers: { "content-type": "application/json" }, body: records });
  const landed = response.ok ? await countDocuments(stack.search, index) : 0;
  assert.ok(!response.ok || landed <= 1, `expected an error or at most one document, got HTTP ${response.status} and ${landed} documents`);
  assert.ok(landed < blogFile.records, `the blog approach indexed ${landed} of ${blogFile.records} records`);

  const prefix = uniqueName("blog-fixed");
  const split = await runScript("split.ts", [path]);
  assert.equal(split.code, 0, split.stderr);
  const bulk = await runScript("bulk.ts", [], { ES_URL: stack.search, INDEX_PREFIX: prefix }, { stdin: split.stdout });
  assert.equal(bulk.code, 0, bulk.stderr);
  assert.equal(await countDocuments(stack.search, `${prefix}-*`), blogFile.records);
});
