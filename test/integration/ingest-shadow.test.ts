/**
 * ingest --validate against a shadowing file, on a real LocalStack and search engine: a signed day plus one log
 * file no digest lists, added by someone with write access, that repeats a genuine record's eventID with forged
 * content and is keyed to be read right before the genuine file. The forged document takes the id and the genuine
 * record comes back 409. The run must say so: exit 1, a SHADOWED line naming both files, the forged document
 * marked invalid with the valid file and position as the reason (its content kept as evidence), the summary
 * counting it; a re-run (under Deno) says it again. A healthy day re-run (every record a duplicate) holds nothing and exits 0.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { cloudTrailJson, gzip } from "../../fixtures/common.ts";
import { digestDay, fixtureObject, type DigestDay } from "../../fixtures/digests.ts";
import { digestRuns } from "../support/digest-runs.ts";
import { allDocuments, runScript, type RunResult } from "../support/run.ts";
import { uniqueName } from "../support/stack.ts";

const runs = digestRuns("ingest-shadow", {
  // one request at a time: the file read first takes the id (with several in flight, either may)
  BULK_CONCURRENCY: "1",
});
const { keysFile, upload, envFor } = runs;

const dayLogs = (day: DigestDay) => day.logs.filter((l) => l.key.includes("/2024/03/04/"));
const args = (day: DigestDay) => ["--date", day.date, "--validate", "--public-keys", keysFile];

describe("ingest --validate, a file added to shadow a genuine record", () => {
  let day: DigestDay;
  let bucket: string;
  let genuineKey: string;
  let forgedKey: string;
  let eventID: string;
  let prefix: string;
  let first: RunResult;

  before(async () => {
    bucket = uniqueName("is-shadow");
    day = digestDay({ bucket });
    const genuine = day.logs.find((l) => l.hour === 10)!;
    genuineKey = genuine.key;
    // same folder and minute, a unique part that sorts first: listed, and read, right before the genuine file
    forgedKey = genuine.key.replace(/_[A-Za-z0-9]{16}\.json\.gz$/, "_0000000000000000.json.gz");
    assert.ok(forgedKey < genuineKey, "the forged file is listed first");
    const original = genuine.records[0]!;
    eventID = String(original.eventID);
    const forged = { ...original, eventName: "DescribeTrails", sourceIPAddress: "203.0.113.66", userAgent: "forged" };
    await upload(bucket, [...day.objects, fixtureObject(forgedKey, "log", gzip(cloudTrailJson([forged])))]);
    prefix = uniqueName("is-sh");
    first = await runScript("ingest.ts", args(day), envFor(bucket, prefix));
  });

  test("exit 1; a SHADOWED line names the forged file, the id, and the valid file and position whose record it holds", () => {
    assert.equal(first.code, 1, first.stderr);
    const line = first.stderr.split("\n").find((l) => l.startsWith("ingest: SHADOWED "));
    assert.ok(line, first.stderr);
    assert.ok(line.startsWith(`ingest: SHADOWED s3://${bucket}/${forgedKey} (unsigned, now invalid) holds id ${eventID} in ${prefix}-`), line);
    assert.ok(line.includes(`shadows record 1 of s3://${bucket}/${genuineKey}, a valid file`), line);
    assert.ok(line.endsWith("the genuine record counted as a duplicate and is not in the index"), line);
  });

  test("the summary counts the shadow; the books balance with the genuine record counted as the duplicate", () => {
    const logs = dayLogs(day);
    const records = logs.flatMap((l) => l.records).length;
    const n = logs.length + 1;
    assert.match(first.stderr, new RegExp(`ingest: integrity: ${n} log files: ${n - 1} valid, 0 invalid, 0 pending, 1 unsigned; records: ${records} valid, 0 invalid, 0 pending, 1 unsigned; digests: 25 valid, 0 invalid, 0 missing; 0 documents updated from pending or unsigned; 1 shadowed record \\(1 duplicate of valid files checked\\)`), first.stderr);
    assert.match(first.stderr, new RegExp(`ingest: ${(records + 1).toLocaleString("en-US")} records read: ${records.toLocaleString("en-US")} indexed, 1 duplicates, 0 dead-lettered`), first.stderr);
  });

  test("the forged document is kept as evidence and now says invalid, naming the record it shadows", async () => {
    const docs = await allDocuments(runs.stack.search, `${prefix}-*`);
    const doc = docs.get(eventID)!.source;
    const t = doc.trailpost as Record<string, string>;
    assert.equal(t.object, `s3://${bucket}/${forgedKey}`);
    assert.equal(t.integrity, "invalid");
    assert.equal(t.integrityReason, `shadows record 1 of s3://${bucket}/${genuineKey}, a valid file: same eventID, indexed first`);
    assert.equal(doc.sourceIPAddress, "203.0.113.66", "the forged content, as read");
    // nothing else changed: every other document is its valid file's
    const response = await fetch(`${runs.stack.search}/${prefix}-*/_count?q=${encodeURIComponent("trailpost.integrity:valid")}`);
    assert.equal(((await response.json()) as { count: number }).count, dayLogs(day).flatMap((l) => l.records).length - 1);
  });

  test("a re-run, under Deno, says it again (the document is already invalid: kept as it is), and exits 1", async () => {
    const again = await runScript("ingest.ts", args(day), envFor(bucket, prefix), { runtime: "deno" });
    assert.equal(again.code, 1, again.stderr);
    assert.ok(again.stderr.includes(`ingest: SHADOWED s3://${bucket}/${forgedKey} (invalid) holds id ${eventID} in ${prefix}-`), again.stderr);
    assert.match(again.stderr, /; 1 shadowed record \(\d+ duplicates of valid files checked\)/);
  });
});

describe("ingest --validate, a shadowing file indexed by an earlier run", () => {
  test("the count before indexing arms the check: this run meets no suspect file and still names the shadow", async () => {
    const bucket = uniqueName("is-earlier");
    const day = digestDay({ bucket, seed: "earlier" });
    const genuine = day.logs.find((l) => l.hour === 10)!;
    // dropped in the day before's folder, where the next run does not look
    const forgedKey = genuine.key.replace("/2024/03/04/", "/2024/03/03/").replace(/_2024030\dT\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$/, "_20240303T2355Z_0000000000000000.json.gz");
    assert.notEqual(forgedKey, genuine.key);
    const eventID = String(genuine.records[2]!.eventID);
    await upload(bucket, [...day.objects, fixtureObject(forgedKey, "log", gzip(cloudTrailJson([{ ...genuine.records[2], eventName: "ConsoleLogin", sourceIPAddress: "198.51.100.7" }])))]);
    const prefix = uniqueName("is-ea");
    const earlier = await runScript("ingest.ts", ["--date", "2024-03-03", "--validate", "--public-keys", keysFile], envFor(bucket, prefix));
    assert.match(earlier.stderr, /ingest: integrity: \d+ log files: \d+ valid, 0 invalid, 0 pending, 1 unsigned;/, earlier.stderr);
    const run = await runScript("ingest.ts", args(day), envFor(bucket, prefix));
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`ingest: integrity: ${dayLogs(day).length} log files: ${dayLogs(day).length} valid, 0 invalid, 0 pending, 0 unsigned;.*; 1 shadowed record \\(1 duplicate of valid files checked\\)`), run.stderr);
    assert.ok(run.stderr.includes(`ingest: SHADOWED s3://${bucket}/${forgedKey} (`), run.stderr);
    assert.ok(run.stderr.includes(`holds id ${eventID} in ${prefix}-`) && run.stderr.includes(`shadows record 3 of s3://${bucket}/${genuine.key}, a valid file`), run.stderr);
  });
});

describe("ingest --validate, a healthy day", () => {
  test("a re-run, every record a duplicate, holds nothing for the shadow check and exits 0", async () => {
    const bucket = uniqueName("is-healthy");
    const day = digestDay({ bucket, seed: "healthy" });
    await upload(bucket, day.objects);
    const prefix = uniqueName("is-ok");
    const records = dayLogs(day).flatMap((l) => l.records).length;
    for (const run of ["first", "re-run"]) {
      const result = await runScript("ingest.ts", args(day), envFor(bucket, prefix));
      assert.equal(result.code, 0, `${run}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /SHADOWED/);
      assert.match(result.stderr, /; 0 shadowed records \(0 duplicates of valid files checked\)/, `${run}: ${result.stderr}`);
      if (run === "re-run") assert.match(result.stderr, new RegExp(`: 0 indexed, ${records.toLocaleString("en-US")} duplicates`), result.stderr);
    }
  });
});
