/**
 * Dead letters against the real engine: replaying the dead-letter file, as the README says, ends; the books
 * balance; a record that fails again keeps one line (with where it came from); what lands leaves the file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localStack, uniqueName } from "../support/stack.ts";
import { commandOf, countDocuments, runCommand, runScript } from "../support/run.ts";

const good = (i: number) => JSON.stringify({ eventVersion: "1.08", eventTime: "2013-12-07T05:03:12Z", eventID: `good-${i}`, eventName: "GetObject" });
const bad = (i: number) => JSON.stringify({ eventVersion: "1.08", eventTime: `not a time ${i}`, eventID: `bad-${i}` });

test("replaying the default dead-letter file in place ends, balances, keeps one line per record that fails again", async () => {
  const stack = await localStack();
  const prefix = uniqueName("dl");
  const cwd = mkdtempSync(join(tmpdir(), "trailpost-dl-"));
  const env = { ES_URL: stack.search, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: undefined };
  try {
    // 2,000 records that cannot be placed, and 10 that can
    writeFileSync(join(cwd, "records.ndjson"), [...Array.from({ length: 2000 }, (_, i) => bad(i)), ...Array.from({ length: 10 }, (_, i) => good(i))].join("\n") + "\n");
    const first = await runScript("bulk.ts", ["records.ndjson"], env, { cwd });
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /2,010 records read: 10 indexed, 0 duplicates, 2,000 dead-lettered/);
    // the first ten are named (object, position, reason), the rest counted
    const named = first.stderr.split("\n").filter((l) => l.startsWith("bulk: DEAD-LETTERED "));
    assert.equal(named.length, 10, first.stderr);
    named.forEach((l, i) => assert.match(l, new RegExp(`^bulk: DEAD-LETTERED records\\.ndjson \\(position ${i + 1}\\): .*no valid eventTime`)));
    assert.match(first.stderr, /^bulk: … and 1,990 more dead letters\nbulk: 2,000 dead letters in trailpost-dead-letter\.ndjson; fix the cause/m);
    const file = join(cwd, "trailpost-dead-letter.ndjson");
    const before = readFileSync(file, "utf8").trim().split("\n");
    assert.equal(before.length, 2000);

    // exactly what the README says to do
    const replay = await runScript("bulk.ts", ["trailpost-dead-letter.ndjson"], env, { cwd });
    assert.equal(replay.code, 1, replay.stderr);
    assert.match(replay.stderr, /2,000 records read: 0 indexed, 0 duplicates, 2,000 dead-lettered/);
    const after = readFileSync(file, "utf8").trim().split("\n");
    assert.equal(after.length, 2000, "one line per record that failed again");
    const entries = after.map((l) => JSON.parse(l) as { deadLetter: { object: string; position: number; reason: string }; record: { eventID: string } });
    assert.deepEqual(entries.map((e) => e.record.eventID).sort(), Array.from({ length: 2000 }, (_, i) => `bad-${i}`).sort());
    for (const e of entries) {
      assert.equal(e.deadLetter.object, "records.ndjson", "where it came from, not the dead-letter file");
      assert.match(e.deadLetter.reason, /no valid eventTime/);
    }
    assert.deepEqual(readdirSync(cwd).filter((f) => f.includes("partial")), [], "no partial file left");

    // the same through stdin
    const stdinReplay = await runScript("bulk.ts", [], env, { cwd, stdin: readFileSync(file, "utf8") });
    assert.equal(stdinReplay.code, 1, stdinReplay.stderr);
    assert.equal(readFileSync(file, "utf8").trim().split("\n").length, 4000, "stdin here is a copy, not the file: its failures are appended");
    assert.equal(await countDocuments(stack.search, `${prefix}-*`), 10);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test("a replay where everything now lands removes the file; a partial landing leaves only what still fails", async () => {
  const stack = await localStack();
  const prefix = uniqueName("dl2");
  const cwd = mkdtempSync(join(tmpdir(), "trailpost-dl2-"));
  const file = join(cwd, "dead.ndjson");
  const env = { ES_URL: stack.search, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: file };
  const line = (record: string, i: number) => `{"deadLetter":{"reason":"HTTP 429 es_rejected_execution_exception","status":429,"index":"x","id":"id-${i}","object":"s3://b/k${i}.json.gz","position":${i},"at":"2013-12-07T06:00:00.000Z"},"record":${record}}`;
  try {
    writeFileSync(file, [line(good(1), 1), line(bad(2), 2), line(good(3), 3)].join("\n") + "\n");
    const partial = await runScript("bulk.ts", [file], env, { cwd });
    assert.equal(partial.code, 1, partial.stderr);
    assert.match(partial.stderr, /3 records read: 2 indexed, 0 duplicates, 1 dead-lettered/);
    const left = readFileSync(file, "utf8").trim().split("\n");
    assert.equal(left.length, 1);
    assert.match(left[0]!, /"object":"s3:\/\/b\/k2\.json\.gz","position":2/);

    writeFileSync(file, [line(good(4), 4), line(good(1), 1)].join("\n") + "\n");
    const all = await runScript("bulk.ts", [file], env, { cwd });
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stderr, /2 records read: 1 indexed, 1 duplicates?, 0 dead-lettered/);
    assert.equal(existsSync(file), false, "every record landed: the dead-letter file is gone");
    assert.equal(await countDocuments(stack.search, `${prefix}-*`), 3);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test("thousands of lines that are not JSON: each is dead-lettered; the first 1,000 are kept by name, the rest counted (memory stays bounded)", async () => {
  const stack = await localStack();
  const dirs: string[] = [];
  const bulk = async (args: string[]) => {
    const cwd = mkdtempSync(join(tmpdir(), "trailpost-dlbad-"));
    dirs.push(cwd);
    const prefix = uniqueName("dlbad");
    const lines = [...Array.from({ length: 2500 }, (_, i) => `not json ${i}`), ...Array.from({ length: 5 }, (_, i) => good(i))];
    writeFileSync(join(cwd, "records.ndjson"), lines.join("\n") + "\n");
    const run = await runScript("bulk.ts", ["records.ndjson", ...args], { ES_URL: stack.search, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: undefined }, { cwd });
    const dead = readFileSync(join(cwd, "trailpost-dead-letter.ndjson"), "utf8").trim().split("\n");
    assert.equal(dead.length, 2500, "every line is in the dead-letter file");
    assert.equal(JSON.parse(dead.at(-1)!).record, "not json 2499");
    assert.equal(await countDocuments(stack.search, `${prefix}-*`), 5);
    assert.equal(run.code, 1, run.stderr);
    return run;
  };
  try {
    const printed = await bulk([]);
    assert.equal(printed.stderr.split("\n").filter((l) => l.startsWith("bulk: FAILED records.ndjson:")).length, 50);
    assert.match(printed.stderr, /^bulk: … and 2450 more failures$/m);
    assert.match(printed.stderr, /2,505 records read: 5 indexed, 0 duplicates, 2,500 dead-lettered/);
    const json = await bulk(["--json"]);
    const summary = JSON.parse(json.stdout.trim().split("\n").at(-1)!);
    assert.deepEqual([summary.records.read, summary.records.indexed, summary.records.deadLettered, summary.balanced], [2505, 5, 2500, true]);
    assert.equal(summary.failures.length, 1000);
    assert.deepEqual(summary.failures[999], { subject: "records.ndjson:1000", reason: "not JSON" });
    assert.equal(summary.unlistedFailures, 1500);
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});

test("stdin that is a file (`bulk < file`, read 1 MiB at a time) lands every record; `bulk < its own dead-letter file` replays it in place", async () => {
  const stack = await localStack();
  const prefix = uniqueName("dlfile");
  const cwd = mkdtempSync(join(tmpdir(), "trailpost-dlfile-"));
  const file = join(cwd, "dead.ndjson");
  const env = { ES_URL: stack.search, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: file };
  // 2.5 MB of records with multi-byte characters (cut across reads and decoding), three that cannot be placed
  const wide = (i: number) => JSON.stringify({ eventVersion: "1.08", eventTime: "2013-12-07T05:03:12Z", eventID: `wide-${i}`, eventName: "PutObject", requestParameters: { key: `é日😀 ${i} `.repeat(40) } });
  const lines = Array.from({ length: 3000 }, (_, i) => (i % 1000 === 999 ? bad(i) : wide(i)));
  const redirected = (input: string) => runCommand("sh", ["-c", 'exec "$@" < "$INPUT"', "sh", ...commandOf("bulk.ts").flat()], { ...env, INPUT: input }, { cwd });
  try {
    writeFileSync(join(cwd, "records.ndjson"), lines.join("\r\n") + "\r\n");
    assert.ok(statSync(join(cwd, "records.ndjson")).size > 2_000_000);
    const first = await redirected(join(cwd, "records.ndjson"));
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stderr, /3,000 records read: 2,997 indexed, 0 duplicates, 3 dead-lettered/);
    assert.equal(await countDocuments(stack.search, `${prefix}-*`), 2997);
    assert.equal(readFileSync(file, "utf8").trim().split("\n").length, 3);

    // stdin is the dead-letter file itself: the replay reads it, then its failures replace it (3 lines, not 6)
    const replay = await redirected(file);
    assert.equal(replay.code, 1, replay.stderr);
    assert.match(replay.stderr, /3 records read: 0 indexed, 0 duplicates, 3 dead-lettered/);
    const again = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { deadLetter: { object: string; position: number } });
    assert.deepEqual(again.map((e) => e.deadLetter.position), [1000, 2000, 3000]);
    assert.ok(again.every((e) => e.deadLetter.object === "stdin"), JSON.stringify(again[0]));
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
