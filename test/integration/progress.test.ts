/**
 * Progress on a long run, for real: a generated day in LocalStack, ingested into the engine through a proxy that
 * holds each `_bulk` request a while (a slow cluster, so that the run lasts), watched as a person would.
 *
 * - On a terminal (tmux, a real pseudo-terminal; Node and Deno): one live line, visible within 2 s of the start,
 *   never more than one progress line on the screen, never wider than the terminal, erased at the end.
 * - Not a terminal (pipes): a plain line after 2 s, then every 10 s, no escape codes.
 * - `--json`: one JSON object on stdout that parses and balances, its counts equal to the engine's; `--quiet`:
 *   no progress and no summary, failures still named.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { slowProxy, type SlowProxy } from "../support/slow-proxy.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { S3 } from "../../lib/aws/s3.ts";
import { generateDay } from "../../fixtures/generate.ts";
import { localStack, repoRoot, scriptEnv, uniqueName, type TestStack } from "../support/stack.ts";
import { countDocuments, runScript } from "../support/run.ts";

const DATE = "2024-05-06";
const RECORDS = 2000;
const work = mkdtempSync(join(tmpdir(), "trailpost-progress-"));
const BAD_GZIP = `AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/06/111122223333_CloudTrail_us-east-1_20240506T2359Z_notagzip0000000.json.gz`;
const NO_TIME = `AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/06/111122223333_CloudTrail_us-east-1_20240506T2358Z_noeventtime00000.json.gz`;

let stack: TestStack;
let bucket: string;
let objects = 0;
let proxy: SlowProxy;
let env: Record<string, string | undefined>;

before(async () => {
  stack = await localStack();
  bucket = uniqueName("progress");
  const s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  await s3.createBucket(bucket);
  const uploads: { key: string; body: Uint8Array }[] = [...generateDay({ date: DATE, records: RECORDS, regions: ["us-east-1", "eu-west-1"], filesPerHour: 3, gzipLevel: 1 })];
  uploads.push({ key: BAD_GZIP, body: new TextEncoder().encode("<html>AccessDenied</html>") });
  uploads.push({ key: NO_TIME, body: gzipSync(JSON.stringify({ Records: [{ eventVersion: "1.08", eventName: "NoTime", eventSource: "ec2.amazonaws.com", eventID: "00000000-0000-4000-8000-000000000001" }] })) });
  for (let i = 0; i < uploads.length; i += 16) {
    await Promise.all(uploads.slice(i, i + 16).map((o) => s3.put(bucket, o.key, o.body, { "content-type": "application/json", "content-encoding": "gzip" })));
  }
  objects = uploads.length;
  proxy = await slowProxy(stack.search, 120);
  env = scriptEnv(stack, {
    CLOUDTRAIL_BUCKET: bucket,
    ES_URL: proxy.url,
    // small batches, one at a time, each held 120 ms: the run lasts several seconds
    BULK_CONCURRENCY: "1",
    BULK_MAX_BYTES: "40000",
    DEAD_LETTER_FILE: join(work, "dead-letter.ndjson"),
  });
});

after(async () => {
  await proxy?.close();
  rmSync(work, { recursive: true, force: true });
});

const LIVE = /^ingest \d+:\d\d \d[\d,]*(\/[\d,]+)? objects?,/;

for (const runtime of ["node", "deno"] as const) {
  test(`on a terminal (${runtime}, tmux): one live line within 2 s, one line on the screen, erased at the end`, async () => {
    const prefix = uniqueName(`progress-tty-${runtime}`);
    const screens = await inTmux(runtime, ["--date", DATE], { ...env, INDEX_PREFIX: prefix }, 100);
    const first = screens.find((s) => s.lines.some((l) => LIVE.test(l)));
    assert.ok(first, `no live line seen:\n${screens.at(-1)?.lines.join("\n")}`);
    console.error(`# ${runtime}: live line visible ${first.at} ms after the process was started`);
    // drawn at the very start of the run by the script's own clock; the wall clock includes the runtime's own
    // start (Node with tsx: about 1 s here) and this machine's load, so it gets a margin
    assert.match(first.lines.find((l) => LIVE.test(l))!, /^ingest 0:0[01] /, "the first frame is from the start of the run");
    assert.ok(first.at < 4000, `the live line appeared ${first.at} ms after the process was started`);
    const during = screens.filter((s) => !s.lines.some((l) => l.startsWith("EXIT=")));
    assert.ok(during.filter((s) => s.lines.some((l) => LIVE.test(l))).length >= 10, "the line was seen over the run");
    let lastDone = 0;
    for (const s of during) {
      const progress = s.lines.filter((l) => /^ingest \d+:\d\d /.test(l));
      assert.ok(progress.length <= 1, `more than one progress line at ${s.at} ms:\n${s.lines.join("\n")}`);
      for (const l of progress) assert.ok(l.length < 100, `a progress line as wide as the terminal (it would wrap): ${l}`);
      // a wrapped live line would leave its head behind: no line is the start of a progress line but the one
      assert.ok(s.lines.filter((l) => /^ingest \d/.test(l)).length <= 1);
      const done = Number(progress[0]?.match(/ (\d[\d,]*)\/[\d,]+ objects/)?.[1]?.replaceAll(",", "") ?? lastDone);
      assert.ok(done >= lastDone, "objects done never go back");
      lastDone = done;
    }
    assert.ok(during.some((s) => s.lines.some((l) => new RegExp(` \\d+/${objects} objects`).test(l))), `the total (${objects} objects) is shown`);
    const end = screens.at(-1)!.joined;
    assert.ok(end.includes("EXIT=1"), end.join("\n"));
    assert.ok(!end.some((l) => /^ingest \d+:\d\d /.test(l)), `the live line is erased at the end:\n${end.join("\n")}`);
    assert.ok(end.some((l) => l.startsWith(`ingest: ${objects - 1} log objects read`)), end.join("\n"));
    assert.ok(end.some((l) => l.includes(`FAILED s3://${bucket}/${BAD_GZIP}`)), "the failure is named");
  });
}

test("not a terminal: a plain line after 2 s, then every 10 s, without escape codes", async () => {
  const prefix = uniqueName("progress-plain");
  const lines: { at: number; text: string }[] = [];
  const started = Date.now();
  // slower still, so that the run lasts past the second line
  const slow = await slowProxy(stack.search, 400);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "scripts/ingest.ts"), "--date", DATE], {
        cwd: repoRoot,
        env: { ...process.env, ...env, ES_URL: slow.url, INDEX_PREFIX: prefix },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let buffer = "";
      child.stderr.on("data", (d: Buffer) => {
        buffer += d;
        for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
          lines.push({ at: Date.now() - started, text: buffer.slice(0, i) });
          buffer = buffer.slice(i + 1);
        }
      });
      child.on("error", reject);
      child.on("close", resolve);
    });
    assert.equal(code, 1, lines.map((l) => l.text).join("\n"));
  } finally {
    await slow.close();
  }
  const plain = lines.filter((l) => /^ingest: \d+:\d\d /.test(l.text));
  console.error(`# plain lines at ${plain.map((l) => l.at).join(", ")} ms: ${plain.map((l) => l.text).join(" | ")}`);
  assert.ok(plain.length >= 2, `at least two plain lines in a run of ${lines.at(-1)?.at} ms`);
  assert.match(plain[0]!.text, /^ingest: 0:0[23] /, "the first says 2 s");
  assert.match(plain[1]!.text, /^ingest: 0:1[23] /, "the second 10 s later");
  for (let i = 1; i < plain.length; i++) {
    const gap = plain[i]!.at - plain[i - 1]!.at;
    assert.ok(gap > 8000 && gap < 12_000, `${gap} ms between plain lines`);
  }
  for (const l of lines) assert.doesNotMatch(l.text, /[\r\x1b]/, "no terminal codes in a log");
});

test("--json: one JSON object on stdout that parses and balances, equal to the engine's count; a re-run finds duplicates", async () => {
  const prefix = uniqueName("progress-json");
  const first = await runScript("ingest.ts", ["--date", DATE, "--json"], { ...env, ES_URL: stack.search, BULK_CONCURRENCY: "auto", BULK_MAX_BYTES: "5000000", INDEX_PREFIX: prefix });
  assert.equal(first.code, 1, first.stderr);
  const lines = first.stdout.trim().split("\n");
  assert.equal(lines.length, 1, `stdout is one line: ${first.stdout}`);
  const s = JSON.parse(lines[0]!);
  assert.equal(s.script, "ingest");
  assert.equal(s.exitCode, 1);
  assert.equal(s.ok, false);
  assert.equal(s.records.read, RECORDS + 1);
  assert.equal(s.records.read, s.records.indexed + s.records.duplicates + s.records.deadLettered, "read = indexed + duplicates + dead-lettered");
  assert.equal(s.balanced, true);
  assert.equal(s.records.deadLettered, 1);
  assert.equal(s.records.indexed, await countDocuments(stack.search, `${prefix}-*`));
  assert.equal(s.records.indexed, RECORDS);
  assert.deepEqual(s.objects, { expected: objects, listed: objects, read: objects - 1, failed: 1, skipped: { digest: 0, insight: 0, other: 0, refused: 0 } });
  assert.ok(s.failures.some((f: { subject: string }) => f.subject === `s3://${bucket}/${BAD_GZIP}`), JSON.stringify(s.failures));
  assert.equal(s.indices[`${prefix}-2024.05.06`], RECORDS);
  assert.equal(s.deadLetterFile, env.DEAD_LETTER_FILE);
  assert.equal(s.target, stack.search);
  assert.doesNotMatch(first.stderr, /records read:|FAILED/, "no human summary or failure lines beside the JSON");

  const again = JSON.parse((await runScript("ingest.ts", ["--date", DATE, "--json"], { ...env, ES_URL: stack.search, BULK_CONCURRENCY: "auto", BULK_MAX_BYTES: "5000000", INDEX_PREFIX: prefix })).stdout);
  assert.deepEqual([again.records.indexed, again.records.duplicates, again.records.deadLettered, again.balanced], [0, RECORDS, 1, true]);
});

test("--quiet: no progress and no summary; failures and the dead-letter note are still printed", async () => {
  const prefix = uniqueName("progress-quiet");
  const r = await runScript("ingest.ts", ["--date", DATE, "--quiet"], { ...env, ES_URL: stack.search, BULK_CONCURRENCY: "auto", BULK_MAX_BYTES: "5000000", INDEX_PREFIX: prefix });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.doesNotMatch(r.stderr, /^ingest: \d+:\d\d|records read:|log objects read/m);
  assert.match(r.stderr, new RegExp(`ingest: FAILED s3://${bucket}/${BAD_GZIP.replaceAll(".", "\\.")}`));
  assert.match(r.stderr, /1 dead letter in .*dead-letter\.ndjson; fix the cause, then replay/);
  assert.equal(await countDocuments(stack.search, `${prefix}-*`), RECORDS);
});

test("every step script: --json parses and agrees with the files; split puts it on stderr, its stdout stays records", async () => {
  const base = { ...env, ES_URL: stack.search, BULK_CONCURRENCY: "auto", BULK_MAX_BYTES: "5000000" };
  const copy = await runScript("copy.ts", ["--date", DATE, "--out", join(work, "s3"), "--json"], base);
  const c = JSON.parse(copy.stdout);
  assert.deepEqual([c.script, c.exitCode, c.objects.read, c.objects.failed, c.objects.expected], ["copy", 0, objects, 0, objects]);
  const gunzip = await runScript("gunzip.ts", [join(work, "s3"), "--out", join(work, "json"), "--json"], base);
  const g = JSON.parse(gunzip.stdout);
  assert.deepEqual([g.script, g.exitCode, g.objects.read, g.objects.failed], ["gunzip", 1, objects - 1, 1], gunzip.stdout);
  const split = await runScript("split.ts", [join(work, "json"), "--json"], base);
  const sp = JSON.parse(split.stderr.trim());
  assert.equal(sp.records.read, split.stdout.trim().split("\n").length);
  assert.equal(sp.records.read, RECORDS + 1);
  const ndjson = join(work, "records.ndjson");
  (await import("node:fs")).writeFileSync(ndjson, split.stdout);
  const bulk = await runScript("bulk.ts", [ndjson, "--json", "--dead-letter", join(work, "bulk-dl.ndjson")], { ...base, INDEX_PREFIX: uniqueName("progress-bulk") });
  const b = JSON.parse(bulk.stdout);
  assert.equal(b.records.read, b.records.indexed + b.records.duplicates + b.records.deadLettered);
  assert.deepEqual([b.records.indexed, b.records.deadLettered, b.balanced, b.exitCode, bulk.code], [RECORDS, 1, true, 1, 1]);
  assert.equal(b.bytes.read, Buffer.byteLength(split.stdout), "every input byte counted");
});

/** Runs ingest in a detached tmux session of 100×30 and captures the screen every 100 ms until it exits. */
async function inTmux(runtime: "node" | "deno", args: string[], scriptEnv: Record<string, string>, columns: number): Promise<{ at: number; lines: string[]; joined: string[] }[]> {
  const socket = uniqueName("trailpost-tmux");
  const exports = Object.entries(scriptEnv).map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ");
  const script = join(repoRoot, "scripts/ingest.ts");
  const run = runtime === "deno" ? `${join(repoRoot, "node_modules/.bin/deno")} run --allow-all --quiet ${script}` : `${shellQuote(process.execPath)} --import tsx ${script}`;
  const command = `cd ${shellQuote(repoRoot)} && env ${exports} TERM=xterm-256color ${run} ${args.map(shellQuote).join(" ")}; echo EXIT=$?; sleep 120`;
  const tmux = (...a: string[]) => execFileSync("tmux", ["-L", socket, ...a], { encoding: "utf8" });
  const started = Date.now();
  tmux("new-session", "-d", "-s", "t", "-x", String(columns), "-y", "30", command);
  const screens: { at: number; lines: string[]; joined: string[] }[] = [];
  const capture = (...flags: string[]) => tmux("capture-pane", "-p", ...flags, "-t", "t").split("\n").map((l) => l.trimEnd()).filter(Boolean);
  try {
    for (;;) {
      // as shown (a wrapped line is two), and with wrapped lines joined
      const lines = capture();
      screens.push({ at: Date.now() - started, lines, joined: capture("-J") });
      if (lines.some((l) => l.startsWith("EXIT="))) return screens;
      if (Date.now() - started > 180_000) throw new Error(`no exit after 180 s:\n${lines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    try {
      tmux("kill-server");
    } catch {
      // already gone
    }
  }
}


function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
