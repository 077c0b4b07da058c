/**
 * make build's scripts (dist/NAME.mjs: one bundle each, started by their own first line, no tsx) do what the sources
 * do: the same bytes out, the same documents in the engine, the same exit codes, and worker threads from their own
 * bundle.
 */
import { spawn } from "node:child_process";
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { S3 } from "../../lib/aws/s3.ts";
import { localStack, repoRoot, uniqueName, type TestStack } from "../support/stack.ts";
import { countDocuments, runCommand, runScript, commandOf, partialLines } from "../support/run.ts";

const manifest = JSON.parse(readFileSync(join(repoRoot, "fixtures", "demo-bucket.manifest.json"), "utf8")) as { records: number; files: number };
const demo = join(repoRoot, "fixtures", "demo-bucket");
/** The scripts make build bundles, from its command (package.json's "build"). */
const buildCommand = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts["build"]!;
const built = [...buildCommand.matchAll(/scripts\/(\w+)\.ts/g)].map((m) => m[1]!);
let stack: TestStack;
let env: Record<string, string>;

before(async () => {
  for (const name of built) assert.ok(existsSync(join(repoRoot, "dist", `${name}.mjs`)), `dist/${name}.mjs is missing: make build (make test runs it first)`);
  stack = await localStack();
  const bucket = uniqueName("built");
  const s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  await s3.createBucket(bucket);
  for (const file of (await readdir(demo, { recursive: true })).map(String).filter((f) => f.endsWith(".json.gz"))) {
    await s3.put(bucket, relative(demo, join(demo, file)), readFileSync(join(demo, file)), { "content-encoding": "gzip" });
  }
  env = { CLOUDTRAIL_BUCKET: bucket, AWS_ENDPOINT_URL: stack.aws, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: stack.region, ES_URL: stack.search };
});

test("every built script is executable, starts node with its flags, and answers --help as its source does", async () => {
  assert.ok(built.length >= 10, built.join(" "));
  for (const name of built) {
    const file = join(repoRoot, "dist", `${name}.mjs`);
    const first = readFileSync(file, "utf8").split("\n")[0]!;
    assert.match(first, /^#!\/usr\/bin\/env -S MALLOC_MMAP_THRESHOLD_=\d+ node --max-semi-space-size=\d+ --heap-growing-percent=\d+ --liftoff-only$/, file);
    // Linux before 5.1 reads at most 127 bytes of a first line
    assert.ok(first.length <= 127, `${file}: its first line is ${first.length} bytes`);
    assert.ok(statSync(file).mode & 0o100, `${file} is not executable`);
    const [ours, source] = await Promise.all([runScript(`${name}.ts`, ["--help"], {}, { runtime: "built" }), runScript(`${name}.ts`, ["--help"])]);
    assert.equal(ours.code, 0, `${name}: ${ours.stderr}`);
    assert.equal(ours.stdout, source.stdout, name);
    assert.ok(ours.stdout.length > 100, `${name}: ${ours.stdout}`);
  }
});

test("a built script run as an executable gets its first line's environment and Node flags", { skip: !existsSync("/proc/self/environ") && "no /proc here" }, async () => {
  // what the first line asks for: the assignments before node, node's flags after it
  const file = join(repoRoot, "dist", "split.mjs");
  const words = readFileSync(file, "utf8").split("\n")[0]!.split(" ");
  const assignments = words.slice(words.indexOf("-S") + 1, words.indexOf("node"));
  const flags = words.slice(words.indexOf("node") + 1);
  assert.ok(assignments.length >= 1 && flags.length >= 3, words.join(" "));
  // split waits on an open stdin: look at the running process, then let it end
  const child = spawn(file, [], { stdio: ["pipe", "pipe", "pipe"] });
  try {
    // first env runs (its arguments: the first line after `env` as one), then it becomes node
    let argv: string[] = [];
    for (let i = 0; i < 200 && !argv.includes(flags.at(-1)!); i++) {
      await new Promise((r) => setTimeout(r, 25));
      argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
    }
    for (const flag of flags) assert.ok(argv.includes(flag), `${flag} is not in node's arguments: ${argv.join(" ")}`);
    const environ = readFileSync(`/proc/${child.pid}/environ`, "utf8").split("\0");
    for (const assignment of assignments) assert.ok(environ.includes(assignment), `${assignment} is not in its environment`);
  } finally {
    child.stdin.end('{"Records":[]}');
    const code = await new Promise<number | null>((r) => child.on("close", r));
    assert.equal(code, 0);
  }
});

test("built split prints the source's bytes, also with two worker threads loaded from dist/runtime/", async () => {
  const source = await runScript("split.ts", [demo]);
  assert.equal(source.code, 0, source.stderr);
  assert.equal(source.stdout.split("\n").length - 1, manifest.records);
  for (const WORKERS of ["0", "2"]) {
    const ours = await runScript("split.ts", [demo], { WORKERS }, { runtime: "built" });
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout, source.stdout, `WORKERS=${WORKERS}`);
    assert.equal(ours.stderr, source.stderr, `WORKERS=${WORKERS}`);
  }
  // the threads run the bundle beside the script, not the source: without it, WORKERS=2 fails and says so
  const alone = mkdtempSync(join(tmpdir(), "trailpost-built-"));
  try {
    copyFileSync(join(repoRoot, "dist", "split.mjs"), join(alone, "split.mjs"));
    const missing = await runCommand(join(alone, "split.mjs"), [demo], { WORKERS: "2" }, { cwd: tmpdir() });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /worker-thread\.mjs/);
    mkdirSync(join(alone, "runtime"));
    copyFileSync(join(repoRoot, "dist", "runtime", "worker-thread.mjs"), join(alone, "runtime", "worker-thread.mjs"));
    const present = await runCommand(join(alone, "split.mjs"), [demo], { WORKERS: "2" }, { cwd: tmpdir() });
    assert.equal(present.code, 0, present.stderr);
    assert.equal(present.stdout, source.stdout);
    // started from a symbolic link elsewhere (as a bin directory holds it), its threads are still found
    symlinkSync(join(repoRoot, "dist", "split.mjs"), join(alone, "trailpost-split"));
    const linked = await runCommand(join(alone, "trailpost-split"), [demo], { WORKERS: "2" }, { cwd: tmpdir() });
    assert.equal(linked.code, 0, linked.stderr);
    assert.equal(linked.stdout, source.stdout);
  } finally {
    rmSync(alone, { recursive: true, force: true });
  }
});

test("built bulk and ingest index the demo day as the sources do; a usage error exits 2", async () => {
  const split = await runScript("split.ts", [demo]);
  const bulkPrefix = uniqueName("built-bulk");
  const bulk = await runScript("bulk.ts", [], { ...env, INDEX_PREFIX: bulkPrefix }, { runtime: "built", stdin: split.stdout });
  assert.equal(bulk.code, 0, bulk.stderr);
  assert.match(bulk.stderr, new RegExp(`${manifest.records.toLocaleString("en-US")} records read: ${manifest.records.toLocaleString("en-US")} indexed`));
  assert.equal(await countDocuments(stack.search, `${bulkPrefix}-*`), manifest.records);

  const ingestPrefix = uniqueName("built-ingest");
  const ingest = await runScript("ingest.ts", ["--date", "2013-12-07"], { ...env, INDEX_PREFIX: ingestPrefix }, { runtime: "built" });
  assert.equal(ingest.code, 0, ingest.stderr);
  assert.equal(await countDocuments(stack.search, `${ingestPrefix}-*`), manifest.records);
  // again: every record is a duplicate, exit 0
  const again = await runScript("ingest.ts", ["--date", "2013-12-07"], { ...env, INDEX_PREFIX: ingestPrefix }, { runtime: "built" });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`0 indexed, ${manifest.records.toLocaleString("en-US")} duplicates`));

  const usage = await runScript("ingest.ts", ["--date", "2013-13-07"], { ...env, INDEX_PREFIX: ingestPrefix }, { runtime: "built" });
  assert.equal(usage.code, 2, usage.stderr);
  assert.match(usage.stderr, /2013-13-07/);
});

test("built bulk stopped by SIGINT or SIGTERM: node itself gets the signal (env -S execs it), exits 130/143 as the source does, its dead letters kept", async () => {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    const outcomes = [];
    for (const runtime of ["node", "built"] as const) {
      const dir = mkdtempSync(join(tmpdir(), "trailpost-built-signal-"));
      try {
        const deadLetters = join(dir, "dl.ndjson");
        writeFileSync(deadLetters, "");
        const run = await bulkUntilSignalled(runtime, dir, deadLetters, signal);
        // a handled signal is an exit code; a process the signal killed (no handler reached) has none
        assert.deepEqual([run.code, run.killedBy], [code, null], `${runtime} ${signal}: ${run.stderr}`);
        assert.equal(readFileSync(deadLetters, "utf8").split("\n").length - 1, SIGNAL_BAD, `${runtime} ${signal}: every dead letter kept`);
        assert.deepEqual(readdirSync(dir).filter((f) => f.includes("partial")), [], "no partial file left");
        // the same words, but for the timing fields of what was done so far (elapsed time, records a second)
        outcomes.push(run.stderr.split("\n").filter((l) => l.startsWith("bulk: interrupted")).map((l) => l.replaceAll(dir, "DIR").replace(/done so far: \d+:\d\d /, "done so far: T ").replace(/\([\d,]+\/s\)/, "(R/s)")));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    assert.deepEqual(outcomes[1], outcomes[0], `${signal}: the built script's last words are the source's`);
    // what it had done, then where its dead letters are
    assert.equal(outcomes[0]!.length, 2, `${signal}: ${outcomes[0]}`);
    assert.match(outcomes[0]![0]!, /done so far: .*, 40 dead letters$/);
    assert.match(outcomes[0]![1]!, /40 dead letters of this run added to DIR\/dl\.ndjson/);
  }
});

const SIGNAL_BAD = 40;

/**
 * bulk.ts (from source under tsx, or dist/bulk.mjs started by its first line) reading stdin that stays open: once
 * its partial dead-letter file holds SIGNAL_BAD lines (the bad lines written), `signal` goes to the process spawned.
 */
function bulkUntilSignalled(runtime: "node" | "built", dir: string, deadLetters: string, signal: NodeJS.Signals) {
  const [command, prefix] = commandOf("bulk.ts", runtime);
  const child = spawn(command, [...prefix, "--dead-letter", deadLetters], { cwd: dir, env: { ...process.env, ES_URL: stack.search, INDEX_PREFIX: uniqueName("built-sig") }, stdio: ["pipe", "ignore", "pipe"] });
  child.stdin.write(Array.from({ length: SIGNAL_BAD }, (_, i) => `not json ${i}\n`).join(""));
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  return new Promise<{ code: number | null; killedBy: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const lines = partialLines(dir);
      if (lines >= SIGNAL_BAD) {
        clearInterval(poll);
        child.kill(signal);
        // a launcher that keeps the signal from node (a shell waiting for it) never ends: say so instead of hanging
        setTimeout(() => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.stdin.destroy();
          child.kill("SIGKILL");
          reject(new Error(`${runtime}: still running 30 s after ${signal}; stderr: ${stderr}`));
        }, 30_000).unref();
      } else if (Date.now() - started > 60_000 || child.exitCode !== null) {
        clearInterval(poll);
        child.kill("SIGKILL");
        reject(new Error(`${runtime}: no ${SIGNAL_BAD} dead letters within 60 s (${lines}); stderr: ${stderr}`));
      }
    }, 50);
    // "exit", not "close": a launcher that does not exec node may leave a node behind holding stderr open
    child.on("exit", (code, killedBy) => {
      child.stdin.destroy();
      const done = () => resolve({ code, killedBy, stderr });
      const late = setTimeout(done, 5000);
      child.stderr.once("close", () => (clearTimeout(late), done()));
    });
  });
}
