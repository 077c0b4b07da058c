/**
 * A run stopped by Ctrl-C or SIGTERM keeps its dead letters (hostile review): bulk.ts against the real engine,
 * slowed by a proxy that holds each `_bulk` request, is signalled once its first dead letters are written. It must
 * exit 130/143, add what it dead-lettered to DEAD_LETTER_FILE (a replay of that very file: leave it as it was),
 * leave no `.partial` file, and say in one line where the dead letters are. Node and Deno.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { slowProxy } from "../support/slow-proxy.ts";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localStack, uniqueName } from "../support/stack.ts";
import { commandOf, partialLines } from "../support/run.ts";

const BAD = 300;
const good = (i: number) => JSON.stringify({ eventVersion: "1.08", eventTime: "2013-12-07T05:03:12Z", eventID: `good-${i}`, eventName: "GetObject" });
const bad = (i: number) => `not json ${i}`;
/** BAD lines that are not JSON, then 20,000 good records: records.ndjson in `dir`. */
function recordsIn(dir: string): string {
  const records = join(dir, "records.ndjson");
  writeFileSync(records, [...Array.from({ length: BAD }, (_, i) => bad(i)), ...Array.from({ length: 20_000 }, (_, i) => good(i))].join("\n") + "\n");
  return records;
}
const earlier = `{"deadLetter":{"reason":"an earlier run","status":0,"object":"old.ndjson","position":1},"record":"earlier"}`;

for (const [runtime, signal, code] of [["node", "SIGINT", 130], ["deno", "SIGTERM", 143]] as const) {
  test(`bulk.ts (${runtime}) stopped by ${signal}: exit ${code}, its dead letters added to the file, one line says where`, async () => {
    const stack = await localStack();
    const proxy = await slowProxy(stack.search, 3000);
    const dir = mkdtempSync(join(tmpdir(), "trailpost-interrupt-"));
    try {
      const records = recordsIn(dir);
      const deadLetters = join(dir, "dl.ndjson");
      writeFileSync(deadLetters, `${earlier}\n`);
      const run = await runUntilSignalled(runtime, ["bulk.ts", records, "--dead-letter", deadLetters], { ES_URL: proxy.url, INDEX_PREFIX: uniqueName("int"), BULK_MAX_BYTES: "20000", BULK_CONCURRENCY: "1" }, dir, signal);
      assert.equal(run.code, code, run.stderr);
      const lines = readFileSync(deadLetters, "utf8").trim().split("\n");
      assert.equal(lines[0], earlier, "what the file held before stays first");
      assert.equal(lines.length, 1 + BAD, `every dead letter of the run is in the file:\n${run.stderr}`);
      const entries = lines.slice(1).map((l) => JSON.parse(l) as { deadLetter: { object: string; position: number; reason: string }; record: unknown });
      assert.deepEqual(entries.map((e) => e.deadLetter.position), Array.from({ length: BAD }, (_, i) => i + 1));
      for (const e of entries) assert.match(e.deadLetter.reason, /not JSON/);
      assert.deepEqual(readdirSync(dir).filter((f) => f.includes("partial")), [], "no partial file left");
      const said = run.stderr.split("\n").filter((l) => l.includes(deadLetters));
      assert.deepEqual(said, [`bulk: interrupted by ${signal}: ${BAD} dead letters of this run added to ${deadLetters}; fix the cause, then replay: bulk.ts ${deadLetters}`]);
      // what it had done, before where its dead letters are: the records it read (the bad ones at least), as counted
      const soFar = run.stderr.split("\n").filter((l) => l.startsWith(`bulk: interrupted by ${signal}: done so far: `));
      assert.equal(soFar.length, 1, run.stderr);
      const read = Number(/ ([\d,]+) records \(/.exec(soFar[0]!)?.[1]?.replaceAll(",", ""));
      assert.ok(read >= BAD && read <= BAD + 20_000, soFar[0]);
      assert.match(soFar[0]!, new RegExp(`, ${BAD} dead letters$`));
      assert.ok(run.stderr.indexOf(soFar[0]!) < run.stderr.indexOf(said[0]!), "the dead letters' line comes last");
    } finally {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("bulk.ts --json stopped by SIGTERM: the summary on stdout says so (interrupted, exit code 143), with what was done", async () => {
  const stack = await localStack();
  const proxy = await slowProxy(stack.search, 3000);
  const dir = mkdtempSync(join(tmpdir(), "trailpost-interrupt-json-"));
  try {
    const records = recordsIn(dir);
    const run = await runUntilSignalled("node", ["bulk.ts", records, "--json", "--dead-letter", join(dir, "dl.ndjson")], { ES_URL: proxy.url, INDEX_PREFIX: uniqueName("intj"), BULK_MAX_BYTES: "20000", BULK_CONCURRENCY: "1" }, dir, "SIGTERM");
    assert.equal(run.code, 143, run.stderr);
    const summary = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    assert.deepEqual([summary.script, summary.interrupted, summary.exitCode, summary.ok], ["bulk", "SIGTERM", 143, false]);
    assert.ok(summary.records.read >= BAD, `records read: ${summary.records.read}`);
    assert.equal(summary.records.deadLettered, BAD);
    assert.doesNotMatch(run.stderr, /done so far/, "with --json, the summary says it");
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a replay of the dead-letter file stopped by SIGINT leaves the file as it was and drops its partial file", async () => {
  const stack = await localStack();
  const proxy = await slowProxy(stack.search, 3000);
  const dir = mkdtempSync(join(tmpdir(), "trailpost-interrupt-replay-"));
  try {
    const file = join(dir, "dl.ndjson");
    const line = (record: string, i: number) => `{"deadLetter":{"reason":"HTTP 429","status":429,"object":"s3://b/k.json.gz","position":${i}},"record":${record}}`;
    const content = [...Array.from({ length: BAD }, (_, i) => line(JSON.stringify({ eventID: `no-time-${i}` }), i)), ...Array.from({ length: 20_000 }, (_, i) => line(good(i), BAD + i))].join("\n") + "\n";
    writeFileSync(file, content);
    const run = await runUntilSignalled("node", ["bulk.ts", file], { ES_URL: proxy.url, INDEX_PREFIX: uniqueName("intr"), BULK_MAX_BYTES: "20000", BULK_CONCURRENCY: "1", DEAD_LETTER_FILE: file }, dir, "SIGINT");
    assert.equal(run.code, 130, run.stderr);
    assert.equal(readFileSync(file, "utf8"), content, "the file is as it was: it still holds every record");
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes("partial")), []);
    assert.match(run.stderr, new RegExp(`bulk: interrupted by SIGINT: ${file.replace(/[.]/g, "\\.")} is left as it was`));
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("split.ts blocked on a full pipe (a reader that does not read) still ends at once on SIGINT or SIGTERM, Node and Deno", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trailpost-interrupt-split-"));
  try {
    for (let f = 0; f < 20; f++) {
      const records = Array.from({ length: 5000 }, (_, i) => ({ eventVersion: "1.08", eventTime: "2013-12-07T05:03:12Z", eventID: `e-${f}-${i}`, pad: "x".repeat(200) }));
      writeFileSync(join(dir, `f${String(f).padStart(2, "0")}.json`), JSON.stringify({ Records: records }));
    }
    for (const [runtime, signal] of [["node", "SIGINT"], ["node", "SIGTERM"], ["deno", "SIGINT"], ["deno", "SIGTERM"]] as const) {
      const name = `${runtime} ${signal}`;
      const [command, prefix] = commandOf("split.ts", runtime);
      // stdout is a pipe nobody reads: split fills it and waits, as it would behind a slow reader
      const child = spawn(command, [...prefix, dir], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d));
      const ended = new Promise<{ code: number | null; killedBy: NodeJS.Signals | null }>((resolve) => child.on("close", (code, killedBy) => resolve({ code, killedBy })));
      await new Promise((r) => setTimeout(r, runtime === "deno" ? 4000 : 3000));
      const sent = Date.now();
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const { code, killedBy } = await ended;
      clearTimeout(timer);
      child.stdout.destroy();
      assert.notEqual(killedBy, "SIGKILL", `${name}: still running 20 s after the signal; stderr: ${stderr}`);
      assert.ok(killedBy === signal || code === (signal === "SIGINT" ? 130 : 143), `${name}: code ${code}, signal ${killedBy}; stderr: ${stderr}`);
      assert.ok(Date.now() - sent < 5000, `${name}: took ${Date.now() - sent} ms to end`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Starts a script, waits until its partial dead-letter file holds BAD lines, sends `signal`, and waits for its end. */
function runUntilSignalled(runtime: "node" | "deno", [script, ...args]: string[], env: Record<string, string>, dir: string, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const [command, prefix] = commandOf(script!, runtime);
  const child = spawn(command, [...prefix, ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const lines = partialLines(dir);
      if (lines >= BAD) {
        clearInterval(poll);
        child.kill(signal);
      } else if (Date.now() - started > 60_000 || child.exitCode !== null) {
        clearInterval(poll);
        child.kill("SIGKILL");
        reject(new Error(`no ${BAD} dead letters written within 60 s (${lines}); stderr: ${stderr}`));
      }
    }, 50);
    child.on("close", (code, killedBy) => resolve({ code: code ?? (killedBy === "SIGINT" ? 130 : killedBy === "SIGTERM" ? 143 : null), stderr, stdout }));
  });
}

