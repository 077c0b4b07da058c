/**
 * The scripts in a shell pipeline whose reader goes away, as `jq … | head` does: `split.ts dir | head -1` ends
 * promptly, quietly, with exit 0 (Node and Deno, with and without --quiet); `split.ts dir | bulk.ts` with a bad
 * setting ends split too; `split.ts --out DIR` (no data on stdout) is not affected by a reader that left.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../support/stack.ts";

const RUNTIMES = {
  node: `${JSON.stringify(process.execPath)} --import tsx`,
  deno: `${JSON.stringify(`${repoRoot}node_modules/.bin/deno`)} run --allow-all --quiet`,
};
/** 30 files, 150,000 records, 47 MB: far more than one pipe buffer, so a writer meets the closed pipe. */
function logFiles(): string {
  const dir = mkdtempSync(join(tmpdir(), "trailpost-pipes-"));
  for (let f = 0; f < 30; f++) {
    const records = Array.from({ length: 5000 }, (_, i) => ({ eventVersion: "1.08", eventTime: "2013-12-07T05:03:12Z", eventID: `e-${f}-${i}`, eventName: "GetObject", pad: "x".repeat(200) }));
    writeFileSync(join(dir, `f${String(f).padStart(2, "0")}.json`), JSON.stringify({ Records: records }));
  }
  return dir;
}

/** Runs a bash pipeline (with a 60 s limit); its stdout, stderr, the exit status of each command, and the time. */
function pipeline(command: string, env: Record<string, string> = {}) {
  const started = Date.now();
  const r = spawnSync("bash", ["-c", `${command}; echo "status \${PIPESTATUS[*]}" >&2`], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL" });
  const status = /status ([\d ]+)\n?$/.exec(r.stderr ?? "")?.[1]?.split(" ").map(Number);
  return { stdout: r.stdout ?? "", stderr: (r.stderr ?? "").replace(/status [\d ]+\n?$/, ""), status, seconds: (Date.now() - started) / 1000, timedOut: r.error !== undefined };
}

test("split.ts dir | head -1: exit 0 promptly and quietly, Node and Deno, with and without --quiet", () => {
  const dir = logFiles();
  try {
    for (const [runtime, run] of Object.entries(RUNTIMES)) {
      for (const quiet of ["", "--quiet"]) {
        const name = `${runtime} split.ts ${quiet} dir | head -1`;
        const r = pipeline(`${run} scripts/split.ts ${quiet} ${dir} | head -1`);
        assert.equal(r.timedOut, false, `${name}: still running after 60 s`);
        assert.deepEqual(r.status, [0, 0], `${name}: exit statuses ${r.status}; stderr: ${r.stderr}`);
        assert.equal(r.stderr, "", `${name}: not quiet`);
        assert.match(r.stdout, /^\{"eventVersion":"1\.08","eventTime":"2013-12-07T05:03:12Z","eventID":"e-0-0",[^\n]*\}\n$/, name);
        assert.ok(r.seconds < 30, `${name}: took ${r.seconds} s`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("split.ts dir | bulk.ts --index-prefix BAD: bulk exits 2 and split ends with it (Node and Deno)", () => {
  const dir = logFiles();
  try {
    for (const [runtime, run] of Object.entries(RUNTIMES)) {
      const r = pipeline(`${run} scripts/split.ts --quiet ${dir} | ${run} scripts/bulk.ts --index-prefix BAD`, { ES_URL: "http://127.0.0.1:9" });
      assert.equal(r.timedOut, false, `${runtime}: split still running after 60 s`);
      assert.deepEqual(r.status, [0, 2], `${runtime}: ${r.stderr}`);
      assert.match(r.stderr, /bulk: INDEX_PREFIX must be a lower-case index name prefix/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("split.ts --out DIR with a reader that left at once: every file is still written whole, exit 0", () => {
  const dir = logFiles();
  const out = mkdtempSync(join(tmpdir(), "trailpost-pipes-out-"));
  try {
    for (const [runtime, run] of Object.entries(RUNTIMES)) {
      rmSync(out, { recursive: true, force: true });
      const r = pipeline(`${run} scripts/split.ts --out ${out} ${dir} | true`);
      assert.deepEqual(r.status, [0, 0], `${runtime}: ${r.stderr}`);
      const files = readdirSync(out).sort();
      assert.equal(files.length, 30, runtime);
      assert.equal(readFileSync(join(out, "f29.ndjson"), "utf8").split("\n").length, 5001, `${runtime}: the last file whole`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});
